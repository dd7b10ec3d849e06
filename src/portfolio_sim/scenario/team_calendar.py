"""Team calendars (docs/model.md §2.8) compiled into capacity segments.

An effort team's capacity is the piecewise-quadratic cumulative ``C(t)`` of
:func:`portfolio_sim.scenario.compile_teams.capacity_segments`: segments of a rate that is
linear in the clock (staffing changes, ramp-ups). A team calendar multiplies that rate by
a share that is constant over each working day ``[d, d + 1)``: 0 on a team holiday, the
range's ``share`` in an availability range, 1 elsewhere. The product is again a list of
segments with a linear rate, so both engines honour a team calendar through the arrays
they already read (``cap_t``, ``cap_cum``, ``cap_rate``, ``cap_slope``), with no change to
their event loops. Pay is not affected: a team on leave is still paid (§6.1).
"""

from __future__ import annotations

import math
from bisect import bisect_right


def scale_segments(
    starts: list[float],
    rates: list[float],
    slopes: list[float],
    shares: dict[int, float],
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Segments of ``share(t) x rate(t)``: ``rate(t)`` from the segments (``starts``,
    ``rates`` at each start, ``slopes`` within), ``share(t) = shares.get(floor(t), 1)``.

    Returns segment starts, cumulative capacity at each start, rate at each start and
    slope within (the form of ``capacity_segments``).
    """
    if not shares:
        return _with_cum(list(starts), list(rates), list(slopes))
    points = set(starts)
    for d in shares:
        points.update((float(d), float(d + 1)))
    out_t: list[float] = []
    out_rate: list[float] = []
    out_slope: list[float] = []
    for t in sorted(points):
        k = max(bisect_right(starts, t) - 1, 0)
        m = shares.get(math.floor(t), 1.0)
        out_t.append(t)
        out_rate.append(m * (rates[k] + slopes[k] * (t - starts[k])))
        out_slope.append(m * slopes[k])
    return _with_cum(out_t, out_rate, out_slope)


def _with_cum(
    t: list[float], rate: list[float], slope: list[float]
) -> tuple[list[float], list[float], list[float], list[float]]:
    cum = [0.0]
    for k in range(len(t) - 1):
        d = t[k + 1] - t[k]
        cum.append(cum[-1] + rate[k] * d + 0.5 * slope[k] * d * d)
    return t, cum, rate, slope
