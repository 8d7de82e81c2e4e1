"""Folding what people type so that matching ignores case, accents, spacing and stray punctuation.

Names written in imported forms (language headers, question names) are folded to plain ASCII instead.
"""

from __future__ import annotations

import re
import unicodedata

_DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf", "Cc", "Cs", "Co", "Cn"})
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_WORD = re.compile(r"[^\W_]+")


def _is_edge_junk(char: str) -> bool:
    category = unicodedata.category(char)
    return char.isspace() or category[0] in "PSZ"


def trim_edges(text: str) -> str:
    """``text`` without whitespace, punctuation or symbols at either end ("(2)!" -> "2")."""
    start, end = 0, len(text)
    while start < end and _is_edge_junk(text[start]):
        start += 1
    while end > start and _is_edge_junk(text[end - 1]):
        end -= 1
    return text[start:end]


def fold(text: str) -> str:
    """A matching key for ``text``: no accents, no case, single spaces, no punctuation at either end."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    kept = "".join(
        " " if c.isspace() else c
        for c in decomposed
        if c.isspace() or unicodedata.category(c) not in _DROPPED_CATEGORIES
    )
    return trim_edges(" ".join(kept.casefold().split()))


def words(text: str) -> list[str]:
    """The folded words of ``text`` for word-wise matching; apostrophes separate words ("d'accord")."""
    return _WORD.findall(fold(text))


def ascii_fold(text: str) -> str:
    """``text`` in plain ASCII: accents dropped, and so is anything without an ASCII base letter."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
