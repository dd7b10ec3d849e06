"""Keep Numba's on-disk kernel cache consistent with the kernel sources.

Numba's ``cache=True`` checks only the timestamp of the file that defines a function, not
of the functions it calls in other modules: after a change to ``rng.py`` a cached
``run_block`` would still hold the old sampler inlined. Before the kernels are imported we
hash every kernel source file and, when the hash differs from the one recorded beside
the cache, delete the cached machine code so it is compiled afresh (once).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent
#: Every module whose njit code may be inlined into a cached kernel.
_SOURCES = ("rng.py", "kernels", "history/howmany_kernel.py")
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


def ensure_fresh() -> None:
    """Drop cached kernels compiled from other sources than the installed ones."""
    global _checked
    if _checked:
        return
    _checked = True
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
