"""Every place the package relies on a library's internals, pinned with a clear message.

No public API does these jobs; each test fails loudly, naming the code to revisit, when a
new Numba, SciPy or SimPy changes the internal it relies on.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest


def test_numba_still_takes_the_nrt_option() -> None:
    """rng.NO_REFCOUNT = {"_nrt": False} compiles the event loop without reference
    counting (1.8-2.4x faster); ``_nrt`` is a private Numba target option."""
    from numba import njit
    from numba.core import cpu

    from portfolio_sim.rng import NO_REFCOUNT

    assert hasattr(cpu.CPUTargetOptions, "_nrt"), (
        "Numba no longer has the private `_nrt` target option: revisit rng.NO_REFCOUNT"
    )

    @njit(**NO_REFCOUNT)
    def total(a):  # type: ignore[no-untyped-def]
        s = 0.0
        for x in a:
            s += x
        return s

    assert total(np.arange(5.0)) == 10.0
    assert total.targetoptions.get("_nrt") is False, (
        "Numba dropped the `_nrt` option silently: revisit rng.NO_REFCOUNT"
    )


def test_numba_blas_probe_is_the_one_jit_cache_answers() -> None:
    """jit_cache lets Numba's BLAS probe (numba.np.linalg.ensure_blas, run when
    numba.np.arraymath is imported) find a placeholder for scipy.linalg.cython_blas."""
    pytest.importorskip("scipy")
    import inspect

    from numba.np import linalg

    src = inspect.getsource(linalg.ensure_blas)
    assert "import scipy.linalg.cython_blas" in src, (
        "Numba's BLAS probe no longer imports scipy.linalg.cython_blas: revisit "
        "jit_cache._import_arraymath_without_scipy_linalg (it may now be useless or harmful)"
    )
    code = (
        "import sys\n"
        "from portfolio_sim.jit_cache import _import_arraymath_without_scipy_linalg as f\n"
        "f()\n"
        "import numba.np.arraymath as am\n"
        "assert 'numba.np.arraymath' in sys.modules, 'arraymath not imported'\n"
        "assert am._HAVE_BLAS, 'the placeholder made Numba conclude there is no BLAS'\n"
        "assert 'scipy.linalg' not in sys.modules, 'scipy.linalg imported anyway'\n"
        "assert 'scipy.linalg.cython_blas' not in sys.modules, 'placeholder left behind'\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "ok", (
        "jit_cache's scipy placeholder no longer works with this Numba/SciPy:\n" + res.stderr
    )


def test_numba_parallel_still_has_is_initialized() -> None:
    """engines/fast._numba_threads reads ``numba.np.ufunc.parallel._is_initialized`` to
    avoid starting Numba's thread pool (about 0.03 s); without it the code falls back to
    numba.get_num_threads(), correct but slower to start."""
    code = (
        "from numba.np.ufunc import parallel\n"
        "assert parallel._is_initialized is False, parallel._is_initialized\n"
        "import numba\n"
        "numba.get_num_threads()\n"
        "assert parallel._is_initialized is True, parallel._is_initialized\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "ok", (
        "numba.np.ufunc.parallel._is_initialized changed: revisit "
        "engines/fast._numba_threads\n" + res.stderr
    )


def test_simpy_event_internals_used_by_the_start_phase() -> None:
    """des/model.StartPhase triggers itself by setting SimPy's ``_ok``/``_value`` (as
    SimPy's own Timeout does) and schedules at priority 2 (``LOW``), which SimPy does not
    declare: SimPy processes equal-time events by (priority, insertion order) and has only
    URGENT = 0 and NORMAL = 1. The start phase must come after every NORMAL event at the
    same time, including those scheduled after it."""
    import simpy
    from simpy import events

    from portfolio_sim.des.model import LOW, StartPhase

    assert (events.URGENT, events.NORMAL) == (0, 1), (
        "SimPy's event priorities changed: revisit des/model.LOW"
    )
    assert LOW > events.NORMAL
    env = simpy.Environment()
    order: list[str] = []

    def proc() -> object:
        phase = StartPhase(env)
        phase.callbacks.append(lambda e: order.append("start phase"))
        env.timeout(0).callbacks.append(lambda e: order.append("normal, scheduled after"))
        value = yield phase
        order.append(f"resumed with {value!r}")
        assert phase.ok and phase.triggered and phase.processed

    env.process(proc())
    env.timeout(0).callbacks.append(lambda e: order.append("normal, scheduled before"))
    env.run()
    assert order == [
        "normal, scheduled before",
        "normal, scheduled after",
        "start phase",
        "resumed with None",
    ], f"SimPy's Event internals (_ok/_value, priority order) changed: {order}"
