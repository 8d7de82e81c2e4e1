"""Every main page, staff and respondent, reads in French and in Dutch: no English UI text is left over.

Each page of the demo is rendered in English and then in French and in Dutch, following the same steps.
Any text (or accessible name) that is the same in both renderings is a suspect, once what is not UI is
taken out: the demo's data (names of organizations, campaigns and people, codes, addresses), the
questionnaires' own texts (translated by their authors), numbers, and the words a catalog deliberately
keeps as they are in English ("Web", "Questionnaire", "Status"). What is left is an English text that a
catalog does not translate, or that a template or the code never marked for translation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from sqlalchemy import select

from questionnaires.loader import load_shipped, shipped_definitions
from questionnaires.model import Questionnaire
from service.campaigns import change_status
from service.demo import DEMO_EMAIL, DEMO_FEDERATION_EMAIL, DEMO_PASSWORD, seed_demo
from service.models import ApiToken, Campaign, Organization, User
from service.results import phrases, samples
from service.runtime import Runtime
from tests.integration.web.staff_support import login
from tests.integration.web_survey.conftest import Respondent

ROOT = Path(__file__).resolve().parents[3]
CATALOGS = ROOT / "service" / "web" / "translations"
LANGUAGES = ("fr", "nl")
LANGUAGE_CODES = frozenset({"fr", "nl", "en"})
ALWAYS_ALLOWED = (
    # Names of things, the same in every language (languages by their own names, in the language menus).
    "vises",
    "Français",
    "Nederlands",
    "English",
    "Telegram",
    "WhatsApp",
    "OpenAPI",
    "JSON",
    "QR",
    "CSV",
    "PNG",
    "SVG",
    "Excel",
    "XLSForm",
    "YAML",
    "UCS-2",
    "UTC",
    "SMS",
    "API",
    "Bearer",
    "Authorization",
    # Codes people type: SMS keywords, commands and column names of the contact file.
    "STOP",
    "START",
    "phone",
    "language",
    "name",
    "reference",
    "vises user reset-link",
    "TELEGRAM_BOT_USERNAME",
)
MIN_LETTERS = 4


class _VisibleText(HTMLParser):
    """The texts a person reads or hears on a page: text nodes and accessible names, one per element.

    Content marked ``translate="no"`` (ids, stored records) is left out, as a browser's translator would.
    """

    NAMES = ("aria-label", "alt", "title", "placeholder")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self._hidden:
            if tag == self._hidden[0]:  # the same element nested: its end tag must not end the hiding
                self._hidden.append(tag)
            return
        if tag in ("script", "style") or values.get("translate") == "no":
            self._hidden.append(tag)
            return
        self.texts.extend(value for name in self.NAMES if (value := values.get(name)))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if self._hidden and tag == self._hidden[0]:
            self._hidden.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.texts.append(data)


def visible_texts(html: str) -> set[str]:
    parser = _VisibleText()
    parser.feed(html)
    return {" ".join(text.split()) for text in parser.texts if text.strip()}


def _same_in_catalogs(language: str) -> list[re.Pattern[str]]:
    """Texts translated by themselves ("Total", "Status", "%(n)d segments"), as patterns to take out of a text.

    From the web catalogs and from the sentences of the results (``service.results.phrases``).
    """
    same: set[str] = set()
    for path in sorted(CATALOGS.glob(f"*/{language}/LC_MESSAGES/messages.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                same.update(i for i in ids if i and i in strings)
    same.update(text["en"] for text in phrases._TEXTS.values() if text[language] == text["en"])
    patterns = []
    for text in sorted(same, key=len, reverse=True):
        filled = re.sub(r"%\\\(\w+\\\)[sdr]|\\\{\w+\\\}", ".+?", re.escape(text.replace("%%", "%")))
        patterns.append(re.compile(rf"(?<!\w){filled}(?!\w)"))
    return patterns


def _questionnaire_texts(questionnaire: Questionnaire, org_names: Iterable[str]) -> set[str]:
    """Every text of a questionnaire in every language, with each organization's name filled in (not its ids)."""
    found: set[str] = set()

    def add(value: object) -> None:
        if isinstance(value, Mapping):
            if set(value) <= LANGUAGE_CODES:
                found.update(text for text in value.values() if isinstance(text, str))
        elif isinstance(value, list | tuple):
            for item in value:
                add(item)
        elif isinstance(value, str):
            if " " in value:  # prose written in one language only (an indicator's source), not an id
                found.add(value)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                add(getattr(value, name))

    add(questionnaire)
    filled = {text.replace("{org}", name) for text in found for name in org_names}
    return {" ".join(text.split()) for text in found | filled if text.strip()}


@dataclass
class Allowed:
    """What may read the same in English and in another language."""

    data: list[str]
    same: dict[str, list[re.Pattern[str]]]

    def leftover(self, text: str, language: str) -> str:
        """``text`` without the data and names it holds: the part a catalog should have translated."""
        for known in self.data:
            if known in text:
                text = text.replace(known, " ")
        text = re.sub(r"https?://\S+|\S+@\S+|/\S*", " ", text)
        for pattern in self.same[language]:
            text = pattern.sub(" ", text)
        return text

    def suspect(self, text: str, language: str) -> bool:
        rest = self.leftover(text, language)
        return sum(ch.isalpha() for ch in rest) >= MIN_LETTERS and any(
            len(word) >= MIN_LETTERS for word in re.findall(r"[^\W\d_]+", rest)
        )


@pytest.fixture
def demo(sqlite_runtime: Runtime, quick_passwords: None) -> dict[str, Any]:
    """The demo, with one more campaign closed (for the respondent's "closed" page), and what it holds."""
    with sqlite_runtime.transaction() as session:
        seed = seed_demo(session, channels=["web", "sms", "telegram"])
        running = seed.campaigns[0]
        closed = seed.campaigns[-1]
        change_status(session, closed, "close")
        after = next(c for c in seed.results if c.baseline_campaign_id is not None)
        organizations = list(session.scalars(select(Organization)))
        org_names = {name for o in organizations for name in (o.name, o.short_name)}
        data = {
            *org_names,
            *(o.slug for o in organizations),
            *(
                c
                for row in session.execute(select(Campaign.name, Campaign.code, Campaign.sms_keyword))
                for c in row
            ),
            *(c for row in session.execute(select(User.name, User.email)) for c in row),
            *session.scalars(select(ApiToken.name)),
        }
        for questionnaire_id in shipped_definitions():
            data |= _questionnaire_texts(load_shipped(questionnaire_id), org_names)
        for answers in (samples.CHANGES, *samples.PHRASES.values()):  # the demo's free-text answers
            data |= {text for texts in answers.values() for text in texts}
        return {
            "running": running.code,
            "closed": closed.code,
            "results": seed.results[0].code,
            "after": after.code,
            "allowed": Allowed(
                data=sorted((d for d in data if d), key=len, reverse=True) + list(ALWAYS_ALLOWED),
                same={language: _same_in_catalogs(language) for language in LANGUAGES},
            ),
        }


def _staff_pages(app: Flask, demo: dict[str, Any], language: str) -> Iterator[tuple[str, str]]:
    anonymous = app.test_client()
    for url in ("/login", "/password/forgot", "/campaigns/NOPE"):
        yield url, anonymous.get(f"{url}?lang={language}").get_data(as_text=True)
    owner = app.test_client()
    assert login(owner, DEMO_EMAIL, DEMO_PASSWORD).status_code == 302
    running, results = demo["running"], demo["results"]
    urls = [
        "/campaigns",
        f"/campaigns/{running}",
        "/campaigns/new",
        f"/campaigns/{running}/edit",
        f"/campaigns/{running}/preview",
        f"/campaigns/{running}/contacts",
        f"/campaigns/{running}/telegram",
        "/organization",
        "/organization/tokens",
        "/account",
        f"/campaigns/{results}/results",
        f"/campaigns/{results}/results/report",
        f"/campaigns/{results}/results/free-text",
        f"/campaigns/{demo['after']}/results/change",
        f"/campaigns/{results}/exports",
        "/federations",
        "/organization/privacy",
        "/organization/privacy/requests/new",
        "/organization/privacy/audit",
        "/campaigns/NOPE",
    ]
    for url in urls:
        response = owner.get(f"{url}?lang={language}")
        assert response.status_code in (200, 404), (url, response.status_code)
        yield url, response.get_data(as_text=True)
    # The poster is in the language of its address, whatever the page's.
    poster = f"/campaigns/{running}/poster/{language}"
    yield poster.removesuffix(language), owner.get(poster).get_data(as_text=True)
    network = app.test_client()
    assert login(network, DEMO_FEDERATION_EMAIL, DEMO_PASSWORD).status_code == 302
    listing = network.get(f"/federations?lang={language}").get_data(as_text=True)
    yield "/federations (federation)", listing
    benchmark = re.search(r'href="(/federations/[^"]+)"', listing)
    assert benchmark, "the federation lists no benchmark"
    yield (
        "/federations/<slug>/<key>",
        network.get(f"{benchmark.group(1)}?lang={language}").get_data(as_text=True),
    )


def _survey_pages(app: Flask, demo: dict[str, Any], language: str) -> Iterator[tuple[str, str]]:
    respondent = Respondent(app.test_client(), demo["running"])
    yield "consent", respondent.open(f"?lang={language}")
    yield "resume", respondent.client.get(f"/s/{demo['running']}/resume").get_data(as_text=True)
    respondent.consent()
    yield "first question", respondent.page
    yield "stop", respondent.client.get(f"/s/{demo['running']}/stop").get_data(as_text=True)
    for step in range(40):
        if 'name="question"' not in respondent.page:
            break
        form = respondent.form("question")
        choices = [f for f in form.inputs if f.get("type") in ("radio", "checkbox")]
        if choices:
            respondent.answer(choices[0]["value"])
        elif any(f.get("type") == "textarea" for f in form.inputs):
            respondent.answer("Bonne équipe")
        else:
            respondent.answer("1")
        yield f"question {step + 2}", respondent.page
    yield "thanks", respondent.page
    yield "closed", Respondent(app.test_client(), demo["closed"]).open(f"?lang={language}")
    yield "unknown", Respondent(app.test_client(), "NOPE1234").open(f"?lang={language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_is_left_on_the_main_pages(sqlite_app: Flask, demo: dict[str, Any], language: str) -> None:
    allowed: Allowed = demo["allowed"]
    english = dict([*_staff_pages(sqlite_app, demo, "en"), *_survey_pages(sqlite_app, demo, "en")])
    translated = dict([*_staff_pages(sqlite_app, demo, language), *_survey_pages(sqlite_app, demo, language)])
    assert english.keys() == translated.keys()
    left: dict[str, list[str]] = {}
    for page, html in translated.items():
        same = visible_texts(html) & visible_texts(english[page])
        suspects = sorted(text for text in same if allowed.suspect(text, language))
        if suspects:
            left[page] = suspects
    assert left == {}, f"English left on the {language} pages:\n" + "\n".join(
        f"{page}: {texts}" for page, texts in left.items()
    )
