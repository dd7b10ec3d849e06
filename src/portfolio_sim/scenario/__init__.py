"""Scenario files: schema, loading with line numbers, variants, and compilation to arrays."""
