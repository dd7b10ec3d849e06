"""House rule: only the results and report layers touch pandas. The DES (``des/``) and
history (``history/``) layers compute with numpy and plain Python; their DataFrames are
built in ``results/trace_tables.py`` and ``results/history_tables.py``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import portfolio_sim

PACKAGE = Path(portfolio_sim.__file__).parent
MODULES = sorted((PACKAGE / "des").glob("*.py")) + sorted((PACKAGE / "history").glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_module_does_not_touch_pandas(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):  # module level and inside functions alike
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "pandas"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pandas":
            found.append(node.module or "")
        elif isinstance(node, ast.Name) and node.id == "pd":
            found.append("pd")
    assert not found, f"{path.name} touches pandas: {found}"


def test_moved_names_keep_their_old_homes() -> None:
    """The history result moved to results/ is still importable from ``history`` (a
    downward import); the DES no longer re-exports the trace tables (des never imports
    results: the trace is built from its rows in results/trace_tables.py)."""
    from portfolio_sim.history import BacktestResult
    from portfolio_sim.results import history_tables

    assert BacktestResult is history_tables.BacktestResult
