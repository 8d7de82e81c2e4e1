"""``vises worker``: an RQ worker with its scheduler and the periodic jobs (the Procfile's ``worker`` process)."""

from __future__ import annotations

import click

from service.jobs import QUEUES


@click.command()
@click.option("--queue", "queues", multiple=True, type=click.Choice(QUEUES), help="Serve only these queues.")
@click.option(
    "--burst", is_flag=True, help="Run the periodic jobs once, then stop when the queues are empty."
)
@click.option("--name", help="Worker name (default: host and pid).")
@click.option(
    "--fork",
    is_flag=True,
    help="Run each job in a forked work horse (RQ's Worker): more isolation, slower jobs.",
)
def worker(queues: tuple[str, ...], burst: bool, name: str | None, fork: bool) -> None:
    """Run a background worker; without REDIS_URL, run the periodic jobs (sweep, reminders, expiry) inline."""
    from workers.startup import start_worker

    start_worker(queues=queues or QUEUES, burst=burst, name=name, fork=fork)
