"""Staff sign-in: passwords, sessions, throttling, reset links, roles and the language setting."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from service.login_throttle import ACCOUNT_LIMIT
from service.models import LoginFailure, User
from service.password_reset import make_token
from service.passwords import verify_password
from service.runtime import Runtime
from tests.integration.web.staff_support import PASSWORD, Tenants, csrf_token, login, post_form, signed_in


def test_sign_in_and_out(app: Flask, tenants: Tenants) -> None:
    client = app.test_client()
    assert client.get("/campaigns").status_code == 302
    response = login(client, tenants.a.owner)
    assert response.status_code == 302 and response.headers["Location"] == "/campaigns"
    page = client.get("/campaigns").get_data(as_text=True)
    assert tenants.a.campaign_name in page
    response = post_form(client, "/campaigns", "/logout")
    assert response.status_code == 302
    assert client.get("/campaigns").status_code == 302


def test_the_session_cookie_is_httponly_and_lax(app: Flask, tenants: Tenants) -> None:
    client = app.test_client()
    response = login(client, tenants.a.owner)
    cookie = next(
        value
        for key, value in response.headers.items()
        if key == "Set-Cookie" and value.startswith("session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_production_cookies_are_secure(app_with: Any, make_settings: Any, database_url: str) -> None:
    app = app_with(make_settings(DATABASE_URL=database_url, VISES_PRODUCTION="1"))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(app: Flask, tenants: Tenants) -> None:
    client = app.test_client()
    wrong = login(client, tenants.a.owner, "not the password at all")
    unknown = login(client, "nobody@nowhere.example", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    message = "Wrong e-mail address or password."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_the_form_needs_its_csrf_token(app: Flask, tenants: Tenants) -> None:
    client = app.test_client()
    response = client.post(
        "/login", data={"email": tenants.a.owner, "password": PASSWORD}, headers={"Accept-Language": "nl"}
    )
    assert response.status_code == 400
    assert "Dit formulier is verlopen" in response.get_data(as_text=True)
    assert client.get("/campaigns").status_code == 302


def test_failed_logins_are_throttled_per_account(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = app.test_client()
    with time_machine.travel("2026-12-01 10:00:00+00:00", tick=False):
        for _ in range(ACCOUNT_LIMIT):
            assert login(client, tenants.a.owner, "wrong password guess").status_code == 401
        # Even the right password is refused while the account is throttled, with no hint of it being right.
        blocked = login(client, tenants.a.owner)
        assert blocked.status_code == 429
        assert "Too many failed attempts" in blocked.get_data(as_text=True)
        # Another account from the same address is not blocked by these few failures.
        assert login(app.test_client(), tenants.a.editor).status_code == 302
    with time_machine.travel("2026-12-01 10:16:00+00:00", tick=False):
        assert login(client, tenants.a.owner).status_code == 302
    with runtime.transaction() as session:
        stored = session.scalars(select(LoginFailure.key_digest)).all()
    assert stored and all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in stored)
    assert not any(tenants.a.owner in digest for digest in stored)


def test_an_old_hash_is_upgraded_on_sign_in(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with runtime.transaction() as session:
        user = session.scalar(select(User).where(User.email == tenants.a.viewer))
        assert user is not None
        user.password_hash = weak
    assert login(app.test_client(), tenants.a.viewer).status_code == 302
    with runtime.transaction() as session:
        user = session.scalar(select(User).where(User.email == tenants.a.viewer))
        assert user is not None and user.password_hash != weak
        assert verify_password(user.password_hash, PASSWORD)


def test_a_deactivated_account_cannot_sign_in(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.viewer)
    with runtime.transaction() as session:
        user = session.scalar(select(User).where(User.email == tenants.a.viewer))
        assert user is not None
        user.is_active = False
    assert client.get("/campaigns").status_code == 302
    assert login(app.test_client(), tenants.a.viewer).status_code == 401


def test_next_only_goes_to_a_local_page(app: Flask, tenants: Tenants) -> None:
    client = app.test_client()
    token = csrf_token(client, "/login")
    data = {"csrf_token": token, "email": tenants.a.owner, "password": PASSWORD}
    assert client.post("/login?next=/organization", data=data).headers["Location"] == "/organization"
    client = app.test_client()
    token = csrf_token(client, "/login")
    data["csrf_token"] = token
    assert client.post("/login?next=//evil.example/x", data=data).headers["Location"] == "/campaigns"


def _reset_link(client: Any, email: str, caplog: pytest.LogCaptureFixture) -> str:
    with caplog.at_level(logging.INFO, logger="service.password_reset"):
        response = post_form(client, "/password/forgot", email=email)
    assert response.status_code == 302
    links = re.findall(r"https?://\S+/password/reset/\S+", caplog.text)
    assert len(links) == 1, caplog.text
    return links[0].split("/password/reset/", 1)[1]


def test_password_reset_link_works_once(
    app: Flask, tenants: Tenants, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    token = _reset_link(client, tenants.a.editor, caplog)
    page = f"/password/reset/{token}"
    response = post_form(client, page, password="a brand new passphrase", confirm="a brand new passphrase")
    assert response.status_code == 302
    assert login(app.test_client(), tenants.a.editor).status_code == 401
    assert login(app.test_client(), tenants.a.editor, "a brand new passphrase").status_code == 302
    # Used: the same link is dead.
    assert client.get(page).status_code == 400


def test_reset_for_an_unknown_address_logs_no_link(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="service.password_reset"):
        response = post_form(client, "/password/forgot", email="nobody@nowhere.example")
    assert response.status_code == 302
    assert "/password/reset/" not in caplog.text


def test_reset_links_expire_and_resist_tampering(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    with runtime.transaction() as session:
        user = session.scalar(select(User).where(User.email == tenants.a.owner))
        assert user is not None
        with time_machine.travel("2026-12-01 10:00:00+00:00", tick=False):
            token = make_token(runtime.settings.secret_key, user)
    client = app.test_client()
    with time_machine.travel("2026-12-01 11:00:00+00:00", tick=False):
        assert client.get(f"/password/reset/{token}").status_code == 200
        assert client.get(f"/password/reset/{token[:-2]}xx").status_code == 400
        # A reset token is not an invitation token.
        assert client.get(f"/invitation/{token}").status_code == 400
    with time_machine.travel("2026-12-01 12:01:00+00:00", tick=False):
        assert client.get(f"/password/reset/{token}").status_code == 400


def test_a_password_change_ends_other_sessions(app: Flask, tenants: Tenants) -> None:
    first = signed_in(app, tenants.a.owner)
    second = signed_in(app, tenants.a.owner)
    response = post_form(
        first,
        "/account",
        **{
            "action": "password",
            "password-current": PASSWORD,
            "password-password": "another long passphrase",
            "password-confirm": "another long passphrase",
        },
    )
    assert response.status_code == 302
    assert first.get("/campaigns").status_code == 200
    assert second.get("/campaigns").status_code == 302


def test_cli_prints_a_reset_link(cli: Any, tenants: Tenants) -> None:
    result = cli("user", "reset-link", "--email", tenants.b.viewer)
    assert result.exit_code == 0, result.output
    assert re.search(r"/password/reset/\S+", result.output)
    assert cli("user", "reset-link", "--email", "nobody@nowhere.example").exit_code == 1


def test_the_language_setting_decides_the_staff_pages(app: Flask, tenants: Tenants) -> None:
    client = signed_in(app, tenants.a.owner)
    headers = {"Accept-Language": "en"}
    assert "New campaign" in client.get("/campaigns", headers=headers).get_data(as_text=True)
    response = post_form(
        client, "/account", **{"action": "settings", "settings-language": "nl", "settings-name": "Ana"}
    )
    assert response.status_code == 302
    page = client.get("/campaigns", headers=headers).get_data(as_text=True)
    assert "Nieuwe campagne" in page and 'lang="nl"' in page
    # The browser's language decides when the setting is empty.
    post_form(client, "/account", **{"action": "settings", "settings-language": "", "settings-name": "Ana"})
    assert "Nouvelle campagne" in client.get(
        "/campaigns", headers={"Accept-Language": "fr-BE,fr;q=0.9"}
    ).get_data(as_text=True)


def test_login_page_in_three_languages(client: Any) -> None:
    assert "Se connecter" in client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Inloggen" in client.get("/login", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_security_headers_on_every_response(client: Any) -> None:
    for path in ("/login", "/healthz", "/api/v1/openapi.json", "/no/such/page"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
