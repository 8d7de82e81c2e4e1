"""``vises campaign``: create campaigns and move them through their lifecycle from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from questionnaires.loader import load_file
from questionnaires.problems import DefinitionError
from service.accounts import AccountError, organization_by_slug
from service.campaigns import (
    CampaignError,
    baseline_by_code,
    campaign_by_code,
    change_status,
    create_campaign,
    links,
)
from service.cli.base import get_runtime
from service.definitions import VersionConflict, register_shipped, register_version
from service.migrate import upgrade


@click.group()
def campaign() -> None:
    """Survey campaigns."""


@campaign.command("create")
@click.option("--org", "org_slug", required=True, help="The organization's slug.")
@click.option(
    "--questionnaire", "questionnaire_ref", required=True, help="A shipped questionnaire id or a YAML file."
)
@click.option(
    "--channels", default="web", show_default=True, help="Comma-separated: web,telegram,sms,whatsapp."
)
@click.option(
    "--keyword", help="SMS keyword that starts the campaign (default: derived from the questionnaire)."
)
@click.option("--name", help="Campaign name (default: the questionnaire's title).")
@click.option("--language", type=click.Choice(["fr", "nl", "en"]), help="Default language.")
@click.option("--allow-restart", is_flag=True, help="Let respondents answer again from the start.")
@click.option(
    "--baseline",
    "baseline_code",
    metavar="CODE",
    help="Code of this organization's earlier campaign (same questionnaire) that this one follows up.",
)
@click.pass_context
def campaign_create(
    ctx: click.Context,
    org_slug: str,
    questionnaire_ref: str,
    channels: str,
    keyword: str | None,
    name: str | None,
    language: str | None,
    allow_restart: bool,
    baseline_code: str | None,
) -> None:
    """Create a draft campaign and print its code and links as JSON."""
    runtime = get_runtime(ctx)
    upgrade(runtime.engine)
    try:
        with runtime.transaction() as session:
            organization = organization_by_slug(session, org_slug)
            baseline = baseline_by_code(session, organization.id, baseline_code) if baseline_code else None
            path = Path(questionnaire_ref)
            if path.suffix in {".yaml", ".yml"} or path.exists():
                version = register_version(session, organization, load_file(path), source="yaml")
            else:
                try:
                    version = register_shipped(session, organization, questionnaire_ref)
                except KeyError:
                    raise click.ClickException(
                        f"no shipped questionnaire {questionnaire_ref!r} and no such file"
                    ) from None
            created = create_campaign(
                session,
                organization,
                version,
                name=name or version.title,
                channels=channels.split(","),
                sms_keyword=keyword,
                default_language=language,
                allow_restart=allow_restart,
                baseline_campaign_id=baseline.id if baseline else None,
            )
            found = links(runtime.settings, created)
            payload = {
                "code": created.code,
                "name": created.name,
                "status": created.status,
                "questionnaire": f"{version.questionnaire_key} v{version.version}",
                "channels": created.channels,
                "web_url": found.web_url,
                "sms_keyword": found.sms_keyword,
                "baseline": baseline.code if baseline else None,
            }
            if found.telegram_link:
                payload["telegram_link"] = found.telegram_link
    except DefinitionError as exc:
        raise click.ClickException(
            "the questionnaire is not valid:\n" + "\n".join(f"  {p}" for p in exc.problems)
        ) from None
    except (AccountError, CampaignError, VersionConflict) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(payload, ensure_ascii=False))


def _status_command(action: str, help_text: str) -> click.Command:
    @click.command(action, help=help_text)
    @click.argument("code")
    @click.pass_context
    def command(ctx: click.Context, code: str) -> None:
        runtime = get_runtime(ctx)
        try:
            with runtime.transaction() as session:
                found = campaign_by_code(session, code)
                if found is None:
                    raise click.ClickException(f"no campaign with the code {code!r}")
                change_status(session, found, action)
                click.echo(f"{found.code}: {found.status}")
        except CampaignError as exc:
            raise click.ClickException(str(exc)) from None

    return command


campaign.add_command(
    _status_command("start", "Open a campaign to answers (its questionnaire version is then frozen).")
)
campaign.add_command(_status_command("pause", "Stop accepting answers for a while."))
campaign.add_command(_status_command("close", "Close a campaign for good."))
