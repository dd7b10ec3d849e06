"""The forecast object: engine aggregates turned into DataFrames and JSON (docs/model.md §8-§9).

This is the DataFrame contract of the package; it lives here and nowhere else. Column
names are stable API:

``features``: id, team, p10, p50, p85, p95 (dates; NaT = not done by the horizon),
mean_workdays, deadline, deadline_probability, deadline_undecided_share, not_done_share.
Deadlines (docs/money.md): ``deadline_probability`` is the share of trials done on or
before the deadline date (met); ``deadline_undecided_share`` the share not done by the
horizon while the deadline date is after the horizon date (neither met nor missed); the
rest miss it. Both NaN for a feature without a deadline.
``teams``: id, kind, p10..p95, not_done_share, utilization.
``portfolio``: one row per metric (finish dates), columns p10..p95 and extras.
95 % intervals (docs/model.md §8.10): ``pNN_ci_low``, ``pNN_ci_high``, ``pNN_ci_wd``
(dates, ± working days) last in features/teams/finish, ``pNN_ci_rel`` in the cost row.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from portfolio_sim.calendar import done_days_or
from portfolio_sim.engines.output import TIME_SCALE, WORK_SCALE, EngineOutput
from portfolio_sim.results import money, precision
from portfolio_sim.results.percentiles import DATE_PERCENTILES, hist_percentiles, level_key

if TYPE_CHECKING:
    import pandas as pd

    from portfolio_sim.scenario.compile import CompiledScenario


@dataclass
class Forecast:
    """A forecast of one scenario or variant. Build with :func:`portfolio_sim.forecast`."""

    compiled: CompiledScenario
    raw: EngineOutput
    trials: int
    seed: int
    engine: str
    elapsed_s: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    #: Feature id -> why its estimate alone outruns the horizon
    #: (:func:`portfolio_sim.scenario.dominant.dominant_estimates`), for :attr:`warnings`.
    dominant: dict[str, str] = field(default_factory=dict)
    #: The "how many items by DATE" table of the throughput teams when the forecast was
    #: asked for it (``forecast(..., how_many_by=...)``): one row per (team, date) with
    #: the columns of :func:`portfolio_sim.history.how_many`; None otherwise. It goes
    #: into every output: JSON ``how_many``, ``how_many.csv``, an Excel sheet, the report.
    how_many: Any = None
    #: The percentile levels the user chose (``forecast(..., percentiles=...)``, the CLI's
    #: ``--percentiles`` or the scenario's ``report.percentiles``), validated and sorted;
    #: None: the defaults (dates P10/P50/P85/P95, cost P10/P50/P80/P90, NPV and value
    #: P10/P50/P90). Chosen levels replace all three in every output.
    percentiles: tuple[float, ...] | None = None
    #: What ``trials="auto"`` did (:class:`~portfolio_sim.results.precision.AutoReport`);
    #: None for a fixed trial count.
    auto: precision.AutoReport | None = None
    #: Earned value of a re-forecast (:class:`~portfolio_sim.results.evm.EarnedValue`,
    #: docs/model.md §11.4); None for a plain forecast.
    earned_value: Any = None
    #: the EVM baseline of a re-forecast (results.evm.Baseline) and the file it was read
    #: from (None: computed from the plan in this run)
    baseline: Any = None
    baseline_source: str | None = None

    @property
    def date_levels(self) -> tuple[float, ...]:
        """The percentile levels of every date column (finish dates)."""
        return DATE_PERCENTILES if self.percentiles is None else self.percentiles

    @property
    def cost_levels(self) -> tuple[float, ...]:
        """The percentile levels of cost (team and portfolio)."""
        return money.COST_PS if self.percentiles is None else self.percentiles

    @functools.cached_property
    def widest(self) -> precision.Widest:
        """The widest 95 % intervals the precision rule looks at (docs/model.md §8.11)."""
        c, levels = self.compiled, precision.rule_levels(self.percentiles)
        return precision.widest(self.raw, c.horizon_days, c.feature_ids, *levels)

    @property
    def date_columns(self) -> tuple[str, ...]:
        """The keys of the date percentile columns, e.g. ``("p10", "p50", "p85", "p95")``."""
        return tuple(level_key(p) for p in self.date_levels)

    # The month numbers take a pass over the per-trial arrays (seconds at a million
    # trials); the JSON, the HTML report and the text table all read them: kept once
    # computed (the per-trial arrays of a forecast never change).
    @functools.cached_property
    def _month_bands(self) -> dict[str, np.ndarray]:
        streamed = self._month_streamed
        if streamed is not None:
            return streamed[0]
        return money.month_bands(self.compiled, self.raw)

    @functools.cached_property
    def _month_means(self) -> dict[str, np.ndarray]:
        streamed = self._month_streamed
        if streamed is not None:
            return streamed[1]
        return money.month_means(self.raw)

    @functools.cached_property
    def _month_streamed(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None:
        """Bands and means of kept month arrays in one exact streaming pass
        (:func:`~portfolio_sim.engines.month_stream.stream_arrays`: the same numbers,
        faster than sorting every month), or None (then computed from the arrays)."""
        raw = self.raw
        if raw.month_bands is not None or raw.month_cost is None or raw.month_capex is None:
            return None
        if raw.quarter_cost is None:
            return None
        from portfolio_sim.engines.month_stream import stream_arrays

        budgets = [amount for _, amount in sorted(self.compiled.budget_quarters.items())]
        stats = stream_arrays(raw.month_cost, raw.month_capex, raw.quarter_cost, budgets)
        return None if stats is None else (stats[0], stats[1])

    # Likewise the portfolio money and budget numbers (selections over the per-trial
    # money columns, about 0.1 s each at a million trials): every output reads them.
    # Callers get copies.
    @functools.cached_property
    def _portfolio_money(self) -> dict[str, dict[str, float]]:
        return money.portfolio_money(self.raw, self.percentiles)

    @functools.cached_property
    def _budget(self) -> dict[str, Any]:
        return money.budget_summary(self.compiled, self.raw)

    @property
    def warnings(self) -> list[str]:
        """Warnings about the answer itself, e.g. most trials not done by the horizon
        (:mod:`portfolio_sim.results.warnings`); empty for a healthy forecast."""
        from portfolio_sim.results.warnings import not_done_warnings

        c = self.compiled
        return not_done_warnings(
            c.feature_ids,
            (self.raw.feat_hist[:, c.horizon_days] / self.raw.trials).tolist(),
            self.portfolio_finish()["not_done_share"],
            str(c.calendar.horizon),
            self.dominant,
        ) + precision.auto_warnings(self.auto)

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
        bins = hist_percentiles(hist, self.date_levels)
        return {level_key(p): self._bin_dates(bins[:, k]) for k, p in enumerate(self.date_levels)}

    def _ci_columns(self, hist: np.ndarray) -> dict[str, np.ndarray]:
        """``pNN_ci_low``, ``pNN_ci_high``, ``pNN_ci_wd`` of every date level."""
        return precision.ci_columns(
            hist, self.date_levels, self.compiled.horizon_days, self._bin_dates
        )

    # The tables are built from plain columns (numpy arrays, lists; dates as datetime64
    # with NaT) that the JSON export reads directly, so writing JSON needs no pandas.
    # They are public: the decision tools read them (results/decide_numbers.py) without
    # building DataFrames.
    def feature_columns(self) -> dict[str, Any]:
        """The columns of :attr:`features` as ``{column: array or list}`` (one entry per
        feature in scenario order; dates as ``datetime64[D]``, NaT = none), unbuilt."""
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
        cols: dict[str, Any] = {
            "id": c.feature_ids,
            "team": [c.team_ids[j] for j in c.feat_team],
            **self._finish_columns(hist),
            "mean_workdays": mean,
            "deadline": np.where(has_deadline, dl_dates, np.datetime64("NaT")),
            "deadline_probability": np.where(has_deadline, met / raw.trials, np.nan),
            "deadline_undecided_share": np.where(
                has_deadline,
                np.where(c.feat_deadline_by_horizon, 0.0, not_done / raw.trials),
                np.nan,
            ),
            "not_done_share": not_done / raw.trials,
        }
        if raw.feat_value_sum is not None:
            cols.update(money.feature_value_columns(c, raw))
        cols.update(self._ci_columns(hist))
        return cols

    def team_columns(self) -> dict[str, Any]:
        """The columns of :attr:`teams` as ``{column: array or list}``, unbuilt."""
        c, raw = self.compiled, self.raw
        h = c.horizon_days
        cap = raw.team_cap / WORK_SCALE
        work = raw.team_work / WORK_SCALE
        cols: dict[str, Any] = {
            "id": c.team_ids,
            "kind": ["throughput" if k else "effort" for k in c.team_kind],
            **self._finish_columns(raw.team_hist),
            "not_done_share": raw.team_hist[:, h] / raw.trials,
            "utilization": np.where(
                (c.team_kind == 0) & (cap > 0), work / np.where(cap > 0, cap, 1), np.nan
            ),
        }
        if raw.money is not None and len(c.team_ids):
            cols.update(money.team_cost_columns(c, raw, self.cost_levels))
        cols.update(self._ci_columns(raw.team_hist))
        return _without_task_teams(c.team_ids, cols)

    def portfolio_finish(self) -> dict[str, Any]:
        """The finish row of :attr:`portfolio` as a dict: p10..p95 (datetime64, NaT = not
        done) and not_done_share."""
        h = self.compiled.horizon_days
        t = self.raw.port_t
        days = done_days_or(t, h)
        hist = np.bincount(days.astype(np.int64), minlength=h + 1)[None, :]
        row: dict[str, Any] = {k: v[0] for k, v in self._finish_columns(hist).items()}
        row["not_done_share"] = float(hist[0, h] / self.raw.trials)
        row.update({k: v[0] for k, v in self._ci_columns(hist).items()})
        return row

    def cost_ci(self) -> dict[str, dict[str, float]]:
        """The 95 % interval of each cost percentile of the portfolio: ``{"p50": {"low",
        "high", "rel"}}`` (amounts, ±inf = unbounded; ``rel`` the relative half-width)."""
        return precision.cost_ci(self.raw, self.cost_levels)

    def _frame(self, cols: dict[str, Any]) -> pd.DataFrame:
        import pandas as pd

        items = list(cols.items())
        df = pd.DataFrame(dict(items[:2]))  # id and team (features) or kind (teams)
        for k, v in items[2:]:
            dated = k in self.date_columns or k == "deadline" or k.endswith(("_ci_low", "_ci_high"))
            df[k] = pd.to_datetime(v) if dated else v
        return df

    @property
    def features(self) -> pd.DataFrame:
        return self._frame(self.feature_columns())

    @property
    def teams(self) -> pd.DataFrame:
        return self._frame(self.team_columns())

    @property
    def months(self) -> pd.DataFrame:
        """Per calendar month: cost, capex, opex and cumulative cost (mean, P10/P50/P90)."""
        return money.months_table(self.compiled, self.raw, self._month_bands, self._month_means)

    @property
    def team_months(self) -> pd.DataFrame:
        """Per team and month: people cost P10/P50/P90 (long format)."""
        return money.team_months_table(self.compiled, self.raw)

    @property
    def team_load(self) -> pd.DataFrame:
        """Per team, month and state (busy, waiting, empty): the share of the team's
        capacity, mean and P10/P50/P90 (long format; docs/model.md §10.13)."""
        from portfolio_sim.results.load import load_table

        return load_table(self.compiled, self.raw)

    @property
    def budget(self) -> dict[str, Any]:
        """Budget overrun probabilities, spent-date percentiles and contingency."""
        return copy.deepcopy(self._budget)

    def joint_confidence(
        self, budgets: Sequence[float] | None = None, dates: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """P(cost <= budget and portfolio done by date) over a grid (joint confidence).

        Defaults: budgets at the cost P50/P80/P90 (and the budget), dates at the finish
        P50/P85/P95; with chosen :attr:`percentiles`, both at every chosen level."""
        import pandas as pd

        port = self.portfolio
        chosen = self.percentiles
        cost_keys = ("p50", "p80", "p90") if chosen is None else map(level_key, chosen)
        date_keys = ("p50", "p85", "p95") if chosen is None else map(level_key, chosen)
        if budgets is None:
            cost = port.loc["cost"]
            budgets = sorted(
                {float(cost[k]) for k in cost_keys}
                | (
                    {float(self.compiled.budget_total)}
                    if self.compiled.budget_total is not None
                    else set()
                )
            )
        if dates is None:
            fin = port.loc["finish"]
            dates = [fin[k] for k in date_keys if not pd.isna(fin[k])]
        return money.joint_confidence(self.compiled, self.raw, list(budgets), list(dates))

    @property
    def portfolio(self) -> pd.DataFrame:
        import pandas as pd

        row: dict[str, Any] = {"metric": "finish"}
        for k, v in self.portfolio_finish().items():
            if isinstance(v, np.datetime64):
                row[k] = pd.Timestamp(v) if not np.isnat(v) else pd.NaT
            else:
                row[k] = v
        rows = [row]
        if self.raw.money is not None:
            for name, stats in copy.deepcopy(self._portfolio_money).items():
                rows.append({"metric": name, **stats})
            rows[1].update(precision.cost_ci_row(self.raw, self.cost_levels))  # the cost row
        return pd.DataFrame(rows).set_index("metric")

    # -- exports -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON document of docs/model.md §9 as plain Python objects
        (:func:`portfolio_sim.results.forecast_doc.forecast_doc`)."""
        from portfolio_sim.results.forecast_doc import forecast_doc

        return forecast_doc(self)

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

        from portfolio_sim.results.io import csv_text, write_text_atomic

        os.makedirs(folder, exist_ok=True)
        tables = {
            "features": self.features,
            "teams": self.teams,
            "portfolio": self.portfolio.reset_index(),
        }
        if self.raw.money is not None:
            tables["months"] = self.months
            tables["team_months"] = self.team_months
        import pandas as pd

        if self.how_many is not None:
            tables["how_many"] = self.how_many
        if self.earned_value is not None:
            from portfolio_sim.results.evm_tables import evm_frame

            tables["earned_value"] = evm_frame(self.earned_value)
        if self.raw.load_hist is not None:
            tables["team_load"] = self.team_load
        tables["provenance"] = pd.DataFrame(
            {"key": list(self.meta), "value": [str(v) for v in self.meta.values()]}
        )
        paths = []
        for name, df in tables.items():
            path = os.path.join(folder, f"{name}.csv")
            write_text_atomic(path, csv_text(df), protect)
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


def _without_task_teams(team_ids: list[str], cols: dict[str, Any]) -> dict[str, Any]:
    """``cols`` without the rows of task teams (docs/model.md §3.10): they run duration
    tasks and joins of shared features, use no capacity of the portfolio and cost
    nothing, so they are no team of the portfolio to report."""
    from portfolio_sim.scenario.expand import is_task_team

    keep = [j for j, t in enumerate(team_ids) if not is_task_team(t)]
    if len(keep) == len(team_ids):
        return cols
    return {
        k: [v[j] for j in keep] if isinstance(v, list) else np.asarray(v)[keep]
        for k, v in cols.items()
    }
