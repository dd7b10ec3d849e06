"""Team components (issue #15 item 1): the fast kernel simulates the strongly connected
components of the team graph one after another, in topological order (docs/model.md
§10.11). These tests check the decomposition against graphs worked out by hand; the
kernel's outputs are checked bit for bit against the single global loop by
benchmarks/record_outputs.py, and trial by trial against the DES by
tests/test_engine_agreement.py and tests/test_lone_teams.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from portfolio_sim.codes import EFFORT, THROUGHPUT
from portfolio_sim.kernels.components import (
    CYCLE,
    LONE_EFFORT,
    LONE_THROUGHPUT,
    TeamComponents,
    strongly_connected,
    team_components,
)
from portfolio_sim.scenario import load
from portfolio_sim.scenario.compile import compile_scenario

ROOT = Path(__file__).parent.parent


def components(
    feat_team: list[int], deps: list[list[int]], kinds: list[int] | None = None
) -> TeamComponents:
    """team_components of features ``feat_team`` with dependency lists ``deps``."""
    n_t = max(feat_team) + 1
    kind = np.array(kinds if kinds is not None else [EFFORT] * n_t, dtype=np.int64)
    ptr = np.cumsum([0] + [len(d) for d in deps]).astype(np.int64)
    idx = np.array([x for d in deps for x in d], dtype=np.int64)
    succ: list[list[int]] = [[] for _ in feat_team]
    for f, ds in enumerate(deps):
        for d in ds:
            succ[d].append(f)
    sptr = np.cumsum([0] + [len(s) for s in succ]).astype(np.int64)
    sidx = np.array([x for s in succ for x in s], dtype=np.int64)
    return team_components(kind, np.array(feat_team, dtype=np.int64), ptr, idx, sptr, sidx)


def groups(c: TeamComponents) -> list[list[int]]:
    return [
        c.comp_team[c.comp_ptr[k] : c.comp_ptr[k + 1]].tolist() for k in range(len(c.comp_kind))
    ]


def csr_rows(ptr: np.ndarray, idx: np.ndarray) -> list[list[int]]:
    return [idx[ptr[f] : ptr[f + 1]].tolist() for f in range(len(ptr) - 1)]


def test_chain_of_teams_in_topological_order() -> None:
    # Features 0 (team 2) -> 1 (team 0) -> 2 (team 1): teams 2, 0, 1 in that order.
    c = components([2, 0, 1], [[], [0], [1]], [EFFORT, THROUGHPUT, EFFORT])
    assert groups(c) == [[2], [0], [1]]
    assert c.team_comp.tolist() == [1, 2, 0]
    assert c.comp_kind.tolist() == [LONE_EFFORT, LONE_EFFORT, LONE_THROUGHPUT]  # 2, 0, 1
    # Every dependency crosses components: released by events, none inside.
    assert csr_rows(c.ext_ptr, c.ext_idx) == [[], [0], [1]]
    assert csr_rows(c.succ_in_ptr, c.succ_in_idx) == [[], [], []]
    assert c.deps_init.tolist() == [0, 1, 1]


def test_cycle_of_teams_is_one_component_and_internal_edges_stay_inside() -> None:
    # Team 0: features 0, 2; team 1: features 1, 3. 0 -> 1 -> 2 makes a team cycle 0 <-> 1;
    # team 2 (feature 4) depends on 3 and on 0; team 3 (feature 5) is on its own.
    c = components([0, 1, 0, 1, 2, 3], [[], [0], [1], [], [3, 0], []])
    assert groups(c) == [[0, 1], [2], [3]]
    assert c.comp_kind.tolist() == [CYCLE, LONE_EFFORT, LONE_EFFORT]
    assert csr_rows(c.ext_ptr, c.ext_idx) == [[], [], [], [], [3, 0], []]
    # Inside the cycle the successors stay (0 -> 1 -> 2); 3 and 0 -> 4 cross components.
    assert csr_rows(c.succ_in_ptr, c.succ_in_idx) == [[1], [2], [], [], [], []]
    # Feature 4's two outside dependencies are released together: one event.
    assert c.deps_init.tolist() == [0, 1, 1, 0, 1, 0]


def test_same_team_dependencies_stay_inside_a_lone_team() -> None:
    # Team 0: features 0, 1 (1 depends on 0 and on team 1's feature 2).
    c = components([0, 0, 1], [[], [0, 2], []])
    assert groups(c) == [[1], [0]]
    assert csr_rows(c.succ_in_ptr, c.succ_in_idx) == [[1], [], []]
    assert csr_rows(c.ext_ptr, c.ext_idx) == [[], [2], []]
    assert c.deps_init.tolist() == [0, 2, 0]  # one inside, one release event


def test_order_is_topological_and_canonical() -> None:
    # Diamond 3 -> {1, 2} -> 0 and an unrelated team 4: predecessors first, otherwise the
    # smallest team first.
    edges = {(3, 1), (3, 2), (1, 0), (2, 0)}
    assert strongly_connected(5, edges) == [[3], [1], [2], [0], [4]]
    # Two cycles joined by one edge: {0, 4} -> {1, 3}.
    edges = {(0, 4), (4, 0), (1, 3), (3, 1), (4, 3)}
    assert strongly_connected(5, edges) == [[0, 4], [1, 3], [2]]


def test_no_limit_on_teams_or_depth() -> None:
    # A chain of 5,000 teams (recursion would overflow) and one cycle through all of them.
    n = 5000
    chain = {(j + 1, j) for j in range(n - 1)}
    assert strongly_connected(n, chain) == [[j] for j in reversed(range(n))]
    assert strongly_connected(n, chain | {(0, n - 1)}) == [list(range(n))]


def test_bundled_large_portfolio_is_layered_and_the_benchmark_one_has_cycles() -> None:
    def sizes(path: Path) -> list[int]:
        m = compile_scenario(load(path))
        deps = [m.dep_idx[m.dep_ptr[f] : m.dep_ptr[f + 1]].tolist() for f in range(m.n_features)]
        kinds = m.team_kind.tolist()
        c = components(m.feat_team.tolist(), deps, kinds)
        assert sum(len(x) for x in groups(c)) == m.n_teams == 20
        return sorted(len(x) for x in groups(c))

    assert sizes(ROOT / "scenarios" / "large-portfolio.yaml") == [1] * 20
    # The benchmark variant keeps the old shape: a 10-team and a 2-team cycle, 8 lone teams.
    assert sizes(ROOT / "benchmarks" / "scenarios" / "large-cycles.yaml") == [1] * 8 + [2, 10]
