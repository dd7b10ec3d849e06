"""Numba kernels: plain functions over arrays and scalars (numpy, numba and rng only)."""
