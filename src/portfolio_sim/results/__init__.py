"""Results: the percentile rule, engine aggregates, DataFrames and JSON (pandas lives here)."""
