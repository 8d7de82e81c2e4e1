"""Bring a database to the newest schema with Alembic; safe to call from several processes at once."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_LOCK_KEY = 0x76697365  # "vise": the advisory lock that serialises concurrent upgrades on PostgreSQL


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The newest revision (several branches, should they ever exist, are reported joined by "+")."""
    heads = sorted(ScriptDirectory.from_config(alembic_config()).get_heads())
    return "+".join(heads) or None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        heads = sorted(MigrationContext.configure(conn).get_current_heads())
    return "+".join(heads) or None


def upgrade(engine: Engine) -> None:
    """Apply every pending migration; a no-op when the schema is current."""
    if current_revision(engine) == head_revision():
        return
    config = alembic_config()
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
            conn.commit()
        try:
            config.attributes["connection"] = conn
            command.upgrade(config, "heads")
            conn.commit()
        finally:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
                conn.commit()
