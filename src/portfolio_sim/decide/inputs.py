"""The uncertain inputs of a scenario and how to hold one of them at its P10 or P90.

An *input* is one source of randomness of the model (docs/model.md §2-§6):

========== ==================================== ============================================
kind       what                                 held at "P10" / "P90"
========== ==================================== ============================================
size       a feature's ``effort`` or ``items``  ``{fixed: q}``, q its 10 % / 90 % quantile
growth     a feature's ``growth`` multiplier    same
cost       a feature's one-off ``cost``         same
success    a feature's value success (0<p<1)    fails (p = 0) / succeeds (p = 1)
risk       whether a risk fires                 does not fire (p = 0) / fires (p = 1)
risk_impact  a risk's extra effort/items/delay  ``{fixed: q}`` (the risk itself stays random)
throughput a throughput team's items per period history scaled to the P10/P90 of its
                                                mean over the team's working periods (below)
staffing   a dated staffing change              ``ramp_days`` x 0.5 / x 1.5 (no ramp: skipped)
========== ==================================== ============================================

Holding an input builds a modified :class:`~portfolio_sim.scenario.schema.Scenario`
(a deep copy with one field replaced). Random streams are keyed by (seed, entity id)
(docs/model.md §7), so every other input keeps exactly its draws: common random numbers.

Quantiles: closed forms from :func:`portfolio_sim.distributions.quantile`; Beta-PERT has
none, so :func:`pert_quantile` inverts the Beta CDF integrated numerically on a fine grid
(Beta-PERT with lambda = 4 has shape parameters >= 1, a bounded density; a 20,001-point
cumulative trapezoid on a grid dense near both ends, inverted by linear interpolation, is
accurate to ~1e-7 of the range; the tests compare it with scipy).

A staffing change has no distribution: its date and head count are decisions, not
estimates. Its uncertain part is how fast joiners become productive, so it is swung by
``ramp_days`` x 0.5 (the optimistic end) and x 1.5. A change without ramp is skipped.

Throughput is drawn afresh every period, so holding each period at its own P10 would be
far more extreme than any P10 of the forecast (P10 every week for a year). What is uncertain
is the team's *average* rate over the N periods it works (N from the base forecast: its P50
done date). So the P10/P90 of the mean of N bootstrap draws is found from a reference
sample (10,000 means, numpy seed 12345, draws rounded like the kernels), and the history
(or the distribution's parameters) is scaled by that quantile / its mean: periods stay
random, on the same draws (CRN), around the held rate. Without N (``periods`` 0) the
input is held at the per-period quantile ``{fixed: q}``; where that rounds to 0 items
(a team at 0 items every period never finishes, and the model rejects it) the smallest
positive value of the history is used instead and the row says so in its ``note``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from portfolio_sim.distributions import pert_shape, quantile
from portfolio_sim.scenario.schema import Distribution, Scenario, Throughput

InputKind = Literal[
    "size", "growth", "cost", "success", "risk", "risk_impact", "throughput", "staffing"
]
Side = Literal["low", "high"]

#: The quantiles an input is held at ("low" side, "high" side).
LOW_Q, HIGH_Q = 0.1, 0.9
#: Staffing ramp multipliers ("low" side, "high" side).
RAMP_LOW, RAMP_HIGH = 0.5, 1.5


def pert_quantile(low: float, mode: float, high: float, q: float, grid: int = 20_001) -> float:
    """The q-quantile of the Beta-PERT on [low, high] with the given mode (lambda = 4).

    Numeric inversion without scipy: the Beta density is integrated with the trapezoid
    rule on ``grid`` points and the cumulative curve is inverted by linear interpolation.
    """
    if high <= low:
        return float(low)
    q = min(max(float(q), 0.0), 1.0)
    a, b = pert_shape(low, mode, high)
    x = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, grid))  # dense near 0 and 1
    with np.errstate(divide="ignore"):
        left = (a - 1.0) * np.log(x) if a != 1.0 else np.zeros_like(x)
        right = (b - 1.0) * np.log1p(-x) if b != 1.0 else np.zeros_like(x)
    pdf = np.exp(left + right)  # exp(-inf) = 0 at an end where the density vanishes
    cdf = np.concatenate([[0.0], np.cumsum((pdf[1:] + pdf[:-1]) * 0.5 * np.diff(x))])
    cdf /= cdf[-1]
    return float(low + (high - low) * np.interp(q, cdf, x))


def dist_quantile(dist: Distribution, q: float) -> float:
    """The q-quantile of a scenario distribution (any kind, PERT included)."""
    if dist.kind == "pert":
        lo, mode, hi = (float(v) for v in dist.params)
        return pert_quantile(lo, mode, hi, q)
    return quantile(dist.kind, dist.params, q)


def _is_uncertain(dist: Distribution | None) -> bool:
    if dist is None or dist.kind == "fixed":
        return False
    if dist.kind == "samples":
        return len(set(dist.params)) > 1
    if dist.kind == "lognormal":
        return True
    vals = [float(v) for v in dist.params]
    return min(vals) < max(vals)


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input: ``key`` is a stable, readable name (``features.X.effort``)."""

    key: str
    kind: InputKind
    entity: str
    #: Index of a staffing change within its team's ``changes``.
    index: int = 0
    #: Throughput teams: the number of periods the team works (0: hold per period).
    periods: float = 0.0

    def describe(self, scenario: Scenario, side: Side) -> tuple[str, str]:
        """(held value as text, note) for one side."""
        _, text, note = _held_value(self, scenario, side)
        return text, note


def uncertain_inputs(scenario: Scenario) -> list[UncertainInput]:
    """Every uncertain input of ``scenario`` in file order (features, teams, risks)."""
    out: list[UncertainInput] = []
    for f in scenario.features:
        size_field = "items" if scenario.team(f.team).kind == "throughput" else "effort"
        if _is_uncertain(f.size):
            out.append(UncertainInput(f"features.{f.id}.{size_field}", "size", f.id))
        if _is_uncertain(f.growth):
            out.append(UncertainInput(f"features.{f.id}.growth", "growth", f.id))
        if _is_uncertain(f.cost):
            out.append(UncertainInput(f"features.{f.id}.cost", "cost", f.id))
        if f.value is not None and 0.0 < f.value.success_probability < 1.0 and f.value.per_month:
            out.append(UncertainInput(f"features.{f.id}.value.success", "success", f.id))
    for t in scenario.teams:
        if t.throughput is not None and _is_uncertain(t.throughput):
            out.append(UncertainInput(f"teams.{t.id}.throughput", "throughput", t.id))
        for k, change in enumerate(t.changes):
            if change.ramp_days > 0:
                out.append(
                    UncertainInput(f"teams.{t.id}.changes.{k}.ramp_days", "staffing", t.id, k)
                )
    for r in scenario.risks:
        if 0.0 < r.probability < 1.0:
            out.append(UncertainInput(f"risks.{r.id}", "risk", r.id))
        if r.probability > 0.0 and _is_uncertain(r.impact):
            out.append(UncertainInput(f"risks.{r.id}.{r.impact_kind}", "risk_impact", r.id))
    return out


def _fmt(x: float) -> str:
    """Four significant digits, never scientific notation (``30000``, not ``3e+04``)."""
    text = f"{x:.4g}"
    if "e" not in text:
        return text
    return f"{float(text):,.0f}" if abs(x) >= 1 else f"{x:.6f}".rstrip("0").rstrip(".")


def _throughput_value(dist: Distribution, q: float) -> tuple[float, str]:
    value = dist_quantile(dist, q)
    if round(value) >= 1:  # Python rounds half to even, as numpy does in the kernels
        return value, ""
    if dist.kind == "samples":
        positive = sorted(v for v in dist.params if round(v) >= 1)
        fallback = float(positive[0]) if positive else 1.0
    else:
        fallback = 1.0
    return fallback, f"per-period P{round(q * 100)} is 0 items; held at {_fmt(fallback)}"


REFERENCE_SEED = 12345
REFERENCE_MEANS = 10_000


def throughput_scale(dist: Distribution, periods: float, q: float) -> tuple[float, float]:
    """(scale, held mean rate): the q-quantile of the mean of ``periods`` rounded draws,
    over the mean of one rounded draw (a reference sample with a fixed numpy seed)."""
    from portfolio_sim.distributions import sample

    n = max(int(round(periods)), 1)
    rng = np.random.default_rng(REFERENCE_SEED)
    draws = np.maximum(np.rint(sample(dist.kind, dist.params, REFERENCE_MEANS * n, rng)), 0)
    means = draws.reshape(REFERENCE_MEANS, n).mean(axis=1)
    held = float(np.percentile(means, q * 100, method="inverted_cdf"))
    mean = float(draws.mean())
    return (held / mean if mean > 0 else 1.0), held


def _scaled(dist: Throughput, scale: float) -> Throughput:
    """A throughput distribution with every value multiplied by ``scale``."""
    if dist.kind == "integers":
        lo, hi = (int(v) for v in dist.params)
        return Throughput(samples=[v * scale for v in range(lo, hi + 1)], per=dist.per)
    if dist.kind == "lognormal":
        params: Any = {k: v * scale for k, v in dist.params.items()}
    else:
        params = [v * scale for v in dist.params]
    return Throughput.model_validate({dist.kind: params, "per": dist.per})


def _held_value(inp: UncertainInput, scn: Scenario, side: Side) -> tuple[Any, str, str]:
    """(value to store, text, note) for one side of an input."""
    q = LOW_Q if side == "low" else HIGH_Q
    if inp.kind in ("size", "growth", "cost"):
        f = scn.feature(inp.entity)
        dist = {"size": f.size, "growth": f.growth, "cost": f.cost}[inp.kind]
        assert dist is not None
        v = dist_quantile(dist, q)
        return v, f"P{round(q * 100)} = {_fmt(v)}", ""
    if inp.kind == "success":
        p = 0.0 if side == "low" else 1.0
        return p, "fails" if side == "low" else "succeeds", ""
    if inp.kind == "risk":
        p = 0.0 if side == "low" else 1.0
        return p, "does not fire" if side == "low" else "fires", ""
    if inp.kind == "risk_impact":
        r = next(r for r in scn.risks if r.id == inp.entity)
        v = dist_quantile(r.impact, q)
        return v, f"P{round(q * 100)} = {_fmt(v)}", ""
    if inp.kind == "throughput":
        tp = scn.team(inp.entity).throughput
        assert tp is not None
        if inp.periods > 0:
            scale, rate = throughput_scale(tp, inp.periods, q)
            if rate > 0:
                text = f"mean P{round(q * 100)} = {_fmt(rate)}/{tp.per} (x{scale:.2f})"
                return _scaled(tp, scale), text, ""
        v, note = _throughput_value(tp, q)
        return v, f"P{round(q * 100)} = {_fmt(v)}/{tp.per}", note
    if inp.kind == "staffing":
        change = scn.team(inp.entity).changes[inp.index]
        factor = RAMP_LOW if side == "low" else RAMP_HIGH
        v = change.ramp_days * factor
        return v, f"ramp {_fmt(v)} days", ""
    raise ValueError(f"unknown input kind {inp.kind!r}")  # pragma: no cover


def hold(scenario: Scenario, inp: UncertainInput, side: Side) -> Scenario:
    """A copy of ``scenario`` with ``inp`` held at its ``side`` (see the module table)."""
    value, _, _ = _held_value(inp, scenario, side)
    scn = scenario.model_copy(deep=True)
    if inp.kind in ("size", "growth", "cost"):
        f = scn.feature(inp.entity)
        fixed = Distribution(fixed=value)
        if inp.kind == "size":
            if scn.team(f.team).kind == "throughput":
                f.items = fixed
            else:
                f.effort = fixed
            f.size_name, f.points = None, None  # a relative size is replaced (§3.8)
        elif inp.kind == "growth":
            f.growth = fixed
        else:
            f.cost = fixed
    elif inp.kind == "success":
        f = scn.feature(inp.entity)
        assert f.value is not None
        f.value = f.value.model_copy(update={"success_probability": value})
    elif inp.kind == "risk":
        r = next(r for r in scn.risks if r.id == inp.entity)
        r.probability = value
    elif inp.kind == "risk_impact":
        r = next(r for r in scn.risks if r.id == inp.entity)
        setattr(r, r.impact_kind, Distribution(fixed=value))
    elif inp.kind == "throughput":
        t = scn.team(inp.entity)
        assert t.throughput is not None
        t.throughput = (
            value
            if isinstance(value, Throughput)
            else Throughput(fixed=value, per=t.throughput.per)
        )
    elif inp.kind == "staffing":
        t = scn.team(inp.entity)
        t.changes[inp.index] = t.changes[inp.index].model_copy(update={"ramp_days": value})
    return scn


def held_texts(scenario: Scenario, inp: UncertainInput) -> dict[str, str]:
    """Readable held values and notes of both sides of an input."""
    lo_text, lo_note = inp.describe(scenario, "low")
    hi_text, hi_note = inp.describe(scenario, "high")
    note = "; ".join(n for n in (lo_note, hi_note) if n)
    return {"held_low": lo_text, "held_high": hi_text, "note": note}


__all__ = [
    "HIGH_Q",
    "LOW_Q",
    "UncertainInput",
    "dist_quantile",
    "hold",
    "held_texts",
    "pert_quantile",
    "uncertain_inputs",
]
