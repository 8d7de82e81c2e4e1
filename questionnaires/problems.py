"""Problems found in a definition: errors stop it from being used, warnings don't."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from questionnaires.problem_texts import TEMPLATES

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition, located precisely enough to fix it.

    ``location`` names the place in the definition: ``question A1``,
    ``indicator recommend``, ``consent``, or a row (``survey row 12``) for
    imported files. A common problem also has a ``code`` and the values its
    message names (``params``), for an interface to word it in its own
    language (``problem_texts``); the message is then that wording in English.
    """

    source: str
    location: str
    message: str
    severity: Severity = "error"
    code: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{self.source}: {where}{self.message}"

    @classmethod
    def coded(
        cls, source: str, location: str, code: str, severity: Severity = "error", /, **params: str
    ) -> Problem:
        """The problem ``code`` of ``problem_texts``, its English message filled in with ``params``."""
        return cls(source, location, TEMPLATES[code] % params, severity, code, tuple(params.items()))


@dataclass(slots=True)
class ProblemReport:
    """The problems of one source in the order found, for the checks and imports that report many at once."""

    source: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, location: str, message: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(self.source, location, message, severity))

    def coded(self, location: str, code: str, severity: Severity = "error", /, **params: str) -> None:
        """Add a common problem by its code (``problem_texts``), so that interfaces can word it themselves."""
        self.problems.append(Problem.coded(self.source, location, code, severity, **params))

    def error(self, location: str, message: str) -> None:
        self.add(location, message, "error")

    def warn(self, location: str, message: str) -> None:
        self.add(location, message, "warning")


class DefinitionError(Exception):
    """A definition that failed validation; it carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
