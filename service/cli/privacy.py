"""``vises keys rotate|status`` and ``vises privacy consent-ledger|retention``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from service.campaigns import campaign_by_code
from service.cli.base import get_runtime
from service.models import utcnow
from service.privacy.consent_ledger import record_ledger_export, write_ledger
from service.privacy.keys import BATCH_SIZE, DigestKeyMismatch, RotationReport, key_status, rotate_keys
from service.privacy.retention import apply_retention


@click.group()
def keys() -> None:
    """The data key that encrypts phone numbers, chat ids and contact names (see docs/privacy.md)."""


@keys.command("rotate")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=BATCH_SIZE, show_default=True)
@click.pass_context
def keys_rotate(ctx: click.Context, batch_size: int) -> None:
    """Re-encrypt every ciphertext under DATA_KEY, while VISES_PREVIOUS_DATA_KEYS still decrypt the old ones.

    Runs beside the service (one short transaction per batch), and can be stopped and run again.
    """
    runtime = get_runtime(ctx)

    def progress(report: RotationReport) -> None:
        click.echo(
            f"  {report.identities_reencrypted + report.identities_current} identities and "
            f"{report.contacts_reencrypted + report.contacts_current} contact names seen",
            err=True,
        )

    try:
        report = rotate_keys(
            runtime.sessions, runtime.settings, batch_size=batch_size, now=utcnow(), progress=progress
        )
    except DigestKeyMismatch as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"re-encrypted {report.identities_reencrypted} identities and {report.contacts_reencrypted} contact names; "
        f"{report.identities_current + report.contacts_current} were already under the current key"
    )
    if report.undecryptable:
        raise click.ClickException(
            f"{report.undecryptable} ciphertexts open with no configured key: keep the old key in "
            "VISES_PREVIOUS_DATA_KEYS and check it"
        )


@keys.command("status")
@click.pass_context
def keys_status(ctx: click.Context) -> None:
    """How many ciphertexts are under the current key and under older ones."""
    runtime = get_runtime(ctx)
    try:
        status = key_status(runtime.sessions, runtime.settings)
    except DigestKeyMismatch as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"identities: {status.identities_current} current, {status.identities_older} under an older key"
    )
    click.echo(
        f"contact names: {status.contacts_current} current, {status.contacts_older} under an older key"
    )
    click.echo(f"digests checked against their address: {status.digests_checked}")
    if status.undecryptable:
        click.echo(f"{status.undecryptable} ciphertexts open with no configured key")
    click.echo(
        "done: older keys can be removed from VISES_PREVIOUS_DATA_KEYS"
        if status.done
        else "run `vises keys rotate` before removing an older key"
    )
    if not status.done:
        ctx.exit(1)


@click.group()
def privacy() -> None:
    """Consent ledgers and the retention periods."""


@privacy.command("consent-ledger")
@click.argument("code")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
@click.pass_context
def consent_ledger(ctx: click.Context, code: str, output: Path | None) -> None:
    """A campaign's consent ledger as CSV: version, text digest, language, channel, answer, time, pseudonym."""
    runtime = get_runtime(ctx)
    with runtime.transaction() as session:
        campaign = campaign_by_code(session, code)
        if campaign is None:
            raise click.ClickException(f"no campaign with the code {code!r}")
        record_ledger_export(session, campaign, user_id=None, via="cli")
        if output is None:
            count = write_ledger(session, campaign, sys.stdout)
        else:
            with output.open("w", encoding="utf-8", newline="") as stream:
                count = write_ledger(session, campaign, stream)
    if output is not None:
        click.echo(f"{count} consent records written to {output}")


@privacy.command("retention")
@click.pass_context
def retention(ctx: click.Context) -> None:
    """Apply the retention periods now (the worker does it every hour)."""
    runtime = get_runtime(ctx)
    report = apply_retention(runtime.sessions, utcnow(), instance_path=runtime.settings.instance_path)
    click.echo(
        f"erased {report.identities} identities, cleared {report.contacts} contact entries, "
        f"deleted {report.free_text_answers} free-text answers"
    )
