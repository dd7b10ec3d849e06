"""Test configuration: property tests draw the same examples on every run (fixed seeds).

Hypothesis normally explores new random examples each run, which makes CI results depend
on luck; ``derandomize`` derives the examples from each test's name instead. Explore more
locally with ``pytest --hypothesis-profile=explore``.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("default", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, max_examples=500)
settings.load_profile("default")
