"""The forecast object: engine aggregates turned into DataFrames and JSON (MODEL.md §8-§9).

This is the DataFrame contract of the package; it lives here and nowhere else. Column
names are stable API:

``features``: id, team, p10, p50, p85, p95 (dates; NaT = not done by the horizon),
mean_workdays, deadline, deadline_probability, not_done_share.
``teams``: id, kind, p10..p95, not_done_share, utilization.
``portfolio``: one row per metric (finish dates), columns p10..p95 and extras.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from portfolio_sim.results import money
from portfolio_sim.results.percentiles import DATE_PERCENTILES, hist_percentiles
from portfolio_sim.results.raw import TIME_SCALE, WORK_SCALE, EngineOutput


def _iso(d: Any) -> str | None:
    if d is None or (isinstance(d, float) and math.isnan(d)) or pd.isna(d):
        return None
    return str(np.datetime64(d, "D"))


@dataclass
class Forecast:
    """A forecast of one scenario or variant. Build with :func:`portfolio_sim.forecast`."""

    compiled: Any  # CompiledScenario
    raw: EngineOutput
    trials: int
    seed: int
    engine: str
    elapsed_s: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def scenario(self) -> str:
        return str(self.compiled.name)

    @property
    def variant(self) -> str | None:
        return self.compiled.variant

    # -- dates -------------------------------------------------------------------------
    def _bin_dates(self, bins: np.ndarray) -> np.ndarray:
        """Histogram bins to dates; the last bin ("not done") becomes NaT."""
        h = self.compiled.horizon_days
        dates = self.compiled.calendar.date_of(np.minimum(bins, max(h - 1, 0)))
        return np.where(bins >= h, np.datetime64("NaT"), dates).astype("datetime64[D]")

    def _finish_columns(self, hist: np.ndarray) -> dict[str, np.ndarray]:
        bins = hist_percentiles(hist, DATE_PERCENTILES)
        return {f"p{p}": self._bin_dates(bins[:, k]) for k, p in enumerate(DATE_PERCENTILES)}

    @property
    def features(self) -> pd.DataFrame:
        c, raw = self.compiled, self.raw
        h = c.horizon_days
        hist = raw.feat_hist
        not_done = hist[:, h]
        n_done = raw.trials - not_done
        mean = np.where(n_done > 0, raw.feat_tsum / TIME_SCALE / np.maximum(n_done, 1), np.nan)
        deadline_day = c.feat_deadline_day
        has_deadline = deadline_day < np.iinfo(np.int64).max
        cum = np.cumsum(hist[:, :h], axis=1) if h > 0 else np.zeros((len(hist), 1), np.int64)
        met = np.array(
            [
                cum[i, min(int(deadline_day[i]), h - 1)]
                if has_deadline[i] and deadline_day[i] >= 0
                else 0
                for i in range(len(hist))
            ]
        )
        dl_dates = np.where(
            has_deadline,
            c.calendar.date_of(np.clip(np.where(has_deadline, deadline_day, 0), 0, None)),
            np.datetime64("NaT"),
        )
        df = pd.DataFrame({"id": c.feature_ids, "team": [c.team_ids[j] for j in c.feat_team]})
        for k, v in self._finish_columns(hist).items():
            df[k] = pd.to_datetime(v)
        df["mean_workdays"] = mean
        df["deadline"] = pd.to_datetime(np.where(has_deadline, dl_dates, np.datetime64("NaT")))
        df["deadline_probability"] = np.where(has_deadline, met / raw.trials, np.nan)
        df["not_done_share"] = not_done / raw.trials
        if raw.feat_value_sum is not None:
            for k, v in money.feature_value_columns(c, raw).items():
                df[k] = v
        return df

    @property
    def teams(self) -> pd.DataFrame:
        c, raw = self.compiled, self.raw
        h = c.horizon_days
        df = pd.DataFrame(
            {"id": c.team_ids, "kind": ["throughput" if k else "effort" for k in c.team_kind]}
        )
        for k, v in self._finish_columns(raw.team_hist).items():
            df[k] = pd.to_datetime(v)
        df["not_done_share"] = raw.team_hist[:, h] / raw.trials
        cap = raw.team_cap / WORK_SCALE
        work = raw.team_work / WORK_SCALE
        util = np.where((c.team_kind == 0) & (cap > 0), work / np.where(cap > 0, cap, 1), np.nan)
        df["utilization"] = util
        if raw.money is not None:
            costs = money.team_cost_table(c, raw)
            for col in costs.columns[1:]:
                df[col] = costs[col].to_numpy()
        return df

    @property
    def months(self) -> pd.DataFrame:
        """Per calendar month: cost, capex, opex and cumulative cost (mean, P10/P50/P90)."""
        return money.months_table(self.compiled, self.raw)

    @property
    def team_months(self) -> pd.DataFrame:
        """Per team and month: people cost P10/P50/P90 (long format)."""
        return money.team_months_table(self.compiled, self.raw)

    @property
    def budget(self) -> dict[str, Any]:
        """Budget overrun probabilities, spent-date percentiles and contingency."""
        return money.budget_summary(self.compiled, self.raw)

    def joint_confidence(
        self, budgets: Sequence[float] | None = None, dates: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """P(cost <= budget and portfolio done by date) over a grid (joint confidence).

        Defaults: budgets at the cost P50/P80/P90 (and the budget), dates at the finish
        P50/P85/P95."""
        port = self.portfolio
        if budgets is None:
            cost = port.loc["cost"]
            budgets = sorted(
                {float(cost["p50"]), float(cost["p80"]), float(cost["p90"])}
                | (
                    {float(self.compiled.budget_total)}
                    if self.compiled.budget_total is not None
                    else set()
                )
            )
        if dates is None:
            fin = port.loc["finish"]
            dates = [fin[f"p{p}"] for p in (50, 85, 95) if not pd.isna(fin[f"p{p}"])]
        return money.joint_confidence(self.compiled, self.raw, list(budgets), list(dates))

    @property
    def portfolio(self) -> pd.DataFrame:
        h = self.compiled.horizon_days
        t = self.raw.port_t
        days = np.where(
            np.isfinite(t), np.maximum(np.ceil(np.where(np.isfinite(t), t, 0) - 1e-9) - 1, 0), h
        )
        hist = np.bincount(days.astype(np.int64), minlength=h + 1)[None, :]
        row: dict[str, Any] = {"metric": "finish"}
        for k, v in self._finish_columns(hist).items():
            row[k] = pd.Timestamp(v[0]) if not np.isnat(v[0]) else pd.NaT
        row["not_done_share"] = float(hist[0, h] / self.raw.trials)
        rows = [row]
        if self.raw.money is not None:
            for name, stats in money.portfolio_money(self.raw).items():
                rows.append({"metric": name, **stats})
        return pd.DataFrame(rows).set_index("metric")

    # -- exports -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON document of MODEL.md §9 as plain Python objects."""

        def finish(row: Any) -> dict[str, str | None]:
            return {f"p{p}": _iso(row[f"p{p}"]) for p in DATE_PERCENTILES}

        feats = self.features
        teams = self.teams
        port = self.portfolio.loc["finish"]

        def num(x: Any) -> float | None:
            return None if x is None or pd.isna(x) else float(x)

        doc: dict[str, Any] = {
            "scenario": self.scenario,
            "variant": self.variant,
            "trials": int(self.trials),
            "seed": int(self.seed),
            "engine": self.engine,
            "features": [
                {
                    "id": r.id,
                    "team": r.team,
                    "finish": finish(r._asdict()),
                    "mean_workdays": num(r.mean_workdays),
                    "deadline": _iso(r.deadline),
                    "deadline_probability": num(r.deadline_probability),
                    "not_done_share": float(r.not_done_share),
                }
                for r in feats.itertuples(index=False)
            ],
            "teams": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "finish": finish(r._asdict()),
                    "not_done_share": float(r.not_done_share),
                    "utilization": num(r.utilization),
                }
                for r in teams.itertuples(index=False)
            ],
            "portfolio": {
                "finish": {f"p{p}": _iso(port[f"p{p}"]) for p in DATE_PERCENTILES},
                "not_done_share": float(port["not_done_share"]),
            },
            "provenance": dict(self.meta),
        }
        if self.raw.money is not None:
            self._add_money(doc)
        return doc

    def _add_money(self, doc: dict[str, Any]) -> None:
        """The money keys of MODEL.md §9 (and extensions) into the JSON document."""

        def num(x: Any) -> float | None:
            return None if x is None or pd.isna(x) else float(x)

        feats = self.features
        for item, r in zip(doc["features"], feats.itertuples(index=False), strict=True):
            item["value_pv_mean"] = num(r.value_pv_mean)
            item["oneoff_cost_mean"] = num(r.oneoff_cost_mean)
            item["cost_of_delay"] = (
                None
                if pd.isna(r.cost_of_delay_per_month)
                else {
                    "per_month": float(r.cost_of_delay_per_month),
                    "per_week": float(r.cost_of_delay_per_week),
                }
            )
        teams = self.teams
        for item, r in zip(doc["teams"], teams.itertuples(index=False), strict=True):
            item["cost"] = {
                "mean": float(r.cost_mean),
                **{f"p{p}": float(getattr(r, f"cost_p{p}")) for p in (10, 50, 80, 90)},
            }
        months = self.months
        per_team: dict[str, dict[str, dict[str, float]]] = {}
        for r in self.team_months.to_dict("records"):
            per_team.setdefault(r["month"], {})[r["team"]] = {
                f"p{p}": float(r[f"cost_p{p}"]) for p in (10, 50, 90)
            }
        doc["months"] = [
            {
                "month": r["month"],
                **{
                    name: {f"p{p}": float(r[f"{name}_p{p}"]) for p in (10, 50, 90)}
                    for name in ("cost", "capex", "opex", "cumulative")
                },
                "teams": per_team.get(r["month"], {}),
            }
            for r in months.to_dict("records")
        ]
        pm = money.portfolio_money(self.raw)
        budget = self.budget
        doc["portfolio"].update(
            {
                "cost": pm["cost"],
                "npv": pm["npv"],
                "value_pv": pm["value_pv"],
                "cost_pv": pm["cost_pv"],
                "capex": pm["capex"],
                "roi": num(pm["roi"]["mean"]),  # null when nothing is spent
                "expected_value": pm["npv"]["mean"],
                "budget_overrun_probability": budget["overrun_probability"],
                "budget": budget,
            }
        )
        doc["currency"] = self.compiled.currency

    def to_json(self, path: str | None = None, indent: int = 2, protect: Sequence[str] = ()) -> str:
        """The JSON text; written atomically to ``path`` when given (never over a file in
        ``protect``, e.g. the scenario)."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            from portfolio_sim.results.io import write_text_atomic

            write_text_atomic(path, text + "\n", protect)
        return text

    def to_html(self, path: str | None = None, protect: Sequence[str] = ()) -> str:
        """A self-contained HTML report; written atomically to ``path`` when given."""
        from portfolio_sim.report.html import forecast_html

        text = forecast_html(self)
        if path is not None:
            from portfolio_sim.results.io import write_text_atomic

            write_text_atomic(path, text, protect)
        return text

    def to_csv(self, folder: str, protect: Sequence[str] = ()) -> list[str]:
        """One CSV file per table in ``folder`` (created if missing); returns the paths."""
        import os

        from portfolio_sim.results.io import write_text_atomic

        os.makedirs(folder, exist_ok=True)
        tables = {
            "features": self.features,
            "teams": self.teams,
            "portfolio": self.portfolio.reset_index(),
        }
        if self.raw.money is not None:
            tables["months"] = self.months
            tables["team_months"] = self.team_months
        tables["provenance"] = pd.DataFrame(
            {"key": list(self.meta), "value": [str(v) for v in self.meta.values()]}
        )
        paths = []
        for name, df in tables.items():
            path = os.path.join(folder, f"{name}.csv")
            write_text_atomic(path, df.to_csv(index=False), protect)
            paths.append(path)
        return paths

    def to_excel(self, path: str, protect: Sequence[str] = ()) -> None:
        """An Excel workbook for finance (one sheet per table, dates as Excel dates,
        money in the scenario's currency format); written atomically to ``path``."""
        from portfolio_sim.results.excel import forecast_to_excel

        forecast_to_excel(self, path, protect)

    def to_text(self) -> str:
        """A readable summary for the terminal."""
        from portfolio_sim.results.text import forecast_text

        return forecast_text(self)

    def _repr_html_(self) -> str:
        head = f"<h4>{self.scenario}" + (f" / {self.variant}" if self.variant else "") + "</h4>"
        return head + self.portfolio.to_html() + self.features.to_html()

    def __repr__(self) -> str:
        return (
            f"Forecast(scenario={self.scenario!r}, variant={self.variant!r}, "
            f"trials={self.trials}, seed={self.seed}, engine={self.engine!r})"
        )
