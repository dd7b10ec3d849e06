"""Correlated estimates: named groups of features whose size draws share a common factor
(docs/model.md §4.10).

``correlation: [{id: backend, team: platform, rank: 0.5}, {features: [a, b], rank: 0.3}]``
A group names its members by ``features`` (a list of ids) or by ``team`` (every feature
of that team). ``rank`` is the target Spearman rank correlation between any two members'
size estimates, in [0, 1]; the members' draws are coupled by a one-factor Gaussian
copula (``rng.copula_uniform``) whose normal correlation is r = 2 sin(pi rank / 6), the
Pearson correlation of normal scores with that Spearman correlation. Each marginal stays
exactly the feature's estimate. Negative ranks are not offered: one common factor
correlates every pair positively (equal negative correlation of n members is bounded by
-1/(n - 1) anyway, so a group statement "negatively correlated" has no meaning for n > 2).

This module holds the group's schema, its whole-scenario checks and its compiled arrays;
it imports the scenario schema only for type checking (schema.py imports it).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from portfolio_sim.errors import Problem

if TYPE_CHECKING:
    from portfolio_sim.scenario.schema import Scenario


class CorrelationGroup(BaseModel):
    """One correlation group (docs/model.md §4.10)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    #: The group's name; its stream key (common random numbers across variants). Default:
    #: ``team:<team>`` or ``features:<id>,<id>,...`` (in the listed order).
    id: str | None = Field(default=None, min_length=1)
    features: list[str] | None = Field(default=None, min_length=2)
    team: str | None = Field(default=None, min_length=1)
    rank: float = Field(ge=0, le=1)

    @field_validator("rank", mode="before")
    @classmethod
    def _not_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("rank must be a number in [0, 1], not a boolean")
        if isinstance(value, int | float) and value < 0:
            raise ValueError(
                f"rank {value:g} is negative: a group shares one common factor, which "
                "correlates its members positively; rank must be in [0, 1]"
            )
        return value

    @model_validator(mode="after")
    def _one_selector(self) -> CorrelationGroup:
        if (self.features is None) == (self.team is None):
            raise ValueError(
                "a correlation group needs exactly one of features (a list of ids) or team"
            )
        return self

    @property
    def name(self) -> str:
        """The group's id, or its default (see ``id``)."""
        if self.id is not None:
            return self.id
        if self.team is not None:
            return f"team:{self.team}"
        return "features:" + ",".join(self.features or [])

    def members(self, scenario: Scenario) -> list[str]:
        """The member feature ids, in the listed (``features``) or file (``team``) order."""
        if self.features is not None:
            return list(self.features)
        return [f.id for f in scenario.features if f.team == self.team]


def normal_correlation(rank: float) -> float:
    """The normal-score correlation r = 2 sin(pi rank / 6) whose Spearman rank correlation
    is ``rank`` (for a bivariate normal, rho_S = (6 / pi) arcsin(r / 2))."""
    if rank >= 1.0:  # exactly comonotone (2 sin(pi / 6) rounds to 1 - 2^-53)
        return 1.0
    return 2.0 * math.sin(math.pi * rank / 6.0)


def check_correlation(scenario: Scenario) -> list[Problem]:
    """Unknown features or teams, a feature listed twice or in two groups, and two groups
    with one name; each at its field path (``correlation[1].features[0]``)."""
    from portfolio_sim.scenario.problems import format_path, suggest

    def p(loc: tuple[str | int, ...], reason: str) -> Problem:
        return Problem(path=format_path(loc), reason=reason)

    known = {f.id for f in scenario.features}
    teams = [t.id for t in scenario.teams]
    out: list[Problem] = []
    owner: dict[str, tuple[str, int]] = {}
    names: dict[str, int] = {}
    for g, group in enumerate(scenario.correlation):
        if group.name in names:
            out.append(
                p(
                    ("correlation", g, "id" if group.id is not None else "features"),
                    f"duplicate correlation group {group.name!r} (also correlation[{names[group.name]}])",
                )
            )
        names.setdefault(group.name, g)
        if group.team is not None and group.team not in teams:
            out.append(
                p(
                    ("correlation", g, "team"),
                    f"unknown team {group.team!r}{suggest(group.team, teams)}",
                )
            )
            continue
        for j, fid in enumerate(group.members(scenario)):
            loc: tuple[str | int, ...] = (
                ("correlation", g, "features", j)
                if group.features is not None
                else ("correlation", g, "team")
            )
            if fid not in known:
                out.append(p(loc, f"unknown feature {fid!r}{suggest(fid, known)}"))
            elif fid in owner:
                other, k = owner[fid]
                out.append(
                    p(loc, f"feature {fid!r} is listed twice")
                    if k == g
                    else p(
                        loc,
                        f"feature {fid!r} is already in correlation group {other!r} "
                        f"(correlation[{k}]): a feature is in at most one group",
                    )
                )
            else:
                owner[fid] = (group.name, g)
    return out


def compile_correlation(
    scenario: Scenario, feat_index: dict[str, int], seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(feat_group [F] int64, group_key [G] uint64, group_load [G, 2] float64)``: each
    feature's group (-1: none), each group's stream key (``stream_key(seed, "correlation",
    name)``) and its copula loadings (sqrt(r), sqrt(1 - r)). A group with rank 0 is left
    out entirely, so its members draw exactly as without it (bit for bit)."""
    from portfolio_sim.rng import stream_key  # Numba: not at import (validate never loads it)

    feat_group = np.full(len(feat_index), -1, dtype=np.int64)
    keys: list[int] = []
    loads: list[tuple[float, float]] = []
    for group in scenario.correlation:
        if group.rank == 0.0:
            continue
        r = normal_correlation(group.rank)
        for fid in group.members(scenario):
            feat_group[feat_index[fid]] = len(keys)
        keys.append(stream_key(seed, "correlation", group.name))
        loads.append((math.sqrt(r), math.sqrt(1.0 - r)))
    return (
        feat_group,
        np.array(keys, dtype=np.uint64),
        np.array(loads, dtype=np.float64).reshape(len(loads), 2),
    )
