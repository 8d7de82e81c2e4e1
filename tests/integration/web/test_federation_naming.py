"""A member organization's owner chooses whether its federations see its name next to its results."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from service.accounts import create_user
from service.models import AuditEvent, Organization, Role
from service.runtime import Runtime
from tests.integration.results.reference import (
    NOW,
    PASSWORD,
    add_conversation,
    make_campaign,
    make_federation,
    make_organization,
)
from tests.integration.web.staff_support import post_form, signed_in

MEMBERS = ("alpha", "beta", "gamma")


@pytest.fixture
def network(runtime: Runtime, quick_passwords: None) -> None:
    """A federation of three members, each with six completed answers (every cell can be shown)."""
    with runtime.transaction() as session:
        make_federation(session, "reseau-test")
        for slug in MEMBERS:
            organization = make_organization(session, slug, federation="reseau-test")
            for role in ("owner", "editor", "viewer"):
                create_user(session, organization, f"{role}@{slug}.example", PASSWORD, role=Role(role))
            campaign = make_campaign(session, organization, name=f"{slug} survey")
            for index in range(6):
                add_conversation(
                    session,
                    campaign,
                    channel="web",
                    language="fr",
                    status="completed",
                    answers={"life": "1" if index % 2 else "3", "recommend": 8, "calm": 3, "rested": 3},
                    at=NOW - timedelta(hours=index),
                )


def _shared(runtime: Runtime, slug: str) -> bool:
    with runtime.transaction() as session:
        return bool(
            session.scalars(select(Organization).where(Organization.slug == slug))
            .one()
            .share_name_with_federations
        )


def _federation_page(app: Flask) -> str:
    client = signed_in(app, "owner@reseau-test.example")
    response = client.get("/federations/reseau-test/reference", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def _set(client: Any, share: bool) -> Any:
    data = {"share_name": "y"} if share else {}
    return post_form(client, "/organization", "/organization/federation-naming", **data)


def test_an_owner_names_the_organization_to_its_federations_and_withdraws(
    app: Flask, runtime: Runtime, network: None
) -> None:
    assert "Alpha" not in _federation_page(app)
    owner = signed_in(app, "owner@alpha.example")
    page = owner.get("/organization", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your federations see your results without your name." in page
    assert 'action="/organization/federation-naming"' in page
    response = _set(owner, True)
    assert response.status_code == 302
    assert _shared(runtime, "alpha") and not _shared(runtime, "beta")
    page = owner.get("/organization", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your federations see your name next to your results." in page
    html = _federation_page(app)
    assert "Alpha" in html and "Beta" not in html and "Gamma" not in html
    assert _set(owner, False).status_code == 302
    assert not _shared(runtime, "alpha")
    assert "Alpha" not in _federation_page(app)


def test_each_change_is_in_the_audit_trail(app: Flask, runtime: Runtime, network: None) -> None:
    owner = signed_in(app, "owner@alpha.example")
    _set(owner, True)
    _set(owner, True)  # no change: nothing to record
    _set(owner, False)
    with runtime.transaction() as session:
        alpha = session.scalars(select(Organization).where(Organization.slug == "alpha")).one()
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "federation_naming")
            .order_by(AuditEvent.at, AuditEvent.id)
        ).all()
        assert [(e.organization_id, e.details) for e in events] == [
            (alpha.id, {"before": False, "after": True}),
            (alpha.id, {"before": True, "after": False}),
        ]
        assert all(e.user_id is not None and e.target_id == "alpha" for e in events)


def test_editors_and_viewers_cannot_change_it(app: Flask, runtime: Runtime, network: None) -> None:
    for email in ("editor@alpha.example", "viewer@alpha.example"):
        client = signed_in(app, email)
        page = client.get("/organization", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Your federations see your results without your name." in page
        assert 'action="/organization/federation-naming"' not in page
        assert _set(client, True).status_code == 403
    assert not _shared(runtime, "alpha")
    with runtime.transaction() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "federation_naming")) is None


def test_a_federation_has_no_such_setting(app: Flask, network: None) -> None:
    page = signed_in(app, "owner@reseau-test.example").get("/organization").get_data(as_text=True)
    assert "federation-naming" not in page


def test_the_command_line_sets_it_too(cli: Any, runtime: Runtime, network: None) -> None:
    result = cli("org", "naming", "beta", "--share")
    assert result.exit_code == 0, result.output
    assert _shared(runtime, "beta")
    result = cli("org", "create", "delta", "--federation", "reseau-test", "--share-name")
    assert result.exit_code == 0, result.output
    assert _shared(runtime, "delta")
    assert cli("org", "naming", "beta", "--hide").exit_code == 0
    assert not _shared(runtime, "beta")
    assert cli("org", "naming", "nobody", "--share").exit_code == 1
    with runtime.transaction() as session:
        details = session.scalars(
            select(AuditEvent.details)
            .where(AuditEvent.action == "federation_naming")
            .order_by(AuditEvent.at, AuditEvent.id)
        ).all()
    assert details == [
        {"before": False, "after": True},
        {"before": False, "after": True},
        {"before": True, "after": False},
    ]
