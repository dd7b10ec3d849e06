"""Relative sizing (docs/model.md §3.8): T-shirt sizes and story points resolved into
ordinary distributions when a scenario is validated, so the engines never see them.

* ``size: M`` stands for the distribution ``sizes.M`` of the scenario's table, as if it
  were written out as the feature's estimate (``effort`` on an effort team, ``items`` on a
  throughput team): same kind, same parameters, same draws for the same seed.
* ``points: n`` stands for ``n x per_point``: one draw of ``points.per_point``, scaled by
  n. The distribution is scaled exactly (each parameter times n; ``integers`` become the
  equally likely ``samples`` n x k), so it stays one draw of one of the kinds of §4. A
  point count is *not* a sum of n independent per-point draws: that sum would shrink the
  relative spread by 1/sqrt(n) and claim that a 13-point story is far more predictable
  than a 1-point one, which backlog histories do not show (the points of one story share
  one estimate and one misjudgement); scaling keeps the spread proportional.
"""

from __future__ import annotations

from typing import Any

#: Most values an ``integers`` per-point distribution may expand to when scaled.
MAX_SCALED_INTEGERS = 10_000


def scaled_params(kind: str, params: Any, n: float) -> tuple[str, Any]:
    """``(kind, params)`` of n x X for X ~ ``{kind: params}`` (n > 0)."""
    if kind == "fixed":
        return kind, float(params) * n
    if kind == "lognormal":
        return kind, {k: float(v) * n for k, v in params.items()}
    if kind == "integers":
        lo, hi = int(params[0]), int(params[1])
        if hi - lo + 1 > MAX_SCALED_INTEGERS:
            raise ValueError(
                f"per_point integers [{lo}, {hi}] are too many values to scale by points "
                f"(at most {MAX_SCALED_INTEGERS}); use uniform"
            )
        return "samples", [float(k) * n for k in range(lo, hi + 1)]
    return kind, [float(v) * n for v in params]


def resolve(feature: Any, sizes: dict[str, Any], points: Any) -> Any:
    """The distribution a feature's ``size`` or ``points`` stands for (a schema
    ``Distribution``), or None when it has neither. Raises ``KeyError`` for an unknown
    size or a missing points table, ``ValueError`` for a scaled distribution out of
    bounds."""
    from portfolio_sim.scenario.schema import Distribution

    if feature.size_name is not None:
        return sizes[feature.size_name]
    if feature.points is None:
        return None
    if points is None:
        raise KeyError("points")
    per = points.per_point
    kind, params = scaled_params(per.kind, per.params, float(feature.points))
    return Distribution.model_validate({kind: params})
