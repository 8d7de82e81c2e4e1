"""The organization page (staff, roles, invitations, federation members) and API token management."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from service.api_tokens import digest
from service.models import ApiToken, User
from service.runtime import Runtime
from tests.integration.web.staff_support import Tenants, login, post_form, signed_in


def test_an_owner_invites_someone_who_then_chooses_a_password(
    app: Flask, tenants: Tenants, runtime: Runtime
) -> None:
    owner = signed_in(app, tenants.a.owner)
    response = post_form(
        owner,
        "/organization",
        "/organization/users",
        email="New.Person@Atelier.example",
        name="Nina",
        role="editor",
    )
    assert response.status_code == 200
    link = re.search(r"https?://[^<\s]+/invitation/[^<\s]+", response.get_data(as_text=True))
    assert link is not None
    with runtime.transaction() as session:
        user = session.scalar(select(User).where(User.email == "new.person@atelier.example"))
        assert user is not None and user.role == "editor" and user.name == "Nina"
    newcomer = app.test_client()
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    page = newcomer.get(f"/{path}").get_data(as_text=True)
    assert "Atelier Alpha" in page
    response = post_form(newcomer, f"/{path}", password="my own passphrase", confirm="my own passphrase")
    assert response.status_code == 302
    assert login(app.test_client(), "new.person@atelier.example", "my own passphrase").status_code == 302
    assert newcomer.get(f"/{path}").status_code == 400  # used


def test_inviting_an_existing_address_is_refused(app: Flask, tenants: Tenants) -> None:
    owner = signed_in(app, tenants.a.owner)
    response = post_form(owner, "/organization", "/organization/users", email=tenants.b.viewer, role="viewer")
    assert response.status_code == 400
    assert "An account with this e-mail address already exists." in response.get_data(as_text=True)


def test_only_owners_manage_staff_and_tokens(app: Flask, tenants: Tenants) -> None:
    for email in (tenants.a.editor, tenants.a.viewer):
        client = signed_in(app, email)
        assert client.get("/organization").status_code == 200
        assert (
            post_form(
                client, "/organization", "/organization/users", email="x@y.example", role="owner"
            ).status_code
            == 403
        )
        assert client.get("/organization/tokens").status_code == 403
        assert "API tokens" not in client.get("/campaigns").get_data(as_text=True)


def test_roles_change_and_the_last_owner_stays(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    owner = signed_in(app, tenants.a.owner)
    viewer_id = tenants.a.user_ids["viewer"]
    post_form(owner, "/organization", f"/organization/users/{viewer_id}", action="role", role="editor")
    with runtime.transaction() as session:
        assert session.get(User, viewer_id).role == "editor"  # type: ignore[union-attr]
    # A second owner demotes the first, then can't demote themselves as the last one.
    post_form(owner, "/organization", f"/organization/users/{viewer_id}", action="role", role="owner")
    second = signed_in(app, tenants.a.viewer)
    post_form(
        second,
        "/organization",
        f"/organization/users/{tenants.a.user_ids['owner']}",
        action="role",
        role="viewer",
    )
    post_form(
        second, "/organization", f"/organization/users/{tenants.a.user_ids['owner']}", action="deactivate"
    )
    with runtime.transaction() as session:
        first = session.get(User, tenants.a.user_ids["owner"])
        assert first is not None and first.role == "viewer" and not first.is_active
    assert owner.get("/organization").status_code == 302  # signed out: blocked
    response = post_form(
        second,
        "/organization",
        f"/organization/users/{tenants.a.user_ids['editor']}",
        action="role",
        role="viewer",
    )
    assert response.status_code == 302
    with runtime.transaction() as session:
        owners = session.scalars(
            select(User).where(
                User.role == "owner", User.organization_id == session.get(User, viewer_id).organization_id
            )
        ).all()  # type: ignore[union-attr]
        assert [u.id for u in owners] == [viewer_id]


def test_a_federation_sees_its_members(app: Flask, tenants: Tenants, federation: str) -> None:
    network = signed_in(app, federation)
    page = network.get("/organization").get_data(as_text=True)
    assert "Atelier Alpha" in page and "Brasserie Beta" not in page
    member = signed_in(app, tenants.a.viewer)
    assert "Réseau Gamma" in member.get("/organization").get_data(as_text=True)
    assert tenants.a.campaign_name not in network.get("/campaigns").get_data(as_text=True)


def test_tokens_are_shown_once_stored_hashed_and_revocable(
    app: Flask, tenants: Tenants, runtime: Runtime
) -> None:
    owner = signed_in(app, tenants.a.owner)
    response = post_form(owner, "/organization/tokens", name="CRM export")
    assert response.status_code == 200
    raw = re.search(r'id="new-token">(vises_[A-Za-z0-9_-]+)<', response.get_data(as_text=True))
    assert raw is not None
    value = raw.group(1)
    listing = owner.get("/organization/tokens").get_data(as_text=True)
    assert value not in listing and value[:12] in listing
    with runtime.transaction() as session:
        token = session.scalar(select(ApiToken).where(ApiToken.name == "CRM export"))
        assert token is not None and token.token_hash == digest(value) and value not in token.token_hash
        token_id = token.id
    api = app.test_client()
    assert api.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {value}"}).status_code == 200
    post_form(owner, "/organization/tokens", f"/organization/tokens/{token_id}/revoke")
    assert api.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {value}"}).status_code == 401
    assert "revoked on" in owner.get("/organization/tokens").get_data(as_text=True)
