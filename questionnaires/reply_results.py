"""What reading a reply yields: an answer to store, a deliberate skip, or an error and its re-ask text."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from questionnaires.messages import CATALOG, FALLBACK_LANGUAGE, message, placeholders
from questionnaires.model import AnswerValue, Translated, translate
from questionnaires.numbers import format_number

MAX_REPLY_LENGTH: Final = 1000
"""Replies to non-text questions longer than this are not read at all."""


class ReplyErrorCode(enum.StrEnum):
    """Why a reply was not accepted; channels and statistics may count them."""

    NOT_UNDERSTOOD = "not_understood"
    OUT_OF_RANGE = "out_of_range"
    """A number outside the bounds, or a number that isn't one of the choices."""
    AMBIGUOUS = "ambiguous"
    NOT_WHOLE = "not_whole_number"
    TOO_LONG = "too_long"
    REQUIRED = "required"
    """An empty or skip reply to a question that must be answered."""
    CONSTRAINT = "constraint"


@dataclass(frozen=True, slots=True)
class ParsedAnswer:
    """A reply read as an answer, ready to store."""

    value: AnswerValue


@dataclass(frozen=True, slots=True)
class Skipped:
    """An optional question deliberately left unanswered."""


@dataclass(frozen=True, slots=True)
class ReplyError:
    """Why a reply can't be used; ``explain`` turns it into the short re-ask text."""

    code: ReplyErrorCode
    keys: tuple[str, ...]
    """Message keys that explain it, in order."""
    minimum: float | None = None
    maximum: float | None = None
    custom: Translated | None = None
    """A question's own ``constraint_message``."""


ReplyResult = ParsedAnswer | Skipped | ReplyError


def explain(error: ReplyError, language: str) -> str:
    """The short text telling the respondent why a reply was not accepted, in their language."""
    parts: list[str] = []
    if error.custom:
        parts.append(translate(error.custom, language, next(iter(error.custom), language)))
    bounds: dict[str, str] = {}
    if error.minimum is not None:
        bounds["min"] = format_number(error.minimum, language)
    if error.maximum is not None:
        bounds["max"] = format_number(error.maximum, language)
    for key in error.keys:
        wanted = placeholders(CATALOG[key][FALLBACK_LANGUAGE])
        parts.append(message(key, language, **{k: v for k, v in bounds.items() if k in wanted}))
    return " ".join(parts)
