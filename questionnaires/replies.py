"""Reading a respondent's reply to one question, forgivingly but never by guessing.

Accepted, whatever the conversation's language: the displayed number of a choice (see
:func:`option_keys`), digits with stray spaces or punctuation, number words (0 to 20 in French, Dutch
and English), yes/no words, a choice's label or an unambiguous start of it of at least three letters
("inchang" for "Inchangée"; case and accents ignored), several numbers for a multiple choice ("1 3",
"1,3", "1 et 3", "1+3"), decimals with a comma or a dot. Anything that fits two readings is
``ambiguous``, anything else ``not_understood``; the respondent is asked again, nothing is stored.

An optional question is skipped by an empty reply, a dash ("-") or a skip word (:data:`SKIP_WORDS`).

This module sends each reply to the reader of its question's type (``choice_replies``,
``yes_no_replies``, ``number_replies``; free text is read here) and checks the question's constraint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from questionnaires.choice_replies import choice_not_understood, option_keys, parse_multiple, parse_single
from questionnaires.conditions import evaluate
from questionnaires.folding import fold
from questionnaires.model import NUMERIC_TYPES, AnswerValue, Question, QuestionType
from questionnaires.number_replies import parse_quantity
from questionnaires.numbers import format_number
from questionnaires.reply_results import (
    MAX_REPLY_LENGTH,
    ParsedAnswer,
    ReplyError,
    ReplyErrorCode,
    ReplyResult,
    Skipped,
    explain,
)
from questionnaires.yes_no_replies import parse_yes_no, parse_yes_no_answer

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "MAX_REPLY_LENGTH",
    "SKIP_WORDS",
    "ParsedAnswer",
    "ReplyError",
    "ReplyErrorCode",
    "ReplyResult",
    "Skipped",
    "clean_text",
    "explain",
    "format_number",
    "is_skip",
    "option_keys",
    "parse_answer",
    "parse_reply",
    "parse_yes_no",
]

DEFAULT_MAX_LENGTH: Final = 500
"""Longest text answer when a question sets no ``max_length`` (docs/questionnaires.md)."""

SKIP_WORDS: Final = frozenset(
    {"skip", "pass", "passer", "passe", "je passe", "overslaan", "sla over", "volgende vraag"}
)
"""Folded words that skip an optional question (with the empty reply and "-")."""

_LONGEST_SKIP: Final = 40
_DASHES: Final = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NO_ANSWERS: Final[Mapping[str, AnswerValue]] = MappingProxyType({})


def clean_text(text: str) -> str:
    """A free-text answer as stored: control characters removed, surrounding whitespace trimmed."""
    return _CONTROL.sub("", text).strip()


def _parse_text(question: Question, text: str) -> ParsedAnswer | ReplyError:
    value = clean_text(text)
    limit = question.max_length or DEFAULT_MAX_LENGTH
    if len(value) > limit:
        return ReplyError(ReplyErrorCode.TOO_LONG, ("error.too_long",), maximum=limit)
    return ParsedAnswer(value)


def is_skip(text: str) -> bool:
    """Whether a reply means "skip this question": empty, only dashes, or a skip word."""
    stripped = clean_text(text)
    if not stripped:
        return True
    if len(stripped) > _LONGEST_SKIP:
        return False
    return set(stripped) <= _DASHES or fold(stripped) in SKIP_WORDS


def _checked(
    question: Question, result: ParsedAnswer | ReplyError, answers: Mapping[str, AnswerValue]
) -> ParsedAnswer | ReplyError:
    if (
        isinstance(result, ParsedAnswer)
        and question.constraint is not None
        and not evaluate(question.constraint, answers, current=result.value)
    ):
        keys = () if question.constraint_message else ("error.constraint",)
        return ReplyError(ReplyErrorCode.CONSTRAINT, keys, custom=question.constraint_message)
    return result


def parse_reply(
    question: Question,
    text: str,
    language: str,
    *,
    answers: Mapping[str, AnswerValue] = _NO_ANSWERS,
) -> ReplyResult:
    """Read a typed reply to ``question``; ``answers`` so far are what its constraint may refer to."""
    if is_skip(text):
        if question.required:
            return ReplyError(ReplyErrorCode.REQUIRED, ("error.required",))
        return Skipped()
    if question.type is QuestionType.TEXT:
        return _checked(question, _parse_text(question, text), answers)
    if len(text) > MAX_REPLY_LENGTH:
        return ReplyError(ReplyErrorCode.NOT_UNDERSTOOD, ("error.not_understood",))
    if question.type is QuestionType.SINGLE_CHOICE:
        result = parse_single(question, text, language)
    elif question.type is QuestionType.MULTIPLE_CHOICE:
        result = parse_multiple(question, text, language)
    elif question.type is QuestionType.YES_NO:
        result = parse_yes_no_answer(question, text, language)
    elif question.type in NUMERIC_TYPES:
        result = parse_quantity(question, text)
    else:
        return ReplyError(ReplyErrorCode.NOT_UNDERSTOOD, ("error.not_understood",))
    return _checked(question, result, answers)


def parse_answer(
    question: Question,
    raw: str | tuple[str, ...],
    language: str,
    *,
    answers: Mapping[str, AnswerValue] = _NO_ANSWERS,
) -> ReplyResult:
    """Read a structured answer (a tapped button, a web field): choice codes, or typed text."""
    codes = {choice.code for _, choice in option_keys(question)}
    if question.type is QuestionType.MULTIPLE_CHOICE:
        chosen = (raw,) if isinstance(raw, str) else raw
        chosen = tuple(code for code in chosen if code)
        if not chosen:
            return parse_reply(question, "", language, answers=answers)
        if all(code in codes for code in chosen):
            ordered = tuple(c.code for c in question.choices if c.code in chosen)
            return _checked(question, ParsedAnswer(ordered), answers)
        return ReplyError(ReplyErrorCode.OUT_OF_RANGE, ("error.not_an_option",))
    if isinstance(raw, tuple):
        if len(raw) != 1:
            return choice_not_understood(option_keys(question))
        raw = raw[0]
    if codes and raw in codes:
        return _checked(question, ParsedAnswer(raw), answers)
    return parse_reply(question, raw, language, answers=answers)
