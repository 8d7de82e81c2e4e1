"""The consent ledger of a campaign (staff download and command line) and the audit trail page."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from service.audit import Action, record
from service.models import AuditEvent, Organization, Respondent
from service.runtime import Runtime
from tests.integration.privacy.support import Setting, Texter, atelier, make_setting
from tests.integration.web.staff_support import csrf_from, signed_in
from tests.support.log_scan import personal

__all__ = ["atelier"]

AGREES = "+32470661101"
REFUSES = "+32470661102"
CONSENT_NL = (
    "Uw antwoorden blijven vertrouwelijk en dienen enkel om de impact van {org} te meten. "
    "Stuur STOP om te stoppen. Wilt u antwoorden?"
)
"""The Dutch consent text of the shipped questionnaire, as the ledger's digest covers it (before {org})."""


def _answer(runtime: Runtime) -> None:
    personal(AGREES, REFUSES)
    Texter(runtime, AGREES).complete("avis")
    refusing = Texter(runtime, REFUSES)
    refusing.send("avis")
    refusing.send("NL")
    refusing.send("nee")


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_editors_download_the_consent_ledger_with_pseudonyms_only(
    app: Flask, runtime: Runtime, atelier: Setting
) -> None:
    _answer(runtime)
    editor = signed_in(app, atelier.editor)
    response = editor.get(f"/campaigns/{atelier.campaign.code}/consent-ledger.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    rows = _rows(text)
    assert rows[0] == [
        "respondent",
        "consent_version",
        "text_digest",
        "language",
        "channel",
        "given",
        "recorded_at",
    ]
    with runtime.transaction() as session:
        pseudonyms = set(session.scalars(select(Respondent.pseudonym)))
    by_answer = {row[5]: row for row in rows[1:]}
    assert set(by_answer) == {"true", "false"} and len(rows) == 3
    refused = by_answer["false"]
    assert refused[0] in pseudonyms
    assert refused[1:5] == ["2026-11", hashlib.sha256(CONSENT_NL.encode()).hexdigest(), "nl", "sms"]
    for number in (AGREES, REFUSES, AGREES[1:], REFUSES[1:]):
        assert number not in text
    with runtime.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "consent_ledger_export")).one()
    assert (event.target_type, event.target_id, event.details) == (
        "campaign",
        atelier.campaign.code,
        {"via": "web"},
    )

    assert (
        signed_in(app, atelier.viewer)
        .get(f"/campaigns/{atelier.campaign.code}/consent-ledger.csv")
        .status_code
        == 403
    )
    other = make_setting(runtime, "brasserie", "BIERE")
    stranger = signed_in(app, other.owner)
    assert stranger.get(f"/campaigns/{atelier.campaign.code}/consent-ledger.csv").status_code == 404


def test_the_command_line_writes_the_same_ledger(
    runtime: Runtime, atelier: Setting, cli: Callable[..., Any], tmp_path: Any
) -> None:
    _answer(runtime)
    target = tmp_path / "ledger.csv"
    result = cli("privacy", "consent-ledger", atelier.campaign.code.lower(), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert "2 consent records written" in result.output
    rows = _rows(target.read_text(encoding="utf-8"))
    assert [row[5] for row in rows[1:]] == ["true", "false"]
    assert cli("privacy", "consent-ledger", "NOPE1234").exit_code == 1
    with runtime.transaction() as session:
        vias = [event.details["via"] for event in session.scalars(select(AuditEvent))]
    assert vias == ["cli"]


def test_owners_read_their_own_audit_trail_page_by_page(
    app: Flask, runtime: Runtime, atelier: Setting
) -> None:
    other = make_setting(runtime, "brasserie", "BIERE")
    start = datetime(2026, 10, 1, 9, tzinfo=UTC)
    with runtime.transaction() as session:
        for minute in range(60):
            record(
                session,
                atelier.organization_id,
                Action.READ_FREE_TEXT if minute % 2 else Action.EXPORT,
                target_type="campaign",
                target_id=atelier.campaign.code,
                details={"page": minute},
                at=start + timedelta(minutes=minute),
            )
        record(session, other.organization_id, Action.ERASURE, details={"secret": "brasserie-only"}, at=start)
    owner = signed_in(app, atelier.owner)
    first = owner.get("/organization/privacy/audit").get_data(as_text=True)
    assert "Page 1 of 2 (60 events)" in first
    assert "2026-10-01 09:59:00" in first and "page: 59" in first
    assert "brasserie-only" not in first
    second = owner.get("/organization/privacy/audit?page=2").get_data(as_text=True)
    assert "2026-10-01 09:00:00" in second and "2026-10-01 09:59:00" not in second
    exports = owner.get("/organization/privacy/audit?action=export").get_data(as_text=True)
    assert "Page 1 of 1 (30 events)" in exports and "Read free-text answers</td>" not in exports
    assert signed_in(app, atelier.editor).get("/organization/privacy/audit").status_code == 403


def test_owners_set_the_retention_periods_and_the_change_is_audited(
    app: Flask, runtime: Runtime, atelier: Setting
) -> None:
    owner = signed_in(app, atelier.owner)
    page = owner.get("/organization/privacy").get_data(as_text=True)
    assert re.search(r'name="retention_days"[^>]*value="180"', page)
    token = csrf_from(page)
    refused = owner.post(
        "/organization/privacy/settings",
        data={
            "csrf_token": token,
            "retention_days": "-3",
            "free_text_retention_days": "",
            "erasure_mode": "delete",
        },
    )
    assert refused.status_code == 400
    saved = owner.post(
        "/organization/privacy/settings",
        data={
            "csrf_token": token,
            "retention_days": "30",
            "free_text_retention_days": "7",
            "erasure_mode": "delete",
        },
    )
    assert saved.status_code == 302
    with runtime.transaction() as session:
        organization = session.get_one(Organization, atelier.organization_id)
        assert (
            organization.retention_days,
            organization.free_text_retention_days,
            organization.erasure_mode,
        ) == (
            30,
            7,
            "delete",
        )
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy_settings")).one()
    assert (
        event.details["before"]["retention_days"] == 180
        and event.details["after"]["erasure_mode"] == "delete"
    )
    assert signed_in(app, atelier.editor).post("/organization/privacy/settings", data={}).status_code in (
        400,
        403,
    )
