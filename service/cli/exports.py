"""``vises export CODE --format csv|xlsx -o FILE``: a campaign's rows, streamed straight to a file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from service.campaigns import campaign_by_code
from service.cli.base import get_runtime
from service.definitions import definition
from service.migrate import upgrade
from service.models import Organization
from service.results.export_jobs import export_campaign, record_export
from service.results.exports import FORMATS, plan_for
from service.results.phrases import LANGUAGES


@click.command("export")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option(
    "-o", "--output", required=True, help="The file to write (CSV only: - writes to standard output)."
)
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    help="Language of the answer labels (default: the campaign's).",
)
@click.option("--codes", is_flag=True, help="Answer codes instead of labels.")
@click.pass_context
def export(ctx: click.Context, code: str, fmt: str, output: str, language: str | None, codes: bool) -> None:
    """Export a campaign: a header row, then one row per conversation (XLSX: a data sheet and a codebook)."""
    runtime = get_runtime(ctx)
    upgrade(runtime.engine)
    if output == "-" and fmt != "csv":
        raise click.ClickException("only CSV can be written to standard output")
    with runtime.transaction() as session:
        campaign = campaign_by_code(session, code)
        if campaign is None:
            raise click.ClickException(f"no campaign with the code {code!r}")
        organization = session.get_one(Organization, campaign.organization_id)
        plan = plan_for(
            definition(campaign.questionnaire_version), language or campaign.default_language, codes=codes
        )
        record_export(session, campaign, fmt=fmt, language=plan.language, codes=codes, via="cli")
        campaign_id, variables = campaign.id, {"org": organization.short_name}
    if output == "-":
        rows = export_campaign(runtime.sessions, campaign_id, plan, fmt, sys.stdout.buffer, variables)
        sys.stdout.flush()
        click.echo(f"{rows} rows", err=True)
        return
    target = Path(output)
    partial = target.with_name(f".{target.name}.part")
    try:
        rows = export_campaign(runtime.sessions, campaign_id, plan, fmt, partial, variables)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"{rows} rows written to {target}", err=True)
