"""Reading a respondent's reply to one question, forgivingly but never by guessing.

Accepted, whatever the conversation's language: the displayed number of a choice (see
:func:`option_keys`), digits with stray spaces or punctuation, number words (0 to 20 in French, Dutch
and English), yes/no words, a choice's label or a whole-word prefix of it of at least three letters
(case and accents ignored), several numbers for a multiple choice ("1 3", "1,3", "1 et 3", "1+3"),
decimals with a comma or a dot. Anything that fits two readings is ``ambiguous``, anything else
``not_understood``; the respondent is asked again, nothing is stored.

An optional question is skipped by an empty reply, a dash ("-") or a skip word (:data:`SKIP_WORDS`).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from questionnaires.conditions import evaluate
from questionnaires.folding import fold, words
from questionnaires.messages import CATALOG, FALLBACK_LANGUAGE, message, placeholders
from questionnaires.model import (
    CHOICE_TYPES,
    AnswerValue,
    Choice,
    Question,
    QuestionType,
    Translated,
    translate,
)
from questionnaires.numbers import NONE_WORDS, NUMBER_WORDS, NumberProblem, read_number

DEFAULT_MAX_LENGTH: Final = 500
"""Longest text answer when a question sets no ``max_length`` (docs/questionnaires.md)."""

MAX_REPLY_LENGTH: Final = 1000
"""Replies to non-text questions longer than this are not read at all."""

SKIP_WORDS: Final = frozenset(
    {"skip", "pass", "passer", "passe", "je passe", "overslaan", "sla over", "volgende vraag"}
)
"""Folded words that skip an optional question (with the empty reply and "-")."""

_YES: Final = frozenset(
    {"oui", "ouais", "ouai", "o", "bien sur"}
    | {"ja", "j", "jawel", "jazeker", "zeker"}
    | {"yes", "y", "yeah", "yep", "yup", "of course"}
)
_AGREEMENT: Final = frozenset(
    {"ok", "okay", "oke", "d accord", "volontiers", "akkoord", "goed", "prima", "sure"}
)
_NO: Final = frozenset({"non", "n", "nan", "nee", "neen", "no", "nope", "nah", "not really"})
_COURTESIES: Final = frozenset(
    {"merci", "merci beaucoup", "svp", "stp", "s il vous plait", "s il te plait"}
    | {"dank u", "dank je", "dankjewel", "dankuwel", "bedankt", "graag", "hoor"}
    | {"thanks", "thank you", "please"}
)
_LONGEST_SKIP: Final = 40
_LONGEST_COURTESY: Final = max(len(c.split()) for c in _COURTESIES)
_MULTIPLE_SEPARATORS: Final = re.compile(r"\s*(?:[,;+/&]|\b(?:et|en|and|plus)\b)\s*")
_DASHES: Final = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SCORE: Final = re.compile(r"(\d{1,3})\s*(?:/|sur|op|out of|of)\s*(\d{1,3})")
_NO_ANSWERS: Final[Mapping[str, AnswerValue]] = MappingProxyType({})
_NUMBERISH: Final = frozenset({"ou", "of", "or", "a", "tot", "to", "et", "en", "and"}) | NONE_WORDS


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


# --- choices ------------------------------------------------------------------------------------------


@functools.cache
def yes_no_choices() -> tuple[Choice, Choice]:
    """The two choices of every yes/no question (and of the consent), labelled from the catalog."""
    return Choice("yes", dict(CATALOG["yes"])), Choice("no", dict(CATALOG["no"]))


def option_keys(question: Question) -> list[tuple[str, Choice]]:
    """The number shown for each choice: the code itself when every code is a whole number, else 1, 2, 3…

    Every channel shows and reads choice numbers through this one function. Yes/no questions get
    the choices "yes" and "no", shown as 1 and 2; other question types have none.
    """
    if question.type is QuestionType.YES_NO:
        choices: Sequence[Choice] = yes_no_choices()
    elif question.type in CHOICE_TYPES:
        choices = question.choices
    else:
        return []
    codes = [c.code for c in choices]
    numeric = all(code.isascii() and code.isdigit() for code in codes)
    if numeric and len({int(code) for code in codes}) == len(codes):
        return [(c.code, c) for c in choices]
    return [(str(i), c) for i, c in enumerate(choices, start=1)]


def _by_number(keyed: Sequence[tuple[str, Choice]], number: int) -> Choice | None:
    return next((choice for key, choice in keyed if int(key) == number), None)


def _without_courtesies(typed: list[str]) -> list[str]:
    for cut in range(max(1, len(typed) - _LONGEST_COURTESY), len(typed)):
        if " ".join(typed[cut:]) in _COURTESIES:
            return typed[:cut]
    return typed


def _label_matches(keyed: Sequence[tuple[str, Choice]], text: str, language: str) -> list[Choice]:
    """Choices whose label is the reply, or else starts with its words (three letters at least).

    Labels in the conversation's language are tried before the others, exact matches before prefixes.
    """
    typed = _without_courtesies(words(text))
    if not typed:
        return []
    everywhere = sorted({lang for _, c in keyed for lang in c.label})
    for prefix in (False, True):
        if prefix and sum(len(w) for w in typed) < 3:
            break
        for languages in ([language], everywhere):
            found: list[Choice] = []
            for _, choice in keyed:
                for lang in languages:
                    label = words(choice.label.get(lang, ""))
                    hit = label[: len(typed)] == typed if prefix else label == typed
                    if hit and choice not in found:
                        found.append(choice)
            if found:
                return found
    return []


def _choice_from_labels(
    keyed: Sequence[tuple[str, Choice]], text: str, language: str, also: Choice | None = None
) -> Choice | ReplyError:
    found = _label_matches(keyed, text, language)
    if also is not None and also not in found:
        found = [also, *found]
    if len(found) == 1:
        return found[0]
    if found:
        return ReplyError(ReplyErrorCode.AMBIGUOUS, ("error.ambiguous_choice",))
    return _choice_not_understood(keyed)


def _choice_not_understood(keyed: Sequence[tuple[str, Choice]]) -> ReplyError:
    if [code for _, code in keyed] == list(yes_no_choices()):
        return ReplyError(ReplyErrorCode.NOT_UNDERSTOOD, ("error.not_understood", "error.yes_no"))
    return ReplyError(ReplyErrorCode.NOT_UNDERSTOOD, ("error.not_understood", "error.choose_number"))


def _one_choice(keyed: Sequence[tuple[str, Choice]], text: str, language: str) -> Choice | ReplyError:
    has_digits = any(c.isdigit() for c in text)
    number = read_number(text)
    if isinstance(number, int):
        choice = _by_number(keyed, number)
        if has_digits:
            return choice or ReplyError(ReplyErrorCode.OUT_OF_RANGE, ("error.not_an_option",))
        return _choice_from_labels(keyed, text, language, also=choice)
    if has_digits:
        first, _, rest = text.strip().partition(" ")
        lead = read_number(first)
        if not isinstance(lead, int) or not rest.strip():
            return ReplyError(ReplyErrorCode.OUT_OF_RANGE, ("error.not_an_option",))
        choice = _by_number(keyed, lead)
        if choice is None:
            return ReplyError(ReplyErrorCode.OUT_OF_RANGE, ("error.not_an_option",))
        if " ".join(words(rest)) in _COURTESIES:
            return choice
        named = _label_matches(keyed, rest, language)
        if named == [choice]:
            return choice
        if named:
            return ReplyError(ReplyErrorCode.AMBIGUOUS, ("error.ambiguous_choice",))
        return _choice_not_understood(keyed)
    return _choice_from_labels(keyed, text, language)


def _parse_single(question: Question, text: str, language: str) -> ParsedAnswer | ReplyError:
    found = _one_choice(option_keys(question), text, language)
    return found if isinstance(found, ReplyError) else ParsedAnswer(found.code)


def _parse_multiple(question: Question, text: str, language: str) -> ParsedAnswer | ReplyError:
    keyed = option_keys(question)
    chosen: list[Choice] = []
    whole = _label_matches(keyed, text, language) if not any(c.isdigit() for c in text) else []
    if len(whole) == 1:
        chosen = whole
    else:
        for part in _MULTIPLE_SEPARATORS.split(fold(text)):
            if not part:
                continue
            tokens = part.split()
            numbers = [read_number(token) for token in tokens]
            if len(tokens) > 1 and all(isinstance(n, int) for n in numbers):
                for token in tokens:
                    found = _one_choice(keyed, token, language)
                    if isinstance(found, ReplyError):
                        return found
                    chosen.append(found)
                continue
            found = _one_choice(keyed, part, language)
            if isinstance(found, ReplyError):
                return found
            chosen.append(found)
    if not chosen:
        return _choice_not_understood(keyed)
    return ParsedAnswer(tuple(choice.code for _, choice in keyed if choice in chosen))


def _read_yes_no(text: str, yes_words: frozenset[str]) -> bool | None:
    if len(text) > MAX_REPLY_LENGTH:
        return None
    typed = words(text)
    if not typed:
        return None
    kept = _without_courtesies(typed)
    phrase = " ".join(kept)
    for candidates, answer in ((yes_words, True), (_NO, False)):
        if phrase in candidates or (len(set(kept)) == 1 and kept[0] in candidates):
            return answer
    number = read_number(text)
    if number == 1 and any(c.isdigit() for c in text):
        return True
    if number == 2 and any(c.isdigit() for c in text):
        return False
    return None


def parse_yes_no(text: str, language: str) -> bool | None:
    """Whether a reply to the consent agrees (True), declines (False) or neither (None).

    Yes/no words of every language count (they never clash), and so do the numbers 1 and 2 shown
    with the consent; words of mere agreement ("ok", "d'accord", "akkoord") count as yes here,
    though not as an answer to a yes/no question ("Did you have a problem?" "OK").
    """
    del language
    return _read_yes_no(text, _YES | _AGREEMENT)


def _parse_yes_no(question: Question, text: str, language: str) -> ParsedAnswer | ReplyError:
    answer = _read_yes_no(text, _YES)
    if answer is not None:
        return ParsedAnswer("yes" if answer else "no")
    return _parse_single(question, text, language)


# --- numbers ------------------------------------------------------------------------------------------


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
        first, _, rest = text.strip().partition(" ")
        if rest and any(c.isalpha() for c in rest) and not any(c.isdigit() for c in rest):
            lead = read_number(first)
            if not isinstance(lead, NumberProblem) and not any(
                w in _NUMBERISH or w in NUMBER_WORDS for w in words(rest)
            ):
                return lead
        if number is NumberProblem.AMBIGUOUS:
            return ReplyError(ReplyErrorCode.AMBIGUOUS, ("error.ambiguous_number",))
        if number is NumberProblem.TOO_LONG:
            return _range_error(question)
        return _range_error(question, ReplyErrorCode.NOT_UNDERSTOOD)
    return number


def _parse_quantity(question: Question, text: str) -> ParsedAnswer | ReplyError:
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


# --- text ---------------------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """A free-text answer as stored: control characters removed, surrounding whitespace trimmed."""
    return _CONTROL.sub("", text).strip()


def _parse_text(question: Question, text: str) -> ParsedAnswer | ReplyError:
    value = clean_text(text)
    limit = question.max_length or DEFAULT_MAX_LENGTH
    if len(value) > limit:
        return ReplyError(ReplyErrorCode.TOO_LONG, ("error.too_long",), maximum=limit)
    return ParsedAnswer(value)


# --- entry points -------------------------------------------------------------------------------------


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
        result = _parse_single(question, text, language)
    elif question.type is QuestionType.MULTIPLE_CHOICE:
        result = _parse_multiple(question, text, language)
    elif question.type is QuestionType.YES_NO:
        result = _parse_yes_no(question, text, language)
    elif question.type in (QuestionType.SCALE, QuestionType.INTEGER, QuestionType.NUMBER):
        result = _parse_quantity(question, text)
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
            return _choice_not_understood(option_keys(question))
        raw = raw[0]
    if codes and raw in codes:
        return _checked(question, ParsedAnswer(raw), answers)
    return parse_reply(question, raw, language, answers=answers)


def format_number(value: float, language: str) -> str:
    """A bound as a respondent reads it: "10", or "2,5" with a decimal comma in French and Dutch."""
    text = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return text.replace(".", ",") if language in ("fr", "nl") else text


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
