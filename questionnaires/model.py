"""The questionnaire definition as immutable data.

A definition is loaded from a human-written file (see ``docs/questionnaires.md``),
validated, and from then on only read: the engine, the renderers and the scoring
all take a :class:`Questionnaire` and never change it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:
    from questionnaires.condition_tree import Condition

Language: TypeAlias = Literal["fr", "nl", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "nl", "en")

Translated: TypeAlias = Mapping[str, str]
"""A text in several languages, keyed by language code ("fr", "nl", "en")."""

AnswerValue: TypeAlias = str | int | float | tuple[str, ...]
"""What an answer holds once parsed.

single_choice -> the choice code (str); yes_no -> "yes" or "no";
multiple_choice -> the chosen codes in the definition's order (tuple[str, ...]);
scale and integer -> int; number -> float; text -> str.
"""


class QuestionType(enum.StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SCALE = "scale"
    YES_NO = "yes_no"
    INTEGER = "integer"
    NUMBER = "number"
    TEXT = "text"
    NOTE = "note"


CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})
NUMERIC_TYPES = frozenset({QuestionType.SCALE, QuestionType.INTEGER, QuestionType.NUMBER})
WHOLE_NUMBER_TYPES = frozenset({QuestionType.SCALE, QuestionType.INTEGER})
YES_NO_CODES: tuple[str, str] = ("yes", "no")


class Dimension(enum.StrEnum):
    """Impact dimensions of the VISES-inspired frame (research/impact-instruments.md, 1.4)."""

    INDIVIDUALS = "individuals"
    SOCIAL_LINK = "social_link"
    TERRITORY = "territory"
    ECONOMY_EMPLOYMENT = "economy_employment"
    GOVERNANCE = "governance"
    ENVIRONMENT = "environment"
    PRACTICES = "practices"


class IndicatorMethod(enum.StrEnum):
    SHARE = "share"
    MEAN = "mean"
    SUM = "sum"
    RECOMMEND = "recommend"
    BANDS = "bands"


def translate(text: Translated, language: str, default_language: str) -> str:
    """The text in ``language``, falling back to the default language, then to any."""
    if language in text:
        return text[language]
    if default_language in text:
        return text[default_language]
    return next(iter(text.values()), "")


def as_code(value: str | int | float) -> str:
    """A value as the choice code it is compared with: 3 and 3.0 both give "3"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True, slots=True)
class Choice:
    code: str
    label: Translated


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: QuestionType
    text: Translated
    required: bool = True
    choices: tuple[Choice, ...] = ()
    minimum: float | None = None
    """Lowest accepted value (scale, integer, number)."""
    maximum: float | None = None
    min_label: Translated | None = None
    max_label: Translated | None = None
    max_length: int | None = None
    """Longest accepted free text, in characters."""
    hint: Translated | None = None
    show_if: Condition | None = None
    show_if_source: str | None = None
    constraint: Condition | None = None
    """A condition over ``.`` (this answer) that a reply must satisfy."""
    constraint_source: str | None = None
    constraint_message: Translated | None = None

    @property
    def answerable(self) -> bool:
        return self.type is not QuestionType.NOTE

    def choice(self, code: str) -> Choice | None:
        return next((c for c in self.choices if c.code == code), None)


@dataclass(frozen=True, slots=True)
class Band:
    id: str
    label: Translated
    minimum: float
    maximum: float


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    title: Translated
    dimension: Dimension
    method: IndicatorMethod
    questions: tuple[str, ...]
    codes: tuple[str, ...] = ()
    """share: the answers that count as a hit (choice codes, or values as strings)."""
    exclude: tuple[str, ...] = ()
    """share and mean: answers left out of the denominator ("don't know")."""
    rescale: bool = False
    """mean: report on 0-100 instead of the scale's own range."""
    reverse: tuple[str, ...] = ()
    """mean: ids of reverse-coded questions."""
    multiplier: float = 1.0
    """sum: factor applied to the raw sum (WHO-5: 4)."""
    bands: tuple[Band, ...] = ()
    min_n: int = 5
    """Fewest respondents for which a value is shown."""
    description: Translated | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Consent:
    version: str
    text: Translated


@dataclass(frozen=True, slots=True)
class Questionnaire:
    id: str
    version: int
    title: Translated
    languages: tuple[str, ...]
    default_language: str
    consent: Consent
    questions: tuple[Question, ...]
    indicators: tuple[Indicator, ...] = ()
    audience: str = ""
    intro: Translated | None = None
    thanks: Translated | None = None
    source: str | None = None
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({q.id: i for i, q in enumerate(self.questions)})

    def question(self, question_id: str) -> Question:
        return self.questions[self._index[question_id]]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._index

    def position(self, question_id: str) -> int:
        return self._index[question_id]

    @property
    def answerable_count(self) -> int:
        return sum(1 for q in self.questions if q.answerable)
