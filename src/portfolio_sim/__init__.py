"""portfolio_sim: Monte Carlo forecasts of a product portfolio.

Public names are imported lazily (module ``__getattr__``), so ``import portfolio_sim``
stays light and ``portfolio-sim validate`` never imports numba.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "load": "portfolio_sim.scenario.load",
    "ScenarioError": "portfolio_sim.errors",
    "InputError": "portfolio_sim.errors",
    "PortfolioSimError": "portfolio_sim.errors",
    "Scenario": "portfolio_sim.scenario.schema",
    "apply_variant": "portfolio_sim.scenario.variants",
    "forecast": "portfolio_sim.forecast",
    "compare": "portfolio_sim.compare",
    "Comparison": "portfolio_sim.results.compare_tables",
    "Forecast": "portfolio_sim.results.forecast",
    "warmup": "portfolio_sim.warmup",
    "sensitivity": "portfolio_sim.decide.sensitivity",
    "select": "portfolio_sim.decide.select",
    "sweep": "portfolio_sim.decide.sweep",
    "trace_trial": "portfolio_sim.tracing",
}

__all__ = [
    "Comparison",
    "Forecast",
    "InputError",
    "PortfolioSimError",
    "Scenario",
    "ScenarioError",
    "__version__",
    "apply_variant",
    "backtest",
    "calibrate",
    "compare",
    "forecast",
    "how_many",
    "load",
    "select",
    "sensitivity",
    "sweep",
    "trace_trial",
    "warmup",
]

if TYPE_CHECKING:
    from portfolio_sim.compare import compare
    from portfolio_sim.decide.select import select
    from portfolio_sim.decide.sensitivity import sensitivity
    from portfolio_sim.decide.sweep import sweep
    from portfolio_sim.errors import InputError, PortfolioSimError, ScenarioError
    from portfolio_sim.forecast import forecast
    from portfolio_sim.history import backtest, calibrate, how_many
    from portfolio_sim.results.compare_tables import Comparison
    from portfolio_sim.results.forecast import Forecast
    from portfolio_sim.scenario.load import load
    from portfolio_sim.scenario.schema import Scenario
    from portfolio_sim.scenario.variants import apply_variant
    from portfolio_sim.tracing import trace_trial
    from portfolio_sim.warmup import warmup


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'portfolio_sim' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(ModuleType):
    """Keeps ``portfolio_sim.forecast``, ``.compare``, ``.warmup`` bound to the functions.

    After loading a submodule, the import system sets the package attribute of the same
    name to the module (``from portfolio_sim.compare import x`` would turn
    ``portfolio_sim.compare`` into a module); for a public function named like its module,
    the function is bound instead."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and _LAZY.get(name) == value.__name__:
            value = getattr(value, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
