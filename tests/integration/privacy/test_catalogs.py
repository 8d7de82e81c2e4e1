"""The privacy pages' French and Dutch catalogs: complete, compiled, and in step with the sources.

To update after changing a text of the privacy pages (from the repository root)::

    pybabel extract -F babel.cfg -k _l --no-location --sort-output --project=vises-privacy \\
        -o service/web/translations/privacy/messages.pot \\
        service/web/privacy.py service/web/templates/privacy/*.html
    pybabel update -i service/web/translations/privacy/messages.pot -d service/web/translations/privacy \\
        --no-location --width=100
    (translate the new entries in fr/ and nl/, then)
    pybabel compile -d service/web/translations/privacy
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

from tests.integration.privacy.support import Setting, atelier
from tests.integration.web.staff_support import signed_in

__all__ = ["atelier"]

ROOT = Path(__file__).resolve().parents[3]
CATALOGS = ROOT / "service" / "web" / "translations" / "privacy"
SOURCES = [
    ROOT / "service" / "web" / "privacy.py",
    *sorted((ROOT / "service/web/templates/privacy").glob("*.html")),
]
LANGUAGES = ("fr", "nl")
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}


def _source_messages() -> set[str]:
    found: set[str] = set()
    for path in SOURCES:
        method = "python" if path.suffix == ".py" else "jinja2"
        for _line, message, _comments, _context in extract_from_file(method, str(path), keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _po(language: str) -> Catalog:
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def test_the_template_lists_every_text_of_the_privacy_pages() -> None:
    with (CATALOGS / "messages.pot").open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    assert template == _source_messages()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_translated_without_fuzzy_entries_or_broken_placeholders(language: str) -> None:
    catalog = _po(language)
    translated = {m.id: m for m in catalog if m.id}
    assert set(translated) >= _source_messages()
    for message in translated.values():
        assert message.string, f"{language}: {message.id!r} is not translated"
        assert not message.fuzzy, f"{language}: {message.id!r} is fuzzy"
    problems = [(m.id, errors) for m, errors in catalog.check() if errors]
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_matches_its_source(language: str) -> None:
    with (CATALOGS / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    source = {m.id: m.string for m in _po(language) if m.id}
    assert compiled == source


@pytest.mark.parametrize(
    ("language", "heading", "button"),
    [
        ("fr", "Conservation et effacement", "Enregistrer une demande"),
        ("nl", "Bewaring en wissing", "Een verzoek invoeren"),
    ],
)
def test_the_pages_speak_the_owners_language(
    app: Flask, atelier: Setting, language: str, heading: str, button: str
) -> None:
    owner = signed_in(app, atelier.owner)
    page = owner.get(f"/organization/privacy?lang={language}").get_data(as_text=True)
    assert heading in page and button in page
