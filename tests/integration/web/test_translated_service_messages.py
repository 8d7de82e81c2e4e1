"""What the service says about a broken rule reads in the staff member's language; the CLI keeps English.

The rules live in the Flask-free service and the questionnaire core, worded in English with ``N_`` or
by a problem's code; the staff pages translate them (``service.web.i18n.translated``,
``service.web.staff.definition_problems``).
"""

from __future__ import annotations

import io
from html import unescape
from typing import Any

import pytest
from flask import Flask

from questionnaires.documents import read_yaml
from questionnaires.validation import check_document
from service.campaigns import CampaignError, normalize_keyword
from tests.integration.web.staff_support import Tenants, csrf_token, signed_in

# Every common problem at once: a missing translation, a question id used twice, a condition that refers
# to no question, one that can't be read, a field that doesn't fit the question's type.
BROKEN_YAML = """\
id: canteen
version: 1
title: {fr: "La cantine", nl: "De kantine", en: "The canteen"}
languages: [fr, nl, en]
default_language: fr
consent:
  version: "1"
  text: {fr: "Acceptez-vous ?", nl: "Gaat u akkoord?", en: "Do you agree?"}
questions:
  - id: taste
    type: scale
    min: 0
    max: 10
    text: {fr: "Le goût ?", en: "The taste?"}
  - id: taste
    type: yes_no
    text: {fr: "Encore ?", nl: "Nog eens?", en: "Again?"}
  - id: why
    type: text
    min: 3
    show_if: "tsate > 5"
    text: {fr: "Pourquoi ?", nl: "Waarom?", en: "Why?"}
  - id: more
    type: text
    show_if: "taste >"
    text: {fr: "Autre chose ?", nl: "Nog iets?", en: "Anything else?"}
"""

EXPECTED = {
    "fr": [
        "question taste",
        "text\u00a0: traduction manquante (nl)",
        "l'identifiant est déjà utilisé par la question n° 1",
        "show_if renvoie à tsate, qui n'est pas une question (vouliez-vous dire taste\u202f?)",
        "show_if 'taste >' illisible\u00a0: ",
        "min ne s'applique pas à une question de type text",
    ],
    "nl": [
        "vraag taste",
        "text: vertaling ontbreekt (nl)",
        "de id wordt al gebruikt door vraag nr. 1",
        "show_if verwijst naar tsate, maar dat is geen vraag (bedoelde u taste?)",
        "show_if 'taste >' onleesbaar: ",
        "min geldt niet voor een vraag van het type text",
    ],
}


def _in(language: str, client: Any) -> Any:
    client.get(f"/language/{language}")
    return client


def _page(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def _new_campaign(client: Any, **data: Any) -> Any:
    token = csrf_token(client, "/campaigns/new")
    form = {
        "csrf_token": token,
        "name": "Printemps 2027",
        "questionnaire": "shipped:beneficiaries",
        "channels": ["web", "sms"],
        "default_language": "fr",
        "idle_limit_hours": "72",
        "reminder_from_hour": "9",
        "reminder_until_hour": "19",
        **data,
    }
    return client.post("/campaigns/new", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_the_problems_of_an_uploaded_questionnaire_are_translated(
    app: Flask, tenants: Tenants, language: str
) -> None:
    client = _in(language, signed_in(app, tenants.a.editor))
    response = _new_campaign(
        client, questionnaire="upload", definition_file=(io.BytesIO(BROKEN_YAML.encode()), "canteen.yaml")
    )
    page = _page(response)
    assert response.status_code == 400
    for text in EXPECTED[language]:
        assert text in page, text
    assert "no nl translation" not in page and "refers to" not in page


def test_the_command_line_and_the_core_keep_english() -> None:
    _, problems = check_document(read_yaml(BROKEN_YAML, "canteen.yaml"), "canteen.yaml")
    printed = {str(problem) for problem in problems}
    assert "canteen.yaml: question taste: text: no nl translation" in printed
    assert "canteen.yaml: question taste: the id is already used by question #1" in printed
    assert (
        "canteen.yaml: question why: show_if refers to tsate, which is not a question (did you mean taste?)"
        in printed
    )
    with pytest.raises(CampaignError) as refused:
        normalize_keyword("stop")
    assert str(refused.value) == "STOP is a reserved word (STOP, HELP, a language…): choose another"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "STOP est un mot réservé (STOP, AIDE, une langue…)\u00a0: choisissez-en un autre."),
        ("nl", "STOP is een gereserveerd woord (STOP, HULP, een taal…): kies een ander."),
        ("en", "STOP is a reserved word (STOP, HELP, a language…): choose another."),
    ],
)
def test_a_campaign_rule_is_told_in_the_page_language(
    app: Flask, tenants: Tenants, language: str, expected: str
) -> None:
    client = _in(language, signed_in(app, tenants.a.editor))
    assert expected in _page(_new_campaign(client, sms_keyword="stop"))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            [
                "numéro de téléphone non valide",
                "même numéro de téléphone qu'à la ligne 2",
                "plus de valeurs que de colonnes",
            ],
        ),
        (
            "nl",
            [
                "geen geldig telefoonnummer",
                "hetzelfde telefoonnummer als op regel 2",
                "meer waarden dan kolommen",
            ],
        ),
    ],
)
def test_contact_lines_that_cannot_be_imported_are_told_in_the_page_language(
    app: Flask, tenants: Tenants, language: str, expected: list[str]
) -> None:
    client = _in(language, signed_in(app, tenants.a.editor))
    page = f"/campaigns/{tenants.a.campaign_code}/contacts"
    rows = "phone,language\n+32470123456,fr\n+3247,fr\n+32470123456,nl\n+32470654321,fr,extra\n"
    response = client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "channel": "sms",
            "region": "BE",
            "file": (io.BytesIO(rows.encode()), "list.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    text = _page(response)
    for problem in expected:
        assert problem in text, problem


def test_an_account_rule_is_told_in_the_page_language(app: Flask, tenants: Tenants) -> None:
    client = _in("nl", signed_in(app, tenants.a.owner))
    response = client.post(
        "/organization/users",
        data={"csrf_token": csrf_token(client, "/organization"), "email": tenants.a.editor, "role": "viewer"},
    )
    assert response.status_code == 400
    assert "Er bestaat al een account met dit e-mailadres." in _page(response)


def test_a_refused_launch_is_told_in_the_page_language(app: Flask, tenants: Tenants) -> None:
    client = _in("fr", signed_in(app, tenants.a.editor))
    code = tenants.a.campaign_code
    response = client.post(
        f"/campaigns/{code}/launches",
        data={"csrf_token": csrf_token(client, f"/campaigns/{code}/contacts"), "channel": "telegram"},
        follow_redirects=True,
    )
    assert "Cette campagne n'utilise pas le canal telegram." in _page(response)
