"""The staff pages' French and Dutch catalogs: complete, compiled, and in step with the code and templates.

They also hold what the service and the questionnaire core say to staff: texts marked with ``N_``
(``service.texts``, ``questionnaires.problem_texts``) that the staff pages translate.

To update after changing a staff text (from the repository root)::

    pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --project=vises-staff \\
        -o service/web/translations/staff/messages.pot \\
        service/web/auth.py service/web/staff/*.py service/web/templates/staff/*.html \\
        service/web/templates/staff/campaigns/*.html service/web/templates/auth/*.html \\
        service/web/templates/base.html service/web/templates/error.html \\
        service/accounts.py service/campaign_edits.py service/campaigns.py service/contacts.py \\
        service/launches.py service/phones.py service/questionnaire_uploads.py service/reminders.py \\
        questionnaires/problem_texts.py
    pybabel update -i service/web/translations/staff/messages.pot -d service/web/translations/staff \\
        --width=100 --ignore-obsolete
    (translate the new entries in fr/ and nl/, then)
    pybabel compile -d service/web/translations/staff
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
WEB = ROOT / "service" / "web"
CATALOGS = WEB / "translations" / "staff"
SOURCES = [
    WEB / "auth.py",
    *sorted((WEB / "staff").glob("*.py")),
    *sorted((WEB / "templates" / "staff").rglob("*.html")),
    *sorted((WEB / "templates" / "auth").glob("*.html")),
    WEB / "templates" / "base.html",
    WEB / "templates" / "error.html",
]
SAID_TO_STAFF = [
    *(
        ROOT / "service" / f"{name}.py"
        for name in (
            "accounts",
            "campaign_edits",
            "campaigns",
            "contacts",
            "launches",
            "phones",
            "questionnaire_uploads",
            "reminders",
        )
    ),
    ROOT / "questionnaires" / "problem_texts.py",
]
"""Modules of the service and the core whose ``N_`` texts the staff pages show (see the command above)."""
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
}
LANGUAGES = ("fr", "nl")


def _key(message: str | tuple[str, ...]) -> str:
    return message if isinstance(message, str) else message[0]


def _source_messages() -> set[str]:
    found: set[str] = set()
    for path in [*SOURCES, *SAID_TO_STAFF]:
        method = "python" if path.suffix == ".py" else "jinja2"
        for _line, message, _comments, _context in extract_from_file(method, str(path), keywords=KEYWORDS):
            found.add(_key(message))
    return found


def test_every_module_with_texts_for_staff_is_extracted() -> None:
    """A new ``N_`` text outside the web layer is listed here (and in the command above), or it stays English."""
    marked = {
        path
        for folder in ("service", "questionnaires")
        for path in (ROOT / folder).rglob("*.py")
        if WEB not in path.parents and any(extract_from_file("python", str(path), keywords={"N_": None}))
    }
    assert marked == set(SAID_TO_STAFF)


def _po(language: str) -> Catalog:
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def test_the_template_lists_every_staff_text() -> None:
    with (CATALOGS / "messages.pot").open("rb") as handle:
        template = {_key(m.id) for m in read_po(handle) if m.id}
    assert template == _source_messages()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_translated_without_fuzzy_entries_or_broken_placeholders(language: str) -> None:
    catalog = _po(language)
    translated = {_key(m.id): m for m in catalog if m.id}
    assert set(translated) >= _source_messages()
    for message in translated.values():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: {message.id!r} is not translated"
        assert not message.fuzzy, f"{language}: {message.id!r} is fuzzy"
    problems = [(m.id, errors) for m, errors in catalog.check() if errors]
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_matches_its_source(language: str) -> None:
    with (CATALOGS / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = {_plain(m.id): _plain(m.string) for m in read_mo(handle) if m.id}
    source = {_plain(m.id): _plain(m.string) for m in _po(language) if m.id}
    assert compiled == source


def _plain(value: object) -> object:
    """Plural entries come back as lists from a .mo file and as tuples from a .po file."""
    return tuple(value) if isinstance(value, list | tuple) else value
