"""Requests received by other means, entered by an owner on the privacy pages: found by phone number, never
showing or storing it; erasure, the person's file, and an opt-out."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import func, select

from service.contacts import import_contacts
from service.models import (
    Answer,
    AuditEvent,
    Campaign,
    Contact,
    Export,
    Identity,
    OptOut,
    PrivacyRequest,
    User,
)
from service.runtime import Runtime
from tests.integration.privacy.support import FREE_TEXT, Setting, Texter, atelier, make_setting
from tests.integration.web.staff_support import csrf_token, signed_in
from tests.support.log_scan import personal

__all__ = ["atelier"]

NUMBER = "+32470998877"
TYPED = "0470 99 88 77"
_TOKEN = re.compile(r'name="token"[^>]*value="([^"]+)"')


def _find(client: Any, phone: str = TYPED, kind: str = "erasure", **extra: str) -> Any:
    token = csrf_token(client, "/organization/privacy/requests/new")
    form = {
        "csrf_token": token,
        "phone": phone,
        "region": "BE",
        "kind": kind,
        "received_via": "letter",
        "language": "fr",
        "checked": "y",
        **extra,
    }
    return client.post("/organization/privacy/requests/new", data=form)


def _confirm(client: Any, page: str) -> Any:
    match = _TOKEN.search(page)
    assert match, "no confirmation form"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token
    return client.post(
        "/organization/privacy/requests/confirm", data={"csrf_token": token.group(1), "token": match.group(1)}
    )


def _written_export(runtime: Runtime, setting: Setting) -> Path:
    """A finished export of the campaign, as the export job leaves it in the instance folder."""
    folder = runtime.settings.instance_path / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"1-{setting.campaign.code}.csv"
    path.write_text(f"status,A2\ncompleted,{FREE_TEXT}\n", encoding="utf-8")
    with runtime.transaction() as session:
        session.add(
            Export(
                organization_id=setting.organization_id,
                campaign_id=setting.campaign.id,
                format="csv",
                language="fr",
                status="done",
                path=path.name,
                rows=1,
            )
        )
    return path


def _assert_no_number(text: str) -> None:
    for form in (NUMBER, NUMBER[1:], "470998877", TYPED, "0470998877"):
        assert form not in text


def test_only_owners_reach_the_privacy_pages(app: Flask, atelier: Setting) -> None:
    for email in (atelier.viewer, atelier.editor):
        client = signed_in(app, email)
        for url in (
            "/organization/privacy",
            "/organization/privacy/requests/new",
            "/organization/privacy/audit",
        ):
            assert client.get(url).status_code == 403, (email, url)
        assert client.post("/organization/privacy/requests/confirm", data={}).status_code in (400, 403)
    anonymous = app.test_client().get("/organization/privacy")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    owner = signed_in(app, atelier.owner)
    page = owner.get("/organization/privacy")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"


def test_an_erasure_request_shows_counts_only_then_erases_and_is_recorded(
    app: Flask, runtime: Runtime, atelier: Setting
) -> None:
    personal(NUMBER, FREE_TEXT)
    Texter(runtime, NUMBER).complete("avis")
    Texter(runtime, NUMBER, channel="whatsapp").complete("avis")
    owner = signed_in(app, atelier.owner)
    found = _find(owner)
    page = found.get_data(as_text=True)
    assert found.status_code == 200
    assert "Found: 2 conversation(s) in 1 campaign(s); on 0 invitation list(s)." in page
    assert "+32•••••••77" in page
    _assert_no_number(page)

    written = _written_export(runtime, atelier)
    done = _confirm(owner, page)
    assert done.status_code == 302
    assert not written.exists(), "an export written before holds the erased free text: it goes too"
    assert "Erased: 0 conversation(s) deleted, 2 kept" in owner.get("/organization/privacy").get_data(
        as_text=True
    )
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Identity.id)).where(Identity.erased_at.is_(None))) == 0
        assert session.scalar(select(func.count(Answer.id)).where(Answer.is_free_text.is_(True))) == 0
        request = session.scalars(select(PrivacyRequest)).one()
        owner_id = session.scalar(select(User.id).where(User.email == atelier.owner))
        assert (request.kind, request.source, request.channel, request.status, request.requested_by_id) == (
            "erasure",
            "staff",
            "letter",
            "done",
            owner_id,
        )
        assert session.scalar(select(func.count(Export.id))) == 0
        events = {event.action: event for event in session.scalars(select(AuditEvent))}
        assert events["privacy_lookup"].details["conversations"] == 2
        assert events["privacy_erasure"].user_id == owner_id
        stored = " ".join(str(event.details) for event in events.values())
        _assert_no_number(stored)
        digests = {runtime.vault.digest(channel, NUMBER) for channel in ("sms", "whatsapp", "phone")}
        assert not any(digest in stored for digest in digests)
    register = owner.get("/organization/privacy").get_data(as_text=True)
    assert "Erasure" in register and "By letter" in register


def test_an_access_request_downloads_the_persons_file_with_their_name_and_answers(
    app: Flask, runtime: Runtime, atelier: Setting
) -> None:
    personal(NUMBER, FREE_TEXT, "Jeanne Dupuis-Lambert")
    with runtime.transaction() as session:
        campaign = session.get_one(Campaign, atelier.campaign.id)
        import_contacts(
            session,
            runtime,
            campaign,
            [{"phone": NUMBER, "language": "fr", "name": "Jeanne Dupuis-Lambert"}],
            "sms",
            "BE",
        )
    Texter(runtime, NUMBER).complete("avis")
    owner = signed_in(app, atelier.owner)
    page = _find(owner, kind="access").get_data(as_text=True)
    assert "Found: 1 conversation(s) in 1 campaign(s); on 1 invitation list(s)." in page
    response = _confirm(owner, page)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="data-request-')
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "rubrique"
    values = {(row[0], row[6]): row[7] for row in rows[1:]}
    assert values[("contact", "name")] == "Jeanne Dupuis-Lambert"
    assert (
        values[("answer", "Votre qualité de vie a-t-elle changé en raison de Atelier ?")]
        == "Un peu améliorée"
    )
    assert FREE_TEXT in {row[7] for row in rows}
    assert ("conversation", "consent (version 2026-11)") in values
    with runtime.transaction() as session:
        request = session.scalars(select(PrivacyRequest)).one()
        assert (request.kind, request.scope, request.status) == ("access", "file", "done")
        assert session.scalar(select(func.count(Identity.id)).where(Identity.erased_at.is_(None))) == 1, (
            "access erases nothing"
        )


def test_an_opt_out_entered_by_staff_stops_sms_and_whatsapp_and_shows_as_a_count(
    app: Flask, runtime: Runtime, atelier: Setting
) -> None:
    personal(NUMBER)
    Texter(runtime, NUMBER).complete("avis")
    owner = signed_in(app, atelier.owner)
    assert _confirm(owner, _find(owner, kind="opt_out").get_data(as_text=True)).status_code == 302
    with runtime.transaction() as session:
        rows = session.execute(select(OptOut.channel, OptOut.source, OptOut.digest)).all()
    assert sorted((channel, source) for channel, source, _ in rows) == [
        ("sms", "staff"),
        ("whatsapp", "staff"),
    ]
    with runtime.transaction() as session:
        request = session.scalars(select(PrivacyRequest)).one()
    assert (request.kind, request.channel, request.scope, request.source) == (
        "opt_out",
        "letter",
        "sms,whatsapp",
        "staff",
    )
    overview = owner.get("/organization/privacy").get_data(as_text=True)
    assert "entered by staff: 1" in overview
    _assert_no_number(overview)
    # Every campaign of the organization now stays silent to this number, whatever it sends.
    assert Texter(runtime, NUMBER).send("AVIS").outgoing.texts == ()


def test_nothing_held_is_said_and_recorded_and_a_wrong_number_is_refused(
    app: Flask, runtime: Runtime, atelier: Setting
) -> None:
    owner = signed_in(app, atelier.owner)
    wrong = _find(owner, phone="12")
    assert wrong.status_code == 400
    assert "not a phone number we can read" in wrong.get_data(as_text=True)
    unchecked = _find(owner, checked="")
    assert unchecked.status_code == 400
    page = _find(owner).get_data(as_text=True)
    assert "Found: 0 conversation(s) in 0 campaign(s); on 0 invitation list(s)." in page
    _confirm(owner, page)
    with runtime.transaction() as session:
        assert session.scalars(select(PrivacyRequest.status)).one() == "not_found"


def test_a_search_is_bound_to_its_organization_and_user_and_lapses_after_15_minutes(
    app: Flask, runtime: Runtime, atelier: Setting
) -> None:
    personal(NUMBER)
    other = make_setting(runtime, "brasserie", "BIERE")
    Texter(runtime, NUMBER).complete("avis")
    owner = signed_in(app, atelier.owner)
    page = _find(owner).get_data(as_text=True)
    intruder = signed_in(app, other.owner)
    token = _TOKEN.search(page)
    assert token
    stolen = intruder.post(
        "/organization/privacy/requests/confirm",
        data={
            "csrf_token": csrf_token(intruder, "/organization/privacy/requests/new"),
            "token": token.group(1),
        },
    )
    assert stolen.status_code == 400
    raw = token.group(1)
    forged = raw[:5] + ("A" if raw[5] != "A" else "B") + raw[6:]
    assert _confirm(owner, page.replace(raw, forged)).status_code == 400
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16)):
        late = _confirm(owner, page)
    assert late.status_code == 302 and late.headers["Location"].endswith("/organization/privacy/requests/new")
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Identity.id)).where(Identity.erased_at.is_not(None))) == 0
        assert session.scalar(select(func.count(Contact.id))) == 0


def test_the_brasserie_finds_nothing_of_a_person_who_only_answered_the_atelier(
    app: Flask, runtime: Runtime, atelier: Setting
) -> None:
    personal(NUMBER)
    other = make_setting(runtime, "brasserie", "BIERE")
    Texter(runtime, NUMBER).complete("avis")
    intruder = signed_in(app, other.owner)
    page = _find(intruder).get_data(as_text=True)
    assert "Found: 0 conversation(s) in 0 campaign(s)" in page
    _confirm(intruder, page)
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Identity.id)).where(Identity.erased_at.is_(None))) == 1
        request = session.scalars(select(PrivacyRequest)).one()
        assert (request.organization_id, request.status) == (other.organization_id, "not_found")
