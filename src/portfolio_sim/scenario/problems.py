"""Field paths and readable problems from pydantic's validation errors.

A field path names one place in a scenario the way a user reads it:
``features[3].effort.pert``, ``teams[0].changes[1].on``, ``variants.hire-two[0]``.
Mapping keys that are not plain words (a ``set`` path such as ``teams.web.members``) are
written quoted in brackets: ``variants.hire-two[0].set["teams.web.members"]``.

:func:`format_path` and :func:`parse_path` are inverses, so a problem's path can be walked
back through the parsed file to find its line (:mod:`.load`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import types
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError

from portfolio_sim.errors import Problem

Loc = Sequence[str | int]

_WORD = re.compile(r"[A-Za-z0-9_\-]+")
_TOKEN = re.compile(r'\.?([A-Za-z0-9_\-]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def format_path(loc: Iterable[Any]) -> str:
    """``("features", 3, "effort", "pert")`` -> ``features[3].effort.pert``."""
    out = ""
    for el in loc:
        if isinstance(el, int) and not isinstance(el, bool):
            out += f"[{el}]"
        elif isinstance(el, str) and _WORD.fullmatch(el):
            out += f".{el}" if out else el
        else:
            out += f"[{json.dumps(str(el), ensure_ascii=False)}]"
    return out


def parse_path(path: str) -> list[str | int]:
    """Inverse of :func:`format_path`; stops at the first text that is not a path token.

    A variant problem's path is ``variants.NAME[i]: inner.path``; parsing it yields the
    location of the variant step, which is what a line number can point at.
    """
    out: list[str | int] = []
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None or (m.group(0).startswith(".") and not out):
            break
        word, index, quoted = m.groups()
        if word is not None:
            out.append(word)
        elif index is not None:
            out.append(int(index))
        else:
            out.append(json.loads(quoted))
        pos = m.end()
    return out


def suggest(name: object, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or ``""`` if none is close."""
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- pydantic errors -> problems ---------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` wrappers."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _union_member(tp: Any, tag: object) -> Any:
    """The member of a union that pydantic's loc ``tag`` names (``Tag`` or type name)."""
    for member in get_args(tp):
        tags = [m.tag for m in get_args(member)[1:] if isinstance(m, Tag)]
        bare = get_args(member)[0] if get_origin(member) is Annotated else member
        if tag in tags or getattr(bare, "__name__", None) == tag:
            return bare
    return None


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def clean_loc(root: type[BaseModel], loc: Loc) -> tuple[list[str | int], type[BaseModel] | None]:
    """Drop pydantic's internal loc parts (union tags, ``[key]``) by walking the types.

    Returns the loc as it appears in the data, and the model that holds the last part
    (to suggest a field name for an unknown field).
    """
    tp: Any = root
    out: list[str | int] = []
    parent: type[BaseModel] | None = None
    loc = list(loc)
    for i, el in enumerate(loc):
        if el == "[key]":  # pydantic marks an invalid dict key after the key itself
            continue
        tp = _unwrap(tp)
        if get_origin(tp) in (Union, types.UnionType):
            tp = _union_member(tp, el)
            continue
        origin = get_origin(tp)
        if _is_model(tp):
            parent = tp
            fields = {f.alias or n: f for n, f in tp.model_fields.items()}
            fields.update(tp.model_fields)
            field = fields.get(el) if isinstance(el, str) else None
            tp = field.annotation if field is not None else None
            out.append(el)
        elif origin is list:
            parent = None
            tp = get_args(tp)[0]
            out.append(el)
        elif origin is dict:
            parent = None
            args = get_args(tp)
            tp = args[0] if loc[i + 1 : i + 2] == ["[key]"] else args[1]
            out.append(el)
        else:
            parent = None
            tp = None
            out.append(el)
    return out, parent


_SCALARS = (str, int, float, bool, dt.date, type(None))


def _reason(err: Any, loc: list[str | int], parent: type[BaseModel] | None) -> str:
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value"))
    value = err.get("input")
    if kind == "missing":
        return "required field missing"
    if kind == "extra_forbidden":
        name = loc[-1] if loc else "?"
        hint = suggest(name, _field_names(parent)) if parent is not None else ""
        return f"unknown field {name!r}{hint}"
    ctx = err.get("ctx") or {}
    if kind == "too_short" and "min_length" in ctx:
        need = ctx["min_length"]
        return f"needs at least {need} item{'s' if need != 1 else ''}, got {ctx.get('actual_length', 0)}"
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    msg = re.sub(
        r"Input should be a valid dictionary or instance of \w+", "expected a mapping", msg
    )
    msg = re.sub(r"^Input should be a valid dictionary", "expected a mapping", msg)
    if isinstance(value, _SCALARS):
        shown = repr(value)
        if len(shown) > 40:
            shown = shown[:37] + "..."
        msg += f" (got {shown})"
    elif isinstance(value, list | dict):
        msg += f" (got a {'list' if isinstance(value, list) else 'mapping'})"
    return msg


def schema_problems(err: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """One :class:`Problem` per pydantic error, with a clean path and reason."""
    problems: list[Problem] = []
    for e in err.errors():
        loc, parent = clean_loc(root, e.get("loc", ()))
        problems.append(Problem(path=format_path(loc), reason=_reason(e, loc, parent)))
    return dedupe(problems)


def dedupe(problems: Iterable[Problem]) -> list[Problem]:
    """Drop repeated problems, keeping the first of each."""
    seen: set[Problem] = set()
    out: list[Problem] = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out
