"""Scenario files: schema, loading with line numbers, variants, and compilation to arrays.

Importing this package is light (pydantic, ruamel.yaml, numpy): it never imports numba.
"""

from portfolio_sim.scenario.load import load, load_text
from portfolio_sim.scenario.schema import Scenario
from portfolio_sim.scenario.variants import apply_variant, validate_all_variants

__all__ = ["Scenario", "apply_variant", "load", "load_text", "validate_all_variants"]
