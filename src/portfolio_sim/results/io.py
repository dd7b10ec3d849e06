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
from typing import Any

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


def csv_text(df: Any) -> str:
    """A table as machine CSV (docs/outputs.md): snake_case headers as in the DataFrame,
    dates as ISO dates without a time part, floats in plain decimal notation (never
    ``1e+06``; as many digits as needed to read back the same float, so money keeps its
    cents and agrees with the JSON and the Excel cells), missing values as empty cells."""
    import pandas as pd

    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d").where(s.notna(), "")
        elif pd.api.types.is_float_dtype(s):
            out[col] = [plain_float(v) for v in s.tolist()]
        elif s.dtype == object:
            out[col] = [_object_cell(v) for v in s.tolist()]
        else:
            out[col] = s
    return str(out.to_csv(index=False))


def plain_float(v: float) -> str:
    """``repr`` of a float without exponent notation: ``1e-07`` -> ``0.0000001``,
    ``1.5e+16`` -> ``15000000000000000.0``; NaN and infinities as an empty cell."""
    if v != v or v in (float("inf"), float("-inf")):
        return ""
    text = repr(float(v))
    if "e" not in text:
        return text
    from decimal import Decimal

    plain = format(Decimal(text), "f")
    return plain if "." in plain else plain + ".0"


def _object_cell(v: Any) -> Any:
    import datetime as dt

    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return plain_float(v)
    if isinstance(v, list | tuple):
        return " ".join(str(x) for x in v)
    return v
