"""The one topological sort (portfolio_sim/graph.py), by hand."""

from __future__ import annotations

import pytest

from portfolio_sim.graph import topological_order


def test_order_respects_dependencies_and_is_stable() -> None:
    # 0 <- 2, 1 <- 2, 3 free, 4 <- 0 (listed twice), 5 <- 4, 3
    deps = [[2], [2], [], [], [0, 0], [4, 3]]
    # Free at first: 2, 3 (file order); then 2 frees 0 and 1; 0 frees 4; 4 frees 5.
    assert topological_order(6, deps) == [2, 3, 0, 1, 4, 5]


def test_cycle_is_an_error() -> None:
    with pytest.raises(ValueError, match="dependency cycle"):
        topological_order(3, [[1], [2], [0]])
