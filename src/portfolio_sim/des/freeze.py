"""Portfolio freezes in the reference engine (docs/model.md §5.5).

A fired freeze with length x > 0 is a *window* ``[lo, hi = lo + x)`` of clock time
(``lo`` its first working day): no held feature (every feature but the zero-work join of
a shared feature) that has not started by ``lo`` starts before ``hi``. The windows of a
trial are merged where they overlap or touch. Written from the rule, not from the fast
kernel (kernels/freeze.py), which must agree with it trial by trial.
"""

from __future__ import annotations

from portfolio_sim.codes import EPS, WAITING

Window = tuple[float, float]


def merge_windows(windows: list[Window]) -> list[Window]:
    """``windows`` sorted by start (ties in the given order), overlapping or touching
    ones merged, empty ones (x = 0) dropped."""
    out: list[Window] = []
    for lo, hi in sorted((w for w in windows if w[1] > w[0]), key=lambda w: w[0]):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def thaw(windows: list[Window], t: float) -> float:
    """The end of the window that clock time t is in (``lo <= t < hi``), else t."""
    for lo, hi in windows:
        if lo > t:
            break
        if t < hi:
            return hi
    return t


def bump_period(
    windows: list[Window],
    feats: list[int],
    hold: list[bool],
    p_start: float,
    ready: list[float],
    state: list[int],
) -> int:
    """A throughput period starting at ``p_start`` inside a window: its held features that
    are eligible (ready by ``p_start``) but have not started become ready at the window's
    end, so they wait for the first period after it. Returns how many."""
    end = thaw(windows, p_start)
    n = 0
    if end == p_start:
        return n
    for f in feats:
        if state[f] == WAITING and hold[f] and ready[f] <= p_start + EPS and ready[f] < end:
            ready[f] = end
            n += 1
    return n
