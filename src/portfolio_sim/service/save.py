"""Save edits as a named variant in the scenario file (YAML only).

The new variant is rendered by ruamel.yaml in the file's own indentation and spliced
into the text at the end of the ``variants:`` block (a ``variants:`` key is appended at
the end of the file when there is none), so every other byte of the file, comments and
formatting included, stays as it was. Where the text cannot be spliced (``variants`` is
written in flow style, or a variant of that name is replaced), the file goes through
ruamel.yaml's round trip instead, which keeps comments, key order, quoting and flow
style (a long flow list may be joined on one line). Either way the new file is read back
and must hold exactly the new variant's steps. The new text
is validated as a whole file (:func:`portfolio_sim.scenario.load_text`: the base, every
variant, the new one) before anything is written, so ``portfolio-sim validate`` accepts
the result; then it replaces the file atomically (temporary file in the same folder,
fsync, rename) with the file's permissions. An existing variant of that name is replaced
only when asked. The only file touched is the one the service was started with.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from portfolio_sim.errors import Problem, ScenarioError
from portfolio_sim.scenario import load_text

#: Variant names the service writes: a word (letters, digits, ``-``, ``_``, ``.``).
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")


class SaveRefused(Exception):
    """The variant cannot be saved (not YAML, or the name exists): HTTP 409."""


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line
    return yaml


def _indent(text: str) -> tuple[int, int]:
    """(mapping indent, dash offset) as the file writes them, e.g. ``teams:\\n  - id``
    is (2, 2); a file with no nested block says (2, 2)."""
    m = re.search(r"^(\w[^:\n]*):[ \t]*\n( +)- ", text, re.MULTILINE)
    offset = len(m.group(2)) if m else 2
    m = re.search(r"^\w[^:\n]*:[ \t]*\n( +)\w[^:\n]*:", text, re.MULTILINE)
    return (len(m.group(1)) if m else 2), offset


def _flow(value: Any) -> Any:
    if isinstance(value, dict):
        out = CommentedMap((k, _flow(v)) for k, v in value.items())
        out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        seq = CommentedSeq(_flow(v) for v in value)
        seq.fa.set_flow_style()
        return seq
    return value


def variant_yaml(steps: list[dict[str, Any]]) -> CommentedSeq:
    """The steps as YAML: one ``- set: {path: value}`` / ``- remove: {features: [id]}``
    line each."""
    seq = CommentedSeq()
    for step in steps:
        ((action, body),) = step.items()
        item = CommentedMap()
        item[action] = _flow(body)
        seq.append(item)
    return seq


def save_variant(
    path: Path, name: str, steps: list[dict[str, Any]], *, overwrite: bool = False
) -> str:
    """Write ``steps`` as variant ``name`` into the YAML file ``path``; returns the new
    text. Raises :class:`SaveRefused` or :class:`ScenarioError` (nothing written)."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise SaveRefused("save as variant needs a YAML scenario (this one is TOML)")
    if not NAME.fullmatch(name):
        raise ScenarioError(
            Problem("name", "a variant name is letters, digits, '-', '_' or '.' (up to 80)")
        )
    text = path.read_text(encoding="utf-8")
    yaml = _yaml()
    mapping, offset = _indent(text)
    yaml.indent(mapping=mapping, sequence=mapping + offset, offset=offset)
    doc = yaml.load(text)
    variants = doc.get("variants")
    if variants is None:
        variants = CommentedMap()
        doc["variants"] = variants
    if name in variants and not overwrite:
        raise SaveRefused(f"variant {name!r} already exists; ask to overwrite it to replace it")
    block = variant_yaml(steps)
    new = None if name in variants else _spliced(text, yaml, name, block)
    if new is None:
        variants[name] = block
        new = _dump(yaml, doc)
    written = _yaml().load(new)["variants"][name]
    if _plain(written) != _plain(steps):  # pragma: no cover - a splicing fault
        raise SaveRefused("the variant could not be written faithfully; nothing was saved")
    load_text(new, "yaml", str(path))  # the whole file, every variant: what validate checks
    _write_atomic(path, new)
    return new


def _dump(yaml: YAML, doc: Any) -> str:
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_TOP_VARIANTS = re.compile(r"variants:[ \t]*(#.*)?")
_TOP_LEVEL = re.compile(r"[^\s#]")


def _spliced(text: str, yaml: YAML, name: str, block: CommentedSeq) -> str | None:
    """``text`` with variant ``name`` inserted at the end of its ``variants:`` block (or
    a new ``variants:`` at the end); None when ``variants`` is not a block mapping."""
    lines = text.splitlines(keepends=True)
    rendered = _dump(yaml, {"variants": {name: block}}).splitlines(keepends=True)
    at = [i for i, line in enumerate(lines) if _TOP_VARIANTS.fullmatch(line.rstrip("\r\n"))]
    if not at:
        if any(line.startswith("variants:") for line in lines):
            return None  # variants: {} or another form: round trip
        sep = "" if not text or text.endswith("\n") else "\n"
        return text + sep + "".join(rendered)
    end = at[0] + 1
    while end < len(lines) and not _TOP_LEVEL.match(lines[end]):
        end += 1
    while end > at[0] + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # blank lines and comments before the next key belong to it
    if end == len(lines) and lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines[:end] + rendered[1:] + lines[end:])


def _write_atomic(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_dates(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps with dates as ISO text (for a JSON answer)."""

    def conv(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v.isoformat() if isinstance(v, dt.date) else v

    return [conv(s) for s in steps]
