"""Engine drivers: turn a compiled scenario into an :class:`EngineOutput`.

``fast`` runs the Numba kernels (default); ``des`` runs the SimPy reference model.
"""
