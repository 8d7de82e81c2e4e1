"""Campaign pages: creating from a shipped, YAML or XLSForm questionnaire, the lifecycle, roles, counts."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from openpyxl import Workbook
from sqlalchemy import event, func, select

from service.campaigns import create_campaign
from service.definitions import register_shipped
from service.models import (
    Campaign,
    Contact,
    Conversation,
    Identity,
    OutboundMessage,
    QuestionnaireVersion,
    Respondent,
)
from service.runtime import Runtime
from tests.integration.web.staff_support import Tenants, csrf_token, post_form, signed_in

GOOD_YAML = """\
id: canteen
version: 3
title: {fr: "La cantine de {org}", nl: "De kantine van {org}", en: "The canteen of {org}"}
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
    text: {fr: "Le goût ?", nl: "De smaak?", en: "The taste?"}
  - id: again
    type: yes_no
    text: {fr: "Reviendrez-vous ?", nl: "Komt u terug?", en: "Will you come back?"}
"""

BAD_YAML = GOOD_YAML.replace("type: yes_no", "type: maybe").replace("max: 10", "max: -1")


def _form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Printemps 2027",
        "questionnaire": "shipped:beneficiaries",
        "channels": ["web", "sms"],
        "default_language": "fr",
        "opens_at": "",
        "closes_at": "",
        "target_responses": "120",
        "idle_limit_hours": "72",
        "sms_keyword": "",
        "reminder_delays": "2, 5",
        "reminder_from_hour": "9",
        "reminder_until_hour": "19",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _create(client: Any, **overrides: Any) -> Any:
    token = csrf_token(client, "/campaigns/new")
    return client.post(
        "/campaigns/new", data={"csrf_token": token, **_form(**overrides)}, content_type="multipart/form-data"
    )


def _stored(runtime: Runtime) -> tuple[int, int]:
    with runtime.transaction() as session:
        return (
            int(session.scalar(select(func.count(Campaign.id))) or 0),
            int(session.scalar(select(func.count(QuestionnaireVersion.id))) or 0),
        )


def _xlsform(rows: list[tuple[Any, ...]], choices: list[tuple[Any, ...]] | None = None) -> bytes:
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    for row in rows:
        survey.append(list(row))
    if choices:
        sheet = book.create_sheet("choices")
        for row in choices:
            sheet.append(list(row))
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "default_language"])
    settings.append(["kitchen", "4", "French (fr)"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


LABELS = ("label::French (fr)", "label::Dutch (nl)", "label::English (en)")


def test_create_from_a_shipped_questionnaire(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.editor)
    response = _create(client, reminders_enabled="y", sms_keyword="Printemps")
    assert response.status_code == 302, response.get_data(as_text=True)
    code = response.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/campaigns/{code}").get_data(as_text=True)
    assert "Printemps 2027" in page and "PRINTEMPS" in page and f"/s/{code}" in page
    with runtime.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == code))
        assert campaign is not None
        assert campaign.status == "draft" and campaign.channels == ["web", "sms"]
        assert campaign.target_responses == 120
        assert campaign.reminder_policy["after_days"] == [2, 5] and campaign.reminder_policy["hours"] == [
            9,
            19,
        ]


def test_dates_are_local_time_and_must_be_in_order(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.editor)
    before = _stored(runtime)
    response = _create(client, opens_at="2027-03-01T09:00", closes_at="2027-02-01T09:00")
    assert response.status_code == 400
    assert "The closing date must come after the opening date." in response.get_data(as_text=True)
    assert _stored(runtime) == before
    response = _create(client, opens_at="2027-03-01T09:00", closes_at="2027-04-01T18:00")
    assert response.status_code == 302
    with runtime.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.name == "Printemps 2027"))
        assert campaign is not None and campaign.opens_at is not None and campaign.closes_at is not None
        assert campaign.opens_at.isoformat() == "2027-03-01T08:00:00+00:00"  # 09:00 in Brussels (CET)
        assert campaign.closes_at.isoformat() == "2027-04-01T16:00:00+00:00"  # 18:00 in Brussels (CEST)


def test_create_from_an_uploaded_yaml_file(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.editor)
    response = _create(
        client, questionnaire="upload", definition_file=(io.BytesIO(GOOD_YAML.encode()), "canteen.yaml")
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with runtime.transaction() as session:
        version = session.scalar(
            select(QuestionnaireVersion).where(QuestionnaireVersion.questionnaire_key == "canteen")
        )
        assert version is not None and version.version == 3 and version.source == "upload"
    # The stored upload is offered again for the next campaign.
    assert "La cantine de Atelier Alpha" in client.get(
        "/campaigns/new", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)


def test_a_bad_yaml_file_shows_every_error_and_stores_nothing(
    app: Flask, tenants: Tenants, runtime: Runtime
) -> None:
    client = signed_in(app, tenants.a.editor)
    before = _stored(runtime)
    response = _create(
        client, questionnaire="upload", definition_file=(io.BytesIO(BAD_YAML.encode()), "canteen.yaml")
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page
    assert "question again" in page and "question taste" in page  # each error with its location
    assert _stored(runtime) == before


def test_a_yaml_syntax_error_is_located(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.editor)
    response = _create(
        client,
        questionnaire="upload",
        definition_file=(io.BytesIO(b"id: x\nquestions: [\n  - a: {b\n"), "broken.yml"),
    )
    assert response.status_code == 400
    assert re.search(r"line \d+, column \d+", response.get_data(as_text=True))


def test_create_from_an_xlsform(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    data = _xlsform(
        [
            ("type", "name", *LABELS),
            (
                "select_one yes_no",
                "hot",
                "Le repas était chaud ?",
                "Was de maaltijd warm?",
                "Was the meal hot?",
            ),
            ("integer", "portions", "Combien de portions ?", "Hoeveel porties?", "How many portions?"),
        ],
        [
            ("list_name", "name", *LABELS),
            ("yes_no", "yes", "Oui", "Ja", "Yes"),
            ("yes_no", "no", "Non", "Nee", "No"),
        ],
    )
    client = signed_in(app, tenants.a.owner)
    response = _create(client, questionnaire="upload", definition_file=(io.BytesIO(data), "kitchen.xlsx"))
    assert response.status_code == 302, response.get_data(as_text=True)
    with runtime.transaction() as session:
        version = session.scalar(select(QuestionnaireVersion).where(QuestionnaireVersion.source == "xlsform"))
        assert version is not None and version.questionnaire_key == "kitchen"
        assert [q["id"] for q in version.document["questions"]] == ["hot", "portions"]


def test_a_bad_xlsform_shows_its_rows_and_stores_nothing(
    app: Flask, tenants: Tenants, runtime: Runtime
) -> None:
    data = _xlsform(
        [
            ("type", "name", *LABELS),
            ("integer", "age", "Age ?", "Leeftijd?", "Age?"),
            ("geopoint", "where", "Où ?", "Waar?", "Where?"),
            ("begin repeat", "kids", "Enfants", "Kinderen", "Children"),
            ("integer", "kid_age", "Age", "Leeftijd", "Age"),
            ("end repeat", "", "", "", ""),
        ]
    )
    client = signed_in(app, tenants.a.owner)
    before = _stored(runtime)
    response = _create(client, questionnaire="upload", definition_file=(io.BytesIO(data), "kitchen.xlsx"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Errors in the file" in page
    for row in ("survey row 3 (name &#34;where&#34;)", "survey row 4", "survey row 5"):
        assert row in page
    assert "geopoint" in page
    assert _stored(runtime) == before
    response = _create(
        client, questionnaire="upload", definition_file=(io.BytesIO(b"not a workbook"), "kitchen.xlsx")
    )
    assert response.status_code == 400 and "pyxform could not read the form" in response.get_data(
        as_text=True
    )
    assert _stored(runtime) == before


def test_an_unsupported_file_type_is_refused(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.owner)
    response = _create(client, questionnaire="upload", definition_file=(io.BytesIO(b"{}"), "form.json"))
    assert response.status_code == 400
    assert "must be a .yaml or .yml definition, or an XLSForm" in response.get_data(as_text=True)


def test_keyword_rules_are_shown_on_the_field(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.editor)
    before = _stored(runtime)
    assert "is a reserved word" in _create(client, sms_keyword="stop").get_data(as_text=True)
    assert "2 to 20 letters or digits" in _create(client, sms_keyword="a-b").get_data(as_text=True)
    taken = _create(client, sms_keyword=f"K{tenants.b.slug[:6]}")  # B's keyword, any case
    assert taken.status_code == 400 and "already used by another campaign" in taken.get_data(as_text=True)
    assert _stored(runtime) == before


def test_viewers_read_but_cannot_change(app: Flask, tenants: Tenants) -> None:
    client = signed_in(app, tenants.a.viewer)
    assert client.get("/campaigns").status_code == 200
    assert client.get(f"/campaigns/{tenants.a.campaign_code}").status_code == 200
    assert client.get("/campaigns/new").status_code == 403
    token = csrf_token(client, "/campaigns")
    response = client.post(
        f"/campaigns/{tenants.a.campaign_code}/status", data={"csrf_token": token, "action": "pause"}
    )
    assert response.status_code == 403
    assert client.get(f"/campaigns/{tenants.a.campaign_code}/edit").status_code == 403
    assert "New campaign" not in client.get("/campaigns").get_data(as_text=True)


def test_start_pause_close(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.editor)
    code = tenants.a.draft_code
    page = f"/campaigns/{code}"

    def status() -> str:
        with runtime.transaction() as session:
            return str(session.scalar(select(Campaign.status).where(Campaign.code == code)))

    assert post_form(client, page, f"{page}/status", action="pause").status_code == 302
    assert "Only a running campaign can be paused." in client.get(page).get_data(as_text=True)
    assert status() == "draft"
    for action, expected in (
        ("start", "running"),
        ("pause", "paused"),
        ("start", "running"),
        ("close", "closed"),
    ):
        assert post_form(client, page, f"{page}/status", action=action).status_code == 302
        assert status() == expected
    post_form(client, page, f"{page}/status", action="start")
    assert status() == "closed"
    # Without the CSRF token nothing happens.
    assert client.post(f"{page}/status", data={"action": "start"}).status_code == 400


def test_a_running_campaign_keeps_its_questionnaire(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.editor)
    code = tenants.a.campaign_code
    with runtime.transaction() as session:
        before = session.scalar(select(Campaign.questionnaire_version_id).where(Campaign.code == code))
    page = f"/campaigns/{code}/edit"
    edit = client.get(page).get_data(as_text=True)
    assert "can&#39;t change" in edit or "can't change" in edit
    response = post_form(
        client,
        page,
        **_form(
            name="Renamed", questionnaire="shipped:who5", channels=["web", "sms"], sms_keyword="OTHERWORD"
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with runtime.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == code))
        assert campaign is not None
        assert campaign.name == "Renamed"
        assert campaign.questionnaire_version_id == before
        assert campaign.sms_keyword == "KATELIE"


def test_a_draft_can_change_questionnaire(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.editor)
    page = f"/campaigns/{tenants.a.draft_code}/edit"
    response = post_form(client, page, **_form(name="Draft", questionnaire="shipped:who5", channels=["web"]))
    assert response.status_code == 302, response.get_data(as_text=True)
    with runtime.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == tenants.a.draft_code))
        assert campaign is not None and campaign.questionnaire_version.questionnaire_key == "who5"


def _seed_activity(runtime: Runtime, code: str) -> None:
    """Two SMS contacts invited, three conversations (web completed, sms in progress, sms opted out)."""
    with runtime.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == code))
        assert campaign is not None
        people = []
        for n in range(3):
            respondent = Respondent(organization_id=campaign.organization_id, pseudonym=f"{code}-p{n}")
            session.add(respondent)
            session.flush()
            identity = Identity(
                organization_id=campaign.organization_id,
                respondent_id=respondent.id,
                channel="sms",
                digest=f"{code}-{n}",
            )
            session.add(identity)
            session.flush()
            people.append((respondent, identity))
        for n, (respondent, identity) in enumerate(people[:2]):
            contact = Contact(
                campaign_id=campaign.id,
                respondent_id=respondent.id,
                identity_id=identity.id,
                channel="sms",
                language="fr",
                status="invited" if n == 0 else "opted_out",
            )
            session.add(contact)
            session.flush()
            session.add(
                OutboundMessage(
                    organization_id=campaign.organization_id,
                    campaign_id=campaign.id,
                    contact_id=contact.id,
                    identity_id=identity.id,
                    channel="sms",
                    kind="invitation",
                    language="fr",
                    status="delivered",
                )
            )
        for (respondent, _identity), (channel, status) in zip(
            people, [("sms", "in_progress"), ("sms", "opted_out"), ("web", "completed")], strict=True
        ):
            session.add(
                Conversation(
                    campaign_id=campaign.id,
                    respondent_id=respondent.id,
                    channel=channel,
                    language="fr",
                    status=status,
                    state={},
                )
            )


def test_the_list_shows_live_counts_by_channel(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    _seed_activity(runtime, tenants.a.campaign_code)
    client = signed_in(app, tenants.a.viewer)
    page = client.get("/campaigns").get_data(as_text=True)
    row = page.split(tenants.a.campaign_name, 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"<td class=\"number\">\s*<strong>(\d+)</strong>", row)
    assert cells == ["2", "3", "1", "1"]  # invited, started, completed, opted out
    assert "SMS 2" in row and "Web 1" in row
    detail = client.get(f"/campaigns/{tenants.a.campaign_code}").get_data(as_text=True)
    assert re.search(r'data-count="completed">1<', detail)


def test_the_list_costs_the_same_queries_for_many_campaigns(
    app: Flask, tenants: Tenants, runtime: Runtime
) -> None:
    client = signed_in(app, tenants.a.viewer)

    def statements() -> int:
        seen: list[str] = []

        def count(*_args: Any) -> None:
            seen.append("x")

        event.listen(runtime.engine, "before_cursor_execute", count)
        try:
            assert client.get("/campaigns").status_code == 200
        finally:
            event.remove(runtime.engine, "before_cursor_execute", count)
        return len(seen)

    few = statements()
    with runtime.transaction() as session:
        from service.accounts import organization_by_slug

        organization = organization_by_slug(session, tenants.a.slug)
        version = register_shipped(session, organization, "partners")
        for n in range(6):
            create_campaign(session, organization, version, name=f"Extra {n}", channels=["web"])
    assert statements() == few


def test_preview_shows_each_channel_and_the_sms_estimate(
    app: Flask, tenants: Tenants, runtime: Runtime
) -> None:
    _seed_activity(runtime, tenants.a.campaign_code)
    client = signed_in(app, tenants.a.viewer)
    page = client.get(f"/campaigns/{tenants.a.campaign_code}/preview?language=fr").get_data(as_text=True)
    assert "Votre qualité de vie a-t-elle changé en raison de Atelier Alpha ?" in page  # {org} filled
    assert "UCS-2" in page or "GSM-7" in page
    assert 'name="web-fr-A1"' in page  # the web form field
    assert re.search(r"<li>Beaucoup améliorée</li>", page)  # a Telegram button
    total = int(re.search(r'data-estimate="total"><strong>(\d+)<', page).group(1))  # type: ignore[union-attr]
    per_person = re.findall(r"<td class=\"number\">(\d+)</td>", page.split("Estimated SMS", 1)[1])
    assert total == 2 * int(per_person[2])  # two SMS contacts × segments per respondent
    dutch = client.get(f"/campaigns/{tenants.a.campaign_code}/preview?language=nl").get_data(as_text=True)
    assert "Is uw levenskwaliteit veranderd door Atelier Alpha?" in dutch
