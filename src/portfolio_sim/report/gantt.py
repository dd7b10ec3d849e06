"""The Gantt chart of one traced trial, drawn with matplotlib (Agg), as SVG or PNG.

One lane per team (in scenario order, top to bottom). Within a lane, features that run at
the same time (WIP > 1) get their own track. A bar runs from the feature's start through
its done date (placed within the working day when the caller gives exact times; a
weekend inside a bar is drawn as part of it); a feature still in progress at the
horizon is drawn hatched to the horizon. A deadline is a triangle above the feature's bar
(green when met, red when missed), and a dashed vertical line marks the portfolio finish.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pandas as pd

from portfolio_sim.report.charts import figure_svg, new_figure

BAR = "#9ab"
BAR_EDGE = "#135"
MET = "#2a7"
MISSED = "#c00"
UNDECIDED = "#888"  # not done by a horizon before the deadline date
FINISH = "#c60"
ONE_DAY = pd.Timedelta(days=1)
#: Approximate width of a 7-point label character, in inches.
CHAR_INCHES = 0.058


def _tracks(bars: list[tuple[pd.Timestamp, pd.Timestamp]]) -> list[int]:
    """Greedy interval partitioning: the track of each bar (bars sorted by start)."""
    ends: list[pd.Timestamp] = []
    out = []
    for start, end in bars:
        for k, last in enumerate(ends):
            if last <= start:
                ends[k] = end
                out.append(k)
                break
        else:
            ends.append(end)
            out.append(len(ends) - 1)
    return out


def gantt_figure(
    features: pd.DataFrame,
    teams: list[str],
    finish: dt.date | None,
    horizon: dt.date,
    title: str = "",
) -> Any:
    """The Gantt chart as a matplotlib figure.

    ``features`` has columns feature, team, start_date, done_date (NaT: not done by the
    horizon), deadline (NaT: none) and deadline_met; ``teams`` gives the lanes. Optional
    ``bar_start`` / ``bar_end`` timestamps place bars within the day (a feature that
    starts mid-day where another ends shares its track); without them bars span whole
    days. A deadline is drawn at the end of its day.
    """
    import matplotlib.dates as mdates

    plans: dict[str, list[tuple[Any, ...]]] = {t: [] for t in teams}
    exact = "bar_start" in features.columns and "bar_end" in features.columns
    for r in features.itertuples(index=False):
        if pd.isna(r.start_date):
            continue  # never started: no bar
        done = not pd.isna(r.done_date)
        if exact:
            start, end = pd.Timestamp(r.bar_start), pd.Timestamp(r.bar_end)
        else:
            start = pd.Timestamp(r.start_date)
            end = pd.Timestamp(r.done_date if done else horizon) + ONE_DAY
        plans.setdefault(r.team, []).append((start, end, done, r))
    layout: list[tuple[str, float, float]] = []  # lane label, centre y, height
    width = 10.0
    fig, ax = new_figure(width, 0.8 + 0.5 * sum(max(1, _n_tracks(p)) for p in plans.values()))
    ends = [b[1] for p in plans.values() for b in p]
    first = min([b[0] for p in plans.values() for b in p], default=pd.Timestamp(horizon))
    last = max([*ends, pd.Timestamp(finish) if finish else first]) + ONE_DAY
    span = max((last - first) / ONE_DAY, 1.0)
    chars_per_day = width * 0.8 / CHAR_INCHES / span  # label characters a day of bar fits
    y = 0.0
    for team in reversed(list(plans)):
        plan = sorted(plans[team], key=lambda b: (b[0], b[1]))
        tracks = _tracks([(b[0], b[1]) for b in plan])
        n = max(1, max(tracks, default=0) + 1)
        height = float(n)
        layout.append((team, y + height / 2, height))
        for (start, end, done, r), k in zip(plan, tracks, strict=True):
            ty = y + height - k - 0.5  # first track on top
            x0, x1 = mdates.date2num(start), mdates.date2num(end)
            ax.barh(
                ty,
                x1 - x0,
                left=x0,
                height=0.7,
                color=BAR if done else "white",
                edgecolor=BAR_EDGE,
                hatch=None if done else "//",
                linewidth=0.8,
            )
            label = _fit(str(r.feature), (x1 - x0) * chars_per_day)
            ax.text(x0, ty, label, va="center", ha="left", fontsize=7, clip_on=True)
            if not pd.isna(r.deadline):
                met = r.deadline_met
                color = UNDECIDED if met is None or pd.isna(met) else MET if met else MISSED
                dx = mdates.date2num(pd.Timestamp(r.deadline) + ONE_DAY)
                ax.plot([dx, dx], [ty - 0.35, ty + 0.35], color=color, lw=1.5)
                ax.plot([dx], [ty + 0.38], "v", color=color, ms=6, clip_on=False)
        if y > 0:
            ax.axhline(y, color="#ccc", lw=0.8)
        y += height
    if finish is not None:
        fx = mdates.date2num(pd.Timestamp(finish) + ONE_DAY)
        ax.axvline(fx, color=FINISH, ls="--", lw=1.2)
    note = f"dashed: portfolio finish {finish}" if finish else "portfolio not done by horizon"
    ax.set_xlabel(
        f"{note}; triangles: deadlines (green met, red missed, grey undecided)", fontsize=8
    )
    ax.set_yticks([c for _, c, _ in layout], [t for t, _, _ in layout])
    ax.set_ylim(0, max(y, 1.0))
    ax.xaxis_date()
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title or "Gantt", fontsize=10)
    fig.autofmt_xdate()
    return fig


def _fit(label: str, chars: float) -> str:
    """``label`` shortened to about ``chars`` characters ("" when not even 3 fit)."""
    room = int(chars) - 1  # a leading space
    if len(label) <= room:
        return f" {label}"
    return f" {label[: room - 1]}…" if room >= 3 else ""


def _n_tracks(plan: list[tuple[Any, ...]]) -> int:
    plan = sorted(plan, key=lambda b: (b[0], b[1]))
    return max(_tracks([(b[0], b[1]) for b in plan]), default=0) + 1


def gantt_svg(
    features: pd.DataFrame,
    teams: list[str],
    finish: dt.date | None,
    horizon: dt.date,
    title: str = "",
) -> str:
    """The Gantt chart (see :func:`gantt_figure`) as SVG text."""
    return figure_svg(gantt_figure(features, teams, finish, horizon, title))


def gantt_png(
    features: pd.DataFrame,
    teams: list[str],
    finish: dt.date | None,
    horizon: dt.date,
    title: str = "",
    dpi: int = 120,
) -> bytes:
    """The Gantt chart (see :func:`gantt_figure`) as PNG bytes."""
    import matplotlib.pyplot as plt

    fig = gantt_figure(features, teams, finish, horizon, title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


__all__ = ["gantt_figure", "gantt_png", "gantt_svg"]
