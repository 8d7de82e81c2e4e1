"""Throw-away databases on the real PostgreSQL, or SQLite files, migrated once and emptied between tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text

from service.db import make_engine
from service.migrate import upgrade
from service.models import Base


def postgres_admin_url() -> str | None:
    """The PostgreSQL server tests may create databases on (from VISES_TEST_POSTGRES_URL or DATABASE_URL)."""
    for name in ("VISES_TEST_POSTGRES_URL", "DATABASE_URL"):
        value = os.environ.get(name, "")
        if value.startswith(("postgresql", "postgres://")):
            return value.replace("postgres://", "postgresql+psycopg://", 1).replace(
                "postgresql://", "postgresql+psycopg://", 1
            )
    return None


def services_required() -> bool:
    """In CI a missing PostgreSQL or Redis is a failure, not a skip."""
    return os.environ.get("VISES_TEST_REQUIRE_SERVICES", "") == "1"


@contextmanager
def throwaway_postgres(admin_url: str) -> Iterator[str]:
    """A new, migrated database on the server of ``admin_url``, dropped afterwards."""
    name = f"vises_test_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def throwaway_sqlite(folder: Path) -> Iterator[str]:
    url = f"sqlite:///{folder / 'vises-test.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url


def empty_all_tables(engine: Engine) -> None:
    """Delete every row, keeping the schema (faster than re-creating the database)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
