"""``vises demo``: seed a demo organization, print the login and links, then serve."""

from __future__ import annotations

import click

from service.campaigns import links
from service.cli.base import get_runtime
from service.cli.server import run_gunicorn
from service.demo import seed_demo
from service.migrate import upgrade
from service.settings import load_server_settings
from service.web import create_app


@click.command()
@click.option("--host", help="Address to bind.  [default: $HOST or 127.0.0.1]")
@click.option("--port", help="Port to bind.  [default: $PORT or 5000]")
@click.option("--no-serve", is_flag=True, help="Only seed the data and print the links.")
@click.pass_context
def demo(ctx: click.Context, host: str | None, port: str | None, no_serve: bool) -> None:
    """Seed demo data (once), print the login and the survey links, then serve."""
    server = load_server_settings(host=host, port=port)
    runtime = get_runtime(ctx)
    upgrade(runtime.engine)
    channels = ["web"]
    if runtime.settings.twilio:
        channels.append("sms")
    if runtime.settings.telegram:
        channels.append("telegram")
    with runtime.transaction() as session:
        seed = seed_demo(session, channels=channels)
        click.echo(f"Staff login: {runtime.settings.public_base_url}/login")
        click.echo(f"  e-mail {seed.email}  password {seed.password}")
        for campaign in seed.campaigns:
            found = links(runtime.settings, campaign)
            extras = [f"SMS keyword {found.sms_keyword}"] if found.sms_keyword else []
            if found.telegram_link:
                extras.append(found.telegram_link)
            click.echo(f"  {campaign.name}: {found.web_url}  {'  '.join(extras)}".rstrip())
        for campaign in seed.results:
            click.echo(
                f"  {campaign.name}: {runtime.settings.public_base_url}/campaigns/{campaign.code}/results"
            )
        if seed.federation_email:
            click.echo(f"Federation login: e-mail {seed.federation_email}  password {seed.password}")
    if no_serve:
        return
    app = create_app(runtime=runtime)
    runtime.engine.dispose()
    click.echo(f"vises demo on http://{server.bind}")
    run_gunicorn(app, server)
