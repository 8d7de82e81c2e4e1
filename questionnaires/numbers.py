"""Numbers as respondents type and read them: digits with stray punctuation, decimal commas, number words.

"2", " 2 ", "2.", "(2)", "2!" and "deux" all read as 2; "2,5" and "2.5" as 2.5. A value that could be
read two ways ("1.500": one and a half, or fifteen hundred?) is reported as ambiguous, never guessed.
Numbers shown to a respondent are written the same way back: "2,5" in French and Dutch.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from typing import Final

from questionnaires.folding import fold, words

MAX_DIGITS: Final = 15
"""Longer digit strings are refused before conversion (no float rounding, no huge-int parsing)."""

_WORDS_BY_LANGUAGE: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "fr": (
        ("zero",),
        ("un", "une"),
        ("deux",),
        ("trois",),
        ("quatre",),
        ("cinq",),
        ("six",),
        ("sept",),
        ("huit",),
        ("neuf",),
        ("dix",),
        ("onze",),
        ("douze",),
        ("treize",),
        ("quatorze",),
        ("quinze",),
        ("seize",),
        ("dix sept",),
        ("dix huit",),
        ("dix neuf",),
        ("vingt",),
    ),
    "nl": (
        ("nul",),
        ("een",),
        ("twee",),
        ("drie",),
        ("vier",),
        ("vijf",),
        ("zes",),
        ("zeven",),
        ("acht",),
        ("negen",),
        ("tien",),
        ("elf",),
        ("twaalf",),
        ("dertien",),
        ("veertien",),
        ("vijftien",),
        ("zestien",),
        ("zeventien",),
        ("achttien",),
        ("negentien",),
        ("twintig",),
    ),
    "en": (
        ("zero",),
        ("one",),
        ("two",),
        ("three",),
        ("four",),
        ("five",),
        ("six",),
        ("seven",),
        ("eight",),
        ("nine",),
        ("ten",),
        ("eleven",),
        ("twelve",),
        ("thirteen",),
        ("fourteen",),
        ("fifteen",),
        ("sixteen",),
        ("seventeen",),
        ("eighteen",),
        ("nineteen",),
        ("twenty",),
    ),
}

NUMBER_WORDS: Final[dict[str, int]] = {
    word: value
    for spellings in _WORDS_BY_LANGUAGE.values()
    for value, words in enumerate(spellings)
    for word in words
}
"""Folded number words of all three languages; no word means different numbers in two of them."""

NONE_WORDS: Final = frozenset({"aucun", "aucune", "pas un", "geen", "geen enkele", "none", "not one"})
"""Words that answer "how many?" with 0."""

_NUMBERISH: Final = frozenset({"ou", "of", "or", "a", "tot", "to", "et", "en", "and"}) | NONE_WORDS


class NumberProblem(enum.StrEnum):
    """Why a reply could not be read as a number."""

    NOT_A_NUMBER = "not_a_number"
    AMBIGUOUS = "ambiguous"
    """A single group of three decimals ("1.500", "2,000"): a decimal or a thousands separator."""
    TOO_LONG = "too_long"
    """More digits than any answer needs."""


_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?\d*[.,]\d+")
_THREE_DECIMALS = re.compile(r"[+-]?[1-9]\d{0,2}[.,]\d{3}")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:(?P<sep>[ '.,])\d{3})(?:(?P=sep)\d{3})*")
_GROUPED_DECIMAL = re.compile(r"[+-]?\d{1,3}(?:(?P<sep>[ '.,])\d{3})+(?P<point>[.,])\d+")


def _is_junk(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "PSZCM"


def clean_number_text(text: str) -> str:
    """Digits-friendly form of a reply: compatibility forms folded, junk trimmed, a leading sign kept."""
    text = unicodedata.normalize("NFKC", text).replace("\u2212", "-").strip()
    end = len(text)
    while end and _is_junk(text[end - 1]):
        end -= 1
    start = 0
    while start < end and _is_junk(text[start]):
        signed = text[start] in "+-" and start + 1 < end and text[start + 1].isdigit()
        if signed:
            break
        start += 1
    return text[start:end]


def _digits(text: str) -> int:
    return sum(1 for c in text if c.isdigit())


def read_number(text: str) -> int | float | NumberProblem:
    """The number a reply holds: an int for whole numbers written without decimals, else a float."""
    cleaned = clean_number_text(text)
    if not cleaned.isascii():
        cleaned = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in cleaned)
    if cleaned and _digits(cleaned) > MAX_DIGITS:
        return NumberProblem.TOO_LONG
    if _INTEGER.fullmatch(cleaned):
        return int(cleaned)
    if _THREE_DECIMALS.fullmatch(cleaned):
        return NumberProblem.AMBIGUOUS
    if _DECIMAL.fullmatch(cleaned):
        return float(cleaned.replace(",", "."))
    grouped = _GROUPED.fullmatch(cleaned)
    if grouped is not None:
        return int(re.sub(r"[ '.,]", "", cleaned))
    with_decimals = _GROUPED_DECIMAL.fullmatch(cleaned)
    if with_decimals is not None and with_decimals.group("sep") != with_decimals.group("point"):
        whole, _, fraction = cleaned.rpartition(with_decimals.group("point"))
        return float(re.sub(r"[ '.,]", "", whole) + "." + fraction)
    word = number_word(text)
    return NumberProblem.NOT_A_NUMBER if word is None else word


def number_word(text: str) -> int | None:
    """The value of a number word ("deux", "twee", "two", "dix-sept"), or None."""
    return NUMBER_WORDS.get(fold(text).replace("-", " "))


def leading_number(text: str) -> int | float | None:
    """The number a reply starts with when the words after it hold no other number ("3 enfants" -> 3).

    None for "3 ou plus" or "3 et demi": the words after the number change what it means.
    """
    first, _, rest = text.strip().partition(" ")
    if not rest or not any(c.isalpha() for c in rest) or any(c.isdigit() for c in rest):
        return None
    lead = read_number(first)
    if isinstance(lead, NumberProblem) or any(w in _NUMBERISH or w in NUMBER_WORDS for w in words(rest)):
        return None
    return lead


def format_number(value: float, language: str) -> str:
    """A bound as a respondent reads it: "10", or "2,5" with a decimal comma in French and Dutch."""
    text = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return text.replace(".", ",") if language in ("fr", "nl") else text
