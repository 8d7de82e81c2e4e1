"""Fixtures every test folder reuses: settings, an app on a throw-away database, Redis, a CLI runner.

The database is PostgreSQL when ``VISES_TEST_POSTGRES_URL`` or ``DATABASE_URL``
names one (CI does), else SQLite; ``sqlite_app`` always uses SQLite. With
``VISES_TEST_REQUIRE_SERVICES=1`` a missing PostgreSQL or Redis fails the run
instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from redis import Redis

from service.runtime import Runtime, build_runtime, use_runtime
from service.settings import Settings, load_settings
from service.web import create_app
from tests.support.databases import (
    empty_all_tables,
    postgres_admin_url,
    services_required,
    throwaway_postgres,
    throwaway_sqlite,
)
from tests.support.redis_servers import PrivateRedis, shared_redis_url

# Every log line of the session is scanned for personal data at the end (tests/support/log_scan.py).
pytest_plugins = ("tests.support.log_scan",)

TEST_SECRET = "test-secret-key-0123456789abcdef"
TEST_DATA_KEY = "test-data-key-0123456789abcdef"


def _unavailable(what: str) -> None:
    if services_required():
        pytest.fail(f"{what} is required (VISES_TEST_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated throw-away PostgreSQL database for the whole test session."""
    admin = postgres_admin_url()
    if admin is None:
        _unavailable("PostgreSQL (set VISES_TEST_POSTGRES_URL or DATABASE_URL)")
        return
    with throwaway_postgres(admin) as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with throwaway_sqlite(tmp_path_factory.mktemp("sqlite")) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest) -> str:
    """The suite's main database: PostgreSQL when configured, else SQLite."""
    if postgres_admin_url() is not None:
        return str(request.getfixturevalue("postgres_url"))
    return str(request.getfixturevalue("sqlite_url"))


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings built from an explicit environment (never the developer's own .env)."""

    def build(**env: str) -> Settings:
        environ = {"SECRET_KEY": TEST_SECRET, "DATA_KEY": TEST_DATA_KEY, **env}
        return load_settings(environ, instance_path=tmp_path / "instance")

    return build


def _runtime_for(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    empty_all_tables(runtime.engine)
    try:
        with use_runtime(runtime):
            yield runtime
    finally:
        runtime.dispose()


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    return make_settings(DATABASE_URL=database_url)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime on the main test database, emptied first; jobs run inline."""
    yield from _runtime_for(settings)


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    flask_app = create_app(runtime=runtime)
    flask_app.config.update(TESTING=True)
    return flask_app


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture
def sqlite_runtime(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[Runtime]:
    yield from _runtime_for(make_settings(DATABASE_URL=sqlite_url))


@pytest.fixture
def sqlite_app(sqlite_runtime: Runtime) -> Flask:
    flask_app = create_app(runtime=sqlite_runtime)
    flask_app.config.update(TESTING=True)
    return flask_app


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The shared Redis on its own database number, flushed before and after the test."""
    url = shared_redis_url()
    if url is None:
        _unavailable("Redis")
        return
    connection = Redis.from_url(url)
    connection.flushdb()
    yield url
    connection.flushdb()
    connection.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server of the test's own, to stop, flush or restart without touching the shared one."""
    try:
        server = PrivateRedis(tmp_path)
    except RuntimeError:
        _unavailable("redis-server")
        raise
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str, runtime: Runtime) -> dict[str, str]:
    """Environment for running ``vises`` commands against the test database."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "DATA_KEY": TEST_DATA_KEY,
        "VISES_INSTANCE_PATH": str(tmp_path / "instance"),
        "REDIS_URL": "",
    }


@pytest.fixture
def cli(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Any]:
    """Run a ``vises`` command in-process: ``cli("org", "create", "x")`` returns click's Result."""
    from service.cli import cli as vises

    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
        return runner.invoke(
            vises, list(args), input=input, env={**cli_env, **(env or {})}, catch_exceptions=False
        )

    return invoke


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = "postgresql" if postgres_admin_url() else "sqlite"
    redis = shared_redis_url() or "none"
    return [
        f"vises tests: database={database} redis={redis} require_services={os.environ.get('VISES_TEST_REQUIRE_SERVICES', '0')}"
    ]
