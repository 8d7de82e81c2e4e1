"""SMS length accounting: GSM-7 or UCS-2 encoding, segment counts, and GSM-7 transliteration.

Rules (3GPP TS 23.038 / 23.040, as Twilio applies them):

* A text made only of GSM-7 basic and extension characters is sent as GSM-7: 160 septets in a single
  message, 153 per part once it is split. Extension characters (``^{}\\[~]|€`` and form feed) are sent as an
  escape pair and cost 2 septets; a pair is never split across parts.
* Any other character turns the whole text into UCS-2: 70 UTF-16 code units in a single message, 67 per
  part. A character outside the Basic Multilingual Plane (most emoji) is a surrogate pair, costs 2 units and
  is never split across parts.
* The empty text is counted as one GSM-7 segment: a message is still sent and billed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[]~|€")

_GSM7_SINGLE, _GSM7_PART = 160, 153
_UCS2_SINGLE, _UCS2_PART = 70, 67

# Close GSM-7 replacements for characters common in French, Dutch and English texts. Characters that are
# already GSM-7 (é è ù ì ò à É Ç ä ö ü ñ Ä Ö Ü Ñ ß Å å Æ æ Ø ø) are deliberately absent.
_REPLACEMENTS: dict[str, str] = {
    "â": "a",
    "á": "a",
    "ã": "a",
    "À": "A",
    "Â": "A",
    "Á": "A",
    "Ã": "A",
    "ê": "e",
    "ë": "e",
    "È": "E",
    "Ê": "E",
    "Ë": "E",
    "î": "i",
    "ï": "i",
    "í": "i",
    "Ì": "I",
    "Î": "I",
    "Ï": "I",
    "Í": "I",
    "ô": "o",
    "ó": "o",
    "õ": "o",
    "Ò": "O",
    "Ô": "O",
    "Ó": "O",
    "Õ": "O",
    "û": "u",
    "ú": "u",
    "Ù": "U",
    "Û": "U",
    "Ú": "U",
    "ÿ": "y",
    "ý": "y",
    "Ÿ": "Y",
    "Ý": "Y",
    "ç": "c",
    "œ": "oe",
    "Œ": "OE",
    "ĳ": "ij",
    "Ĳ": "IJ",
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
    "\u201a": "'",  # ‚
    "\u2032": "'",  # ′
    "`": "'",
    "´": "'",
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "«": '"',
    "»": '"',
    "\u2039": "'",  # ‹
    "\u203a": "'",  # ›
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2212": "-",  # minus sign
    "\u2026": "...",
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space (French typography before ; : ! ?)
    "\u2009": " ",  # thin space
    "\u2007": " ",  # figure space
    "\u200b": "",  # zero-width space
    "\u00ad": "",  # soft hyphen
    "\t": " ",
    "•": "-",
    "·": ".",
    "°": "o",
    "²": "2",
    "³": "3",
    "½": "1/2",
    "¼": "1/4",
    "×": "x",
    "÷": "/",
    "≤": "<=",
    "≥": ">=",
}


@dataclass(frozen=True)
class SegmentCount:
    """How a text travels by SMS: its encoding, number of segments, encoded units and characters."""

    encoding: Literal["GSM-7", "UCS-2"]
    segments: int
    units: int
    characters: int


def is_gsm7(char: str) -> bool:
    """Whether one character can be sent in a GSM-7 message (basic or extension table)."""
    return char in GSM7_BASIC or char in GSM7_EXTENSION


def non_gsm_characters(text: str) -> list[str]:
    """The distinct characters that force ``text`` into UCS-2, in order of first appearance."""
    seen: dict[str, None] = {}
    for char in text:
        if not is_gsm7(char):
            seen.setdefault(char, None)
    return list(seen)


def _pack(costs: list[int], single: int, part: int) -> int:
    """Count segments when characters of the given costs are packed greedily without being split."""
    if sum(costs) <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:
            segments += 1
            used = 0
        used += cost
    return segments


def count_segments(text: str) -> SegmentCount:
    """Count the encoding, segments and units of an SMS text, so questions can be kept to one segment."""
    if all(is_gsm7(char) for char in text):
        costs = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return SegmentCount("GSM-7", _pack(costs, _GSM7_SINGLE, _GSM7_PART), sum(costs), len(text))
    costs = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return SegmentCount("UCS-2", _pack(costs, _UCS2_SINGLE, _UCS2_PART), sum(costs), len(text))


def transliterate(text: str) -> str:
    """Replace characters outside GSM-7 with close GSM-7 ones, so a French or Dutch text stays GSM-7.

    Characters with no close equivalent (emoji, other scripts) are kept: ``non_gsm_characters`` of the
    result names them.
    """
    out: list[str] = []
    for char in text:
        if is_gsm7(char):
            out.append(char)
        elif char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        else:
            out.append(_strip_accents(char))
    return "".join(out)


def _strip_accents(char: str) -> str:
    """Fall back to the base letters of a decomposed character when they are all GSM-7."""
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and all(is_gsm7(c) for c in base):
        return base
    return char
