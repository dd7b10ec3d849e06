"""Safe output files: written to a temporary file beside the target, then renamed.

A reader never sees half a file, a crash never leaves one, and an input file is never
overwritten (callers pass the input paths they must protect).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from portfolio_sim.errors import InputError


def check_writable(
    path: str | os.PathLike[str], protect: Iterable[str | os.PathLike[str]] = ()
) -> None:
    """Raise InputError if ``path`` can't be written or is one of ``protect``."""
    _check_target(Path(path), protect)


def _check_target(path: Path, protect: Iterable[str | os.PathLike[str]]) -> None:
    for p in protect:
        try:
            same = path.resolve() == Path(p).resolve()
        except OSError:
            continue
        if same:
            raise InputError(f"{path}: refusing to overwrite an input file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory")
    if not path.parent.exists():
        raise InputError(f"{path}: folder {path.parent} does not exist")


def write_bytes_atomic(
    path: str | os.PathLike[str], data: bytes, protect: Iterable[str | os.PathLike[str]] = ()
) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder + rename)."""
    target = Path(path)
    _check_target(target, protect)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # like a plain open(): mkstemp makes 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text_atomic(
    path: str | os.PathLike[str], text: str, protect: Iterable[str | os.PathLike[str]] = ()
) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"), protect)
