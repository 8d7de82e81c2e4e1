"""The ``callback_data`` of our inline buttons: which question a tap answers, and with what.

Telegram gives a button at most 64 bytes of data and sends them back untouched when it is tapped, so
the data names the question as well as the answer: the engine can then tell a tap on the current
question from a tap on an older keyboard still visible higher up in the chat. Formats:

* ``a:<question id>:<value>`` an answer (a choice code, a scale value, ``-`` to skip);
* ``b:<question id>`` "back", tapped under that question;
* ``l:<language>`` a language from the /language picker;
* ``h:<digest>:<digest>`` and ``g:<digest>`` the answer and back forms when the ids are too long
  to fit: each id is replaced by 11 characters of its SHA-256, read back against the questionnaire
  (:func:`resolve`).

Question ids are letters, digits and underscores, so the first two colons always split the fields;
a choice code may itself hold colons.
"""

from __future__ import annotations

import base64
import enum
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from questionnaires.model import Question, Questionnaire, QuestionType
from questionnaires.prompts import consent_question
from questionnaires.replies import option_keys

DATA_LIMIT: Final = 64
"""Telegram's limit on a button's callback data, in bytes (``InlineKeyboardButtonLimit``)."""
SKIP: Final = "-"
"""The value of the "skip" button of an optional question (the engine reads "-" as a skip)."""
_DIGEST_LENGTH: Final = 11


class TapKind(enum.StrEnum):
    ANSWER = "a"
    BACK = "b"
    LANGUAGE = "l"


@dataclass(frozen=True, slots=True)
class TapData:
    """A button's callback data, read back. ``hashed`` ids must be resolved before use."""

    kind: TapKind
    question: str | None = None
    value: str | None = None
    hashed: bool = False


def digest(value: str) -> str:
    """The short, URL-safe stand-in for an id too long for callback data."""
    raw = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(raw).decode()[:_DIGEST_LENGTH]


def _fits(data: str) -> bool:
    return len(data.encode()) <= DATA_LIMIT


def answer_data(question_id: str, value: str) -> str:
    """The data of a button that answers ``question_id`` with ``value``."""
    plain = f"{TapKind.ANSWER}:{question_id}:{value}"
    return plain if _fits(plain) else f"h:{digest(question_id)}:{digest(value)}"


def back_data(question_id: str) -> str:
    plain = f"{TapKind.BACK}:{question_id}"
    return plain if _fits(plain) else f"g:{digest(question_id)}"


def language_data(language: str) -> str:
    return f"{TapKind.LANGUAGE}:{language}"


def read(data: str | None) -> TapData | None:
    """What a tapped button's data means; None for data we never wrote (an old or foreign format)."""
    if not data:
        return None
    kind, _, rest = data.partition(":")
    if kind in ("a", "h"):
        question, separator, value = rest.partition(":")
        if not question or not separator or not value:
            return None
        return TapData(TapKind.ANSWER, question, value, hashed=kind == "h")
    if kind in ("b", "g") and rest:
        return TapData(TapKind.BACK, rest, hashed=kind == "g")
    if kind == "l" and rest:
        return TapData(TapKind.LANGUAGE, value=rest)
    return None


def _questions(questionnaire: Questionnaire) -> Iterator[Question]:
    yield consent_question(questionnaire)
    yield from questionnaire.questions


def _values(question: Question) -> Iterator[str]:
    yield SKIP
    for _, choice in option_keys(question):
        yield choice.code
    if question.type is QuestionType.SCALE and question.minimum is not None and question.maximum is not None:
        yield from (str(n) for n in range(int(question.minimum), int(question.maximum) + 1))


def resolve(tap: TapData, questionnaire: Questionnaire) -> TapData:
    """The tap with its hashed ids replaced by the questionnaire's own.

    An id that matches nothing stays hashed: it can't be the current question, so the engine treats the
    tap as one on an outdated keyboard.
    """
    if not tap.hashed or tap.question is None:
        return tap
    for question in _questions(questionnaire):
        if digest(question.id) != tap.question:
            continue
        if tap.kind is TapKind.BACK:
            return TapData(TapKind.BACK, question.id)
        value = next((v for v in _values(question) if tap.value is not None and digest(v) == tap.value), None)
        if value is None:
            return tap
        return TapData(TapKind.ANSWER, question.id, value)
    return tap
