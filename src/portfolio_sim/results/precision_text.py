"""How precise a forecast's percentiles are, in words for people: the "± wd" column,
the footnote under the dates and the note on how the trial count was chosen
(docs/model.md §8.10-§8.11; the numbers are :mod:`portfolio_sim.results.precision`'s)."""

from __future__ import annotations

import math

from portfolio_sim.results.precision import AutoReport


def wd_text(w: float) -> str:
    """A date half-width for people: ``"±2 wd"``; ``"open"`` when unbounded."""
    return f"±{w:g} wd" if math.isfinite(w) else "open"


def rel_text(x: float) -> str:
    """A relative half-width for people: ``"±0.4 %"``; ``"open"`` when unbounded."""
    return f"±{100 * x:.2g} %" if math.isfinite(x) else "open"


#: Widest half-width (working days) up to which a single footnote replaces the column.
FOOTNOTE_UP_TO = 1.0


def dates_note(widest_shown: float) -> str:
    """The footnote under the dates: one line for all when every interval shown is
    within :data:`FOOTNOTE_UP_TO`, else what the "± wd" column means."""
    if widest_shown <= FOOTNOTE_UP_TO:
        return (
            f"Every date above is within ±{widest_shown:g} working day at 95 % "
            "(Monte Carlo interval of the percentile)."
        )
    return (
        "± wd: the widest 95 % Monte Carlo interval of the row's dates, in working days; "
        "open: it reaches past the horizon (more trials are needed, or the date is not "
        "known by then)."
    )


def trials_note(trials: int, auto: AutoReport | None, detail: bool = True) -> str | None:
    """How the trial count was chosen (None for a fixed count); ``detail=False``: where
    the output shows the warning itself, the shortfall is not repeated."""
    if auto is None:
        return None
    steps = " → ".join(f"{t:,}" for t in auto.totals)
    head = f"Trials chosen by precision: {trials:,} (batches {steps})"
    if auto.reached:
        jumps = auto.widest.jumps if auto.widest else []
        return (
            f"{head}; every rule date within ±{auto.precision_days:g} wd and cost within "
            f"{rel_text(auto.cost_rel_precision)} at 95 %"
            + (f" (at a jump between two dates: {', '.join(jumps)})." if jumps else ".")
        )
    if not detail:
        return f"{head}. PRECISION NOT REACHED (see the warning)."
    return f"{head}. PRECISION NOT REACHED: {auto.shortfall()}."
