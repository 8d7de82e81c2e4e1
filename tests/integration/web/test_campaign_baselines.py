"""Linking a campaign to its baseline (entry → exit): on the staff form, through the API and the command line.

A baseline is one of the organization's own campaigns on the same questionnaire; another organization's
code is refused with the very words an unknown code gets, so that nobody learns it exists.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import select

from service.campaigns import create_campaign
from service.definitions import register_shipped
from service.models import Campaign, Organization
from service.runtime import Runtime
from tests.integration.web.staff_support import Tenants, csrf_token, post_form, signed_in
from tests.integration.web.test_staff_campaigns import _form

UNKNOWN = "no campaign of this organization has the code"
UNKNOWN_ON_PAGE = "No campaign of this organization has the code"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _create(client: Any, **overrides: Any) -> Any:
    token = csrf_token(client, "/campaigns/new")
    return client.post(
        "/campaigns/new", data={"csrf_token": token, **_form(**overrides)}, content_type="multipart/form-data"
    )


def _baseline_of(runtime: Runtime, code: str) -> str | None:
    with runtime.transaction() as session:
        campaign = session.scalars(select(Campaign).where(Campaign.code == code)).one()
        if campaign.baseline_campaign_id is None:
            return None
        return session.get_one(Campaign, campaign.baseline_campaign_id).code


def _who5_campaign(runtime: Runtime, tenants: Tenants) -> str:
    """A campaign of organization A on another questionnaire than its beneficiaries campaigns."""
    with runtime.transaction() as session:
        organization = session.scalars(select(Organization).where(Organization.slug == tenants.a.slug)).one()
        version = register_shipped(session, organization, "who5")
        return create_campaign(session, organization, version, name="Bien-être", channels=["web"]).code


def test_the_form_lists_own_campaigns_and_links_a_follow_up(
    app: Flask, tenants: Tenants, runtime: Runtime
) -> None:
    client = signed_in(app, tenants.a.editor)
    page = client.get("/campaigns/new").get_data(as_text=True)
    assert f'value="{tenants.a.campaign_code}"' in page and "Atelier Alpha survey (from " in page
    assert tenants.b.campaign_code not in page and "Brasserie Beta" not in page
    response = _create(client, name="Exit 2027", baseline=tenants.a.campaign_code)
    assert response.status_code == 302, response.get_data(as_text=True)
    code = response.headers["Location"].rsplit("/", 1)[1]
    assert _baseline_of(runtime, code) == tenants.a.campaign_code
    detail = client.get(f"/campaigns/{code}").get_data(as_text=True)
    assert f'href="/campaigns/{tenants.a.campaign_code}"' in detail
    assert f'href="/campaigns/{code}/results/change"' in detail
    assert client.get(f"/campaigns/{code}/results/change").status_code == 200
    baseline_page = client.get(f"/campaigns/{tenants.a.campaign_code}").get_data(as_text=True)
    assert "Followed up by" in baseline_page and f'href="/campaigns/{code}"' in baseline_page


def test_no_baseline_is_the_default(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.editor)
    response = _create(client, baseline="")
    assert response.status_code == 302, response.get_data(as_text=True)
    code = response.headers["Location"].rsplit("/", 1)[1]
    assert _baseline_of(runtime, code) is None
    assert "/results/change" not in client.get(f"/campaigns/{code}").get_data(as_text=True)


def test_the_form_refuses_another_organizations_campaign_as_unknown(
    app: Flask, tenants: Tenants, runtime: Runtime
) -> None:
    client = signed_in(app, tenants.a.editor)
    theirs = _create(client, name="Sneaky", baseline=tenants.b.campaign_code)
    unknown = _create(client, name="Sneaky", baseline="ZZZZZZZZ")
    assert theirs.status_code == unknown.status_code == 400
    theirs_html, unknown_html = theirs.get_data(as_text=True), unknown.get_data(as_text=True)
    assert f"{UNKNOWN_ON_PAGE} {tenants.b.campaign_code}." in theirs_html
    assert f"{UNKNOWN_ON_PAGE} ZZZZZZZZ." in unknown_html
    assert "Brasserie Beta" not in theirs_html
    with runtime.transaction() as session:
        assert session.scalar(select(Campaign.id).where(Campaign.name == "Sneaky")) is None


def test_the_form_refuses_a_baseline_on_another_questionnaire(
    app: Flask, tenants: Tenants, runtime: Runtime
) -> None:
    other = _who5_campaign(runtime, tenants)
    client = signed_in(app, tenants.a.editor)
    response = _create(client, name="Mismatch", baseline=other)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"The baseline campaign {other} asks another questionnaire (who5)" in html
    with runtime.transaction() as session:
        assert session.scalar(select(Campaign.id).where(Campaign.name == "Mismatch")) is None


def test_editing_sets_changes_and_removes_the_baseline(
    app: Flask, tenants: Tenants, runtime: Runtime
) -> None:
    other = _who5_campaign(runtime, tenants)
    client = signed_in(app, tenants.a.editor)
    page = f"/campaigns/{tenants.a.draft_code}/edit"
    edit = client.get(page).get_data(as_text=True)
    assert f'value="{tenants.a.draft_code}"' not in edit.split('id="baseline"', 1)[1].split("</select>")[0]
    fields = _form(name="Atelier Alpha draft", channels=["web"])
    response = post_form(client, page, **fields, baseline=tenants.a.campaign_code)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _baseline_of(runtime, tenants.a.draft_code) == tenants.a.campaign_code
    selected = client.get(page).get_data(as_text=True)
    assert f'selected value="{tenants.a.campaign_code}"' in selected
    for refused, words in (
        (tenants.a.draft_code, "A campaign cannot be its own baseline"),
        (other, "asks another questionnaire"),
        (tenants.b.campaign_code, UNKNOWN_ON_PAGE),
    ):
        response = post_form(client, page, **fields, baseline=refused)
        assert response.status_code == 400 and words in response.get_data(as_text=True), refused
        assert _baseline_of(runtime, tenants.a.draft_code) == tenants.a.campaign_code
    # the running campaign now cannot follow its own follow-up
    running_page = f"/campaigns/{tenants.a.campaign_code}/edit"
    response = post_form(
        client,
        running_page,
        **_form(name="Atelier Alpha survey", sms_keyword="KATELIE"),
        baseline=tenants.a.draft_code,
    )
    assert response.status_code == 400
    assert "already follows this one" in response.get_data(as_text=True)
    assert _baseline_of(runtime, tenants.a.campaign_code) is None
    response = post_form(client, page, **fields, baseline="")
    assert response.status_code == 302
    assert _baseline_of(runtime, tenants.a.draft_code) is None


def test_a_started_campaign_lists_only_campaigns_of_its_questionnaire(
    app: Flask, tenants: Tenants, runtime: Runtime
) -> None:
    other = _who5_campaign(runtime, tenants)
    client = signed_in(app, tenants.a.editor)
    edit = client.get(f"/campaigns/{tenants.a.campaign_code}/edit").get_data(as_text=True)
    options = edit.split('id="baseline"', 1)[1].split("</select>")[0]
    assert f'value="{tenants.a.draft_code}"' in options and f'value="{other}"' not in options


def test_viewers_cannot_link_campaigns(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    viewer = signed_in(app, tenants.a.viewer)
    token = csrf_token(viewer, f"/campaigns/{tenants.a.campaign_code}")
    response = viewer.post(
        f"/campaigns/{tenants.a.draft_code}/edit",
        data={"csrf_token": token, **_form(channels=["web"]), "baseline": tenants.a.campaign_code},
    )
    assert response.status_code == 403
    assert _baseline_of(runtime, tenants.a.draft_code) is None


def test_the_api_creates_a_follow_up_and_shows_its_baseline(client: Any, tenants: Tenants) -> None:
    headers = _auth(tenants.a.token)
    response = client.post(
        "/api/v1/campaigns",
        json={
            "name": "Exit",
            "questionnaire": "beneficiaries",
            "channels": ["web"],
            "baseline": tenants.a.campaign_code.lower(),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["baseline"] == tenants.a.campaign_code
    assert client.get(f"/api/v1/campaigns/{created['code']}", headers=headers).get_json()["baseline"] == (
        tenants.a.campaign_code
    )
    items = {
        item["code"]: item["baseline"]
        for item in client.get("/api/v1/campaigns", headers=headers).get_json()["items"]
    }
    assert items[created["code"]] == tenants.a.campaign_code and items[tenants.a.campaign_code] is None


def test_the_api_refuses_bad_baselines_without_telling_whose_they_are(
    client: Any, tenants: Tenants, runtime: Runtime
) -> None:
    other = _who5_campaign(runtime, tenants)
    headers = _auth(tenants.a.token)

    def attempt(baseline: str) -> tuple[int, list[str]]:
        response = client.post(
            "/api/v1/campaigns",
            json={"name": "Bad", "questionnaire": "beneficiaries", "channels": ["web"], "baseline": baseline},
            headers=headers,
        )
        return response.status_code, response.get_json()["errors"]["baseline"]

    status, theirs = attempt(tenants.b.campaign_code)
    assert status == 422 and theirs == [f"{UNKNOWN} {tenants.b.campaign_code}"]
    status, unknown = attempt("ZZZZZZZZ")
    assert status == 422 and unknown == [f"{UNKNOWN} ZZZZZZZZ"]
    status, mismatch = attempt(other)
    assert status == 422 and "asks another questionnaire (who5)" in mismatch[0]
    with runtime.transaction() as session:
        assert session.scalar(select(Campaign.id).where(Campaign.name == "Bad")) is None


def test_the_openapi_document_describes_the_baseline(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert "baseline" in schemas["CampaignCreate"]["properties"]
    assert "baseline" in schemas["Campaign"]["properties"]


def test_the_command_line_links_a_follow_up(cli: Any, tenants: Tenants, runtime: Runtime) -> None:
    result = cli(
        "campaign",
        "create",
        "--org",
        tenants.a.slug,
        "--questionnaire",
        "beneficiaries",
        "--name",
        "Exit",
        "--baseline",
        tenants.a.campaign_code,
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["baseline"] == tenants.a.campaign_code
    assert _baseline_of(runtime, payload["code"]) == tenants.a.campaign_code


def test_the_command_line_refuses_bad_baselines(cli: Any, tenants: Tenants, runtime: Runtime) -> None:
    other = _who5_campaign(runtime, tenants)
    outputs = {}
    for code in (tenants.b.campaign_code, "ZZZZZZZZ", other):
        result = cli(
            "campaign",
            "create",
            "--org",
            tenants.a.slug,
            "--questionnaire",
            "beneficiaries",
            "--name",
            "Refused",
            "--baseline",
            code,
        )
        assert result.exit_code == 1, result.output
        outputs[code] = result.output
    assert f"{UNKNOWN} {tenants.b.campaign_code}" in outputs[tenants.b.campaign_code]
    assert f"{UNKNOWN} ZZZZZZZZ" in outputs["ZZZZZZZZ"]
    assert "Brasserie" not in outputs[tenants.b.campaign_code]
    assert "asks another questionnaire (who5)" in outputs[other]
    with runtime.transaction() as session:
        assert session.scalar(select(Campaign.id).where(Campaign.name == "Refused")) is None


def test_the_refusal_reads_in_the_staff_members_language(app: Flask, tenants: Tenants) -> None:
    client = signed_in(app, tenants.a.editor)
    token = csrf_token(client, "/campaigns/new")
    french = client.post(
        "/campaigns/new",
        data={"csrf_token": token, **_form(baseline=tenants.b.campaign_code)},
        content_type="multipart/form-data",
        headers={"Accept-Language": "fr"},
    ).get_data(as_text=True)
    assert f"Aucune campagne de cette organisation n'a le code {tenants.b.campaign_code}." in french.replace(
        "&#39;", "'"
    )
    assert "Campagne de référence (facultative)" in french
