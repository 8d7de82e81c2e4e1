"""Two organizations with staff, campaigns and a token each, and a signed-in client, for the staff-side tests.

Fixtures are imported by the test modules that use them (``from ... import tenants``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from service.accounts import create_organization, create_user
from service.api_tokens import create_token
from service.campaigns import change_status, create_campaign
from service.definitions import register_shipped
from service.models import OrganizationKind, Role
from service.runtime import Runtime

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Tenant:
    slug: str
    name: str
    owner: str
    editor: str
    viewer: str
    campaign_code: str
    campaign_name: str
    draft_code: str
    token: str
    token_id: int
    user_ids: dict[str, int] = field(default_factory=dict)


@dataclass
class Tenants:
    a: Tenant
    b: Tenant


def _tenant(runtime: Runtime, slug: str, name: str) -> Tenant:
    with runtime.transaction() as session:
        organization = create_organization(session, slug, name=name, short_name=name[:20])
        ids = {}
        for role in ("owner", "editor", "viewer"):
            user = create_user(session, organization, f"{role}@{slug}.example", PASSWORD, role=Role(role))
            ids[role] = user.id
        version = register_shipped(session, organization, "beneficiaries")
        running = create_campaign(
            session,
            organization,
            version,
            name=f"{name} survey",
            channels=["web", "sms"],
            sms_keyword=f"K{slug[:6].upper()}",
        )
        change_status(session, running, "start")
        draft = create_campaign(session, organization, version, name=f"{name} draft", channels=["web"])
        token, raw = create_token(session, organization, f"{name} token", created_by_id=ids["owner"])
        return Tenant(
            slug=slug,
            name=name,
            owner=f"owner@{slug}.example",
            editor=f"editor@{slug}.example",
            viewer=f"viewer@{slug}.example",
            campaign_code=running.code,
            campaign_name=running.name,
            draft_code=draft.code,
            token=raw,
            token_id=token.id,
            user_ids=ids,
        )


@pytest.fixture
def quick_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with small parameters, so that dozens of sign-ins take milliseconds, not seconds.

    Hashing, verifying and the rehash check all go through the one hasher, so the behaviour is the
    production one; only the cost differs.
    """
    from argon2 import PasswordHasher

    monkeypatch.setattr(
        "service.passwords._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def tenants(runtime: Runtime, quick_passwords: None) -> Tenants:
    """Organization A ("Atelier Alpha") and B ("Brasserie Beta"), each with an owner, editor and viewer."""
    a = _tenant(runtime, "atelier-alpha", "Atelier Alpha")
    b = _tenant(runtime, "brasserie-beta", "Brasserie Beta")
    return Tenants(a, b)


@pytest.fixture
def federation(runtime: Runtime, tenants: Tenants) -> str:
    """A federation with A as its member, and the federation owner's e-mail."""
    from service.accounts import join_federation, organization_by_slug

    with runtime.transaction() as session:
        network = create_organization(
            session, "reseau-gamma", name="Réseau Gamma", kind=OrganizationKind.FEDERATION
        )
        join_federation(session, organization_by_slug(session, tenants.a.slug), "reseau-gamma")
        create_user(session, network, "owner@reseau-gamma.example", PASSWORD, role=Role.OWNER)
    return "owner@reseau-gamma.example"


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_token(client: Any, url: str) -> str:
    """The CSRF token of the form on ``url`` (as a browser would read it)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return csrf_from(response.get_data(as_text=True))


def login(client: Any, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def signed_in(app: Flask, email: str) -> Any:
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post_form(client: Any, page: str, url: str | None = None, **data: Any) -> Any:
    """POST ``data`` to ``url`` (default: ``page``) with the CSRF token read from ``page``."""
    token = csrf_token(client, page)
    return client.post(url or page, data={"csrf_token": token, **data})


@pytest.fixture
def app_with() -> Iterator[Callable[..., Flask]]:
    """Build an app on settings of the test's own (``app_with(settings)``); its connections are closed after."""
    from service.runtime import build_runtime
    from service.web import create_app

    runtimes: list[Runtime] = []

    def build(settings: Any) -> Flask:
        runtime = build_runtime(settings)
        runtimes.append(runtime)
        flask_app = create_app(runtime=runtime)
        flask_app.config.update(TESTING=True)
        return flask_app

    yield build
    for runtime in runtimes:
        runtime.dispose()
