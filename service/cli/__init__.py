"""The ``vises`` command line."""

from __future__ import annotations

import sys
from typing import Any

import click

from service.cli.base import VisesGroup
from service.cli.campaigns import campaign
from service.cli.database import db
from service.cli.demo import demo
from service.cli.organizations import org, user
from service.cli.questionnaires import questionnaire
from service.cli.server import serve
from service.cli.worker import worker


@click.group(cls=VisesGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """vises: impact surveys for social enterprises, by web, Telegram and SMS."""


for command in (serve, demo, db, worker, org, user, campaign, questionnaire):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="vises")
