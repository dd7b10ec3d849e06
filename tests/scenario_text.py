"""Helpers for scenario tests: small valid scenarios as text, and problem lines."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from portfolio_sim.errors import ScenarioError
from portfolio_sim.scenario import Scenario, load_text

DATA = Path(__file__).parent / "data"
ACME_YAML = DATA / "acme.yaml"
ACME_TOML = DATA / "acme.toml"

#: A small valid scenario; tests append or replace lines to break one rule at a time.
BASE = """\
name: Small
start: 2027-01-04
horizon: 2028-12-31
teams:
  - {id: web, members: 2}
  - {id: mobile, throughput: {samples: [1, 2, 3]}}
features:
  - {id: a, team: web, effort: {fixed: 5}}
  - {id: b, team: web, effort: {fixed: 5}, depends_on: [a]}
  - {id: m, team: mobile, items: {fixed: 4}}
"""


def dump_yaml(data: Any) -> str:
    """Plain data -> YAML text (block style)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def problems(text: str, fmt: str = "yaml", filename: str = "s.yaml") -> list[str]:
    """The problem lines of an invalid scenario text (fails the test if it loads)."""
    with pytest.raises(ScenarioError) as info:
        load_text(text, fmt, filename)
    return [str(p) for p in info.value.problems]


def valid(text: str, fmt: str = "yaml") -> Scenario:
    return load_text(text, fmt, "s." + fmt)
