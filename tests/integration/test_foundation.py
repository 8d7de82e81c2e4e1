"""The foundation on the suite's database (PostgreSQL in CI): health, migrations, accounts, CLI."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import select

from service.migrate import current_revision, head_revision
from service.models import Base, FederationMembership, Organization, User
from service.passwords import verify_password
from service.runtime import Runtime


def test_healthz_reports_database_and_jobs(client: Any, runtime: Runtime) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == {
        "backend": runtime.engine.dialect.name,
        "ok": True,
        "migrated": True,
        "revision": head_revision(),
    }
    assert body["jobs"] == "inline"


def test_migrations_match_the_models(runtime: Runtime) -> None:
    assert current_revision(runtime.engine) == head_revision()
    assert "+" not in (head_revision() or ""), "the migrations must form one line: one head"
    with runtime.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == []


def test_unknown_page_is_a_translated_404_not_a_traceback(client: Any) -> None:
    response = client.get("/no/such/page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_org_and_user_commands_create_a_first_account(cli: Any, runtime: Runtime) -> None:
    assert (
        cli("org", "create", "reseau-wallon", "--name", "Réseau wallon", "--kind", "federation").exit_code
        == 0
    )
    result = cli(
        "org", "create", "atelier-namur", "--name", "Atelier de Namur", "--federation", "reseau-wallon"
    )
    assert result.exit_code == 0, result.output
    result = cli(
        "user",
        "create",
        "--org",
        "atelier-namur",
        "--email",
        "Ana@Example.org",
        "--password",
        "correct horse battery",
    )
    assert result.exit_code == 0, result.output
    with runtime.transaction() as session:
        member = session.scalar(select(Organization).where(Organization.slug == "atelier-namur"))
        assert member is not None and member.short_name == "Atelier de Namur"
        assert session.scalar(select(FederationMembership.member_id)) == member.id
        account = session.scalar(select(User))
        assert account is not None and account.email == "ana@example.org" and account.role == "owner"
        assert account.password_hash.startswith("$argon2id$")
        assert verify_password(account.password_hash, "correct horse battery")


def test_cli_errors_are_one_line(cli: Any) -> None:
    result = cli(
        "user", "create", "--org", "nowhere", "--email", "a@b.org", "--password", "correct horse battery"
    )
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no organization with the slug 'nowhere'"
    result = cli("db", "upgrade", env={"DATABASE_URL": "nonsense"})
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: configuration error: DATABASE_URL: 'nonsense' is not a database URL (e.g. postgresql+psycopg://user@host/db)"
    ]


def test_the_sqlite_variant_serves_too(sqlite_app: Flask) -> None:
    response = sqlite_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"]["backend"] == "sqlite"


def test_behind_a_trusted_proxy_the_client_address_is_the_forwarded_one(
    make_settings: Any, database_url: str
) -> None:
    from flask import request

    from service.web import create_app

    app = create_app(make_settings(DATABASE_URL=database_url, VISES_TRUSTED_PROXIES="1"))
    app.add_url_rule("/_whoami", "whoami", lambda: request.remote_addr or "")
    seen = app.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"}).data
    assert seen == b"203.0.113.7"
    plain = create_app(make_settings(DATABASE_URL=database_url))
    plain.add_url_rule("/_whoami", "whoami", lambda: request.remote_addr or "")
    assert (
        plain.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"}).data == b"127.0.0.1"
    )
