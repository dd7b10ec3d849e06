"""The package's public names: every name in ``__all__`` resolves, ``import *`` works,
``dir()`` lists only public names, and no submodule shadows a public function."""

from __future__ import annotations

import subprocess
import sys
import types

import portfolio_sim


def _run(code: str) -> None:
    """Run ``code`` in a fresh interpreter (a clean ``sys.modules``), failing on error."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_every_name_in_all_resolves_in_a_fresh_interpreter() -> None:
    _run(
        "import portfolio_sim as ps\n"
        "missing = [n for n in ps.__all__ if not hasattr(ps, n)]\n"
        "assert not missing, missing\n"
    )


def test_star_import_binds_every_public_name() -> None:
    _run(
        "from portfolio_sim import *\n"
        "import portfolio_sim as ps\n"
        "g = globals()\n"
        "assert all(g[n] is getattr(ps, n) for n in ps.__all__)\n"
        "assert callable(how_many) and callable(calibrate) and callable(backtest)\n"
    )


def test_history_functions_are_the_history_package_functions() -> None:
    from portfolio_sim import history

    assert portfolio_sim.how_many is history.how_many
    assert portfolio_sim.calibrate is history.calibrate
    assert portfolio_sim.backtest is history.backtest


def test_dir_shows_exactly_the_public_names() -> None:
    names = dir(portfolio_sim)
    assert names == sorted(portfolio_sim.__all__)
    for leftover in ("sys", "Any", "TYPE_CHECKING", "typing", "annotations", "ModuleType"):
        assert leftover not in names


def test_public_functions_survive_importing_every_submodule() -> None:
    # importing a submodule sets the package attribute of its name; no submodule is
    # named like a public function, so nothing is rebound (the old swap is gone)
    _run(
        "import importlib, pkgutil, types, portfolio_sim as ps\n"
        "for m in pkgutil.walk_packages(ps.__path__, 'portfolio_sim.'):\n"
        "    if m.name.endswith('__main__'): continue\n"
        "    importlib.import_module(m.name)\n"
        "bad = [n for n in ps.__all__ if isinstance(getattr(ps, n), types.ModuleType)]\n"
        "assert not bad, bad\n"
        "assert type(ps) is types.ModuleType, type(ps)\n"
    )


def test_package_is_a_plain_module() -> None:
    assert type(portfolio_sim) is types.ModuleType


def test_all_and_the_lazy_table_name_the_same_functions() -> None:
    lazy = portfolio_sim._LAZY  # the table __getattr__ imports from
    assert set(portfolio_sim.__all__) == {*lazy, "__version__"}
