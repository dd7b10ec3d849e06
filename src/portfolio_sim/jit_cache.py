"""Keep Numba's on-disk kernel cache consistent with the kernel sources.

Numba's ``cache=True`` checks only the timestamp of the file that defines a function, not
of the functions it calls in other modules: after a change to ``rng.py`` or ``codes.py`` a cached
``_run_trials`` would still hold the old sampler inlined. Before the kernels are imported
we hash every kernel source file and, when the hash differs from the one recorded beside
the cache, delete the cached machine code so it is compiled afresh (once).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import types
from pathlib import Path

_ROOT = Path(__file__).resolve().parent
#: Every module whose njit code may be inlined into a cached kernel.
_SOURCES = ("rng.py", "codes.py", "kernels", "history/howmany_kernel.py")
_STAMP_NAME = "kernel-sources.sha256"
_checked = False


def _source_files() -> list[Path]:
    files: list[Path] = []
    for name in _SOURCES:
        path = _ROOT / name
        files.extend(sorted(path.glob("*.py")) if path.is_dir() else [path])
    return [f for f in files if f.exists()]


def sources_digest() -> str:
    """SHA-256 over the kernel sources (names and contents)."""
    h = hashlib.sha256()
    for f in _source_files():
        h.update(f.relative_to(_ROOT).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _cache_dirs() -> list[Path]:
    dirs = [
        _ROOT / "__pycache__",
        _ROOT / "kernels" / "__pycache__",
        _ROOT / "history" / "__pycache__",
    ]
    custom = os.environ.get("NUMBA_CACHE_DIR")
    if custom:
        base = Path(custom)
        dirs += [p for p in base.glob("**/portfolio_sim") if p.is_dir()]
        dirs += [p for p in base.glob("**/portfolio_sim/*") if p.is_dir()]
    return dirs


def _import_arraymath_without_scipy_linalg() -> None:
    """Import ``numba.np.arraymath`` without importing all of ``scipy.linalg``.

    The first time Numba compiles or *loads a cached* function it imports its own
    implementation modules; ``numba.np.arraymath`` then checks once whether a BLAS is
    there by importing ``scipy.linalg.cython_blas``, which imports the whole of
    ``scipy.linalg`` (about 0.25 s, a third of loading the cached kernels). Our kernels
    call no BLAS. When SciPy ships that extension module we let the check find a
    placeholder for it, so it concludes what it would have concluded (a BLAS is there);
    the placeholder is removed at once, and a later real import of the module (by SciPy,
    or Numba compiling a function that does use BLAS) loads the real one. Without SciPy,
    or once ``scipy.linalg`` or ``arraymath`` is imported, this does nothing. (Relies on
    how Numba probes; tests/test_library_internals.py fails when that changes.)"""
    name = "scipy.linalg.cython_blas"
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec("scipy")
    except (ImportError, ValueError):
        return
    folders = spec.submodule_search_locations if spec is not None else None
    if not folders or not any(
        (Path(folder) / "linalg" / f"cython_blas{suffix}").is_file()
        for folder in folders
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
    ):
        return
    placeholder = types.ModuleType(name)
    sys.modules[name] = placeholder
    try:
        import numba.np.arraymath  # noqa: F401
    except Exception:  # a Numba that wants more than importability: import it normally later
        sys.modules.pop("numba.np.arraymath", None)
    finally:
        if sys.modules.get(name) is placeholder:
            del sys.modules[name]


def ensure_fresh() -> None:
    """Drop cached kernels compiled from other sources than the installed ones (and
    prepare Numba to load the cached ones quickly)."""
    global _checked
    if _checked:
        return
    _checked = True
    _import_arraymath_without_scipy_linalg()
    try:
        digest = sources_digest()
        stamp = _ROOT / "kernels" / "__pycache__" / _STAMP_NAME
        if stamp.exists() and stamp.read_text().strip() == digest:
            return
        for folder in _cache_dirs():
            for pattern in ("*.nbi", "*.nbc"):
                for f in folder.glob(pattern):
                    with contextlib.suppress(OSError):
                        f.unlink()
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest + "\n")
    except OSError:  # read-only install: Numba then caches elsewhere or not at all
        return


#: The kernel whose cache :func:`kernels_cached` looks for by default (the forecast's).
MAIN_KERNEL = "run._run_trials"


def kernels_cached(kernel: str = MAIN_KERNEL) -> bool:
    """Whether ``kernel`` (``module.function``) is compiled on disk for the installed
    sources (after dropping stale caches): False means the next run compiles it first
    (once, about 30 s)."""
    ensure_fresh()
    folders = _cache_dirs()
    if os.environ.get("NUMBA_CACHE_DIR"):  # Numba then caches only there
        folders = folders[3:]
    return any(any(folder.glob(f"{kernel}-*.nbi")) for folder in folders)
