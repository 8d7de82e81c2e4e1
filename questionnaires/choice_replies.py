"""Reading a reply to a choice question: the number shown for a choice, or its label, or several of them.

A choice is picked by its displayed number (see :func:`option_keys`), by its label, or by the start of
its label, of at least three letters ("inchang" for "Inchangée", "un peu am" for "Un peu améliorée";
case, accents and punctuation ignored), in the conversation's language first. Only the last typed word
may be cut short, and only the label's start counts ("améliorée" names neither "Beaucoup améliorée" nor
"Un peu améliorée"). An exact label wins over a longer label it begins ("Non" before "Non, jamais"); a
number word that names a choice ("deux") is weighed only against whole words of the labels, so a label
such as "Deuxième fois" doesn't make it ambiguous. Polite words around a reply ("2 merci", "oui svp") are
ignored. Several choices of a multiple choice are separated by spaces, commas or words ("1 3", "1,3",
"1 et 3", "1+3"). A reply that fits two choices is ambiguous and is asked again, never guessed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Final

from questionnaires.folding import fold, words
from questionnaires.messages import CATALOG
from questionnaires.model import CHOICE_TYPES, Choice, Question, QuestionType
from questionnaires.numbers import read_number
from questionnaires.reply_results import ParsedAnswer, ReplyError, ReplyErrorCode

COURTESIES: Final = frozenset(
    {"merci", "merci beaucoup", "svp", "stp", "s il vous plait", "s il te plait"}
    | {"dank u", "dank je", "dankjewel", "dankuwel", "bedankt", "graag", "hoor"}
    | {"thanks", "thank you", "please"}
)
"""Folded polite words that may end a reply without changing it."""

_LONGEST_COURTESY: Final = max(len(c.split()) for c in COURTESIES)
_MULTIPLE_SEPARATORS: Final = re.compile(r"\s*(?:[,;+/&]|\b(?:et|en|and|plus)\b)\s*")


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


def without_courtesies(typed: list[str]) -> list[str]:
    """The folded words of a reply without the polite words that end it (["2", "merci"] -> ["2"])."""
    for cut in range(max(1, len(typed) - _LONGEST_COURTESY), len(typed)):
        if " ".join(typed[cut:]) in COURTESIES:
            return typed[:cut]
    return typed


MIN_PREFIX_LETTERS: Final = 3
"""Fewest letters (or digits) a reply needs to name a choice by the start of its label."""


def _starts(label: list[str], typed: list[str], partial: bool) -> bool:
    """Whether the label begins with the typed words; with ``partial`` the last one may be cut short."""
    if not partial:
        return label[: len(typed)] == typed
    return " ".join(label).startswith(" ".join(typed))


def _label_matches(
    keyed: Sequence[tuple[str, Choice]], text: str, language: str, *, partial: bool = True
) -> list[Choice]:
    """Choices whose label is the reply, or else starts with it (three letters at least).

    Labels in the conversation's language are tried before the others, exact matches before prefixes.
    Without ``partial``, a prefix must end on a whole word of the label ("beaucoup", not "beauc").
    """
    typed = without_courtesies(words(text))
    if not typed:
        return []
    everywhere = sorted({lang for _, c in keyed for lang in c.label})
    for prefix in (False, True):
        if prefix and sum(len(w) for w in typed) < MIN_PREFIX_LETTERS:
            break
        for languages in ([language], everywhere):
            found: list[Choice] = []
            for _, choice in keyed:
                for lang in languages:
                    label = words(choice.label.get(lang, ""))
                    hit = _starts(label, typed, partial) if prefix else label == typed
                    if hit and choice not in found:
                        found.append(choice)
            if found:
                return found
    return []


def _choice_from_labels(
    keyed: Sequence[tuple[str, Choice]], text: str, language: str, also: Choice | None = None
) -> Choice | ReplyError:
    # A number word naming a choice keeps its priority over a label it merely begins ("sept" and
    # "Septembre"): only whole words of the labels can make it ambiguous.
    found = _label_matches(keyed, text, language, partial=also is None)
    if also is not None and also not in found:
        found = [also, *found]
    if len(found) == 1:
        return found[0]
    if found:
        return ReplyError(ReplyErrorCode.AMBIGUOUS, ("error.ambiguous_choice",))
    return choice_not_understood(keyed)


def choice_not_understood(keyed: Sequence[tuple[str, Choice]]) -> ReplyError:
    """The re-ask for a reply that names no choice: "answer yes or no", or "send the number of a choice"."""
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
        if " ".join(words(rest)) in COURTESIES:
            return choice
        named = _label_matches(keyed, rest, language)
        if named == [choice]:
            return choice
        if named:
            return ReplyError(ReplyErrorCode.AMBIGUOUS, ("error.ambiguous_choice",))
        return choice_not_understood(keyed)
    return _choice_from_labels(keyed, text, language)


def parse_single(question: Question, text: str, language: str) -> ParsedAnswer | ReplyError:
    """The code of the one choice a reply names."""
    found = _one_choice(option_keys(question), text, language)
    return found if isinstance(found, ReplyError) else ParsedAnswer(found.code)


def parse_multiple(question: Question, text: str, language: str) -> ParsedAnswer | ReplyError:
    """The codes of the choices a reply names, in the definition's order."""
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
        return choice_not_understood(keyed)
    return ParsedAnswer(tuple(choice.code for _, choice in keyed if choice in chosen))
