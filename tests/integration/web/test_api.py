"""The JSON API: bearer tokens, campaigns, responses, JSON errors, and its OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Flask
from openapi_spec_validator import validate
from sqlalchemy import select

from service.campaigns import campaign_by_code
from service.models import Answer, ApiToken, Campaign, Conversation, Identity, Respondent
from service.runtime import Runtime
from tests.integration.web.staff_support import Tenants
from tests.integration.web.test_staff_campaigns import GOOD_YAML


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_requests_need_a_live_token(client: Any, tenants: Tenants, runtime: Runtime) -> None:
    response = client.get("/api/v1/campaigns")
    assert response.status_code == 401
    assert response.get_json()["message"].startswith("send an API token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/campaigns", headers=_auth("vises_not-a-real-token")).status_code == 401
    assert (
        client.get("/api/v1/campaigns", headers={"Authorization": f"Basic {tenants.a.token}"}).status_code
        == 401
    )
    assert client.get("/api/v1/campaigns", headers=_auth(tenants.a.token)).status_code == 200
    with runtime.transaction() as session:
        token = session.get(ApiToken, tenants.a.token_id)
        assert token is not None and token.last_used_at is not None


def test_list_shows_only_the_tokens_organization(client: Any, tenants: Tenants) -> None:
    body = client.get("/api/v1/campaigns", headers=_auth(tenants.a.token)).get_json()
    codes = {item["code"] for item in body["items"]}
    assert codes == {tenants.a.campaign_code, tenants.a.draft_code}
    running = next(item for item in body["items"] if item["code"] == tenants.a.campaign_code)
    assert running["status"] == "running" and running["questionnaire"]["id"] == "beneficiaries"
    assert running["links"]["web_url"].endswith(f"/s/{tenants.a.campaign_code}")
    assert running["counts"]["total"] == {
        "contacts": 0,
        "invited": 0,
        "started": 0,
        "in_progress": 0,
        "completed": 0,
        "expired": 0,
        "refused": 0,
        "opted_out": 0,
    }


def test_create_start_and_close(client: Any, tenants: Tenants) -> None:
    headers = _auth(tenants.a.token)
    response = client.post(
        "/api/v1/campaigns",
        json={
            "name": "Via the API",
            "questionnaire": "who5",
            "channels": ["web", "sms"],
            "sms_keyword": "Santé5",
            "closes_at": "2027-06-30T18:00:00+02:00",
            "reminder_policy": {"after_days": [3]},
        },
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["status"] == "draft" and created["sms_keyword"] == "SANTE5"
    assert created["closes_at"] == "2027-06-30T16:00:00+00:00"
    assert created["reminder_policy"]["after_days"] == [3]
    code = created["code"]
    assert client.post(f"/api/v1/campaigns/{code}/pause", headers=headers).status_code == 409
    assert client.post(f"/api/v1/campaigns/{code}/start", headers=headers).get_json()["status"] == "running"
    assert client.post(f"/api/v1/campaigns/{code}/close", headers=headers).get_json()["status"] == "closed"
    conflict = client.post(f"/api/v1/campaigns/{code}/start", headers=headers)
    assert conflict.status_code == 409 and "closed" in conflict.get_json()["message"]
    assert client.get(f"/api/v1/campaigns/{code}", headers=headers).get_json()["status"] == "closed"


def test_create_from_a_definition(client: Any, tenants: Tenants) -> None:
    import yaml

    document = yaml.safe_load(GOOD_YAML)
    response = client.post(
        "/api/v1/campaigns",
        json={"name": "Canteen", "definition": document, "channels": ["web"]},
        headers=_auth(tenants.b.token),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["questionnaire"] == {
        "id": "canteen",
        "version": 3,
        "title": "La cantine de {org}",
    }
    document["questions"][0]["type"] = "maybe"
    response = client.post(
        "/api/v1/campaigns",
        json={"name": "Canteen", "definition": document, "channels": ["web"]},
        headers=_auth(tenants.b.token),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "the questionnaire definition has errors"
    assert any(problem.startswith("question taste") for problem in body["errors"]["definition"])


def test_invalid_requests_name_each_field(client: Any, tenants: Tenants, runtime: Runtime) -> None:
    headers = _auth(tenants.a.token)
    response = client.post(
        "/api/v1/campaigns", json={"channels": ["fax"], "target_responses": 0}, headers=headers
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) >= {"name", "channels.0", "target_responses"}
    response = client.post("/api/v1/campaigns", json={"name": "x", "channels": ["web"]}, headers=headers)
    assert response.status_code == 422 and "questionnaire" in response.get_json()["errors"]
    response = client.post(
        "/api/v1/campaigns",
        json={
            "name": "x",
            "questionnaire": "who5",
            "channels": ["web"],
            "reminder_policy": {"after_days": "soon"},
        },
        headers=headers,
    )
    assert response.status_code == 422 and "reminder_policy" in response.get_json()["errors"]
    response = client.post(
        "/api/v1/campaigns", json={"name": "x", "questionnaire": "nope", "channels": ["web"]}, headers=headers
    )
    assert response.status_code == 422 and "questionnaire" in response.get_json()["errors"]
    response = client.post(
        "/api/v1/campaigns",
        json={"name": "x", "questionnaire": "who5", "channels": ["sms"], "sms_keyword": "STOP"},
        headers=headers,
    )
    assert response.status_code == 422 and "sms_keyword" in response.get_json()["errors"]
    response = client.post("/api/v1/campaigns", data="not json", content_type="text/plain", headers=headers)
    assert response.status_code == 400 and response.is_json
    with runtime.transaction() as session:
        assert session.scalar(select(Campaign.id).where(Campaign.name == "x")) is None


def _seed_conversations(runtime: Runtime, code: str, count: int) -> list[int]:
    ids = []
    with runtime.transaction() as session:
        campaign = campaign_by_code(session, code)
        assert campaign is not None
        for n in range(count):
            respondent = Respondent(organization_id=campaign.organization_id, pseudonym=f"pseudo-{n}")
            session.add(respondent)
            session.flush()
            identity = Identity(
                organization_id=campaign.organization_id,
                respondent_id=respondent.id,
                channel="sms",
                digest=f"digest-{n}",
                ciphertext=runtime.vault.encrypt(f"+3247000000{n}"),
            )
            session.add(identity)
            session.flush()
            conversation = Conversation(
                campaign_id=campaign.id,
                respondent_id=respondent.id,
                identity_id=identity.id,
                channel="sms",
                language="nl",
                status="completed" if n % 2 == 0 else "in_progress",
                state={},
            )
            session.add(conversation)
            session.flush()
            session.add(
                Answer(conversation_id=conversation.id, question_id="A1", value=str(1 + n % 5), channel="sms")
            )
            session.add(Answer(conversation_id=conversation.id, question_id="A5", value=n, channel="sms"))
            ids.append(conversation.id)
    return ids


def test_responses_come_page_by_page(client: Any, tenants: Tenants, runtime: Runtime) -> None:
    ids = _seed_conversations(runtime, tenants.a.campaign_code, 5)
    headers = _auth(tenants.a.token)
    url = f"/api/v1/campaigns/{tenants.a.campaign_code}/responses"
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get(url, query_string=query, headers=headers).get_json()
        seen.extend(body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and [item["id"] for item in seen] == ids
    first = seen[0]
    assert first["answers"] == {"A1": "1", "A5": 0}
    assert first["channel"] == "sms" and first["language"] == "nl" and first["status"] == "completed"
    assert first["respondent"] == "pseudo-0"
    raw = client.get(url, headers=headers).get_data(as_text=True)
    assert "+32" not in raw and "digest-" not in raw
    completed = client.get(url, query_string={"status": "completed"}, headers=headers).get_json()["items"]
    assert len(completed) == 3
    bad = client.get(url, query_string={"cursor": "nonsense!"}, headers=headers)
    assert bad.status_code == 422 and "cursor" in bad.get_json()["errors"]
    assert client.get(url, query_string={"limit": 0}, headers=headers).status_code == 422


def test_the_api_needs_no_csrf_token_but_pages_do(app: Flask, tenants: Tenants) -> None:
    client = app.test_client()
    response = client.post(f"/api/v1/campaigns/{tenants.a.draft_code}/start", headers=_auth(tenants.a.token))
    assert response.status_code == 200
    # A signed-in browser session does not open the API: only tokens do.
    from tests.integration.web.staff_support import signed_in

    browser = signed_in(app, tenants.a.owner)
    assert browser.get("/api/v1/campaigns").status_code == 401


def test_openapi_document_is_valid_and_covers_every_api_route(app: Flask, client: Any) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.")
    documented = {
        (path, method.upper()) for path, operations in document["paths"].items() for method in operations
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:  # type: ignore[operator]
                served.add((path, method))
    assert served == documented
    schemas = document["components"]["schemas"]
    assert schemas["CampaignCreate"]["required"] == ["channels", "name"]
    assert "answers" in schemas["Response"]["properties"]


def test_contacts_upload_as_json_or_csv(client: Any, tenants: Tenants, runtime: Runtime) -> None:
    from sqlalchemy import func

    from service.models import Contact

    headers = _auth(tenants.a.token)
    url = f"/api/v1/campaigns/{tenants.a.campaign_code}/contacts"

    def listed() -> int:
        with runtime.transaction() as session:
            return int(session.scalar(select(func.count(Contact.id))) or 0)

    bad = client.post(
        url,
        json={
            "channel": "sms",
            "contacts": [{"phone": "0478 55 66 77", "language": "nl"}, {"phone": "123456"}],
        },
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == [{"line": 3, "field": "phone", "message": "not a valid phone number"}]
    assert bad.get_json()["imported"] == 0 and listed() == 0
    good = client.post(
        url,
        json={
            "channel": "sms",
            "region": "BE",
            "contacts": [{"phone": "0478 55 66 77", "language": "nl", "name": "Joris"}],
        },
        headers=headers,
    )
    assert good.status_code == 200 and good.get_json()["imported"] == 1
    csv_body = "phone,language\n+33 7 81 23 45 67,fr\n0478556677,nl\n"
    response = client.post(
        url, data=csv_body, content_type="text/csv", query_string={"channel": "sms"}, headers=headers
    )
    assert response.status_code == 200
    assert response.get_json() == {"imported": 1, "already_present": [3], "opted_out": 0, "errors": []}
    assert listed() == 2
    assert "+33" not in response.get_data(as_text=True)
    missing = client.post(url, data=csv_body, content_type="text/csv", headers=headers)
    assert missing.status_code == 422 and "channel" in missing.get_json()["errors"]
    wrong = client.post(
        url, json={"channel": "telegram", "contacts": [{"phone": "0478556677"}]}, headers=headers
    )
    assert (
        wrong.status_code == 422
        and "does not use the telegram channel" in wrong.get_json()["errors"]["channel"][0]
    )
