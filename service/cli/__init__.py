"""The ``vises`` command line."""

from __future__ import annotations

import sys
from typing import Any

import click

from service.cli.base import VisesGroup
from service.cli.campaigns import campaign
from service.cli.database import db
from service.cli.demo import demo
from service.cli.exports import export
from service.cli.invitations import invite
from service.cli.jobs import jobs, rescore
from service.cli.organizations import org, user
from service.cli.privacy import keys, privacy
from service.cli.questionnaires import questionnaire
from service.cli.reset_links import reset_link_command
from service.cli.server import serve
from service.cli.telegram import telegram
from service.cli.worker import worker


@click.group(cls=VisesGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """vises: impact surveys for social enterprises, by web, Telegram and SMS."""


for command in (serve, demo, db, worker, org, user, campaign, questionnaire):
    cli.add_command(command)
cli.add_command(telegram)
user.add_command(reset_link_command)
cli.add_command(jobs)
cli.add_command(rescore)
campaign.add_command(invite)
cli.add_command(export)
cli.add_command(keys)
cli.add_command(privacy)


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="vises")
