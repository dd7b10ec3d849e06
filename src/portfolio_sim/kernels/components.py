"""The team graph's strongly connected components, for the component-wise schedule.

A team's schedule depends only on when its own features are released (docs/model.md
§10.11), so the fast kernel simulates the strongly connected components of the *team
graph* (an edge from a dependency's team to the dependent's team) one after another in
topological order: a lone effort team by its own small event loop, a lone throughput team
by one pass over its periods (kernels/lone.py), a cycle of teams by the event loop
restricted to that cycle (kernels/schedule.py). Dependencies on features of earlier
components arrive as timed *release events*.

Plain numpy/Python, run once per forecast by engines/fast_inputs.py; no size limits (any
number of teams, features per team and dependencies).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from portfolio_sim.codes import EFFORT

#: Kinds of component (``comp_kind``).
LONE_EFFORT = 0
LONE_THROUGHPUT = 1
CYCLE = 2


class TeamComponents(NamedTuple):
    """The components of the team graph, in topological order (see the module docstring).

    ``comp_ptr``/``comp_team``: the teams of component c are
    ``comp_team[comp_ptr[c]:comp_ptr[c + 1]]`` (ascending); ``comp_kind[c]`` is
    :data:`LONE_EFFORT`, :data:`LONE_THROUGHPUT` or :data:`CYCLE` (two or more teams);
    ``team_comp[j]`` is team j's component. ``ext_ptr``/``ext_idx``: feature f's
    dependencies in *other* (earlier) components; ``succ_in_ptr``/``succ_in_idx``: its
    successors in its *own* component; ``deps_init[f]``: its dependencies in its own
    component, plus one if it has any in other components (those are released together,
    by one release event at the latest of their done times).
    """

    comp_ptr: np.ndarray
    comp_team: np.ndarray
    comp_kind: np.ndarray
    team_comp: np.ndarray
    ext_ptr: np.ndarray
    ext_idx: np.ndarray
    succ_in_ptr: np.ndarray
    succ_in_idx: np.ndarray
    deps_init: np.ndarray


def _csr(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(r) for r in rows])
    idx = np.array([x for r in rows for x in r], dtype=np.int64)
    return ptr, idx


def strongly_connected(n_t: int, edges: set[tuple[int, int]]) -> list[list[int]]:
    """The strongly connected components of a graph on nodes ``0..n_t-1``, in topological
    order (every edge goes from an earlier component to a later one, or stays inside one);
    each component's nodes ascending. Among components with no path between them the
    order follows the smallest node (deterministic). Iterative Tarjan; no recursion limit."""
    adj: list[list[int]] = [[] for _ in range(n_t)]
    for a, b in sorted(edges):
        adj[a].append(b)
    index = [-1] * n_t
    low = [0] * n_t
    on_stack = [False] * n_t
    stack: list[int] = []
    comps: list[list[int]] = []  # in reverse topological order
    counter = 0
    for root in range(n_t):
        if index[root] >= 0:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            u, k = work[-1]
            if k < len(adj[u]):
                work[-1] = (u, k + 1)
                v = adj[u][k]
                if index[v] < 0:
                    index[v] = low[v] = counter
                    counter += 1
                    stack.append(v)
                    on_stack[v] = True
                    work.append((v, 0))
                elif on_stack[v]:
                    low[u] = min(low[u], index[v])
                continue
            work.pop()
            if work:
                p = work[-1][0]
                low[p] = min(low[p], low[u])
            if low[u] == index[u]:
                comp = []
                while True:
                    v = stack.pop()
                    on_stack[v] = False
                    comp.append(v)
                    if v == u:
                        break
                comps.append(sorted(comp))
    comps.reverse()
    # Tarjan's reverse finishing order is *a* topological order; make it canonical:
    # repeatedly take the ready component (all predecessors placed) with the smallest team.
    comp_of = [0] * n_t
    for c, members in enumerate(comps):
        for j in members:
            comp_of[j] = c
    preds: list[set[int]] = [set() for _ in comps]
    for a, b in edges:
        if comp_of[a] != comp_of[b]:
            preds[comp_of[b]].add(comp_of[a])
    placed: set[int] = set()
    out: list[list[int]] = []
    while len(out) < len(comps):
        c = min(
            (c for c in range(len(comps)) if c not in placed and preds[c] <= placed),
            key=lambda c: comps[c][0],
        )
        placed.add(c)
        out.append(comps[c])
    return out


def team_components(
    team_kind: np.ndarray,
    feat_team: np.ndarray,
    dep_ptr: np.ndarray,
    dep_idx: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
) -> TeamComponents:
    """The :class:`TeamComponents` of a compiled scenario's teams and dependencies."""
    n_t = int(team_kind.shape[0])
    n_f = int(feat_team.shape[0])
    edges: set[tuple[int, int]] = set()
    for f in range(n_f):
        for i in range(dep_ptr[f], dep_ptr[f + 1]):
            a, b = int(feat_team[dep_idx[i]]), int(feat_team[f])
            if a != b:
                edges.add((a, b))
    comps = strongly_connected(n_t, edges)
    team_comp = np.empty(n_t, dtype=np.int64)
    for c, members in enumerate(comps):
        team_comp[members] = c
    kind = [
        CYCLE if len(x) > 1 else (LONE_EFFORT if team_kind[x[0]] == EFFORT else LONE_THROUGHPUT)
        for x in comps
    ]
    fc = team_comp[np.asarray(feat_team, dtype=np.int64)] if n_f else np.zeros(0, np.int64)
    ext: list[list[int]] = []
    deps_init = np.zeros(n_f, dtype=np.int64)
    for f in range(n_f):
        ds = [int(d) for d in dep_idx[dep_ptr[f] : dep_ptr[f + 1]]]
        outside = [d for d in ds if fc[d] != fc[f]]
        ext.append(outside)
        deps_init[f] = len(ds) - len(outside) + (1 if outside else 0)
    succ_in = [
        [int(s) for s in succ_idx[succ_ptr[f] : succ_ptr[f + 1]] if fc[s] == fc[f]]
        for f in range(n_f)
    ]
    comp_ptr, comp_team = _csr(comps)
    ext_ptr, ext_idx = _csr(ext)
    succ_in_ptr, succ_in_idx = _csr(succ_in)
    return TeamComponents(
        comp_ptr=comp_ptr,
        comp_team=comp_team,
        comp_kind=np.array(kind, dtype=np.int64),
        team_comp=team_comp,
        ext_ptr=ext_ptr,
        ext_idx=ext_idx,
        succ_in_ptr=succ_in_ptr,
        succ_in_idx=succ_in_idx,
        deps_init=deps_init,
    )
