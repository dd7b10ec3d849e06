"""The comparison of a base scenario and its variants: side-by-side tables, deltas, paired
per-trial differences and the cut line (a floor below ``comparing.py``, which runs the
forecasts).

Every number here is computed from :class:`~portfolio_sim.results.forecast.Forecast`
objects, so a delta is exactly the difference of the two forecasts' own numbers. Paired
differences use the per-trial arrays (portfolio finish ``raw.port_t``, money
``raw.money``): the forecasts are run with the same seed and trial count, so trial i of
every scenario shares the random draws of every entity the variant did not change
(common random numbers, docs/model.md §7).

DataFrame contract (column names are stable API). The percentile columns follow the
comparison's :class:`Levels`: by default dates at P50/P85, cost at P50/P80, NPV at P10
and the paired NPV delta at P10/P50/P90 (the names below); with chosen levels
(``compare(..., percentiles=(50, 80, 90))``, ``--percentiles``, the scenario's
``report.percentiles``) every one of those sets is the chosen levels, keys
:func:`~portfolio_sim.results.percentiles.level_key` (``p80``, ``p97_5``).

``features`` (one row per feature and scenario, features in base order, then added ones):
scenario, id, team, p50, p85 (dates), deadline, deadline_probability,
deadline_undecided_share (docs/money.md: neither met nor missed), not_done_share,
p50_delta_days, p85_delta_days (calendar days, variant minus base), deadline_probability_delta.

``portfolio`` (one row per scenario, base first): scenario, finish_p50, finish_p85,
not_done_share, cost_p50, cost_p80, npv_mean, npv_p10, budget_overrun_probability and a
``*_delta`` column for each (dates in calendar days).

``paired`` (one row per variant): variant, earlier_probability, same_day_probability,
later_probability (portfolio done date vs the base's in the same trial),
finish_delta_mean_workdays, worth_more_probability, npv_delta_mean / _p10 / _p50 / _p90,
cheaper_probability, cost_delta_mean.

``cut_line(date)``: scenario, id, team, probability (done by the date), p50, p85,
at_p50, at_p85 (the feature makes the date at that confidence).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from portfolio_sim import codes
from portfolio_sim.results.compare_rows import (
    Levels,
    cut_line_table,
    days_between,
    done_days,
    p50_done_date,
    per_trial_money,
    portfolio_row,
)
from portfolio_sim.results.forecast import Forecast
from portfolio_sim.results.percentiles import Level, level_key, sample_percentiles

BASE = "base"


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts: dates as ISO strings, NaN as None."""

    def plain(v: Any) -> Any:
        if isinstance(v, pd.Timestamp | dt.date | np.datetime64):
            return None if pd.isna(v) else str(pd.Timestamp(v).date())
        if v is None or (isinstance(v, float | np.floating) and math.isnan(v)):
            return None
        if v is pd.NaT:
            return None
        if isinstance(v, np.bool_ | bool):
            return bool(v)
        if isinstance(v, np.integer):
            return int(v)
        if isinstance(v, np.floating):
            return float(v)
        return v

    return [{k: plain(v) for k, v in r.items()} for r in df.to_dict("records")]


@dataclass
class Comparison:
    """A base scenario and its variants, forecast with common random numbers.

    Build with :func:`portfolio_sim.compare`. ``forecasts`` maps each scenario name
    (``"base"`` first, then the variants in the order asked) to its :class:`Forecast`.
    ``cut_date`` is the target date of the default cut line (the latest feature
    deadline, else the base's P50 portfolio done date, when not given). ``percentiles``:
    the chosen levels (every forecast was run with them), None for the defaults; see
    :class:`Levels`."""

    forecasts: dict[str, Forecast]
    meta: dict[str, Any] = field(default_factory=dict)
    cut_date: dt.date | None = None
    percentiles: tuple[Level, ...] | None = None

    @property
    def levels(self) -> Levels:
        """The percentile levels of every table (:class:`Levels`)."""
        return Levels.of(self.percentiles)

    # -- who is compared ---------------------------------------------------------------
    @property
    def base(self) -> Forecast:
        return self.forecasts[BASE]

    @property
    def variants(self) -> list[str]:
        return [name for name in self.forecasts if name != BASE]

    @property
    def scenarios(self) -> list[str]:
        return list(self.forecasts)

    @property
    def currency(self) -> str:
        return str(self.base.compiled.currency)

    @property
    def target_date(self) -> dt.date | None:
        """The cut line's date: ``cut_date`` or the default described on the class."""
        if self.cut_date is not None:
            return self.cut_date
        deadlines = self.base.features["deadline"].dropna()
        if len(deadlines):
            return pd.Timestamp(deadlines.max()).date()
        return p50_done_date(self.base)

    # -- tables ------------------------------------------------------------------------
    @property
    def features(self) -> pd.DataFrame:
        """Per feature and scenario: done dates at :attr:`levels` (P50/P85 by default),
        deadline probability, deltas."""
        keys = self.levels.date_keys
        cols = [
            "id",
            "team",
            *keys,
            "deadline",
            "deadline_probability",
            "deadline_undecided_share",
            "not_done_share",
        ]
        base = self.base.features[cols].set_index("id")
        frames = []
        order: list[str] = list(base.index)
        for name, fc in self.forecasts.items():
            df = fc.features[cols].copy()
            order += [i for i in df["id"] if i not in order]
            ref = base.reindex(df["id"])
            for k in keys:
                df[f"{k}_delta_days"] = [
                    days_between(a, b) for a, b in zip(df[k], ref[k], strict=True)
                ]
            df["deadline_probability_delta"] = (
                df["deadline_probability"].to_numpy() - ref["deadline_probability"].to_numpy()
            )
            df.insert(0, "scenario", name)
            frames.append(df)
        out = pd.concat(frames, ignore_index=True)
        rank = {fid: k for k, fid in enumerate(order)}
        srank = {s: k for k, s in enumerate(self.forecasts)}
        key = out["id"].map(rank) * len(srank) + out["scenario"].map(srank)
        return out.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)

    @property
    def portfolio(self) -> pd.DataFrame:
        """Per scenario: headline numbers and their deltas to the base."""
        lv = self.levels
        base = portfolio_row(self.base, lv)
        rows = []
        for name, fc in self.forecasts.items():
            row = {"scenario": name, **portfolio_row(fc, lv)}
            for m in lv.metrics():
                if m.startswith("finish_"):
                    row[f"{m}_delta_days"] = days_between(row[m], base[m])
                else:
                    row[f"{m}_delta"] = row[m] - base[m]
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def paired(self) -> pd.DataFrame:
        """Per variant: paired per-trial differences to the base (same trial, same draws)."""
        b_day = done_days(self.base)
        b_t = self.base.raw.port_t
        b_npv = per_trial_money(self.base, codes.MONEY_NPV)
        b_cost = per_trial_money(self.base, codes.MONEY_COST)
        delta_levels = self.levels.npv_delta
        delta_cols = [f"npv_delta_{level_key(p)}" for p in delta_levels]
        rows = []
        for name in self.variants:
            fc = self.forecasts[name]
            v_day = done_days(fc)
            both = np.isfinite(b_t) & np.isfinite(fc.raw.port_t)
            row: dict[str, Any] = {
                "variant": name,
                "earlier_probability": float(np.mean(v_day < b_day)),
                "same_day_probability": float(np.mean(v_day == b_day)),
                "later_probability": float(np.mean(v_day > b_day)),
                "finish_delta_mean_workdays": (
                    float(np.mean(fc.raw.port_t[both] - b_t[both])) if both.any() else math.nan
                ),
            }
            v_npv, v_cost = (
                per_trial_money(fc, codes.MONEY_NPV),
                per_trial_money(fc, codes.MONEY_COST),
            )
            if b_npv is not None and v_npv is not None:
                d = v_npv - b_npv
                q = sample_percentiles(d, delta_levels)
                row.update(
                    worth_more_probability=float(np.mean(d > 0)), npv_delta_mean=float(d.mean())
                )
                row.update({c: float(q[k]) for k, c in enumerate(delta_cols)})
            if b_cost is not None and v_cost is not None:
                row.update(
                    cheaper_probability=float(np.mean(v_cost < b_cost)),
                    cost_delta_mean=float((v_cost - b_cost).mean()),
                )
            rows.append(row)
        cols = [
            "variant",
            "earlier_probability",
            "same_day_probability",
            "later_probability",
            "finish_delta_mean_workdays",
            "worth_more_probability",
            "npv_delta_mean",
            *delta_cols,
            "cheaper_probability",
            "cost_delta_mean",
        ]
        return pd.DataFrame(rows, columns=cols)

    def cut_line(self, date: Any = None) -> pd.DataFrame:
        """For a target ``date`` (default :attr:`target_date`): per scenario and feature,
        the probability of being done by then and whether it makes it at each date level
        of :attr:`levels` (P50 and P85 by default)."""
        date = self.target_date if date is None else date
        if date is None:
            raise ValueError("no target date: pass one (no deadlines, portfolio never done)")
        levels = self.levels.dates
        frames = [cut_line_table(fc, date, name, levels) for name, fc in self.forecasts.items()]
        return pd.concat(frames, ignore_index=True)

    def stacked(self, attr: str) -> pd.DataFrame:
        """One table of every forecast stacked (``attr``: "teams", "months", ...), with a
        first column ``scenario`` naming the forecast each row comes from."""
        frames = []
        for name, fc in self.forecasts.items():
            df = getattr(fc, attr).copy()
            df.insert(0, "scenario", name)
            frames.append(df)
        return pd.concat(frames, ignore_index=True)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the comparison by name (what the CSV folder and the workbook
        hold): portfolio, paired, features, cut_line, teams and months (all scenarios)."""
        out = {"portfolio": self.portfolio, "paired": self.paired, "features": self.features}
        if self.target_date is not None:
            out["cut_line"] = self.cut_line()
        out["teams"] = self.stacked("teams")
        if self.base.raw.money is not None:
            out["months"] = self.stacked("months")
        return out

    # -- exports -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The base's docs/model.md §9 document plus ``variants`` (each variant's §9
        document) and ``comparison`` (the tables above); ``provenance`` covers all."""
        doc = self.base.to_dict()
        doc["variants"] = {name: self.forecasts[name].to_dict() for name in self.variants}
        target = self.target_date
        doc["comparison"] = {
            "base": BASE,
            "variants": self.variants,
            "portfolio": _records(self.portfolio),
            "features": _records(self.features),
            "paired": _records(self.paired),
            "cut_line": None
            if target is None
            else {"date": target.isoformat(), "features": _records(self.cut_line(target))},
        }
        doc["provenance"] = dict(self.meta)
        return doc

    def to_json(self, path: str | None = None, indent: int = 2, protect: Sequence[str] = ()) -> str:
        """The JSON text; written atomically to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            from portfolio_sim.results.io import write_text_atomic

            write_text_atomic(path, text + "\n", protect)
        return text

    def to_csv(self, folder: str, protect: Sequence[str] = ()) -> list[str]:
        """One CSV file per table (and ``provenance.csv``) in ``folder``; returns paths."""
        import os

        from portfolio_sim.results.io import csv_text, write_text_atomic

        os.makedirs(folder, exist_ok=True)
        tables = {**self.tables(), "provenance": provenance_table(self.meta)}
        paths = []
        for name, df in tables.items():
            path = os.path.join(folder, f"{name}.csv")
            write_text_atomic(path, csv_text(df), protect)
            paths.append(path)
        return paths

    def to_excel(self, path: str, protect: Sequence[str] = ()) -> None:
        """An Excel workbook for finance: one sheet per table (as :meth:`to_csv`)."""
        from portfolio_sim.results.excel import write_workbook

        write_workbook(path, self.tables(), self.currency, self.meta, protect)

    def to_html(self, path: str | None = None, protect: Sequence[str] = ()) -> str:
        """A self-contained offline HTML report; written atomically to ``path``."""
        from portfolio_sim.report.compare_html import comparison_html

        text = comparison_html(self)
        if path is not None:
            from portfolio_sim.results.io import write_text_atomic

            write_text_atomic(path, text, protect)
        return text

    def to_text(self) -> str:
        """A readable summary for the terminal: the side-by-side portfolio and pairs."""
        port = self.portfolio.set_index("scenario")
        cols = [m for m in self.levels.metrics() if port[m].notna().any()]
        shown = port[cols].T.astype(object)
        for m in cols:
            shown.loc[m] = [_text_value(m, v, self.currency) for v in port[m]]
        paired = self.paired.set_index("variant").dropna(axis=1, how="all").T.astype(object)
        for m in paired.index:
            paired.loc[m] = [_text_value(m, v, self.currency) for v in paired.loc[m]]
        shown.index = [metric_label(str(m)) for m in shown.index]
        paired.index = [metric_label(str(m)) for m in paired.index]
        return (
            f"{self.base.scenario}: {self.base.trials:,} trials per scenario, "
            f"seed {self.base.seed} (common random numbers)\n\n"
            + shown.to_string()
            + "\n\nPaired with the base (same trials):\n"
            + paired.to_string()
        )

    def _repr_html_(self) -> str:
        port = self.portfolio.set_index("scenario")
        return (
            f"<h4>{self.base.scenario}: base and {len(self.variants)} variant(s)</h4>"
            + port.T.to_html()
            + "<h5>Paired with the base</h5>"
            + self.paired.set_index("variant").T.to_html()
        )

    def __repr__(self) -> str:
        return (
            f"Comparison(scenario={self.base.scenario!r}, variants={self.variants!r}, "
            f"trials={self.base.trials}, seed={self.base.seed})"
        )


def metric_label(name: str) -> str:
    """The human heading of a comparison column (:func:`portfolio_sim.formatting.label`),
    with a decimal level read as written: ``npv_delta_p97_5`` -> ``"NPV delta P97.5"``."""
    from portfolio_sim.formatting import label

    m = re.fullmatch(r"(.*_)?p(\d+)_(\d+)(_.*)?", name)
    if m is None:
        return label(name)
    marker = "p0"  # a level word label() capitalises; swapped for the decimal level
    text = label(f"{m[1] or ''}{marker}{m[4] or ''}")
    return text.replace("P0", f"P{m[2]}.{m[3]}", 1)


def _text_value(name: str, v: Any, currency: str = "") -> str:
    """One number of the terminal summary, formatted by what its column holds
    (:mod:`portfolio_sim.formatting`: money with its currency, "85 %", ISO dates)."""
    from portfolio_sim import formatting as fmt

    if v is None or pd.isna(v):
        return "n/a"
    if isinstance(v, pd.Timestamp | dt.date):
        return fmt.iso_date(v)
    if "probability" in name or "share" in name:
        return fmt.pct(v)
    if "workdays" in name or "days" in name:
        return f"{float(v):+,.1f}"
    return fmt.money(v, currency)


def provenance_table(meta: dict[str, Any]) -> pd.DataFrame:
    """Provenance as a two-column table (key, value) for CSV folders and workbooks."""
    return pd.DataFrame(
        {"key": list(meta), "value": ["" if v is None else str(v) for v in meta.values()]}
    )
