"""``vises db``: schema migrations."""

from __future__ import annotations

import click

from service.cli.base import get_runtime
from service.migrate import current_revision, head_revision, upgrade


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply pending migrations (serve and demo do this themselves)."""
    runtime = get_runtime(ctx)
    before = current_revision(runtime.engine)
    upgrade(runtime.engine)
    after = current_revision(runtime.engine)
    backend = runtime.engine.dialect.name
    if before == after:
        click.echo(f"{backend}: already at {after}")
    else:
        click.echo(f"{backend}: upgraded {before or 'empty database'} -> {after} (head {head_revision()})")
