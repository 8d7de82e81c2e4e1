"""What goes into the engine (a state and a reply) and what comes out (a turn).

These types are the contract between the channel-free engine and everything
around it: the conversation service stores :class:`State` as JSON, the channel
adapters turn an inbound message into a :class:`Reply` and render a
:class:`Prompt`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from questionnaires.model import AnswerValue

CONSENT_ID = "__consent__"
"""The pseudo question id of the consent prompt."""


class Stage(enum.StrEnum):
    CONSENT = "consent"
    ASKING = "asking"
    COMPLETED = "completed"
    REFUSED = "refused"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class State:
    """Where one respondent stands in one questionnaire.

    ``history`` lists the ids of the questions answered (or skipped by an
    unanswered optional question) in the order they were asked, so that "back"
    can return to the previous one. ``failures`` counts consecutive replies that
    could not be read for the current question.
    """

    language: str
    stage: Stage
    current: str | None
    answers: Mapping[str, AnswerValue]
    history: tuple[str, ...]
    failures: int
    started_at: datetime
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "stage": self.stage.value,
            "current": self.current,
            "answers": {k: list(v) if isinstance(v, tuple) else v for k, v in self.answers.items()},
            "history": list(self.history),
            "failures": self.failures,
            "started_at": self.started_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> State:
        return cls(
            language=data["language"],
            stage=Stage(data["stage"]),
            current=data["current"],
            answers={k: tuple(v) if isinstance(v, list) else v for k, v in data["answers"].items()},
            history=tuple(data["history"]),
            failures=int(data["failures"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
        )


@dataclass(frozen=True, slots=True)
class TextReply:
    """Whatever the respondent typed (SMS body, Telegram message)."""

    text: str


@dataclass(frozen=True, slots=True)
class AnswerReply:
    """A structured answer to one question: a tapped button or a submitted web screen.

    ``raw`` holds a choice code, a tuple of codes for multiple choice, or the
    typed string for text and number fields. ``question_id`` lets the engine
    recognise a tap on an outdated keyboard.
    """

    question_id: str
    raw: str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BackReply:
    """Return to the previous question to correct it."""


@dataclass(frozen=True, slots=True)
class LanguageReply:
    language: str


Reply: TypeAlias = TextReply | AnswerReply | BackReply | LanguageReply


class Outcome(enum.StrEnum):
    ASKED = "asked"
    """A reply was accepted (or the conversation started): ``prompt`` is the next question."""
    REASK = "reask"
    """The reply could not be used: ``error`` says why, ``prompt`` is the same question again."""
    OUTDATED = "outdated"
    """The reply answered a question that is no longer current: nothing stored, ``prompt`` is current."""
    COMPLETED = "completed"
    REFUSED = "refused"
    EXPIRED = "expired"
    CLOSED = "closed"
    """The conversation had already ended; nothing changed."""


@dataclass(frozen=True, slots=True)
class Option:
    """One answer a respondent can pick: ``key`` is what they type or see as a number."""

    key: str
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class Prompt:
    """A question (or the consent request) in one language, free of any channel's markup."""

    question_id: str
    kind: str
    """A QuestionType value, or "consent"."""
    text: str
    options: tuple[Option, ...] = ()
    hint: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_label: str | None = None
    max_label: str | None = None
    required: bool = True
    number: int = 0
    """1-based position among answerable questions (0 for consent)."""
    total: int = 0
    can_go_back: bool = False
    current_answer: AnswerValue | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """The result of one engine step: the new state and what to tell the respondent.

    ``messages`` come before the prompt (intro, notes, a confirmation) or stand
    alone (thanks on completion). ``answer`` is the one answer this turn stored,
    if any; ``removed`` lists answers dropped because skip logic hid their
    questions after a correction.
    """

    state: State
    outcome: Outcome
    prompt: Prompt | None = None
    messages: tuple[str, ...] = ()
    error: str | None = None
    offer_help: bool = False
    answer: tuple[str, AnswerValue] | None = None
    removed: tuple[str, ...] = field(default=())
