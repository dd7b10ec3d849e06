"""The HTML section of a re-forecast's earned value (docs/model.md §11.4)."""

from __future__ import annotations

import html

from portfolio_sim.results.evm import EarnedValue
from portfolio_sim.results.evm_tables import evm_rows


def evm_section(ev: EarnedValue, currency: str) -> str:
    """``<h2>`` and a table: metric, value, formula (PMI 2011; Lipke 2003)."""
    body = "".join(
        f"<tr><td>{html.escape(a)}</td><td class='num'>{html.escape(b)}</td>"
        f"<td>{html.escape(c)}</td></tr>"
        for a, b, c in evm_rows(ev, currency)
    )
    return (
        f"<h2>Earned value on {html.escape(ev.as_of)}</h2>"
        + (
            "<p>Against the plan forecast (no status, same seed) as baseline: budget at "
            if ev.baseline_file is None
            else f"<p>Against the baseline saved in {html.escape(ev.baseline_file)} "
            "(forecast --save-baseline): budget at "
        )
        + "completion = plan cost P50, planned value accrues from each feature's median "
        "start to its P50 finish (docs/model.md §11.4). Formulas: PMI, Practice Standard "
        "for Earned Value Management (2011); earned schedule: Lipke (2003). Beside them "
        "the Monte Carlo re-forecast.</p>"
        "<table><thead><tr><th>Metric</th><th>Value</th><th>Formula</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )
