"""``vises org`` and ``vises user``: the first accounts, from the command line."""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from service.accounts import AccountError, create_organization, create_user, organization_by_slug
from service.audit import Action, record
from service.cli.base import get_runtime
from service.migrate import upgrade
from service.models import Organization, OrganizationKind, Role
from service.passwords import WeakPassword


@click.group()
def org() -> None:
    """Organizations (social enterprises and federations)."""


@org.command("create")
@click.argument("slug")
@click.option("--name", help="Full name (defaults to the slug, titled).")
@click.option("--short-name", help="Name used in messages for {org}, at most 20 characters.")
@click.option("--federation", "federation_slug", help="Make it a member of this federation.")
@click.option(
    "--kind", type=click.Choice([k.value for k in OrganizationKind]), default="enterprise", show_default=True
)
@click.option("--language", type=click.Choice(["fr", "nl", "en"]), default="fr", show_default=True)
@click.option(
    "--region",
    type=click.Choice(["BE", "FR", "NL", "LU"]),
    default="BE",
    show_default=True,
    help="Default region for phone numbers without a country code.",
)
@click.option(
    "--share-name",
    is_flag=True,
    help="Let its federations show its name next to its results (otherwise: “Member A”…).",
)
@click.pass_context
def org_create(
    ctx: click.Context,
    slug: str,
    name: str | None,
    short_name: str | None,
    federation_slug: str | None,
    kind: str,
    language: str,
    region: str,
    share_name: bool,
) -> None:
    """Create an organization."""
    runtime = get_runtime(ctx)
    upgrade(runtime.engine)
    try:
        with runtime.transaction() as session:
            organization = create_organization(
                session,
                slug,
                name=name,
                short_name=short_name,
                kind=OrganizationKind(kind),
                federation_slug=federation_slug,
                default_language=language,
                default_region=region,
            )
            if share_name:
                _set_naming(session, organization, True)
            click.echo(f"created {organization.kind} {organization.slug} ({organization.name})")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None


@org.command("naming")
@click.argument("slug")
@click.option(
    "--share/--hide",
    "share",
    required=True,
    help="Show the organization's name to its federations next to its results, or a label such as “Member A”.",
)
@click.pass_context
def org_naming(ctx: click.Context, slug: str, share: bool) -> None:
    """Choose whether an organization's federations see its name next to its results."""
    runtime = get_runtime(ctx)
    upgrade(runtime.engine)
    try:
        with runtime.transaction() as session:
            organization = organization_by_slug(session, slug)
            _set_naming(session, organization, share)
            shown = "shown" if share else "hidden"
            click.echo(f"{organization.slug}: name {shown} in federation results")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None


def _set_naming(session: Session, organization: Organization, share: bool) -> None:
    before = organization.share_name_with_federations
    organization.share_name_with_federations = share
    if before != share:
        record(
            session,
            organization.id,
            Action.FEDERATION_NAMING,
            target_type="organization",
            target_id=organization.slug,
            details={"before": before, "after": share},
        )


@click.group()
def user() -> None:
    """Staff accounts."""


@user.command("create")
@click.option("--org", "org_slug", required=True, help="The organization's slug.")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="owner", show_default=True)
@click.option("--language", type=click.Choice(["fr", "nl", "en"]))
@click.password_option(help="Prompted for (twice) when not given; at least 10 characters.")
@click.pass_context
def user_create(
    ctx: click.Context, org_slug: str, email: str, name: str, role: str, language: str | None, password: str
) -> None:
    """Create a staff account."""
    runtime = get_runtime(ctx)
    upgrade(runtime.engine)
    try:
        with runtime.transaction() as session:
            organization = organization_by_slug(session, org_slug)
            account = create_user(
                session, organization, email, password, name=name, role=Role(role), language=language
            )
            click.echo(f"created {account.role} {account.email} in {organization.slug}")
    except (AccountError, WeakPassword) as exc:
        raise click.ClickException(str(exc)) from None
