"""portfolio_sim: Monte Carlo forecasts of a product portfolio.

Public names are imported lazily (module ``__getattr__``), so ``import portfolio_sim``
stays light and ``portfolio-sim validate`` never imports numba.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "load": "portfolio_sim.scenario.load",
    "ScenarioError": "portfolio_sim.errors",
}

__all__ = ["ScenarioError", "__version__", "load"]

if TYPE_CHECKING:
    from portfolio_sim.errors import ScenarioError
    from portfolio_sim.scenario.load import load


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'portfolio_sim' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
