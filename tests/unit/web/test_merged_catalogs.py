"""The four catalogs merged at run time agree: a text says the same thing wherever it appears.

Flask-Babel merges the staff, survey, results and privacy catalogs, a later one overriding an earlier
one for the same text, so "Privacy" translated two ways would show whichever catalog happens to win,
on every page. A text that truly means two things (the verb and the noun "Change") is told apart by a
``pgettext`` context, which makes it two entries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from service.web.i18n import CATALOGS

ROOT = Path(__file__).resolve().parents[3]
TRANSLATIONS = ROOT / "service" / "web" / "translations"
LANGUAGES = ("fr", "nl")

Key = tuple[str | None, str]
"""A text as gettext looks it up: its context (None for most) and its msgid (the singular for plurals)."""


def _translations(language: str) -> dict[Key, dict[str, tuple[str, ...]]]:
    """Every text of every catalog, with its non-empty translation in each catalog that has one."""
    found: dict[Key, dict[str, tuple[str, ...]]] = defaultdict(dict)
    for catalog in CATALOGS:
        with (TRANSLATIONS / catalog / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            for message in read_po(handle, locale=language):
                if not message.id:
                    continue
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if all(strings):
                    found[(message.context, msgid)][catalog] = tuple(strings)
    return found


def test_every_catalog_is_merged() -> None:
    on_disk = {path.name for path in TRANSLATIONS.iterdir() if path.is_dir()}
    assert set(CATALOGS) == on_disk


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_text_in_several_catalogs_has_one_translation(language: str) -> None:
    conflicts = {
        key: by_catalog
        for key, by_catalog in _translations(language).items()
        if len(set(by_catalog.values())) > 1
    }
    assert conflicts == {}, "\n".join(
        f"{language}: {msgid!r}{f' (context {context!r})' if context else ''}: "
        + "; ".join(f"{catalog} {' | '.join(strings)!r}" for catalog, strings in by_catalog.items())
        for (context, msgid), by_catalog in conflicts.items()
    )


def test_french_punctuation_keeps_to_its_word() -> None:
    """French puts a space before ``: ; ? !``, inside « », and between a number and %; a breaking space
    there lets a line wrap leave the sign alone at the start of the next line, so it must be a no-break
    space (U+00A0 before ``:``, the narrow U+202F elsewhere)."""
    loose = re.compile(r" [;:?!»]|« |\d %")
    found = [
        f"{catalog}: {text!r}"
        for catalog in CATALOGS
        for text in _strings(catalog, "fr")
        if loose.search(text)
    ]
    assert found == []


def _strings(catalog: str, language: str) -> list[str]:
    with (TRANSLATIONS / catalog / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return [
            text
            for message in read_po(handle, locale=language)
            if message.id
            for text in (message.string if isinstance(message.string, tuple) else (message.string,))
            if text
        ]
