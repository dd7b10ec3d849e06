"""How precise a forecast's percentiles are, and trials chosen by precision
(docs/model.md §8.10 and §8.11).

**The confidence interval of a percentile.** With ``n`` trials sorted, ``X(1) <= ... <=
X(n)``, the number ``B`` of trials at or below the true p-quantile ``q`` is
binomial(n, p) (for a continuous outcome). The distribution-free interval
``[X(l), X(u)]`` covers ``q`` with probability ``F(u-1) - F(l-1)``, ``F`` the binomial
CDF; we take the largest ``l`` with ``F(l-1) <= alpha/2`` and the smallest ``u`` with
``F(u-1) >= 1 - alpha/2`` (:func:`ci_ranks`), so each end misses with at most
``alpha/2`` and the interval covers with at least ``1 - alpha`` (95 %). Done dates are
whole working days (many trials tie); ties only make the interval more conservative.
``F`` is exact (log-factorials) up to :data:`EXACT_MAX` trials and the normal
approximation with continuity correction above (``n p (1-p)`` is then large enough that
the ranks differ by at most one from the exact ones).

When no rank is low enough (``l = 0``, tiny ``n``), a date's lower end is working day 0
(no trial finishes earlier) and a money amount's lower end is unbounded; when no rank is
high enough (``u = n + 1``) the upper end is unbounded ("not done" for a date).

**Half-width.** A date interval reads as ``±w`` working days, ``w`` the larger distance
from the percentile date to either end (:func:`date_half_width`): the interval is not
symmetric in general and ``±w`` always contains it. "Not done by the horizon" is the last
histogram bin: an end that is "not done" while the percentile has a date makes ``w``
infinite (more trials are needed, or the date is really uncertain); a percentile that is
"not done" with both ends "not done" has ``w = 0`` ("not done by the horizon" holds at
95 %), and with a dated lower end ``w`` is infinite. Money: the relative half-width
``max(est - low, high - est) / |est|`` (0 when all three are 0, infinite when ``est`` is
0 and an end is not).

**Trials chosen by precision** (:func:`run_until_precise`): batches of trials, each one
continuing the trial numbers of the last (trial ``i`` always draws from stream counter
``i``, so the joined batches are exactly a fixed run of the same size), the total
doubling from :data:`FIRST_BATCH` until the widest date half-width of the portfolio and
every feature at the rule's levels is at most the target in working days and the cost
percentiles' relative half-width at most the cost target, or until :data:`MAX_AUTO_TRIALS`
(then the forecast warns that the precision was not reached).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from portfolio_sim.calendar import done_days_or
from portfolio_sim.engines.output import EngineOutput

#: The confidence level of every interval.
CONFIDENCE = 0.95
#: Up to this many trials the binomial CDF is exact; above, the normal approximation.
EXACT_MAX = 100_000
#: Trials of the first batch of ``trials="auto"``; the total doubles after each batch.
FIRST_BATCH = 10_000
#: The most trials ``trials="auto"`` runs; reaching it without the precision warns.
MAX_AUTO_TRIALS = 2_000_000
#: Default targets: ±1 working day, cost within 1 %.
DEFAULT_PRECISION_DAYS = 1.0
DEFAULT_COST_REL_PRECISION = 0.01
#: The levels the auto rule checks by default (with chosen levels: all of them).
RULE_DATE_LEVELS: tuple[int, ...] = (50, 85, 95)
RULE_COST_LEVELS: tuple[int, ...] = (50, 80)


def ci_ranks(n: int, p: float, confidence: float = CONFIDENCE) -> tuple[int, int]:
    """1-based order-statistic ranks ``(l, u)`` of the ``confidence`` interval of the
    ``p``-quantile (``0 < p < 1``) from ``n`` trials; ``l = 0``: no lower rank,
    ``u = n + 1``: no upper rank (see the module docstring)."""
    return _ci_ranks(int(n), float(p), float(confidence))


@functools.lru_cache(maxsize=256)
def _ci_ranks(n: int, p: float, confidence: float) -> tuple[int, int]:
    if n < 1 or not 0.0 < p < 1.0 or not 0.0 < confidence < 1.0:
        raise ValueError(f"need n >= 1, 0 < p < 1, 0 < confidence < 1; got {n}, {p}, {confidence}")
    tail = (1.0 - confidence) / 2.0
    if n <= EXACT_MAX:
        cdf = binomial_cdf(n, p)  # cdf[k] = P(B <= k), k = 0..n
        # l - 1 = the largest k with cdf[k] <= tail (none: l = 0)
        low = int(np.searchsorted(cdf, tail, side="right"))  # count of k with cdf <= tail
        # u - 1 = the smallest k with cdf[k] >= 1 - tail
        up = int(np.searchsorted(cdf, 1.0 - tail, side="left")) + 1
        return low, min(up, n + 1)
    z = NormalDist().inv_cdf(1.0 - tail)
    mu, sd = n * p, math.sqrt(n * p * (1.0 - p))
    low = math.floor(mu + 0.5 - z * sd)
    up = math.ceil(mu + 0.5 + z * sd)
    return max(low, 0), min(up, n + 1)


def binomial_cdf(n: int, p: float) -> np.ndarray:
    """``P(B <= k)`` for ``k = 0..n``, ``B ~ binomial(n, p)``: exact up to float
    round-off (log-factorials by cumulative sums of logs)."""
    k = np.arange(n + 1, dtype=np.float64)
    log_fact = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, n + 1, dtype=np.float64)))))
    log_pmf = log_fact[n] - log_fact - log_fact[::-1] + k * math.log(p) + (n - k) * math.log1p(-p)
    return np.minimum(np.cumsum(np.exp(log_pmf)), 1.0)


# -- dates (histograms of done working days) -------------------------------------------


def hist_ci_bins(hist: np.ndarray, ps: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The interval ends of each percentile level ``ps`` (in %) of each histogram row, as
    bin indices ``[rows, levels]``: low and high. Bin ``H`` (the last) is "not done"; an
    unbounded upper end is ``H`` too, an unbounded lower end bin 0."""
    hist = np.asarray(hist, dtype=np.int64)
    cum = np.cumsum(hist, axis=-1)
    n = int(cum[0, -1]) if len(cum) else 0
    last = hist.shape[-1] - 1
    lows = np.zeros((len(hist), len(ps)), dtype=np.int64)
    highs = np.full((len(hist), len(ps)), last, dtype=np.int64)
    if n == 0:
        return lows, highs
    for j, p in enumerate(ps):
        lo, up = ci_ranks(n, float(p) / 100.0)
        if lo >= 1:
            lows[:, j] = np.argmax(cum >= lo, axis=-1)
        if up <= n:
            highs[:, j] = np.argmax(cum >= up, axis=-1)
    return lows, highs


def date_half_width(est: np.ndarray, low: np.ndarray, high: np.ndarray, last: int) -> np.ndarray:
    """``±`` working days of a date interval (bins; ``last`` = "not done"), float:
    infinite when an end is "not done" and the percentile has a date (or the reverse),
    0 when all three are "not done" (module docstring)."""
    est, low, high = (np.asarray(a, dtype=np.int64) for a in (est, low, high))
    width = np.maximum(est - low, high - est).astype(np.float64)
    width = np.where(est < last, np.where(high >= last, np.inf, width), width)
    return np.where(est >= last, np.where(low >= last, 0.0, np.inf), width)


def portfolio_hist(port_t: np.ndarray, horizon_days: int) -> np.ndarray:
    """The done-day histogram ``[1, H+1]`` of the portfolio finish times."""
    days = done_days_or(port_t, horizon_days)
    return np.bincount(days.astype(np.int64), minlength=horizon_days + 1)[None, :]


# -- money (per-trial amounts) ----------------------------------------------------------


def sample_ci(values: np.ndarray, ps: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Interval ends of each level of ``ps`` (in %) for per-trial ``values`` (1-D):
    low and high, ``-inf``/``inf`` where unbounded."""
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    ranks = [ci_ranks(n, float(p) / 100.0) for p in ps] if n else [(0, 1)] * len(ps)
    kth = sorted({r - 1 for pair in ranks for r in pair if 1 <= r <= n})
    part = np.partition(x, kth) if kth else x
    low = np.array([part[lo - 1] if lo >= 1 else -np.inf for lo, _ in ranks])
    high = np.array([part[up - 1] if up <= n else np.inf for _, up in ranks])
    return low, high


def relative_half_width(est: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """``max(est - low, high - est) / |est|``; 0 when all are 0, inf when only est is."""
    est, low, high = (np.asarray(a, dtype=np.float64) for a in (est, low, high))
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.maximum(est - low, high - est)
        rel = np.where(est != 0, half / np.abs(est), np.where(half == 0, 0.0, np.inf))
    return rel


# -- the auto rule ----------------------------------------------------------------------


@dataclass
class Widest:
    """The widest intervals the auto rule looks at: working days (and where), cost
    relative half-width (and at which level)."""

    days: float
    days_where: str
    cost_rel: float
    cost_where: str
    #: Dates at a jump (:func:`at_jump`), e.g. ``["cms-migration P50"]``: left out of
    #: ``days``, since more trials cannot narrow them.
    jumps: list[str] = field(default_factory=list)


def rule_levels(
    chosen: Sequence[float] | None,
) -> tuple[Sequence[float], Sequence[float]]:
    """The date and cost levels the auto rule looks at: P50/P85/P95 and cost P50/P80, or
    every chosen level for both."""
    if chosen is None:
        return RULE_DATE_LEVELS, RULE_COST_LEVELS
    return tuple(chosen), tuple(chosen)


def widest(
    raw: EngineOutput,
    horizon_days: int,
    feature_ids: Sequence[str],
    date_levels: Sequence[float],
    cost_levels: Sequence[float],
) -> Widest:
    """The widest half-widths among the portfolio's and every feature's ``date_levels``
    done dates, and among the portfolio cost's ``cost_levels`` (docs/model.md §8.11)."""
    from portfolio_sim.results.percentiles import hist_percentiles, level_key

    hist = np.concatenate([portfolio_hist(raw.port_t, horizon_days), raw.feat_hist], axis=0)
    names = ["portfolio", *feature_ids]
    est = hist_percentiles(hist, date_levels)
    low, high = hist_ci_bins(hist, date_levels)
    w = date_half_width(est, low, high, horizon_days)
    jump = at_jump(hist, low, high, horizon_days) & (w > 0)
    jumps = [
        f"{names[i]} {level_key(date_levels[j]).upper()}"
        for i, j in zip(*np.nonzero(jump), strict=True)
    ]
    w = np.where(jump, 0.0, w)
    r, c = (int(i) for i in np.unravel_index(int(np.argmax(w)), w.shape)) if w.size else (0, 0)
    days = float(w[r, c]) if w.size else 0.0
    days_where = f"{names[r]} {level_key(date_levels[c]).upper()}" if w.size else ""
    cost_rel, cost_where = 0.0, ""
    if raw.money is not None and cost_levels:
        from portfolio_sim.codes import MONEY_COST
        from portfolio_sim.results.percentiles import sample_percentiles

        x = raw.money[:, MONEY_COST]
        rel = relative_half_width(sample_percentiles(x, cost_levels), *sample_ci(x, cost_levels))
        k = int(np.argmax(rel))
        cost_rel, cost_where = float(rel[k]), f"cost {level_key(cost_levels[k]).upper()}"
    return Widest(days, days_where, cost_rel, cost_where, jumps)


def at_jump(hist: np.ndarray, low: np.ndarray, high: np.ndarray, last: int) -> np.ndarray:
    """Intervals ``[rows, levels]`` that sit on a jump of the outcome: both ends dated,
    at least two working days apart, and no trial at all strictly between the ends' days.
    The share of trials below the gap is then within sampling error of the level itself
    (a discrete estimate such as ``samples`` often makes it exactly, e.g. 3 of 6
    samples at P50): the percentile is one of the two dates and no number of trials
    decides which (docs/model.md §8.11)."""
    cum = np.cumsum(np.asarray(hist, dtype=np.int64), axis=-1)
    rows = np.arange(len(cum))[:, None]
    below_high = cum[rows, np.maximum(high - 1, 0)]
    inside = below_high - cum[rows, low]
    return (high < last) & (high - low >= 2) & (inside == 0)


@dataclass
class AutoReport:
    """What ``trials="auto"`` did: the targets, the totals after each batch, whether the
    precision was reached, and the widest intervals at the end."""

    precision_days: float
    cost_rel_precision: float
    max_trials: int
    totals: list[int] = field(default_factory=list)
    reached: bool = False
    widest: Widest | None = None

    def as_dict(self) -> dict[str, Any]:
        w = self.widest
        return {
            "precision_days": self.precision_days,
            "cost_rel_precision": self.cost_rel_precision,
            "max_trials": self.max_trials,
            "batches": list(self.totals),
            "reached": self.reached,
            "widest_days": _finite(w.days) if w else None,
            "widest_days_at": w.days_where if w else None,
            "widest_cost_rel": _finite(w.cost_rel) if w else None,
            "widest_cost_at": w.cost_where if w else None,
            "jumps": list(w.jumps) if w else [],
        }

    def warning(self) -> str | None:
        """The warning of a run that stopped at the cap without the precision."""
        if self.reached or self.widest is None:
            return None
        return f"precision not reached: {self.shortfall()}"

    def shortfall(self) -> str:
        """Where the run stopped against the targets (the widest intervals)."""
        w = self.widest
        assert w is not None
        return (
            f"after {self.totals[-1]:,} trials (max_trials of trials=auto) the widest 95 % "
            f"interval is ±{_wd(w.days)} ({w.days_where}; target ±{self.precision_days:g} wd) "
            f"and cost ±{_rel(w.cost_rel)} ({w.cost_where or 'cost'}; "
            f"target ±{_rel(self.cost_rel_precision)})"
        )


def auto_warnings(report: AutoReport | None) -> list[str]:
    """The warning of a ``trials="auto"`` run that reached its cap (else none)."""
    text = None if report is None else report.warning()
    return [] if text is None else [text]


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _wd(x: float) -> str:
    return f"{x:g} wd" if math.isfinite(x) else "unbounded"


def _rel(x: float) -> str:
    return f"{100 * x:.2g} %" if math.isfinite(x) else "unbounded"


def next_total(total: int, max_trials: int) -> int:
    """The trial count after the next batch: double, at most ``max_trials``."""
    return min(2 * total, max_trials)


def run_until_precise(
    run_batch: Callable[[int, int], EngineOutput],
    measure: Callable[[EngineOutput], Widest],
    report: AutoReport,
    first: int = FIRST_BATCH,
) -> EngineOutput:
    """Run batches ``run_batch(first_trial, n)`` until ``measure`` of the joined output
    is within ``report``'s targets or ``report.max_trials`` is reached; fills ``report``
    and returns the joined output (equal to one run of ``report.totals[-1]`` trials)."""
    total = min(first, report.max_trials)
    raw = run_batch(0, total)
    while True:
        report.totals.append(total)
        report.widest = w = measure(raw)
        report.reached = w.days <= report.precision_days and w.cost_rel <= report.cost_rel_precision
        if report.reached or total >= report.max_trials:
            return raw
        more = next_total(total, report.max_trials)
        raw = join_outputs(raw, run_batch(total, more - total))
        total = more


def join_outputs(a: EngineOutput, b: EngineOutput) -> EngineOutput:
    """``a`` followed by ``b`` (trials numbered on from ``a``'s): integer tallies added,
    per-trial arrays stacked, so the result is exactly one run of both. Outputs whose
    month statistics were streamed (``month_bands`` set, no per-trial month arrays)
    cannot be joined exactly: that is an error, never a silent loss."""
    if a.month_bands is not None or b.month_bands is not None:
        raise ValueError("join_outputs: streamed month statistics cannot be joined")

    def add(x: np.ndarray | None, y: np.ndarray | None) -> np.ndarray | None:
        return None if x is None or y is None else x + y

    def cat(x: np.ndarray | None, y: np.ndarray | None) -> np.ndarray | None:
        return None if x is None or y is None else np.concatenate([x, y], axis=0)

    return EngineOutput(
        trials=a.trials + b.trials,
        feat_hist=a.feat_hist + b.feat_hist,
        feat_tsum=a.feat_tsum + b.feat_tsum,
        team_hist=a.team_hist + b.team_hist,
        team_work=a.team_work + b.team_work,
        team_cap=a.team_cap + b.team_cap,
        port_t=np.concatenate([a.port_t, b.port_t]),
        events=a.events + b.events,
        done=cat(a.done, b.done),
        start=cat(a.start, b.start),
        size=cat(a.size, b.size),
        money=cat(a.money, b.money),
        month_cost=cat(a.month_cost, b.month_cost),
        month_capex=cat(a.month_capex, b.month_capex),
        feat_value_sum=add(a.feat_value_sum, b.feat_value_sum),
        feat_cost_sum=add(a.feat_cost_sum, b.feat_cost_sum),
        quarter_cost=cat(a.quarter_cost, b.quarter_cost),
        load_hist=add(a.load_hist, b.load_hist),
        load_sum=add(a.load_sum, b.load_sum),
        load_cap=a.load_cap if b.load_cap is not None else None,
        load_days=cat(a.load_days, b.load_days),
        extra={k: np.concatenate([v, b.extra[k]]) for k, v in a.extra.items() if k in b.extra},
    )


# -- output columns and JSON ------------------------------------------------------------


def ci_columns(
    hist: np.ndarray,
    levels: Sequence[float],
    horizon_days: int,
    bin_dates: Callable[[np.ndarray], np.ndarray],
) -> dict[str, np.ndarray]:
    """``pNN_ci_low``, ``pNN_ci_high`` (``bin_dates`` of the ends: dates, NaT = not
    done) and ``pNN_ci_wd`` (± working days, inf = unbounded) of each level of each
    histogram row."""
    from portfolio_sim.results.percentiles import hist_percentiles, level_key

    est = hist_percentiles(hist, levels)
    low, high = hist_ci_bins(hist, levels)
    wd = date_half_width(est, low, high, horizon_days)
    cols: dict[str, np.ndarray] = {}
    for k, p in enumerate(levels):
        key = level_key(p)
        cols[f"{key}_ci_low"] = bin_dates(low[:, k])
        cols[f"{key}_ci_high"] = bin_dates(high[:, k])
        cols[f"{key}_ci_wd"] = wd[:, k]
    return cols


def cost_ci(raw: EngineOutput, levels: Sequence[float]) -> dict[str, dict[str, float]]:
    """``{"p50": {"low", "high", "rel"}}`` of the portfolio cost per trial (amounts,
    ±inf = unbounded; ``rel``: :func:`relative_half_width`)."""
    from portfolio_sim.codes import MONEY_COST
    from portfolio_sim.results.percentiles import level_key, sample_percentiles

    assert raw.money is not None
    x = raw.money[:, MONEY_COST]
    low, high = sample_ci(x, levels)
    rel = relative_half_width(sample_percentiles(x, levels), low, high)
    return {
        level_key(p): {"low": float(low[k]), "high": float(high[k]), "rel": float(rel[k])}
        for k, p in enumerate(levels)
    }


def cost_ci_row(raw: EngineOutput, levels: Sequence[float]) -> dict[str, float]:
    """:func:`cost_ci` as the cost row of the portfolio table: ``pNN_ci_low``,
    ``pNN_ci_high``, ``pNN_ci_rel``."""
    return {f"{k}_ci_{e}": v for k, ci in cost_ci(raw, levels).items() for e, v in ci.items()}


def json_safe(doc: dict[str, dict[str, float]]) -> dict[str, dict[str, float | None]]:
    """Infinite (unbounded) numbers as None (JSON null)."""
    return {k: {e: _finite(v) for e, v in inner.items()} for k, inner in doc.items()}


def finish_ci_doc(
    cols: dict[str, Any], i: int, keys: Sequence[str], iso: Callable[[Any], str | None]
) -> dict[str, dict[str, Any]]:
    """The JSON ``finish_ci`` of row ``i`` of ``cols``: ``{"p85": {"low", "high",
    "half_wd"}}`` (ISO dates, null = not done / unbounded; half_wd null = unbounded)."""
    return {
        k: {
            "low": iso(cols[f"{k}_ci_low"][i]),
            "high": iso(cols[f"{k}_ci_high"][i]),
            "half_wd": _finite(cols[f"{k}_ci_wd"][i]),
        }
        for k in keys
    }


def method(trials: int) -> str:
    """How the binomial CDF of the intervals was computed for ``trials``."""
    if trials <= EXACT_MAX:
        return "exact binomial"
    return "normal approximation with continuity correction"


def precision_doc(trials: int, w: Widest, auto: AutoReport | None) -> dict[str, Any]:
    """The JSON ``precision`` key (docs/outputs.md)."""
    return {
        "confidence": CONFIDENCE,
        "method": method(trials),
        "widest_days": _finite(w.days),
        "widest_days_at": w.days_where,
        "widest_cost_rel": _finite(w.cost_rel),
        "widest_cost_at": w.cost_where or None,
        "jumps": list(w.jumps),
        "auto": None if auto is None else auto.as_dict(),
    }
