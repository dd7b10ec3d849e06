"""Errors the package raises for bad input.

Every problem with a scenario is a :class:`Problem`: the file, the line (when the parser
knows it), the field path (``features[3].effort.pert``) and a reason a PM can act on.
A :class:`ScenarioError` carries *all* problems found at once, so a user fixes a file in
one pass instead of one error per run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario."""

    path: str
    reason: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        elif self.line is not None:
            where = f"line {self.line}: "
        path = f"{self.path}: " if self.path else ""
        return f"{where}{path}{self.reason}"


class PortfolioSimError(Exception):
    """Base class of every error this package raises on purpose."""


class ScenarioError(PortfolioSimError):
    """A scenario (or variant, or command-line input) is invalid.

    ``problems`` lists every problem found; ``str(err)`` is one line per problem.
    """

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(path="", reason=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InputError(PortfolioSimError):
    """Bad command-line or API input that is not a scenario problem (a path, a flag)."""


class ModelError(PortfolioSimError):
    """The model cannot answer: an engine reached a state it must never reach. Raised
    rather than returning a possibly wrong forecast (the CLI exits 2 with the reason)."""
