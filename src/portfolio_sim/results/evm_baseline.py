"""A saved EVM baseline (docs/model.md §11.4): ``forecast FILE --save-baseline PATH``
writes the plan's baseline once, and a later re-forecast reads it (the status file's
``baseline: PATH`` or ``--baseline PATH``) instead of re-running the plan, so the
planned value stays what was agreed even after the plan file changes.

The file is JSON (written atomically, never over an input)::

    {"format": "portfolio-sim-baseline", "version": 1, "created": "...",
     "scenario": "name", "scenario_sha256": "...", "start": "2027-01-04",
     "seed": 0, "engine": "fast", "trials": 10000, "bac": 5210000.0,
     "features": [{"id": "a", "weight": 0.04, "start_day": 0.0, "finish_day": 31.0,
                   "mean_size": 42.5}, ...],
     "planned_value": [{"day": 0, "date": "2027-01-04", "pv": 0.0}, ...]}

``features`` holds everything EVM needs (budget share, planned start and finish in
working days from ``start``, mean planned size for percent complete); ``planned_value``
is the PV curve at each whole working day to the planned duration, for people and
spreadsheets (it is not read back).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from portfolio_sim.errors import InputError
from portfolio_sim.results.evm import Baseline

FORMAT = "portfolio-sim-baseline"
VERSION = 1


def baseline_doc(base: Baseline, meta: dict[str, Any], calendar: Any) -> dict[str, Any]:
    """The JSON document of ``base`` (module doc); ``meta`` holds ``scenario``,
    ``scenario_sha256``, ``seed`` and ``engine``; ``calendar`` the plan's calendar."""
    end = math.ceil(base.duration)
    days = np.arange(end + 1, dtype=np.int64)
    dates = [str(np.datetime64(d, "D")) for d in np.atleast_1d(calendar.date_of(days))]
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": meta.get("scenario"),
        "scenario_sha256": meta.get("scenario_sha256"),
        "start": str(np.datetime64(calendar.start, "D")),
        "seed": meta.get("seed"),
        "engine": meta.get("engine"),
        "trials": base.trials,
        "bac": base.bac,
        "features": [
            {"id": i, "weight": w, "start_day": s, "finish_day": f, "mean_size": z}
            for i, w, s, f, z in zip(
                base.ids, base.weight, base.start, base.finish, base.size, strict=True
            )
        ],
        "planned_value": [
            {"day": int(d), "date": date, "pv": base.planned_value(float(d))}
            for d, date in zip(days, dates, strict=True)
        ],
    }


def save_baseline(
    base: Baseline,
    path: str | os.PathLike[str],
    meta: dict[str, Any],
    calendar: Any,
    protect: list[str] | None = None,
) -> Path:
    """Write ``base`` to ``path`` atomically (never over a file in ``protect``)."""
    from portfolio_sim.results.io import write_text_atomic

    text = json.dumps(baseline_doc(base, meta, calendar), indent=2) + "\n"
    write_text_atomic(Path(path), text, protect or [])
    return Path(path)


def load_baseline(path: str | os.PathLike[str], start: dt.date) -> Baseline:
    """Read a saved baseline; ``start`` is the plan's (working days count from it, so a
    baseline of another start is refused). Raises InputError naming the file."""
    p = Path(path)

    def bad(reason: str) -> InputError:
        return InputError(f"{p}: not a usable baseline: {reason}")

    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"{p}: cannot read the baseline: {err.strerror}") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise bad(f"not JSON ({err})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise bad(f"format is not {FORMAT!r} (write one with forecast --save-baseline)")
    if doc.get("version") != VERSION:
        raise bad(f"version {doc.get('version')!r}, this program reads {VERSION}")
    if doc.get("start") != start.isoformat():
        raise bad(f"its plan starts on {doc.get('start')}, this plan on {start} (working days "
                  "count from the start: re-save the baseline)")  # fmt: skip
    try:
        feats = doc["features"]
        rows = [
            (str(f["id"]), float(f["weight"]), float(f["start_day"]), float(f["finish_day"]),
             float(f["mean_size"]))
            for f in feats
        ]  # fmt: skip
        bac = float(doc["bac"])
        trials = doc.get("trials")
    except (KeyError, TypeError, ValueError) as err:
        raise bad(f"missing or wrong field {err}") from None
    if not all(math.isfinite(x) for r in rows for x in r[1:]) or not math.isfinite(bac):
        raise bad("a number is not finite")
    return Baseline(
        ids=tuple(r[0] for r in rows),
        weight=tuple(r[1] for r in rows),
        start=tuple(r[2] for r in rows),
        finish=tuple(r[3] for r in rows),
        bac=bac,
        size=tuple(r[4] for r in rows),
        trials=int(trials) if isinstance(trials, int) else None,
    )
