"""Progress on a terminal: a bar for long runs and a note before the first-run compile.

Both write to stderr and only when stderr is a terminal and ``--quiet`` was not given:
piped or redirected output stays exactly the answer. ``PORTFOLIO_SIM_PROGRESS_AFTER``
(seconds, default 2) sets how long a run goes before its bar appears.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

#: Printed once, before the kernels are compiled for the first time.
COMPILE_NOTE = "compiling the simulation kernels (first run only, about 30 s)..."


def _on_terminal(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def _after_s(default: float) -> float:
    text = os.environ.get("PORTFOLIO_SIM_PROGRESS_AFTER")
    try:
        return float(text) if text else default
    except ValueError:
        return default


def progress_printer(
    quiet: bool, after_s: float = 2.0, unit: str = "trials"
) -> Callable[[int, int], None] | None:
    """A progress bar on stderr, ``show(done, total)`` counting ``unit``, for runs longer
    than ``after_s``; None when quiet or when stderr is not a terminal."""
    if not _on_terminal(quiet):
        return None
    after_s = _after_s(after_s)
    t0 = time.perf_counter()
    shown = [False]

    def show(done: int, total: int) -> None:
        elapsed = time.perf_counter() - t0
        if elapsed < after_s and done < total:
            return
        if not shown[0] and done >= total:
            return  # finished before the bar was worth showing
        shown[0] = True
        width = 30
        filled = int(width * done / max(total, 1))
        rate = done / elapsed if elapsed > 0 else 0.0
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} {unit} ({rate:,.0f}/s)"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def compile_notice(quiet: bool, kernel: str | None = None) -> None:
    """Say so on a terminal when the kernels are about to be compiled (no usable cache of
    ``kernel``, default the forecast kernel, see :func:`portfolio_sim.jit_cache.kernels_cached`)."""
    if not _on_terminal(quiet):
        return
    from portfolio_sim.jit_cache import MAIN_KERNEL, kernels_cached

    if not kernels_cached(kernel or MAIN_KERNEL):
        sys.stderr.write(COMPILE_NOTE + "\n")
        sys.stderr.flush()
