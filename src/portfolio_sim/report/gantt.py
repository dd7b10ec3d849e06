"""The Gantt chart of one traced trial, as SVG text (:mod:`portfolio_sim.report.svg`) or
as PNG (matplotlib, imported only for the PNG).

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
import math
from typing import Any

import pandas as pd

from portfolio_sim.report import svg
from portfolio_sim.report.svg import Canvas, Plot, day_number, text_width

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
    """The Gantt chart as a matplotlib figure (for the PNG; :func:`gantt_svg` draws the
    same chart without matplotlib).

    ``features`` has columns feature, team, start_date, done_date (NaT: not done by the
    horizon), deadline (NaT: none) and deadline_met; ``teams`` gives the lanes. Optional
    ``bar_start`` / ``bar_end`` timestamps place bars within the day (a feature that
    starts mid-day where another ends shares its track); without them bars span whole
    days. A deadline is drawn at the end of its day.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

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
    height = 0.8 + 0.5 * sum(max(1, _n_tracks(p)) for p in plans.values())
    fig, ax = plt.subplots(figsize=(width, height), dpi=96)
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


def _plans(
    features: pd.DataFrame, teams: list[str], horizon: dt.date
) -> dict[str, list[tuple[Any, ...]]]:
    """Per team (lane order), its bars as (start, end, done, row, track), sorted by start."""
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
    out = {}
    for team, plan in plans.items():
        plan = sorted(plan, key=lambda b: (b[0], b[1]))
        tracks = _tracks([(b[0], b[1]) for b in plan])
        out[team] = [(*b, k) for b, k in zip(plan, tracks, strict=True)]
    return out


#: Height of one track of a lane, in pixels.
TRACK = 24


def gantt_svg(
    features: pd.DataFrame,
    teams: list[str],
    finish: dt.date | None,
    horizon: dt.date,
    title: str = "",
) -> str:
    """The Gantt chart (see :func:`gantt_figure` for what it shows) as SVG text; every
    bar's hover title gives the feature, its team, start and done dates and deadline."""
    plans = _plans(features, teams, horizon)
    lanes = [(t, max((b[4] for b in plan), default=0) + 1) for t, plan in plans.items()]
    starts = [day_number(b[0]) for p in plans.values() for b in p]
    ends = [day_number(b[1]) for p in plans.values() for b in p]
    fin = day_number(pd.Timestamp(finish) + ONE_DAY) if finish is not None else math.nan
    first = min(starts, default=day_number(horizon))
    last = max([*ends, fin if math.isfinite(fin) else first]) + 1
    head = title or "Gantt"
    left = min(max((text_width(t, 11) for t in plans), default=30) + 22, 240)
    height_px = sum(n for _, n in lanes) * TRACK
    c = Canvas(1000, 40 + height_px + 80, head)
    svg.title(c, head)
    p = Plot(c, left, 40, 1000 - left - 24, max(height_px, TRACK), x=(first, last))
    ticks = svg.date_ticks(first, last, int(p.width // 80))
    note = f"dashed: portfolio finish {finish}" if finish else "portfolio not done by horizon"
    p.x_axis(ticks, f"{note}; triangles: deadlines (green met, red missed, grey undecided)")
    c.defs.append(
        '<pattern id="gantt-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{BAR_EDGE}" stroke-width="1.2"/></pattern>'
    )
    y = p.top
    for k, (team, n) in enumerate(lanes):
        if k:
            c.line(p.left, y, p.right, y, "#ccc")
        c.label(left - 8, y + n * TRACK / 2, team, left - 14, 11, class_="lane")
        for start, end, done, r, track in plans[team]:
            ty = y + (track + 0.5) * TRACK
            x0, x1 = p.x(day_number(start)), p.x(day_number(end))
            state = f"done {r.done_date:%Y-%m-%d}" if done else "not done by the horizon"
            deadline = "" if pd.isna(r.deadline) else f"; deadline {r.deadline:%Y-%m-%d}"
            tip = f"{r.feature} ({team}): start {r.start_date:%Y-%m-%d}, {state}{deadline}"
            c.open_group(tip, class_="bar")
            c.rect(
                x0,
                ty - 8,
                max(x1 - x0, 1.0),
                16,
                BAR if done else "url(#gantt-hatch)",
                stroke=BAR_EDGE,
                stroke_width=0.8,
            )
            label = _fit(str(r.feature), (x1 - x0 - 3) / (9 * svg.CHAR_WIDTH)).strip()
            if label:
                c.text(x0 + 3, ty, label, 9)
            c.close_group()
            if not pd.isna(r.deadline):
                met = r.deadline_met
                color = UNDECIDED if met is None or pd.isna(met) else MET if met else MISSED
                dx = p.x(day_number(pd.Timestamp(r.deadline) + ONE_DAY))
                word = "undecided" if color == UNDECIDED else "met" if met else "missed"
                dtip = f"{r.feature}: deadline {r.deadline:%Y-%m-%d} ({word})"
                c.line(dx, ty - 9, dx, ty + 9, color, stroke_width=1.5)
                svg.marker(c, "v", dx, ty - 12, 9, color, dtip)
        y += n * TRACK
    if math.isfinite(fin):
        c.line(
            p.x(fin),
            p.top,
            p.x(fin),
            p.bottom,
            FINISH,
            stroke_width=1.2,
            stroke_dasharray="6 3",
            tip=f"portfolio finish {finish}",
        )
    p.frame()
    return c.svg()


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
