"""The languages of an imported XLSForm: which of its columns become fr, nl and en, and the texts in them.

An XLSForm names its languages in column headers ("label::French (fr)", "label::Nederlands"), or not at
all ("label"). Ours are fr, nl and en; a column in another language is dropped (with a warning), and a
text missing in one of ours is filled in from another language, so that every question can be asked
in every language of the document, with a warning naming what was filled in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from questionnaires.folding import ascii_fold
from questionnaires.model import LANGUAGES
from questionnaires.xlsform_rows import elements
from questionnaires.xlsform_xpath import REFERENCE

_LANGUAGE_NAMES = {
    "en": "en", "eng": "en", "english": "en", "anglais": "en", "engels": "en", "englisch": "en",
    "fr": "fr", "fra": "fr", "fre": "fr", "french": "fr", "francais": "fr", "frans": "fr",
    "nl": "nl", "nld": "nl", "dut": "nl", "dutch": "nl", "nederlands": "nl", "neerlandais": "nl",
    "flemish": "nl", "vlaams": "nl", "flamand": "nl",
}  # fmt: skip
_LANGUAGE_WITH_CODE = re.compile(r".*\(\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*\)\s*")
_UNTRANSLATED = "default"  # pyxform's key for a column without "::language"


class Languages:
    """Which of the form's languages become ours (fr, nl, en), and where missing texts come from."""

    def __init__(self, form: dict[str, Any], warn: Callable[[str, str], None]) -> None:
        self.warn = warn
        self.untranslated = str(form.get("default_language") or _UNTRANSLATED)
        keys = list(dict.fromkeys(_text_keys(form, self.untranslated)))
        self.sources: dict[str, str] = {}
        for key in keys:
            code = _language_code(key)
            if code is not None and code not in self.sources:
                self.sources[code] = key
        if not self.sources and keys:
            key = self.untranslated if self.untranslated in keys else keys[0]
            self.sources["en"] = key
            what = "have no language" if key == _UNTRANSLATED else f'are in "{key}" only'
            warn("languages", f"the form's texts {what}: they were imported as English (en)")
        elif _UNTRANSLATED in keys and "en" not in self.sources:
            # A plain "label" column next to translated ones is the form's unnamed default language.
            self.sources["en"] = _UNTRANSLATED
            warn("languages", "the texts without a language were imported as English (en)")
        for key in keys:
            if key not in self.sources.values() and key != _UNTRANSLATED:
                warn("languages", f'"{key}" is not one of fr, nl, en: its texts were dropped')
        self.codes: tuple[str, ...] = tuple(c for c in LANGUAGES if c in self.sources) or ("en",)
        by_key = {key: code for code, key in self.sources.items()}
        self.default = by_key.get(self.untranslated) or next(
            (by_key[k] for k in keys if k in by_key), self.codes[0]
        )
        preferred = [self.sources.get(self.default, ""), self.untranslated, _UNTRANSLATED]
        # A form without any text has no source at all: its questions are reported as missing their labels.
        self.ours = list(
            dict.fromkeys([*preferred, *(self.sources[c] for c in self.codes if c in self.sources)])
        )
        self.fallbacks = list(dict.fromkeys([*self.ours, *keys]))

    def name(self, key: str) -> str:
        """How a language key is named in messages: our code when it has one."""
        return next((code for code, source in self.sources.items() if source == key), f'"{key}"')

    def question_texts(self, location: str) -> Texts:
        """The texts of the question at ``location``, collected so that its warnings come once."""
        return Texts(self, location)


class Texts:
    """The translated texts of one question; what had to be filled in is reported once."""

    def __init__(self, languages: Languages, location: str) -> None:
        self.languages = languages
        self.location = location
        self.filled: dict[tuple[str, str], list[str]] = {}
        self.references: set[str] = set()

    def get(self, raw: Any, what: str, *, essential: bool = True) -> dict[str, str] | None:
        """Our translated text; an ``essential`` one (a label) is filled even from a dropped language."""
        values = _text_values(raw, self.languages.untranslated)
        fallbacks = self.languages.fallbacks if essential else self.languages.ours
        fallback = next((key for key in fallbacks if values.get(key)), None)
        if fallback is None:
            return None
        texts: dict[str, str] = {}
        for code in self.languages.codes:
            text = values.get(self.languages.sources.get(code, ""))
            if not text:
                text = values[fallback]
                self.filled.setdefault((code, self.languages.name(fallback)), []).append(what)
            texts[code] = text
            self.references.update(REFERENCE.findall(text))
        return texts

    def report(self) -> None:
        """Warn about the texts that were filled in, and the ``${name}`` they show as written."""
        if self.filled:
            missing = "; ".join(
                f"{code} from {source} ({', '.join(dict.fromkeys(whats))})"
                for (code, source), whats in self.filled.items()
            )
            self.languages.warn(self.location, f"missing translations were filled in: {missing}")
        if self.references:
            names = ", ".join(f"${{{name}}}" for name in sorted(self.references))
            self.languages.warn(self.location, f"its text shows {names} as written: answers are not inserted")


def _language_code(key: str) -> str | None:
    """fr, nl or en for a language header such as "French (fr)", "Nederlands" or "EN"."""
    match = _LANGUAGE_WITH_CODE.fullmatch(key)
    if match is not None:
        return _LANGUAGE_NAMES.get(match.group(1).lower())
    plain = ascii_fold(key).strip().lower()
    return _LANGUAGE_NAMES.get(plain)


def _text_values(raw: Any, untranslated: str) -> dict[str, str]:
    """A pyxform text (a string, or a dict keyed by language) as a dict of non-empty strings."""
    if isinstance(raw, dict):
        return {str(k): str(v).strip() for k, v in raw.items() if isinstance(v, str | int | float)}
    if isinstance(raw, str | int | float) and str(raw).strip():
        return {untranslated: str(raw).strip()}
    return {}


def _text_keys(form: dict[str, Any], untranslated: str) -> list[str]:
    """Every language key of the form's texts, in the order they first appear."""
    keys: list[str] = []

    def add(raw: Any) -> None:
        keys.extend(key for key, text in _text_values(raw, untranslated).items() if text)

    for element in elements(form.get("children", [])):
        add(element.get("label"))
        add(element.get("hint"))
        add(element.get("bind", {}).get("jr:constraintMsg"))
        for choice in element.get("choices") or []:
            add(choice.get("label"))
    return keys
