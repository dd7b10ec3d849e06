"""Reading scenario files: YAML 1.2 or TOML, validated, with line numbers in every problem.

* The format follows the extension: ``.yaml``/``.yml`` (YAML 1.2 through ruamel.yaml's
  round-trip loader, so ``NO``, ``on`` and ``yes`` stay strings) or ``.toml`` (tomllib).
* Validation runs in two phases: the schema (every value on its own), then the
  whole-scenario checks and every variant (:mod:`.checks`, :mod:`.variants`). Each phase
  reports **all** its problems at once in one :class:`~portfolio_sim.errors.ScenarioError`;
  the second phase runs only when the first passed (it needs a well-formed scenario).
* Each problem carries the file, the field path and a line: YAML lines are exact (the
  parser records where every key and item is); TOML lines are a best effort found by
  searching the text (``None`` when not found).
* Nothing but :class:`ScenarioError` escapes for bad input: a missing file, a syntax
  error, a wrong type anywhere.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tomllib
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning

from portfolio_sim.errors import Problem, ScenarioError
from portfolio_sim.scenario.checks import validate_data
from portfolio_sim.scenario.problems import parse_path
from portfolio_sim.scenario.schema import Scenario
from portfolio_sim.scenario.variants import apply_variant, validate_all_variants

Locator = Callable[[Sequence[str | int]], int | None]

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}
_MAX_NODES = 200_000
_MAX_DEPTH = 100


def load(path: str | os.PathLike[str], variant: str | None = None) -> Scenario:
    """Read, validate and return the scenario in ``path`` (optionally one of its variants).

    Every variant in the file is checked too, so a broken variant is reported even when
    another (or none) is asked for. Raises :class:`ScenarioError` listing every problem.
    """
    filename = os.fspath(path)
    fmt = FORMATS.get(Path(filename).suffix.lower())
    if fmt is None:
        raise ScenarioError(
            Problem(
                path="",
                reason=f"unsupported file type {Path(filename).suffix or '(none)'!r}: use .yaml, .yml or .toml",
                file=filename,
            )
        )
    try:
        text = Path(filename).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(Problem(path="", reason="file not found", file=filename)) from None
    except IsADirectoryError:
        raise ScenarioError(
            Problem(path="", reason="is a directory, not a file", file=filename)
        ) from None
    except UnicodeDecodeError as err:
        raise ScenarioError(
            Problem(path="", reason=f"not UTF-8 text ({err.reason})", file=filename)
        ) from None
    except OSError as err:
        raise ScenarioError(
            Problem(path="", reason=f"cannot read: {err.strerror or err}", file=filename)
        ) from None
    return load_text(text, fmt, filename, variant=variant)


def load_text(
    text: str, fmt: str, filename: str = "<string>", variant: str | None = None
) -> Scenario:
    """Like :func:`load` for text already in memory; ``fmt`` is ``"yaml"`` or ``"toml"``."""
    fmt = {"yml": "yaml"}.get(fmt.lower().lstrip("."), fmt.lower().lstrip("."))
    if fmt == "yaml":
        data, locate = _parse_yaml(text, filename)
    elif fmt == "toml":
        data, locate = _parse_toml(text, filename)
    else:
        raise ScenarioError(
            Problem(path="", reason=f"unknown format {fmt!r}: use yaml or toml", file=filename)
        )

    scenario, problems = validate_data(data)
    if scenario is not None:
        problems = validate_all_variants(scenario)
        if problems and variant is not None and variant not in scenario.variants:
            try:  # name the unknown variant too, not only the broken ones
                apply_variant(scenario, variant)
            except ScenarioError as err:
                problems = err.problems + problems
    if problems or scenario is None:
        raise ScenarioError(_located(problems, locate, filename))
    if variant is None:
        return scenario
    try:
        return apply_variant(scenario, variant)
    except ScenarioError as err:
        raise ScenarioError(_located(err.problems, locate, filename)) from None


def _located(problems: list[Problem], locate: Locator, filename: str) -> list[Problem]:
    return [
        Problem(path=p.path, reason=p.reason, file=filename, line=locate(parse_path(p.path)))
        for p in problems
    ]


# --- plain data ------------------------------------------------------------------------


class _Budget:
    """Counts converted nodes so that alias bombs and runaway nesting fail cleanly."""

    def __init__(self, filename: str) -> None:
        self.nodes = 0
        self.filename = filename

    def fail(self, reason: str) -> ScenarioError:
        return ScenarioError(Problem(path="", reason=reason, file=self.filename))


def _plain(value: Any, budget: _Budget, depth: int = 0) -> Any:
    """ruamel/tomllib objects -> plain dict, list, str, int, float, bool, date, None."""
    budget.nodes += 1
    if budget.nodes > _MAX_NODES:
        raise budget.fail(
            f"the document is too large (over {_MAX_NODES} values after expanding aliases)"
        )
    if depth > _MAX_DEPTH:
        raise budget.fail(f"the document is nested too deeply (over {_MAX_DEPTH} levels)")
    if isinstance(value, dict):
        return {_plain_key(k): _plain(v, budget, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, budget, depth + 1) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dt.datetime):
        return dt.datetime(*value.timetuple()[:6], value.microsecond, value.tzinfo)
    if isinstance(value, dt.date | dt.time):
        return value
    if hasattr(value, "value"):  # ruamel TaggedScalar: keep the text, drop the tag
        return _plain(value.value, budget, depth + 1)
    return str(value)


def _plain_key(key: Any) -> Any:
    if isinstance(key, str):
        return str(key)
    if isinstance(key, bool | int | float | dt.date) or key is None:
        return key
    return str(key)


# --- YAML ------------------------------------------------------------------------------


def _parse_yaml(text: str, filename: str) -> tuple[Any, Locator]:
    with _reused_anchors_allowed():
        return _parse_yaml_text(text, filename)


@contextlib.contextmanager
def _reused_anchors_allowed() -> Iterator[None]:
    """YAML 1.2 allows an anchor name to be used again (an alias refers to the latest
    node of that name), but ruamel.yaml warns about it on stderr, which reads like a fault
    in the scenario: the warning is silenced while a scenario is read."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReusedAnchorWarning)
        yield


def _parse_yaml_text(text: str, filename: str) -> tuple[Any, Locator]:
    old = re.search(r"^%YAML[ \t]+1\.[01]\b", text, re.MULTILINE)
    if old:  # ruamel would switch to YAML 1.1 (NO -> false): the contract is YAML 1.2
        line = text.count("\n", 0, old.start()) + 1
        raise ScenarioError(
            Problem(
                path="",
                reason="scenario files are YAML 1.2: remove the %YAML 1.1 directive",
                file=filename,
                line=line,
            )
        )
    if _PLAIN_TEXT_OK(text):
        data = _load_compiled(text)
        if data is not _NOT_LOADED:
            return _plain(data, _Budget(filename)), _lazy_locator(text)
    tree = _load_without_comments(text) if _PLAIN_TEXT_OK(text) else _NOT_LOADED
    try:
        if tree is _NOT_LOADED:
            tree = _yaml_loader().load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        reason = " ".join(str(x) for x in (err.context, err.problem) if x)
        reason = re.sub(r"\s+", " ", reason).strip() or "syntax error"
        raise ScenarioError(
            Problem(
                path="",
                reason=f"invalid YAML: {reason}",
                file=filename,
                line=mark.line + 1 if mark else None,
            )
        ) from None
    except RecursionError:
        raise ScenarioError(
            Problem(path="", reason="invalid YAML: nested too deeply", file=filename)
        ) from None
    except Exception as err:  # ruamel raises ValueError etc. for e.g. 2027-02-30
        raise ScenarioError(
            Problem(path="", reason=f"invalid YAML: {err}", file=filename)
        ) from None
    return _plain(tree, _Budget(filename)), lambda loc: _yaml_line(tree, loc)


def _yaml_loader(*, comments: bool = True) -> YAML:
    """ruamel.yaml's round-trip loader (YAML 1.2, line numbers on every node).

    Without ``comments`` it scans with the plain scanner and parser: the round-trip ones
    only add gathering comments (which we drop) and keeping tags as written, and cost
    about a quarter of the time of a commented scenario."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    if not comments:
        from ruamel.yaml.parser import Parser
        from ruamel.yaml.scanner import Scanner

        yaml.Scanner = Scanner
        yaml.Parser = Parser
    return yaml


_NOT_LOADED = object()
#: Texts the comment-free loader may read: no tags (``!``), no block scalars (``|``,
#: ``>``), where the round-trip scanner and parser do more than gather comments.
_PLAIN_TEXT_OK = re.compile(r"[^!|>]*").fullmatch


def _load_without_comments(text: str) -> Any:
    """The tree of the comment-free loader, or ``_NOT_LOADED`` on any problem (the full
    loader then reads the text again and reports it exactly as always)."""
    try:
        return _yaml_loader(comments=False).load(text)
    except Exception:
        return _NOT_LOADED


def _load_compiled(text: str) -> Any:
    """Plain data from ruamel.yaml's safe loader on its C parser (``ruamel.yaml.clib``):
    YAML 1.2 types as the round-trip loader gives them, about four times faster, but no
    line numbers. ``_NOT_LOADED`` when the C parser is not installed or on any problem
    (the round-trip loader then reads the text and reports it exactly as always)."""
    try:
        import _ruamel_yaml  # noqa: F401  (the C parser; optional)
    except ImportError:
        return _NOT_LOADED
    try:
        yaml = YAML(typ="safe", pure=False)
        yaml.allow_duplicate_keys = False
        return yaml.load(text)
    except Exception:
        return _NOT_LOADED


def _lazy_locator(text: str) -> Locator:
    """Line numbers for a text read by :func:`_load_compiled`: the round-trip tree is
    built only when a problem needs a line (valid files never pay for it)."""
    trees: list[Any] = []

    def locate(loc: Sequence[str | int]) -> int | None:
        if not trees:
            with _reused_anchors_allowed():
                trees.append(_load_tree(text))
        return _yaml_line(trees[0], loc)

    return locate


def _load_tree(text: str) -> Any:
    """The round-trip tree of a text already read once (None if it cannot be read)."""
    tree = _load_without_comments(text)
    if tree is _NOT_LOADED:
        try:
            tree = _yaml_loader().load(text)
        except Exception:  # no line rather than no message
            tree = None
    return tree


def _yaml_line(tree: Any, loc: Sequence[str | int]) -> int | None:
    """1-based line of the deepest node of ``loc`` present in the parsed tree."""
    node, line = tree, None
    for el in loc:
        try:
            if isinstance(node, CommentedMap) and el in node:
                line = node.lc.key(el)[0] + 1
                node = node[el]
            elif isinstance(node, CommentedSeq) and isinstance(el, int) and 0 <= el < len(node):
                line = node.lc.item(el)[0] + 1
                node = node[el]
            else:
                break
        except (KeyError, TypeError, AttributeError, IndexError):
            break
    return line


# --- TOML ------------------------------------------------------------------------------


def _parse_toml(text: str, filename: str) -> tuple[Any, Locator]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = str(err)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = int(m.group(1)) if m else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)|\s*\(at end of document\)", "", msg)
        raise ScenarioError(
            Problem(path="", reason=f"invalid TOML: {reason}", file=filename, line=line)
        ) from None
    except (ValueError, RecursionError) as err:
        raise ScenarioError(
            Problem(path="", reason=f"invalid TOML: {err}", file=filename)
        ) from None
    lines = text.splitlines()
    return _plain(data, _Budget(filename)), lambda loc: _toml_line(lines, loc)


def _key_re(key: str, *, line_start: bool = False) -> str:
    """A TOML ``key =`` (bare or quoted), anywhere in a line or only at its start."""
    k = re.escape(key)
    before = r"^\s*" if line_start else r"(?:^|[\s{,.])"
    return before + rf"""(?:{k}|"{k}"|'{k}')\s*="""


def _toml_line(lines: list[str], loc: Sequence[str | int]) -> int | None:
    """Best-effort 1-based line for ``loc`` in TOML text (tables, arrays of tables, keys)."""
    if not loc or not isinstance(loc[0], str):
        return None
    head = re.escape(loc[0])
    rest: list[str | int] = list(loc[1:])
    start = end = None
    array_headers = [i for i, s in enumerate(lines) if re.match(rf"\s*\[\[\s*{head}\s*\]\]", s)]
    if array_headers and rest and isinstance(rest[0], int):
        if rest[0] >= len(array_headers):
            return array_headers[-1] + 1
        start = array_headers[rest[0]]
        rest = rest[1:]
    else:
        table = [i for i, s in enumerate(lines) if re.match(rf"\s*\[\s*{head}\s*\]", s)]
        keyed = [i for i, s in enumerate(lines) if re.match(_key_re(loc[0], line_start=True), s)]
        found = table or keyed
        if not found:
            return None
        start = found[0]
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if re.match(r"\s*\[", lines[i]) and not re.match(rf"\s*\[\[?\s*{head}\.", lines[i])
        ),
        len(lines),
    )
    line, pos = start, start
    for key in rest:
        if not isinstance(key, str):
            continue
        hit = next((i for i in range(pos, end) if re.search(_key_re(key), lines[i])), None)
        if hit is None:
            break
        line = pos = hit
    return line + 1
