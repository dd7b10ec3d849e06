"""Property tests: random valid scenarios load; random corruptions give ScenarioError only.

``load_text`` must either return a Scenario or raise ScenarioError, whatever the input:
never a KeyError, TypeError, RecursionError or a pydantic error escaping.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio_sim.errors import ScenarioError
from portfolio_sim.scenario import Scenario, load_text
from scenario_text import ACME_TOML, ACME_YAML, dump_yaml

SETTINGS = settings(
    max_examples=200,
    deadline=dt.timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Examples that dump and parse a whole generated scenario (ruamel is pure Python, ~50 ms).
HEAVY = settings(SETTINGS, max_examples=120)

IDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=8)
POS = st.floats(min_value=0.5, max_value=50, allow_nan=False)


def _dist(draw: st.DrawFn, *, positive: bool = True) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            ["fixed", "uniform", "triangular", "pert", "lognormal", "samples", "integers"]
        )
    )
    lo = draw(st.integers(1 if positive else 0, 20))
    hi = lo + draw(st.integers(0, 20))
    mode = draw(st.integers(lo, hi))
    return {
        "fixed": {"fixed": hi},
        "uniform": {"uniform": [lo, hi]},
        "triangular": {"triangular": [lo, mode, hi]},
        "pert": {"pert": [lo, mode, hi]},
        "lognormal": {"lognormal": {"p10": lo + 0.5, "p90": hi + 1}},
        "samples": {"samples": [lo, mode, hi]},
        "integers": {"integers": [lo, hi]},
    }[kind]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid scenario as plain data (1-4 teams, 1-10 features, acyclic deps)."""
    team_ids = draw(st.lists(IDS, min_size=1, max_size=4, unique=True))
    teams, kinds = [], {}
    for tid in team_ids:
        if draw(st.booleans()):
            teams.append({"id": tid, "throughput": _dist(draw), "members": draw(st.integers(0, 5))})
            kinds[tid] = "throughput"
        else:
            teams.append({"id": tid, "members": draw(POS), "wip_limit": draw(st.integers(1, 3))})
            kinds[tid] = "effort"
    feature_ids = draw(st.lists(IDS, min_size=1, max_size=10, unique=True))
    features = []
    for i, fid in enumerate(feature_ids):
        team = draw(st.sampled_from(team_ids))
        size = "effort" if kinds[team] == "effort" else "items"
        deps = (
            draw(st.lists(st.sampled_from(feature_ids[:i]), unique=True, max_size=3)) if i else []
        )
        feature: dict[str, Any] = {"id": fid, "team": team, size: _dist(draw), "depends_on": deps}
        if draw(st.booleans()):
            feature["priority"] = draw(st.integers(1, 5))
        features.append(feature)
    risks = []
    for j in range(draw(st.integers(0, 3))):
        risks.append(
            {
                "id": f"r{j}",
                "probability": draw(st.floats(0, 1)),
                "affects": draw(
                    st.lists(st.sampled_from(feature_ids), min_size=1, max_size=3, unique=True)
                ),
                "delay": _dist(draw, positive=False),
            }
        )
    variants = {
        "more": [{"set": {f"teams.{team_ids[0]}.members": 3}}]
        if kinds[team_ids[0]] == "effort"
        else [{"set": {f"teams.{team_ids[0]}.throughput": {"samples": [1, 2]}}}],
    }
    if len(feature_ids) > 1:  # removing the only feature is (rightly) an error
        gone = draw(st.sampled_from(feature_ids))
        # a removed feature may leave no reference behind: rewire or remove its dependents
        rewire: dict[str, Any] = {
            f"features.{f['id']}.depends_on": [d for d in f["depends_on"] if d != gone]
            for f in features
            if gone in f["depends_on"]
        }
        orphans = [r["id"] for r in risks if r["affects"] == [gone]]
        rewire |= {
            f"risks.{r['id']}.affects": [a for a in r["affects"] if a != gone]
            for r in risks
            if gone in r["affects"] and r["id"] not in orphans
        }
        variants["less"] = [
            {"remove": {"features": [gone], **({"risks": orphans} if orphans else {})}},
            *([{"set": rewire}] if rewire else []),
        ]
    return {
        "name": draw(st.text(min_size=1, max_size=20)),
        "start": dt.date(2027, 1, 4),
        "horizon": dt.date(2030, 12, 31),
        "teams": teams,
        "features": features,
        "risks": risks,
        "variants": variants,
    }


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.dates(),
    st.lists(st.one_of(st.integers(-5, 5), st.text(max_size=3), st.floats()), max_size=4),
    st.dictionaries(st.text(max_size=6), st.integers(-3, 3), max_size=3),
)


def _slots(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) place in the data."""
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((node, k))
            _slots(v, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((node, i))
            _slots(v, out)
    return out


def corrupt(data: dict[str, Any], draw: st.DrawFn) -> None:
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(data, [])
        if not slots:
            return
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["delete", "junk", "cycle"]))
        if action == "delete":
            del container[key]
        elif action == "junk":
            container[key] = draw(JUNK)
        elif isinstance(data.get("features"), list) and data["features"]:
            feats = [f for f in data["features"] if isinstance(f, dict)]
            if feats:
                first, last = feats[0], feats[-1]
                deps = first.get("depends_on")
                first["depends_on"] = [last.get("id"), *(deps if isinstance(deps, list) else [])]


def must_be_scenario_or_error(text: str, fmt: str = "yaml") -> Scenario | None:
    try:
        return load_text(text, fmt, f"p.{fmt}")
    except ScenarioError as err:
        assert err.problems
        for p in err.problems:
            assert p.reason and p.file == f"p.{fmt}"
            assert str(p)
        return None


@HEAVY
@given(scenarios())
def test_random_valid_scenarios_load(data: dict[str, Any]) -> None:
    scenario = load_text(dump_yaml(data), "yaml", "p.yaml")
    assert [f.id for f in scenario.features] == [f["id"] for f in data["features"]]
    assert all(math.isfinite(t.members) for t in scenario.teams)


@HEAVY
@given(scenarios(), st.data())
def test_corrupted_scenarios_fail_cleanly(data: dict[str, Any], more: st.DataObject) -> None:
    corrupt(data, more.draw)
    try:
        text = dump_yaml(data)
    except Exception:  # the YAML writer refuses some junk (e.g. odd keys): nothing to test
        return
    must_be_scenario_or_error(text)


@HEAVY
@given(scenarios(), st.data())
def test_mangled_yaml_text_fails_cleanly(data: dict[str, Any], more: st.DataObject) -> None:
    text = dump_yaml(data)
    for _ in range(more.draw(st.integers(1, 4))):
        pos = more.draw(st.integers(0, max(0, len(text) - 1)))
        how = more.draw(st.sampled_from(["delete", "duplicate", "insert"]))
        if how == "delete":
            text = text[:pos] + text[pos + 1 :]
        elif how == "duplicate":
            n = more.draw(st.integers(1, 20))
            text = text[:pos] + text[pos : pos + n] * 2 + text[pos + n :]
        else:
            text = text[:pos] + more.draw(st.text(max_size=5)) + text[pos:]
    must_be_scenario_or_error(text)


@SETTINGS
@given(st.sampled_from([(ACME_YAML, "yaml"), (ACME_TOML, "toml")]), st.data())
def test_mangled_acme_fails_cleanly(source: tuple[Any, str], more: st.DataObject) -> None:
    path, fmt = source
    text = path.read_text()
    for _ in range(more.draw(st.integers(1, 3))):
        pos = more.draw(st.integers(0, len(text) - 1))
        if more.draw(st.booleans()):
            text = text[:pos] + text[pos + more.draw(st.integers(1, 8)) :]
        else:
            text = (
                text[:pos]
                + more.draw(
                    st.sampled_from(
                        [
                            "[",
                            "]",
                            "{",
                            ":",
                            "=",
                            "-",
                            ",",
                            '"',
                            "\n",
                            "\t",
                            " ",
                            "&a",
                            "*a",
                            "!x ",
                            "NO",
                            "nan",
                            "-1",
                            "1e999",
                            "ü",
                        ]
                    )
                )
                + text[pos:]
            )
    must_be_scenario_or_error(text, fmt)


@SETTINGS
@given(st.text(max_size=200), st.sampled_from(["yaml", "toml"]))
def test_arbitrary_text_fails_cleanly(text: str, fmt: str) -> None:
    must_be_scenario_or_error(text, fmt)
