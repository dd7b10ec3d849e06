"""Earned value of a re-forecast (docs/model.md §11.4).

Earned value management (EVM) compares what was *planned* by a date with what was
*done* and what it *cost*. Here the plan is the plain forecast of the unchanged
scenario (no status; same seed and engine), the baseline, and the actuals are the
status file's (docs/model.md §11.1). The formulas are those of PMI, *Practice Standard
for Earned Value Management*, 2nd ed., 2011, and, for the schedule, Lipke's earned
schedule (W. Lipke, "Schedule is Different", *The Measurable News*, March 2003).

The baseline, per feature i (time in working days of the plan's calendar, clock time t
= the start of working day t):

* budget ``B_i = BAC * w_i``: BAC is the plan's cost P50, and ``w_i`` the feature's
  share of the plan's mean cost: its mean one-off cost plus its team's mean cost split
  over the team's features by their mean planned size (a team's cost is the cost of
  its features' work);
* planned start ``S_i`` = the median start time of the plan's trials (whole days, down),
  planned finish ``F_i`` = the end of its P50 done day;
* planned value accrues linearly: ``PV_i(t) = B_i * clip((t - S_i) / (F_i - S_i), 0, 1)``.

On ``as_of`` (working day A, the actual time AT = A days from the start):

* ``PV = sum PV_i(A)``; ``EV = sum B_i * pc_i`` with ``pc_i`` the percent complete: 1
  when done, ``1 - remaining_fraction``, ``items_done / mean planned items``,
  ``1 - mean(remaining) / mean planned size`` (clipped to 0..1), else 0;
  ``AC`` = the status's cost to date;
* ``CV = EV - AC``, ``SV = EV - PV``, ``CPI = EV / AC``, ``SPI = EV / PV``;
* EAC: ``AC + (BAC - EV)`` (the rest at the budgeted rate), ``BAC / CPI`` (the rest at
  the cost efficiency so far; equal to ``AC + (BAC - EV) / CPI``), and
  ``AC + (BAC - EV) / (CPI * SPI)`` (cost and schedule efficiency); ``VAC = BAC - BAC/CPI``,
  ``TCPI = (BAC - EV) / (BAC - AC)``;
* earned schedule ``ES = C + (EV - PV(C)) / (PV(C+1) - PV(C))`` with C the last whole
  day with ``PV(C) <= EV`` (ES = PD once EV reaches BAC), ``SV(t) = ES - AT``,
  ``SPI(t) = ES / AT``, and the independent estimate of the duration
  ``IEAC(t) = PD / SPI(t)`` with PD = the planned duration (the last ``F_i``).

A ratio with a zero denominator is None ("not defined"), never 0 or infinity.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from portfolio_sim.results.forecast import Forecast
    from portfolio_sim.scenario.schema import Scenario
    from portfolio_sim.scenario.status import Status


@dataclass(frozen=True)
class Baseline:
    """The planned work: per feature its budget share ``weight`` (sums to 1), planned
    start and finish (working-day clock times), and the BAC; ``size`` the mean planned
    size of each feature (for percent complete), ``trials`` the plan's trial count."""

    ids: tuple[str, ...]
    weight: tuple[float, ...]
    start: tuple[float, ...]
    finish: tuple[float, ...]
    bac: float
    size: tuple[float, ...] = ()
    trials: int | None = None

    def planned_value(self, t: float) -> float:
        """PV(t): the budget of the work planned by clock time ``t``."""
        pv = 0.0
        for w, s, f in zip(self.weight, self.start, self.finish, strict=True):
            share = (1.0 if t >= f else 0.0) if f <= s else min(max((t - s) / (f - s), 0.0), 1.0)
            pv += self.bac * w * share
        return pv

    @property
    def duration(self) -> float:
        """PD: the planned duration (working days from the start to the last finish)."""
        return max(self.finish, default=0.0)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b != 0 else None


@dataclass(frozen=True)
class EarnedValue:
    """The EVM numbers on ``as_of`` beside the Monte Carlo re-forecast (module doc)."""

    as_of: str
    at_days: float
    bac: float
    pv: float
    ev: float
    ac: float
    cv: float
    sv: float
    cpi: float | None
    spi: float | None
    eac_budget_rate: float
    eac_cpi: float | None
    eac_cpi_spi: float | None
    vac: float | None
    tcpi: float | None
    es_days: float
    sv_t_days: float
    spi_t: float | None
    planned_days: float
    ieac_t_days: float | None
    planned_finish: str | None = None
    ieac_t_finish: str | None = None
    mc_cost: dict[str, float] | None = None
    mc_finish: dict[str, str | None] | None = None
    baseline_trials: int | None = None
    baseline_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``earned_value`` (docs/outputs.md)."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in asdict(self).items()}  # fmt: skip


def earned_schedule(base: Baseline, ev: float) -> float:
    """ES (Lipke 2003): C + (EV - PV(C)) / (PV(C+1) - PV(C)) over whole working days."""
    end = math.ceil(base.duration)
    pv = [base.planned_value(float(t)) for t in range(end + 1)]
    if ev >= pv[-1]:
        return float(end)
    c = max(t for t in range(end + 1) if pv[t] <= ev)
    return c + (ev - pv[c]) / (pv[c + 1] - pv[c])


def compute(base: Baseline, complete: dict[str, float], ac: float, at: float,
            as_of: str = "") -> EarnedValue:  # fmt: skip
    """The EVM numbers of ``base`` with percent complete ``complete`` (0..1 per feature
    id; missing = 0), actual cost ``ac`` and actual time ``at`` (working days)."""
    bac = base.bac
    pv = base.planned_value(at)
    ev = sum(bac * w * complete.get(i, 0.0) for i, w in zip(base.ids, base.weight, strict=True))
    cpi, spi = _ratio(ev, ac), _ratio(ev, pv)
    es = earned_schedule(base, ev)
    spi_t = _ratio(es, at)
    return EarnedValue(
        as_of=as_of,
        at_days=at,
        bac=bac,
        pv=pv,
        ev=ev,
        ac=ac,
        cv=ev - ac,
        sv=ev - pv,
        cpi=cpi,
        spi=spi,
        eac_budget_rate=ac + bac - ev,
        eac_cpi=None if cpi is None or cpi == 0 else bac / cpi,
        eac_cpi_spi=None if not cpi or not spi else ac + (bac - ev) / (cpi * spi),
        vac=None if not cpi else bac - bac / cpi,
        tcpi=_ratio(bac - ev, bac - ac),
        es_days=es,
        sv_t_days=es - at,
        spi_t=spi_t,
        planned_days=base.duration,
        ieac_t_days=None if not spi_t else base.duration / spi_t,
    )


def percent_complete(
    scn: Scenario, status: Status, mean_size: dict[str, float]
) -> dict[str, float]:
    """Each feature's percent complete on ``as_of`` (0..1; module doc)."""
    from portfolio_sim.distributions import mean

    out: dict[str, float] = {}
    for fid, st in status.features.items():
        planned = mean_size.get(fid, 0.0)
        if st.done_on is not None:
            pc = 1.0
        elif st.remaining_fraction is not None:
            pc = 1.0 - st.remaining_fraction
        elif st.items_done is not None:
            pc = st.items_done / planned if planned > 0 else 0.0
        elif st.remaining is not None:
            left = mean(st.remaining.kind, st.remaining.params)
            pc = 1.0 - left / planned if planned > 0 else 0.0
        else:  # pragma: no cover - a validated status has one of them
            pc = 0.0
        out[fid] = min(max(pc, 0.0), 1.0)
    return out


def baseline(plan: Forecast) -> Baseline:
    """The baseline of a plain forecast run with ``keep_trials`` (module doc)."""
    from portfolio_sim.results.percentiles import hist_percentiles

    c, raw = plan.compiled, plan.raw
    if raw.start is None or raw.size is None:
        raise ValueError("the baseline needs the plan's per-trial arrays (keep_trials=True)")
    h = c.horizon_days
    p50 = hist_percentiles(raw.feat_hist, (50,))[:, 0]
    finish = [float(b + 1) if b < h else float(h) for b in p50]
    start = []
    for i in range(c.n_features):
        s = float(np.median(raw.start[:, i]))
        start.append(float(math.floor(min(s, finish[i]))) if math.isfinite(s) else finish[i])
    size = raw.size.mean(axis=0)
    teams = plan.team_columns()
    feats = plan.feature_columns()
    # by id: the teams frame leaves out the hidden teams of duration tasks and shared
    # features' joins (docs/model.md §3.9-§3.10), which cost nothing
    by_id = dict(zip(teams["id"], teams["cost_mean"], strict=True)) if "cost_mean" in teams else {}
    team_cost = np.array([float(by_id.get(t, 0.0)) for t in c.team_ids])
    oneoff = np.nan_to_num(np.asarray(feats.get("oneoff_cost_mean", np.zeros(c.n_features)),
                                      dtype=float))  # fmt: skip
    cost = oneoff.copy()
    for j in range(c.n_teams):
        idx = c.team_feat_idx[c.team_feat_ptr[j] : c.team_feat_ptr[j + 1]]
        if len(idx) == 0:
            continue
        total = float(size[idx].sum())
        share = size[idx] / total if total > 0 else np.full(len(idx), 1.0 / len(idx))
        cost[idx] += team_cost[j] * share
    total = float(cost.sum())
    weight = cost / total if total > 0 else np.full(c.n_features, 1.0 / max(c.n_features, 1))
    bac = plan._portfolio_money["cost"]["p50"] if raw.money is not None else 0.0
    return Baseline(
        ids=tuple(c.feature_ids),
        weight=tuple(float(w) for w in weight),
        start=tuple(start),
        finish=tuple(finish),
        bac=float(bac),
        size=tuple(float(x) for x in size),
        trials=int(plan.trials),
    )


def earned_value(base: Baseline, now: Forecast, scn: Scenario, status: Status) -> EarnedValue:
    """EVM of the re-forecast ``now`` from ``status`` against the baseline ``base`` (from
    the plain forecast of ``scn`` with ``keep_trials``, :func:`baseline`, or a saved one,
    :mod:`.evm_baseline`), with the re-forecast's Monte Carlo cost P50/P80 and finish
    percentiles beside it. Dates are those of ``now``'s calendar (the plan's: a status
    does not change the calendar)."""
    from portfolio_sim.results.money import portfolio_money

    mean_size = dict(zip(base.ids, base.size, strict=True))
    cal = now.compiled.calendar
    at = float(cal.index_on_or_after(status.as_of))
    ev = compute(base, percent_complete(scn, status, mean_size), status.cost_to_date, at,
                 status.as_of.isoformat())  # fmt: skip

    def date_of_end(t: float | None) -> str | None:
        if t is None or not math.isfinite(t):
            return None
        day = max(math.ceil(t) - 1, 0)
        if day >= now.compiled.horizon_days:
            return None
        return str(np.datetime64(cal.date_of(day), "D"))

    mc_cost = None
    if now.raw.money is not None:
        pm = portfolio_money(now.raw, None)["cost"]
        mc_cost = {"p50": pm["p50"], "p80": pm["p80"]}
    fin = now.portfolio_finish()
    mc_finish = {k: _iso(fin[k]) for k in now.date_columns}
    return EarnedValue(
        **{
            **asdict(ev),
            "planned_finish": date_of_end(base.duration),
            "ieac_t_finish": date_of_end(ev.ieac_t_days),
            "mc_cost": mc_cost,
            "mc_finish": mc_finish,
            "baseline_trials": base.trials,
        }
    )


def _iso(d: Any) -> str | None:
    if d is None or (isinstance(d, np.datetime64) and np.isnat(d)):
        return None
    if isinstance(d, dt.date):
        return d.isoformat()
    return str(np.datetime64(d, "D"))
