"""Forecast history: one JSON file per forecast, and the trend over them
(docs/model.md §11.5; keys in docs/outputs.md).

``forecast ... --save-snapshot DIR`` writes ``DIR/<as_of>_<created>_<hash>.json``
(atomically; an existing file is never replaced): the inputs' hash, ``as_of`` (the
status's, or the run date without one), the portfolio's and each feature's finish
percentiles (P10/P50/P85/P95 and any chosen level), cost P50/P80 and NPV (mean, P50).
``trend DIR`` reads every ``*.json`` in DIR, checks each (a bad file is an error naming
the file and the reason) and orders them by ``as_of``, then ``created``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from portfolio_sim.errors import Problem, ScenarioError

if TYPE_CHECKING:
    import pandas as pd

    from portfolio_sim.results.forecast import Forecast

FORMAT = "portfolio-sim-snapshot"
VERSION = 1
#: The finish levels every snapshot stores (the trend reads P50 and P85).
SNAPSHOT_LEVELS: tuple[float, ...] = (10.0, 50.0, 85.0, 95.0)


def inputs_sha256(paths: Sequence[str | os.PathLike[str]]) -> str:
    """SHA-256 over the bytes of the input files (scenario, then status), each framed
    by its length, so the same inputs always give the same hash."""
    h = hashlib.sha256()
    for p in paths:
        data = Path(p).read_bytes()
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def _iso(d: Any) -> str | None:
    return None if np.isnat(d) else str(np.datetime64(d, "D"))


def snapshot_doc(
    fc: Forecast, inputs_hash: str | None, today: dt.date | None = None
) -> dict[str, Any]:
    """The snapshot of a forecast as plain JSON objects."""
    from portfolio_sim.calendar import done_days_or
    from portfolio_sim.results.money import portfolio_money
    from portfolio_sim.results.percentiles import hist_percentiles, level_key

    c, raw = fc.compiled, fc.raw
    levels = tuple(sorted(set(SNAPSHOT_LEVELS) | set(fc.percentiles or ())))
    keys = [level_key(p) for p in levels]
    h = c.horizon_days
    port_hist = np.bincount(done_days_or(raw.port_t, h).astype(np.int64), minlength=h + 1)
    port = fc._bin_dates(hist_percentiles(port_hist[None, :], levels)[0])
    feats = fc._bin_dates(hist_percentiles(raw.feat_hist, levels))
    status = fc.meta.get("status")
    as_of = status["as_of"] if status else (today or dt.date.today()).isoformat()
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "scenario": fc.scenario,
        "variant": fc.variant,
        "inputs_sha256": inputs_hash,
        "as_of": as_of,
        "status": status is not None,
        "created": fc.meta.get("created") or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "trials": int(fc.trials),
        "seed": int(fc.seed),
        "engine": fc.engine,
        "currency": c.currency,
        "portfolio": {
            "finish": {k: _iso(port[i]) for i, k in enumerate(keys)},
            "not_done_share": float(port_hist[h] / raw.trials),
        },
        "features": {
            fid: {k: _iso(feats[j, i]) for i, k in enumerate(keys)}
            for j, fid in enumerate(c.feature_ids)
        },
    }
    if raw.money is not None:
        pm = portfolio_money(raw, None)
        doc["portfolio"]["cost"] = {"p50": pm["cost"]["p50"], "p80": pm["cost"]["p80"]}
        doc["portfolio"]["npv"] = {"mean": pm["npv"]["mean"], "p50": pm["npv"]["p50"]}
    return doc


def save_snapshot(fc: Forecast, folder: str | os.PathLike[str], inputs_hash: str | None,
                  protect: Sequence[str] = ()) -> Path:  # fmt: skip
    """Write the snapshot of ``fc`` into ``folder`` (created if missing), atomically,
    under a new name; returns its path."""
    from portfolio_sim.results.io import write_text_atomic

    doc = snapshot_doc(fc, inputs_hash)
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    stamp = doc["created"].replace(":", "").replace("+0000", "Z")[:17]
    short = hashlib.sha256(text.encode()).hexdigest()[:8]
    n, path = 0, d / f"{doc['as_of']}_{stamp}_{short}.json"
    while path.exists():  # never replace a snapshot
        n += 1
        path = d / f"{doc['as_of']}_{stamp}_{short}-{n}.json"
    write_text_atomic(path, text, protect)
    return path


def _check(doc: Any, name: str) -> list[Problem]:
    """The problems of one snapshot document (empty when it is usable)."""
    bad: list[Problem] = []
    if not isinstance(doc, dict):
        return [Problem("", "a snapshot is a JSON object", name)]
    if doc.get("format") != FORMAT:
        bad.append(Problem("format", f"expected {FORMAT!r}, got {doc.get('format')!r}", name))
        return bad
    if doc.get("version") != VERSION:
        bad.append(Problem("version", f"version {doc.get('version')!r} is not {VERSION}", name))
    try:
        dt.date.fromisoformat(str(doc.get("as_of")))
    except ValueError:
        bad.append(Problem("as_of", f"a date (YYYY-MM-DD), got {doc.get('as_of')!r}", name))
    port = doc.get("portfolio")
    fin = port.get("finish") if isinstance(port, dict) else None
    if not isinstance(fin, dict) or "p50" not in fin or "p85" not in fin:
        bad.append(Problem("portfolio.finish", "p50 and p85 are needed", name))
    else:
        for k in ("p50", "p85"):
            v = fin[k]
            if v is not None:
                try:
                    dt.date.fromisoformat(str(v))
                except ValueError:
                    bad.append(Problem(f"portfolio.finish.{k}", f"a date or null, got {v!r}", name))
    for key, sub in (("cost", "p80"), ("npv", "p50")):
        v = (
            port.get(key, {}).get(sub)
            if isinstance(port, dict) and isinstance(port.get(key, {}), dict)
            else "x"
        )
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            bad.append(Problem(f"portfolio.{key}.{sub}", f"a number or absent, got {v!r}", name))
    return bad


def load_snapshots(folder: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every snapshot in ``folder`` (``*.json``), ordered by as_of then created. Raises
    ScenarioError listing each bad file (``FILE:LINE: field: reason``), InputError when
    the folder is missing or holds none."""
    from portfolio_sim.errors import InputError

    d = Path(folder)
    if not d.is_dir():
        raise InputError(f"{d}: not a folder of snapshots")
    files = sorted(p for p in d.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
    if not files:
        raise InputError(f"{d}: no snapshots (*.json) in it")
    docs, problems = [], []
    for p in files:
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            problems.append(Problem("", f"not valid JSON: {err.msg}", str(p), err.lineno))
            continue
        except (OSError, UnicodeDecodeError) as err:
            problems.append(Problem("", f"cannot read: {err}", str(p)))
            continue
        bad = _check(doc, str(p))
        if bad:
            problems += bad
        else:
            docs.append(doc)
    if problems:
        raise ScenarioError(problems)
    return sorted(docs, key=lambda s: (s["as_of"], str(s.get("created", ""))))


def _get(doc: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        doc = doc.get(k) if isinstance(doc, dict) else None  # type: ignore[assignment]
    return doc


def trend_frame(snaps: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per snapshot: as_of, finish_p50, finish_p85 (dates, NaT = after the
    horizon), cost_p80, npv_p50, npv_mean, and the shifts from the previous row
    (finish_p85_shift_days: calendar days; cost_p80_change; npv_p50_change)."""
    import pandas as pd

    df = pd.DataFrame(
        {
            "as_of": pd.to_datetime([s["as_of"] for s in snaps]),
            "finish_p50": pd.to_datetime([_get(s, "portfolio", "finish", "p50") for s in snaps]),
            "finish_p85": pd.to_datetime([_get(s, "portfolio", "finish", "p85") for s in snaps]),
            "cost_p80": [_get(s, "portfolio", "cost", "p80") for s in snaps],
            "npv_p50": [_get(s, "portfolio", "npv", "p50") for s in snaps],
            "npv_mean": [_get(s, "portfolio", "npv", "mean") for s in snaps],
            "scenario": [s.get("scenario") for s in snaps],
            "inputs_sha256": [s.get("inputs_sha256") for s in snaps],
        }
    )
    df["finish_p85_shift_days"] = df["finish_p85"].diff().dt.days
    df["cost_p80_change"] = df["cost_p80"].astype(float).diff()
    df["npv_p50_change"] = df["npv_p50"].astype(float).diff()
    return df


def trend_text(df: pd.DataFrame, currency: str = "") -> str:
    """The trend as a terminal table (human formats of :mod:`portfolio_sim.formatting`)."""
    import pandas as pd

    from portfolio_sim import formatting as fmt

    def days(x: Any) -> str:
        return "" if fmt._missing(x) else f"{int(x):+d} d"

    table = pd.DataFrame(
        {
            "As of": df["as_of"].map(fmt.iso_date),
            "Done P50": df["finish_p50"].map(lambda d: fmt.iso_date(d, missing="after horizon")),
            "Done P85": df["finish_p85"].map(lambda d: fmt.iso_date(d, missing="after horizon")),
            "P85 moved": df["finish_p85_shift_days"].map(days),
            "Cost P80": df["cost_p80"].map(lambda x: fmt.money(x, currency)),
            "NPV P50": df["npv_p50"].map(lambda x: fmt.money(x, currency)),
        }
    )
    return table.to_string(index=False)


def trend_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The trend as JSON objects (dates ISO or null; NaN as null; docs/outputs.md)."""
    from portfolio_sim import formatting as fmt

    out = []
    for _, r in df.iterrows():
        row: dict[str, Any] = {}
        for k, v in r.items():
            if fmt._missing(v):
                row[str(k)] = None
            elif k in ("as_of", "finish_p50", "finish_p85"):
                row[str(k)] = fmt.iso_date(v)
            elif isinstance(v, str):
                row[str(k)] = v
            else:
                row[str(k)] = float(v)
        out.append(row)
    return out
