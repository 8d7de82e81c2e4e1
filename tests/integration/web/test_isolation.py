"""Tenant isolation: every staff page and API route, asked by another organization, answers 403/404 and leaks nothing.

The test enumerates the application's URL map, so a route added without an isolation case fails here:
each route is either public (an explicit allow-list), or has its path parameters filled with
organization A's objects and is requested by organization B (a signed-in owner for pages, B's token
for the API) and by A's federation — expecting 403/404 — or, without parameters, is an explicit
"own data only" case whose answer must not mention A at all. A GET by A's own owner on the same URL
must not be a 404, which proves the URL really names something of A's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from service.models import ApiToken, Campaign, Export, Organization, User, utcnow
from service.runtime import Runtime
from tests.integration.web.staff_support import Tenants, csrf_from, signed_in

PUBLIC_ENDPOINTS = {
    "static": "stylesheet",
    "health.healthz": "health check for load balancers, no tenant data",
    "i18n.switch_language": "sets the interface language",
    "home": "redirects to sign-in or to the campaigns",
    "auth.login": "sign-in form",
    "auth.logout": "ends the caller's own session",
    "auth.forgot_password": "asks for a reset link; never says whether the address exists",
    "auth.reset_password": "protected by its signed single-use token",
    "auth.accept_invitation": "protected by its signed single-use token",
    "api.openapi": "the API description, no tenant data",
}
PUBLIC_PREFIXES = {
    "/s/": "the respondent web survey (public by design; campaigns are reached by their public code)",
    "/webhooks/": "Twilio and Telegram webhooks, authenticated by signature or secret",
}

OWN_DATA_ONLY = {
    # endpoint: the methods that act on the caller's own organization and must not mention A
    "campaigns.index": {"GET"},
    "campaigns.new": {"GET", "POST"},
    "organization.overview": {"GET"},
    "organization.invite": {"POST"},
    "organization.federation_naming": {"POST"},
    "tokens.index": {"GET"},
    "tokens.create": {"POST"},
    "auth.account": {"GET", "POST"},
    "federation.networks": {"GET"},
    "api.list_campaigns": {"GET"},
    "api.create": {"POST"},
    "privacy.overview": {"GET"},
    "privacy.save_settings": {"POST"},
    "privacy.new_request": {"GET"},
    "privacy.find_person": {"POST"},
    "privacy.carry_out": {"POST"},
    "privacy.audit": {"GET"},
}
NOT_FOUND_FOR_THE_OWNER_TOO = {
    # endpoint: why A's own owner also gets a 404 on the filled URL (its isolation is proven by a sibling)
    "exports.download": "the export's file is not built in this test; exports.status proves the id is A's",
}


@dataclass
class Context:
    tenants: Tenants
    federation_slug: str
    export_id: int
    launch_id: int
    markers: list[str]


FILLERS: dict[str, Callable[[Context], Any]] = {
    "code": lambda c: c.tenants.a.campaign_code,
    "user_id": lambda c: c.tenants.a.user_ids["viewer"],
    "token_id": lambda c: c.tenants.a.token_id,
    "export_id": lambda c: c.export_id,
    "launch_id": lambda c: c.launch_id,
    "language": lambda _c: "fr",
    "slug": lambda c: c.federation_slug,
    "key": lambda _c: "beneficiaries",
    "filename": lambda _c: "vises.css",
}


def _public(rule: Rule) -> bool:
    return rule.endpoint in PUBLIC_ENDPOINTS or any(rule.rule.startswith(p) for p in PUBLIC_PREFIXES)


def _methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def _url(rule: Rule, context: Context) -> str:
    values = {name: FILLERS[name](context) for name in rule.arguments}
    url = rule.rule
    for name, value in values.items():
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), url)
    return url


def test_every_route_has_an_isolation_case(app: Flask) -> None:
    missing = []
    for rule in app.url_map.iter_rules():
        if _public(rule):
            continue
        if not rule.arguments:
            if not set(_methods(rule)) <= OWN_DATA_ONLY.get(rule.endpoint, set()):
                missing.append(f"{rule.endpoint} {rule.rule}: no parameter and not in OWN_DATA_ONLY")
            continue
        unknown = sorted(set(rule.arguments) - set(FILLERS))
        if unknown:
            missing.append(f"{rule.endpoint} {rule.rule}: no filler for {', '.join(unknown)}")
    assert not missing, "routes without an isolation case:\n" + "\n".join(missing)


@pytest.fixture
def context(runtime: Runtime, tenants: Tenants, federation: str) -> Context:
    from service.campaigns import campaign_by_code
    from service.models import Launch

    with runtime.transaction() as session:
        campaign = campaign_by_code(session, tenants.a.campaign_code)
        draft = campaign_by_code(session, tenants.a.draft_code)
        assert campaign is not None and draft is not None
        campaign.baseline_campaign_id = draft.id  # so that the before/after results page exists for A
        export = Export(
            organization_id=campaign.organization_id, campaign_id=campaign.id, format="csv", language="fr"
        )
        session.add(export)
        launch = Launch(campaign_id=campaign.id, channel="sms", total=0, finished_at=utcnow())
        session.add(launch)
        session.flush()
        export_id = export.id
        launch_id = launch.id
    markers = [
        tenants.a.name,
        tenants.a.campaign_name,
        tenants.a.campaign_code,
        tenants.a.draft_code,
        tenants.a.owner,
        tenants.a.viewer,
        f"{tenants.a.name} token",
        f"K{tenants.a.slug[:6].upper()}",
    ]
    return Context(tenants, "reseau-gamma", export_id, launch_id, markers)


def _leaks(body: str, context: Context, url: str) -> list[str]:
    # The requested URL itself may be echoed (a "back" link, the form's action): that tells nothing new.
    scrubbed = body.replace(url, "")
    return [marker for marker in context.markers if marker in scrubbed]


def _snapshot(runtime: Runtime, slug: str) -> dict[str, list[tuple[Any, ...]]]:
    """What a refused request must not have changed: the organization's campaigns, tokens and users."""
    from sqlalchemy import select

    with runtime.transaction() as session:
        organization_id = session.scalars(select(Organization.id).where(Organization.slug == slug)).one()
        campaigns = session.execute(
            select(
                Campaign.code,
                Campaign.name,
                Campaign.status,
                Campaign.channels,
                Campaign.closes_at,
                Campaign.paused_at,
                Campaign.closed_at,
            )
            .where(Campaign.organization_id == organization_id)
            .order_by(Campaign.id)
        ).all()
        tokens = session.execute(
            select(ApiToken.id, ApiToken.name, ApiToken.revoked_at)
            .where(ApiToken.organization_id == organization_id)
            .order_by(ApiToken.id)
        ).all()
        users = session.execute(
            select(User.id, User.email, User.name, User.role, User.is_active, User.password_hash)
            .where(User.organization_id == organization_id)
            .order_by(User.id)
        ).all()
    return {
        "campaigns": [tuple(row) for row in campaigns],
        "tokens": [tuple(row) for row in tokens],
        "users": [tuple(row) for row in users],
    }


def _page_request(client: Any, method: str, url: str, token: str) -> Any:
    if method == "GET":
        return client.get(url)
    return client.post(
        url, data={"csrf_token": token, "action": "start", "channel": "sms", "role": "owner", "name": "x"}
    )


def test_other_organizations_get_403_or_404_and_nothing_leaks(
    app: Flask, runtime: Runtime, context: Context
) -> None:
    tenants = context.tenants
    b_staff = signed_in(app, tenants.b.owner)
    b_token = csrf_from(b_staff.get("/organization/tokens").get_data(as_text=True))
    network = signed_in(app, "owner@reseau-gamma.example")
    network_token = csrf_from(network.get("/organization").get_data(as_text=True))
    a_owner = signed_in(app, tenants.a.owner)
    api_headers = {"Authorization": f"Bearer {tenants.b.token}"}
    before = _snapshot(runtime, tenants.a.slug)
    assert before["campaigns"] and before["tokens"] and len(before["users"]) == 3
    failures = []
    checked = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if _public(rule) or not rule.arguments:
            continue
        url = _url(rule, context)
        is_api = rule.rule.startswith("/api/")
        for method in _methods(rule):
            if is_api:
                answers = [
                    ("B's token", app.test_client().open(url, method=method, headers=api_headers, json={}))
                ]
            else:
                answers = [
                    ("B's owner", _page_request(b_staff, method, url, b_token)),
                    ("A's federation", _page_request(network, method, url, network_token)),
                ]
            if rule.endpoint.startswith("federation."):
                answers = answers[:1]  # A's federation legitimately reads its own benchmark pages
            for who, response in answers:
                checked += 1
                body = response.get_data().decode("utf-8", "replace")
                if response.status_code not in (403, 404):
                    failures.append(f"{method} {url} as {who}: {response.status_code}")
                elif _leaks(body, context, url):
                    failures.append(f"{method} {url} as {who}: leaks {_leaks(body, context, url)}")
            if method == "GET" and not is_api and rule.endpoint not in NOT_FOUND_FOR_THE_OWNER_TOO:
                mine = a_owner.get(url)
                if mine.status_code == 404:
                    failures.append(f"GET {url}: 404 for A's own owner too, so the case proves nothing")
    assert checked > 40
    assert not failures, "\n".join(failures)
    # A refusal must also be a no-op: nothing of A's was started, renamed, revoked or demoted.
    assert _snapshot(runtime, tenants.a.slug) == before


def test_own_data_routes_show_nothing_of_another_organization(app: Flask, context: Context) -> None:
    tenants = context.tenants
    b_staff = signed_in(app, tenants.b.owner)
    api = app.test_client()
    api_headers = {"Authorization": f"Bearer {tenants.b.token}"}
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in OWN_DATA_ONLY or rule.arguments:
            continue
        for method in sorted(OWN_DATA_ONLY[rule.endpoint] & set(_methods(rule))):
            if rule.rule.startswith("/api/"):
                response = api.open(
                    rule.rule, method=method, headers=api_headers, json={"name": "x", "channels": ["web"]}
                )
            elif method == "GET":
                response = b_staff.get(rule.rule)
            else:
                token = csrf_from(b_staff.get("/organization/tokens").get_data(as_text=True))
                response = b_staff.post(
                    rule.rule, data={"csrf_token": token, "name": "x", "email": "z@b.example"}
                )
            leaks = _leaks(response.get_data().decode("utf-8", "replace"), context, rule.rule)
            if response.status_code >= 500 or leaks:
                failures.append(f"{method} {rule.rule}: {response.status_code} {leaks}")
    assert not failures, "\n".join(failures)
    # The list really lists B's own campaign, so the absence of A's is meaningful.
    assert tenants.b.campaign_name in b_staff.get("/campaigns").get_data(as_text=True)
    codes = {item["code"] for item in api.get("/api/v1/campaigns", headers=api_headers).get_json()["items"]}
    assert tenants.b.campaign_code in codes and tenants.a.campaign_code not in codes
