"""Reading a reply to a scale, integer or number question, and saying which numbers are accepted.

Besides the numbers of ``numbers.read_number``: a score out of the scale's maximum ("8/10", "8 sur 10"),
a scale's end label, "none" for 0 when counting, and a number followed by words that hold no other
number ("3 enfants").
"""

from __future__ import annotations

import re
from typing import Final

from questionnaires.folding import fold
from questionnaires.model import Question, QuestionType
from questionnaires.numbers import NONE_WORDS, NumberProblem, leading_number, read_number
from questionnaires.reply_results import ParsedAnswer, ReplyError, ReplyErrorCode

_SCORE: Final = re.compile(r"(\d{1,3})\s*(?:/|sur|op|out of|of)\s*(\d{1,3})")


def _range_error(question: Question, code: ReplyErrorCode = ReplyErrorCode.OUT_OF_RANGE) -> ReplyError:
    low, high = question.minimum, question.maximum
    if low is not None and high is not None:
        keys: tuple[str, ...] = ("hint.range",)
    elif low is not None:
        keys = ("error.at_least",)
    elif high is not None:
        keys = ("error.at_most",)
    elif question.type is QuestionType.NUMBER:
        keys = ("error.number",)
    else:
        keys = ("error.whole_number",)
    if code is ReplyErrorCode.NOT_UNDERSTOOD:
        keys = ("error.not_understood", *keys)
    return ReplyError(code, keys, minimum=low, maximum=high)


def _read_quantity(question: Question, text: str) -> int | float | ReplyError:
    folded = fold(text)
    if question.type is QuestionType.SCALE:
        score = _SCORE.fullmatch(folded)
        if score is not None and question.maximum == int(score.group(2)):
            return int(score.group(1))
        for label, value in ((question.min_label, question.minimum), (question.max_label, question.maximum)):
            if label and value is not None and any(fold(t) == folded for t in label.values()):
                return value
    elif folded in NONE_WORDS:
        return 0
    number = read_number(text)
    if isinstance(number, NumberProblem):
        lead = leading_number(text)
        if lead is not None:
            return lead
        if number is NumberProblem.AMBIGUOUS:
            return ReplyError(ReplyErrorCode.AMBIGUOUS, ("error.ambiguous_number",))
        if number is NumberProblem.TOO_LONG:
            return _range_error(question)
        return _range_error(question, ReplyErrorCode.NOT_UNDERSTOOD)
    return number


def parse_quantity(question: Question, text: str) -> ParsedAnswer | ReplyError:
    """The number a reply holds, as an int for scales and integers, within the question's bounds."""
    number = _read_quantity(question, text)
    if isinstance(number, ReplyError):
        return number
    value: int | float = number
    if question.type is QuestionType.NUMBER:
        value = float(number)
    elif isinstance(number, float):
        if not number.is_integer():
            return ReplyError(ReplyErrorCode.NOT_WHOLE, ("error.whole_number",))
        value = int(number)
    low, high = question.minimum, question.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        return _range_error(question)
    return ParsedAnswer(value)
