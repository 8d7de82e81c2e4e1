"""Problems found in a definition: errors stop it from being used, warnings don't."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition, located precisely enough to fix it.

    ``location`` names the place in the definition: ``question A1``,
    ``indicator recommend``, ``consent``, or a row (``survey row 12``) for
    imported files.
    """

    source: str
    location: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{self.source}: {where}{self.message}"


class DefinitionError(Exception):
    """A definition that failed validation; it carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
