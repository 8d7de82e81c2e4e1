"""Reading answers through the API and downloading the Telegram links each leave one audit event: who, what,
how many rows; never an answer, a name or a link."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from service.campaigns import campaign_by_code
from service.models import AuditEvent, Contact, utcnow
from service.runtime import Runtime
from tests.integration.web.staff_support import Tenants, signed_in
from tests.integration.web.test_api import _seed_conversations
from tests.integration.web.test_staff_invitations import GOOD_CSV, _upload


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.transaction() as session:
        events = list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        )
        session.expunge_all()
        return events


def test_each_page_of_responses_read_by_the_api_is_one_audit_event(
    client: Any, tenants: Tenants, runtime: Runtime
) -> None:
    _seed_conversations(runtime, tenants.a.campaign_code, 3)
    url = f"/api/v1/campaigns/{tenants.a.campaign_code}/responses"
    headers = {"Authorization": f"Bearer {tenants.a.token}"}
    first = client.get(url, query_string={"limit": 2}, headers=headers).get_json()
    events = _events(runtime, "read_responses")
    assert len(events) == 1
    event = events[0]
    assert (event.organization_id, event.user_id, event.target_type, event.target_id) == (
        _organization_id(runtime, tenants.a.campaign_code),
        None,
        "campaign",
        tenants.a.campaign_code,
    )
    assert event.details == {
        "rows": 2,
        "after": 0,
        "limit": 2,
        "status": None,
        "via": "api",
        "token": tenants.a.token_id,
    }
    client.get(url, query_string={"limit": 2, "cursor": first["next_cursor"]}, headers=headers)
    events = _events(runtime, "read_responses")
    assert len(events) == 2 and events[1].details["rows"] == 1 and events[1].details["after"] > 0
    # what was read is not in the trail: no answer value, no pseudonym
    trail = json.dumps([e.details for e in events])
    assert "pseudo-" not in trail and "answers" not in trail
    # a refused request reads nothing and records nothing
    assert client.get(url, query_string={"limit": 0}, headers=headers).status_code == 422
    other = {"Authorization": f"Bearer {tenants.b.token}"}
    assert client.get(url, headers=other).status_code == 404
    assert len(_events(runtime, "read_responses")) == 2


def _organization_id(runtime: Runtime, code: str) -> int:
    with runtime.transaction() as session:
        campaign = campaign_by_code(session, code)
        assert campaign is not None
        return campaign.organization_id


def test_the_telegram_links_csv_is_one_audit_event_with_its_editor(
    app_with: Any, make_settings: Any, database_url: str, tenants: Tenants, runtime: Runtime
) -> None:
    with runtime.transaction() as session:
        campaign = campaign_by_code(session, tenants.a.draft_code)
        assert campaign is not None
        campaign.channels = ["web", "telegram"]
    telegram_app = app_with(
        make_settings(
            DATABASE_URL=database_url,
            TELEGRAM_BOT_TOKEN="123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            TELEGRAM_BOT_USERNAME="vises_demo_bot",
        )
    )
    editor = signed_in(telegram_app, tenants.a.editor)
    code = tenants.a.draft_code
    assert _upload(editor, code, GOOD_CSV, channel="telegram").status_code == 200
    with runtime.transaction() as session:
        contact = session.scalars(select(Contact).where(Contact.reference == "B-102")).one()
        contact.linked_at = utcnow()
    assert _events(runtime, "telegram_links_export") == []
    assert editor.get(f"/campaigns/{code}/telegram").status_code == 200  # the page is not the file
    assert _events(runtime, "telegram_links_export") == []
    viewer = signed_in(telegram_app, tenants.a.viewer)
    assert viewer.get(f"/campaigns/{code}/telegram.csv").status_code == 403
    download = editor.get(f"/campaigns/{code}/telegram.csv")
    assert download.status_code == 200 and "Joris" in download.get_data(as_text=True)
    events = _events(runtime, "telegram_links_export")
    assert len(events) == 1
    event = events[0]
    assert event.user_id == tenants.a.user_ids["editor"]
    assert event.organization_id == _organization_id(runtime, code)
    assert (event.target_type, event.target_id, event.details) == ("campaign", code, {"rows": 2})
    assert "Joris" not in json.dumps(event.details) and "t.me" not in json.dumps(event.details)
    # another organization's editor gets nothing, and nothing is recorded
    other = signed_in(telegram_app, tenants.b.editor)
    assert other.get(f"/campaigns/{code}/telegram.csv").status_code == 404
    assert len(_events(runtime, "telegram_links_export")) == 1
