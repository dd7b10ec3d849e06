"""The team-load heatmap of the report: teams (rows) x months (columns), each cell
coloured by the P50 of the team's busy share that month (docs/model.md §10.13), bottleneck
months (busy P50 >= 95 %) outlined and dotted. Hover titles give the mean and P10/P50/P90
of busy, waiting and empty. Months without capacity stay grey.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from portfolio_sim.report import svg
from portfolio_sim.report.charts import DARK, WIDTH, label_width
from portfolio_sim.report.svg import Canvas

#: Colour stops from 0 % to 100 % busy.
STOPS = ("#f4f7fb", "#9ec3e6", "#2b6cb0", "#0b2a55")
NO_CAPACITY = "#e2e2e2"
CELL_H = 20


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def load_heatmap_svg(load: pd.DataFrame, threshold: float, width: float = WIDTH) -> str:
    """The heatmap of a :attr:`Forecast.team_load` table (long format)."""
    teams = list(dict.fromkeys(load["team"]))
    months = sorted(set(load["month"]))
    left = min(label_width(teams) + 10, 220)
    top, bottom = 52, 40
    n_m = max(len(months), 1)
    cell_w = (width - left - 12) / n_m
    c = Canvas(width, top + max(len(teams), 1) * CELL_H + bottom, "Team load")
    svg.title(c, "Team load: busy share per month (P50)")
    svg.legend(
        c,
        left,
        34,
        [
            ("bar", STOPS[0], "idle"),
            ("bar", STOPS[2], "busy"),
            ("o", DARK, f"bottleneck month (busy P50 ≥ {threshold * 100:.0f} %)"),
            ("bar", NO_CAPACITY, "no capacity"),
        ],
    )
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for r in load.itertuples(index=False):
        cells.setdefault((r.team, r.month), {})[r.state] = r
    for i, team in enumerate(teams):
        y = top + i * CELL_H
        c.label(left - 6, y + CELL_H / 2, team, left - 10, 11, class_="row-label")
        for k, month in enumerate(months):
            x = left + k * cell_w
            cell = cells.get((team, month))
            if cell is None:
                c.rect(
                    x, y, cell_w - 1, CELL_H - 1, NO_CAPACITY, tip=f"{team} {month}: no capacity"
                )
                continue
            busy = float(cell["busy"].p50)
            tip = f"{team} {month}: " + "; ".join(
                f"{s} mean {_pct(cell[s].mean)}, P10–P90 {_pct(cell[s].p10)}–{_pct(cell[s].p90)}"
                f", P50 {_pct(cell[s].p50)}"
                for s in ("busy", "waiting", "empty")
            )
            c.rect(x, y, cell_w - 1, CELL_H - 1, svg.lerp_color(STOPS, busy), tip=tip)
            if busy >= threshold:
                c.rect(
                    x + 0.5, y + 0.5, cell_w - 2, CELL_H - 2, "none", stroke=DARK, stroke_width=1.0
                )
                svg.marker(c, "o", x + cell_w / 2, y + CELL_H / 2, 8, "#fff")
    step = max(1, int(np.ceil(n_m * 46 / (width - left))))
    for k in range(0, len(months), step):
        c.text(left + (k + 0.5) * cell_w, top + len(teams) * CELL_H + 12, months[k], 10, "middle")
    return c.svg()


def load_summary(load: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The heatmap's table: per team, its bottleneck months (runs of busy P50 >= the
    threshold) and the capacity-weighted mean busy, waiting and empty shares over the
    horizon."""
    rows = []
    for team, df in load.groupby("team", sort=False):
        wide = df.pivot(index="month", columns="state", values="mean")
        cap = df.drop_duplicates("month").set_index("month")["capacity_days"]
        total = float(cap.sum())
        p50 = df[df["state"] == "busy"].set_index("month")["p50"]
        hot = [m for m in p50.index if p50[m] >= threshold]
        runs: list[list[str]] = []
        for m in hot:
            if runs and _next(runs[-1][-1]) == m:
                runs[-1].append(m)
            else:
                runs.append([m])
        rows.append(
            {
                "team": team,
                "bottleneck_months": ", ".join(
                    r[0] if len(r) == 1 else f"{r[0]} – {r[-1]}" for r in runs
                )
                or "none",
                **{
                    f"{s}_share": float((wide[s] * cap).sum() / total) if total > 0 else np.nan
                    for s in ("busy", "waiting", "empty")
                },
            }
        )
    return pd.DataFrame(rows)


def _next(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + m // 12}-{m % 12 + 1:02d}"
