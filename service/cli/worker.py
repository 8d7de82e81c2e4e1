"""``vises worker``: an RQ worker with its scheduler (the Procfile's ``worker`` process)."""

from __future__ import annotations

import click

from service.jobs import QUEUES


@click.command()
@click.option("--queue", "queues", multiple=True, type=click.Choice(QUEUES), help="Serve only these queues.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", help="Worker name (default: host and pid).")
def worker(queues: tuple[str, ...], burst: bool, name: str | None) -> None:
    """Run a background worker (needs REDIS_URL)."""
    from workers.startup import start_worker

    start_worker(queues=queues or QUEUES, burst=burst, name=name)
