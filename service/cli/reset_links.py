"""``vises user reset-link``: a password-reset link for a staff account, for servers that send no e-mail."""

from __future__ import annotations

import click

from service.cli.base import get_runtime
from service.migrate import upgrade
from service.password_reset import RESET_MAX_AGE, make_token, reset_link, user_by_email


@click.command("reset-link")
@click.option("--email", required=True, help="The account's e-mail address.")
@click.pass_context
def reset_link_command(ctx: click.Context, email: str) -> None:
    """Print a link to choose a new password (valid two hours, works once)."""
    runtime = get_runtime(ctx)
    upgrade(runtime.engine)
    with runtime.transaction() as session:
        user = user_by_email(session, email)
        if user is None or not user.is_active:
            raise click.ClickException(f"no active staff account with the e-mail address {email.strip()!r}")
        token = make_token(runtime.settings.secret_key, user, "reset")
        click.echo(reset_link(runtime.settings, token, "reset"))
        hours = int(RESET_MAX_AGE.total_seconds() // 3600)
        click.echo(f"valid for {hours} hours, once; the current password keeps working until then", err=True)
