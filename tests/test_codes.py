"""The integer codes shared by the compiler and both engines (portfolio_sim/codes.py).

The kernels read plain int constants (Numba freezes them at compile time), Python code the
IntEnums; these tests pin the two together, check that a change of the codes invalidates
the cached kernels, and that the engines spell no code as a bare number.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from portfolio_sim import codes, jit_cache
from portfolio_sim.codes import FeatureSlot, FeatureState, RiskKind, RiskSlot, TeamKind

PKG = Path(__file__).resolve().parents[1] / "src" / "portfolio_sim"


@pytest.mark.parametrize(
    ("enum", "prefix"),
    [
        (TeamKind, ""),
        (RiskKind, "RISK_"),
        (FeatureState, ""),
        (FeatureSlot, "SLOT_"),
        (RiskSlot, "SLOT_"),
    ],
)
def test_every_enum_member_is_its_kernel_constant(enum: type, prefix: str) -> None:
    for member in enum:  # type: ignore[attr-defined]
        constant = getattr(codes, prefix + member.name)
        assert type(constant) is int, f"codes.{prefix}{member.name} must be a plain int"
        assert member.value == constant, f"{enum.__name__}.{member.name} != codes constant"


def test_the_kernels_and_the_des_read_the_same_constants() -> None:
    from portfolio_sim.des import model as des_model
    from portfolio_sim.kernels import schedule, throughput

    for mod in (schedule, throughput, des_model):
        assert mod.DONE == FeatureState.DONE and mod.ACTIVE == FeatureState.ACTIVE
        assert mod.WAITING == FeatureState.WAITING and mod.EPS == codes.EPS


def test_compiled_arrays_use_the_codes() -> None:
    from portfolio_sim.scenario.compile import compile_scenario
    from portfolio_sim.scenario.load import load_text

    text = """\
name: codes
start: 2027-01-04
horizon: 2027-03-31
teams:
  - {id: dev, members: 2}
  - {id: flow, throughput: {fixed: 3, per: week}}
features:
  - {id: a, team: dev, effort: {fixed: 5}}
  - {id: b, team: flow, items: {fixed: 4}}
risks:
  - {id: late, probability: 0.5, affects: [a], delay: {fixed: 2}}
  - {id: more, probability: 0.5, affects: [b], extra_items: {fixed: 1}}
  - {id: scope, probability: 0.5, affects: [a], extra_effort: {fixed: 1}}
"""
    c = compile_scenario(load_text(text, "yaml", "s.yaml"))
    assert [TeamKind(k) for k in c.team_kind] == [TeamKind.EFFORT, TeamKind.THROUGHPUT]
    assert [RiskKind(k) for k in c.risk_kind] == [
        RiskKind.DELAY,
        RiskKind.EXTRA_ITEMS,
        RiskKind.EXTRA_EFFORT,
    ]


def test_changing_the_codes_invalidates_the_kernel_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Numba's cache keys on the kernel file's timestamp only: the codes must be part of
    the source digest that jit_cache compares before loading cached kernels."""
    root = tmp_path / "portfolio_sim"
    shutil.copytree(PKG, root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(jit_cache, "_ROOT", root)
    before = jit_cache.sources_digest()
    codes_py = root / "codes.py"
    codes_py.write_text(codes_py.read_text().replace("DONE = 2", "DONE = 3"))
    assert jit_cache.sources_digest() != before, "codes.py is not in jit_cache._SOURCES"


#: A team, risk or state code compared with a bare integer.
MAGIC = re.compile(r"(kind(\[[^\]]*\])?|state(\[[^\]]*\])?|sf)\s*[!=]=\s*\d")


@pytest.mark.parametrize(
    "path",
    sorted((PKG / "kernels").glob("*.py")) + sorted((PKG / "des").glob("*.py")),
    ids=lambda p: p.name,
)
def test_engines_spell_no_code_as_a_bare_number(path: Path) -> None:
    bad = [
        f"{path.name}:{i}: {line.strip()}"
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if MAGIC.search(line)
    ]
    assert not bad, "use the names in portfolio_sim.codes:\n" + "\n".join(bad)


#: Clock times around day boundaries, the EPS band and zero.
CLOCK_TIMES = [0.0, 1e-12, 1e-9, 2e-9, 0.5, 1.0, 1.0 + 1e-10, 1.0 + 2e-9, 9.0, 10.0 - 1e-10]
CLOCK_TIMES += [10.0, 10.0 + 5e-10, 10.0 + 1e-9, 10.0 + 1.1e-9, 10.0000001, 10.5, 249.999, 250.0]


def test_the_kernels_done_day_is_the_calendars() -> None:
    """docs/model.md §1 has one rule; the kernels' compiled copy must agree with it."""
    from portfolio_sim.calendar import done_day
    from portfolio_sim.kernels.clock import kernel_done_day

    for t in CLOCK_TIMES:
        assert kernel_done_day(t) == done_day(t), t
    # Hand-computed: t = 10 is the end of day 9; a hair after 10 (beyond EPS) is day 10.
    assert [done_day(t) for t in (0.0, 1.0, 10.0, 10.0 + 5e-10, 10.0000001)] == [0, 0, 9, 9, 10]


def test_done_days_or_marks_the_missing_and_keeps_the_rule() -> None:
    import numpy as np

    from portfolio_sim.calendar import done_day, done_days_or

    t = np.array([*CLOCK_TIMES, np.inf, np.nan])
    got = done_days_or(t, 99.0)
    assert got.dtype == np.float64
    assert list(got[:-2]) == [float(done_day(x)) for x in CLOCK_TIMES]
    assert list(got[-2:]) == [99.0, 99.0]
    ok = t < 10.0
    assert list(done_days_or(t, -1.0, ok)) == [float(done_day(x)) if x < 10.0 else -1.0 for x in t]


def test_money_column_indices_name_their_columns() -> None:
    names = ["COST", "COST_PV", "VALUE", "VALUE_PV", "PENALTY_PV", "NPV", "CAPEX", "SPENT_DAY"]
    assert codes.N_MONEY == len(codes.MONEY_COLUMNS) == len(names)
    for name in names:
        index = getattr(codes, "MONEY_" + name)
        assert type(index) is int and codes.MONEY_COLUMNS[index] == name.lower()
