"""Warnings for a forecast whose answer is dominated by not-done trials (issue #13).

A forecast is still an answer when most trials do not finish by the horizon, but its
dates are then mostly "not done" and its costs and utilisation describe a portfolio that
never ends: the user should be told, not left to notice. :func:`not_done_warnings` is a
pure function of the not-done shares (and of the dominant estimates found statically by
:func:`portfolio_sim.scenario.dominant.dominant_estimates`); the CLI prints its strings
on stderr as ``warning: ...`` lines, the JSON carries them under ``"warnings"``.

The rule: when more than half the trials leave the portfolio, or any feature, not done
by the horizon, one warning names the share for the portfolio and the features with the
largest not-done shares (at most :data:`SHOWN`, largest first, then file order), and one
more warning per named feature whose own estimate alone outruns the horizon.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: Features named in the summary warning.
SHOWN = 3
#: A not-done share above this draws a warning.
THRESHOLD = 0.5


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %"


def not_done_warnings(
    feature_ids: Sequence[str],
    feature_not_done: Sequence[float],
    portfolio_not_done: float,
    horizon: str,
    dominant: Mapping[str, str] | None = None,
) -> list[str]:
    """Warning strings (empty when at most half the trials are not done anywhere)."""
    shares = [float(x) for x in feature_not_done]
    if portfolio_not_done <= THRESHOLD and all(s <= THRESHOLD for s in shares):
        return []
    order = sorted((i for i, s in enumerate(shares) if s > 0), key=lambda i: (-shares[i], i))
    shown = order[:SHOWN]
    listed = ", ".join(f"{feature_ids[i]} ({_pct(shares[i])})" for i in shown)
    more = f" and {len(order) - SHOWN} more" if len(order) > SHOWN else ""
    most = f"; not done most often: {listed}{more}" if listed else ""
    out = [
        f"{_pct(portfolio_not_done)} of trials do not finish the portfolio by the horizon "
        f"({horizon}){most}. Dates, costs and utilisation describe mostly unfinished work"
    ]
    for i in shown:
        why = (dominant or {}).get(feature_ids[i])
        if why:
            out.append(f"feature {feature_ids[i]}: {why}: the forecast is dominated by it")
    return out
