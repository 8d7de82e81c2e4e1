"""``vises campaign invite``: import a contact list (all or nothing) and send its invitations."""

from __future__ import annotations

from pathlib import Path

import click

from service.campaigns import campaign_by_code, is_accepting
from service.cli.base import get_runtime
from service.contacts import ContactListError, import_contacts
from service.launches import LaunchError, progress, request_launch, run_launch
from service.models import Launch, Organization, utcnow


@click.command("invite")
@click.argument("code")
@click.option(
    "--contacts",
    "contacts_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with a header: phone,language and optionally name,reference.",
)
@click.option(
    "--channel",
    required=True,
    # WhatsApp stays a choice so that asking for it gets the reason it is refused, not "invalid choice".
    type=click.Choice(["sms", "telegram", "whatsapp"]),
    help="How to invite them: sms or telegram (whatsapp is refused: people write the keyword first).",
)
@click.pass_context
def invite(ctx: click.Context, code: str, contacts_file: Path, channel: str) -> None:
    """Add people to a campaign's list and invite them (again: only those not invited yet)."""
    runtime = get_runtime(ctx)
    launch_id: int | None = None
    with runtime.transaction() as session:
        campaign = campaign_by_code(session, code)
        if campaign is None:
            raise click.ClickException(f"no campaign with the code {code!r}")
        organization = session.get_one(Organization, campaign.organization_id)
        try:
            report = import_contacts(
                session, runtime, campaign, contacts_file, channel, organization.default_region
            )
        except ContactListError as exc:
            raise click.ClickException(str(exc)) from None
        if not report.ok:
            for problem in report.problems:
                click.echo(str(problem), err=True)
            count = len(report.problems)
            raise click.ClickException(
                f"nothing imported: {count} problem{'s' if count != 1 else ''} to fix first"
            )
        if is_accepting(campaign, utcnow()):
            try:
                launch_id = request_launch(session, campaign, channel).id
            except LaunchError as exc:
                raise click.ClickException(str(exc)) from None
        status = campaign.status
    line = f"imported {report.imported} contact{'s' if report.imported != 1 else ''}"
    if report.already_present:
        line += f", {len(report.already_present)} already on the list"
    if report.opted_out:
        line += f", {report.opted_out} opted out (never messaged)"
    click.echo(line)
    if launch_id is None:
        click.echo(f"the campaign is {status}: start it, then run this again to send the invitations")
        return
    created = run_launch(runtime, launch_id)
    with runtime.transaction() as session:
        state = progress(session, session.get_one(Launch, launch_id))
    click.echo(
        f"invitations: {created} new; {state.sent} sent, {state.queued + state.sending} queued, "
        f"{state.failed} failed, {state.canceled} not sent"
    )
