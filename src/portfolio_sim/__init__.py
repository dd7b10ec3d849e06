"""portfolio_sim: Monte Carlo forecasts of a product portfolio.

Public names are imported lazily (module ``__getattr__``, PEP 562), so ``import
portfolio_sim`` stays light and ``portfolio-sim validate`` never imports numba. Every
name in ``__all__`` resolves, ``from portfolio_sim import *`` imports them all, and
``dir(portfolio_sim)`` lists exactly ``__all__``.

No module of the package is named like a public function (``forecasting`` defines
:func:`forecast`, ``comparing`` :func:`compare`, ``warming`` :func:`warmup`), so importing
a submodule never rebinds a public name.
"""

import typing

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "load": "portfolio_sim.scenario.load",
    "ScenarioError": "portfolio_sim.errors",
    "InputError": "portfolio_sim.errors",
    "PortfolioSimError": "portfolio_sim.errors",
    "Scenario": "portfolio_sim.scenario.schema",
    "apply_variant": "portfolio_sim.scenario.variants",
    "forecast": "portfolio_sim.forecasting",
    "compare": "portfolio_sim.comparing",
    "Comparison": "portfolio_sim.results.compare_tables",
    "Forecast": "portfolio_sim.results.forecast",
    "warmup": "portfolio_sim.warming",
    "sensitivity": "portfolio_sim.decide.sensitivity",
    "select": "portfolio_sim.decide.select",
    "sweep": "portfolio_sim.decide.sweep",
    "staff": "portfolio_sim.decide.staff",
    "trace_trial": "portfolio_sim.tracing",
    "calibrate": "portfolio_sim.history",
    "backtest": "portfolio_sim.history",
    "how_many": "portfolio_sim.history",
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
    "staff",
    "sweep",
    "trace_trial",
    "warmup",
]

if typing.TYPE_CHECKING:
    from portfolio_sim.comparing import compare
    from portfolio_sim.decide.select import select
    from portfolio_sim.decide.sensitivity import sensitivity
    from portfolio_sim.decide.staff import staff
    from portfolio_sim.decide.sweep import sweep
    from portfolio_sim.errors import InputError, PortfolioSimError, ScenarioError
    from portfolio_sim.forecasting import forecast
    from portfolio_sim.history.backtest import backtest
    from portfolio_sim.history.calibrate import calibrate
    from portfolio_sim.history.howmany import how_many
    from portfolio_sim.results.compare_tables import Comparison
    from portfolio_sim.results.forecast import Forecast
    from portfolio_sim.scenario.load import load
    from portfolio_sim.scenario.schema import Scenario
    from portfolio_sim.scenario.variants import apply_variant
    from portfolio_sim.tracing import trace_trial
    from portfolio_sim.warming import warmup

del typing


def __getattr__(name: str) -> object:
    """Import a public name on first access (then it is a plain module attribute)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'portfolio_sim' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names: ``__all__`` (submodules and helpers are not listed)."""
    return sorted(__all__)
