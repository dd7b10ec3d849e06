"""An effort team's cumulative capacity ``C(t)`` in the reference model (docs/model.md §2).

The compiler gives each effort team segments of a linear capacity rate (person-days per
working day, focus, staffing changes, ramp-ups, holidays and availability included);
:class:`Capacity` integrates them into the piecewise-quadratic ``C(t)``, the person-days
the team has from clock time 0 to t, and inverts it (:meth:`Capacity.time_for`) to find
when the features in progress finish. The fast engine's counterpart is
kernels/capacity.py; this one shares no code with it.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right

INF = math.inf


class Capacity:
    """Cumulative capacity ``C(t)`` of an effort team from segments of a linear rate.

    Segment k starts at ``t[k]`` with rate ``rate[k]`` (person-days per working day,
    focus included) growing by ``slope[k]`` per working day (ramp-ups).
    """

    def __init__(self, t: list[float], rate: list[float], slope: list[float]) -> None:
        self.t, self.rate, self.slope = t, rate, slope
        self.cum = [0.0]
        for k in range(len(t) - 1):
            d = t[k + 1] - t[k]
            self.cum.append(self.cum[-1] + rate[k] * d + 0.5 * slope[k] * d * d)

    def at(self, t: float) -> float:
        """Person-days available from clock time 0 to ``t``."""
        k = max(bisect_right(self.t, t) - 1, 0)
        d = t - self.t[k]
        return self.cum[k] + self.rate[k] * d + 0.5 * self.slope[k] * d * d

    def rate_at(self, t: float) -> float:
        """The capacity rate (person-days per working day) at clock time ``t``."""
        k = max(bisect_right(self.t, t) - 1, 0)
        return self.rate[k] + self.slope[k] * (t - self.t[k])

    def time_for(self, target: float) -> float:
        """The earliest clock time with ``C(t) >= target`` (inf if it never gets there)."""
        k = max(bisect_left(self.cum, target) - 1, 0)
        while True:
            rem = target - self.cum[k]
            if rem <= 0.0:
                return self.t[k]
            r, s = self.rate[k], self.slope[k]
            if r <= 0.0 and s <= 0.0:  # no capacity in this segment: try the next one
                if k + 1 == len(self.t):
                    return INF
                k += 1
                continue
            # rem = r d + s d^2 / 2, solved in the form that is stable for s -> 0
            return self.t[k] + 2.0 * rem / (r + math.sqrt(r * r + 2.0 * s * rem))
