"""The throughput-team process of the reference model (docs/model.md §2.3-§2.5, §2.9-§2.10, §5.5).

A throughput team draws one period at a time; periods are blocks of ``L`` working days
from day 0. The process sleeps until the end of the first period, from the current one,
that starts at or after the earliest ready time among its features not done
(:func:`period_of`); an arrival that could make an earlier period eligible wakes it (the
period is then recomputed). At the end of period q (time ``(q + 1) L``) it hands out the
period's items, in priority order, to the features not done whose ready time is at or
before ``qL``:

* one at a time (``wip_limit`` 1): each feature takes what it still needs; a feature
  starts at the start of the first period in which it got items and is done at the end
  of the period in which its remaining items reach 0; items left once every eligible
  feature is served are lost;
* round-robin (``wip_limit`` > 1, §2.9, :func:`deal_round_robin`);
* by type (§2.10, :func:`deal_by_type`): the drawn history period's per-type counts.

A period with no eligible feature is skipped (its draw unused); a freeze window
(des/freeze.py) bumps held features' ready times past the period's start, and if that
leaves nothing eligible the period is skipped too.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from portfolio_sim.codes import DONE, EPS, WAITING
from portfolio_sim.des.freeze import bump_period
from portfolio_sim.des.throughput_deal import deal_by_type, deal_round_robin

if TYPE_CHECKING:
    from portfolio_sim.des.model import TeamState, TrialRun

INF = math.inf


def period_of(team: TeamState, now: float, ready: float) -> int:
    """The first period, from the one current at clock ``now``, whose start is at or after
    ``ready``."""
    length = team.length
    return max(math.floor(now / length + EPS), math.ceil(ready / length - EPS))


def throughput_team(run: TrialRun, team: TeamState) -> Any:
    """Sleep until the end of the next eligible period; hand out its items."""
    env = run.env
    length = team.length
    feats = run.model.team_feats[team.j]
    while True:
        team.arrived = [f for f in team.arrived if run.state[f] != DONE]
        if not team.arrived:
            team.pending = None
            yield from run.sleep(team, INF)
            continue
        q = period_of(team, run.env.now, min(run.ready[f] for f in team.arrived))
        team.pending = q
        end = (q + 1) * length
        if end > env.now:
            yield from run.sleep(team, end - env.now)
        if env.now < end - EPS:  # an arrival woke us early: the period may change
            continue
        p_start = q * length
        if bump_period(run.windows, feats, run.model.hold, p_start, run.ready, run.state) and all(
            run.state[f] == DONE or run.ready[f] > p_start + EPS for f in feats
        ):
            continue  # a freeze left nothing eligible in this period
        team.busy += length
        if run.model.by_type[team.j] is not None:
            _deal_by_type(run, team, feats, q, p_start, end)
            continue
        n = run.model.sampler.period_items(team.j, run.trial, q)
        if team.wip > 1:
            _deal(run, team, feats, p_start, end, n)
            continue
        for f in feats:
            if run.state[f] == DONE or run.ready[f] > p_start + EPS:
                continue
            remaining = team.active.get(f, run.size[f])
            if n <= 0.0 and remaining > 0.0:
                continue  # no items left for it; a feature needing none still finishes
            if run.state[f] == WAITING:
                run.start_feature(f, p_start)
                team.active[f] = run.size[f]
            take = min(n, team.active[f])
            team.active[f] -= take
            n -= take
            team.work += take
            if team.active[f] <= 0.0:
                del team.active[f]
                run.finish_feature(f, end)


def _deal(
    run: TrialRun, team: TeamState, feats: list[int], p_start: float, end: float, n: float
) -> None:
    """Hand out a period's items round-robin (``wip_limit`` > 1, docs/model.md §2.9)."""
    eligible = [f for f in feats if run.state[f] != DONE and run.ready[f] <= p_start + EPS]
    need = {f: team.active.get(f, run.size[f]) for f in eligible}
    for f in eligible:  # features needing no items are done at the period's end
        if need[f] <= 0.0:
            if run.state[f] == WAITING:
                run.start_feature(f, p_start)
            team.active.pop(f, None)
            run.finish_feature(f, end)
    dealt = deal_round_robin(n, eligible, need, team.wip)
    last = {f: i for i, (f, _) in enumerate(dealt)}
    for i, (f, take) in enumerate(dealt):
        if run.state[f] == WAITING:
            run.start_feature(f, p_start)
        team.work += take
        team.active[f] = need[f]
        if i == last[f] and need[f] <= 0.0:  # its last item: done at the period's end
            del team.active[f]
            run.finish_feature(f, end)


def _deal_by_type(
    run: TrialRun, team: TeamState, feats: list[int], q: int, p_start: float, end: float
) -> None:
    """Deal period q's per-type counts (throughput by type, docs/model.md §2.10): the
    history period the draw picks gives every type's count; the period's untyped items
    are lost."""
    by = run.model.by_type[team.j]
    assert by is not None
    k = run.model.sampler.period_index(team.j, run.trial, q)
    counts = [by[t][k] for t in range(len(by))]
    eligible = [f for f in feats if run.state[f] != DONE and run.ready[f] <= p_start + EPS]
    need = {f: [0.0] * len(by) for f in eligible}
    for f in eligible:
        for s, t in run.model.slots[f]:
            need[f][t] = run.typed_left[s]
        if sum(need[f]) <= 0.0:  # needing no items: done at the period's end
            if run.state[f] == WAITING:
                run.start_feature(f, p_start)
            run.finish_feature(f, end)
    dealt = deal_by_type(counts, eligible, need, team.wip)
    for f, _t in dealt:
        if run.state[f] == WAITING:
            run.start_feature(f, p_start)
        team.work += 1.0
    for f in dict.fromkeys(f for f, _ in dealt):
        for s, t in run.model.slots[f]:
            run.typed_left[s] = need[f][t]
        if sum(need[f]) <= 0.0:  # its last item: done at the period's end
            run.finish_feature(f, end)
