"""The result objects of the decision tools: :class:`Selection` (budgeted selection, from
:func:`portfolio_sim.decide.select.select`) and :class:`Sensitivity` (tornado and
criticality, from :func:`portfolio_sim.decide.sensitivity.sensitivity`), with their text
rendering; :meth:`Sensitivity.to_svg` calls the report layer's chart. Their tables are built by :mod:`.decide_tables`; the decide modules
compute the numbers and re-export these classes under their old names.

Importing this module does not import pandas (the tables arrive already built).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def _money(x: float, currency: str = "") -> str:
    from portfolio_sim.formatting import money

    return money(x, currency)


@dataclass
class Selection:
    """The efficient frontier (one row per budget), per-feature estimates, the best set."""

    frontier: pd.DataFrame
    items: pd.DataFrame
    objective: str
    budget: float | None
    chosen: list[str]
    trials: int
    seed: int
    meta: dict[str, Any] = field(default_factory=dict)
    #: Cost paid whatever is funded (teams without features to drop), in ``currency``.
    fixed: float = 0.0
    currency: str = ""
    #: Features funded at every budget: marked ``mandatory`` and their dependencies.
    mandatory: list[str] = field(default_factory=list)
    #: Why each funded feature is in and the next ones are out, one line each
    #: (:func:`portfolio_sim.decide.select_explain.explain`); empty without a budget.
    explanation: list[str] = field(default_factory=list)

    def why_nothing(self) -> str:
        """Why nothing is funded at :attr:`budget` (empty when something is): the budget
        does not cover the fixed cost, no single feature fits in what is left, or no
        affordable set improves the objective over funding nothing."""
        if self.budget is None or self.chosen:
            return ""
        cur = self.currency
        left = float(self.budget) - self.fixed
        if left < 0:
            return (
                f"the budget {_money(self.budget, cur)} is below the fixed cost "
                f"{_money(self.fixed, cur)} paid whatever is funded"
            )
        costs = [float(c) for c in self.items["cost"]] if "cost" in self.items else []
        if costs and min(costs) > left:
            cheapest = self.items["id"].iloc[int(np.argmin(costs))]
            return (
                f"the cheapest feature ({cheapest}, {_money(min(costs), cur)}) costs more "
                f"than the {_money(left, cur)} left after the fixed cost "
                f"{_money(self.fixed, cur)}"
            )
        return (
            f"no set of features within the budget (and the teams' capacity) improves the "
            f"objective ({self.objective}) "
            "over funding nothing (their estimated NPV contribution does not pay back "
            "their cost)"
        )

    def to_text(self) -> str:
        """The frontier and the chosen set at each budget, as plain text."""
        from portfolio_sim.results.text import table_text

        cols = [
            "budget",
            "objective_estimate",
            "cost_estimate",
            "npv_mean",
            "npv_p10",
            "npv_positive_probability",
            "n_funded",
        ]
        from portfolio_sim.formatting import pct

        lines = [f"Efficient frontier (objective: {self.objective}):"]
        shown = self.frontier[cols].copy()
        # the objective is money (NPV mean, NPV P10) or a probability (NPV > 0)
        name, as_text = (
            ("Objective: chance NPV > 0", pct)
            if self.objective == "positive"
            else (f"Objective: NPV {self.objective}", lambda x: _money(x, self.currency))
        )
        shown["objective_estimate"] = [
            "n/a" if x != x else as_text(float(x)) for x in shown["objective_estimate"]
        ]
        shown = shown.rename(columns={"objective_estimate": name})
        lines.append(table_text(shown, self.currency))
        lines.append("")
        cur = self.currency
        for r in self.frontier.itertuples(index=False):
            lines.append(f"budget {_money(r.budget, cur)}: {', '.join(r.funded) or '(nothing)'}")
        if self.budget is not None:
            at = f"At the budget {_money(self.budget, cur)}"
            if self.chosen:
                lines += ["", f"{at} fund: {', '.join(self.chosen)}"]
            else:
                lines += ["", f"{at} fund nothing: {self.why_nothing()}"]
        if self.mandatory:
            lines += ["", f"Mandatory (funded at every budget): {', '.join(self.mandatory)}"]
        if self.explanation:
            lines += [
                "",
                "Why (contribution = discounted value - discounted cost - expected penalty):",
            ]
            lines += [f"  {line}" for line in self.explanation]
        return "\n".join(lines)


@dataclass
class Sensitivity:
    """A tornado table, the criticality table and the base numbers they swing around."""

    table: pd.DataFrame
    criticality: pd.DataFrame
    base: dict[str, Any]
    trials: int
    seed: int
    meta: dict[str, Any] = field(default_factory=dict)

    def to_svg(self, top: int = 15) -> str:
        """A tornado chart (finish swing and NPV swing), largest swings on top, drawn by
        :func:`portfolio_sim.report.charts.tornado_svg` (imported here, on use: the
        results layer never imports the report layer at module level)."""
        from portfolio_sim.report.charts import tornado_svg

        return tornado_svg(self.table, self.base, top)

    def to_text(self, top: int = 15) -> str:
        """The tornado and criticality tables as plain text (:func:`table_text`: no
        exponent notation, human headings)."""
        from portfolio_sim.results.text import table_text

        cols = [
            "input",
            "held_low",
            "held_high",
            "finish_p85_low",
            "finish_p85_high",
            "finish_swing_days",
            "npv_swing",
        ]
        lines = [
            f"Base: portfolio P85 done {self.base['finish_p85']}, mean NPV "
            f"{_money(self.base['npv_mean'])} ({self.trials:,} trials, seed {self.seed})",
            "",
            "Tornado (each input held at its P10 and P90, everything else random):",
            table_text(self.table[cols].head(top)),
            "",
            "Criticality (share of trials on the chain that sets the last done date):",
            table_text(self.criticality.head(top)),
        ]
        return "\n".join(lines)


__all__ = ["Selection", "Sensitivity"]
