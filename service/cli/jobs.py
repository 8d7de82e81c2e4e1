"""``vises jobs`` (failed jobs: list, requeue) and ``vises rescore CODE``."""

from __future__ import annotations

import click

from service.campaigns import campaign_by_code
from service.cli.base import get_runtime
from service.failed_jobs import failed_jobs, requeue
from service.models import utcnow
from service.scores import rescore_campaign


@click.group(invoke_without_command=True)
@click.option("-v", "--verbose", is_flag=True, help="Show each failure's whole traceback.")
@click.pass_context
def jobs(ctx: click.Context, verbose: bool) -> None:
    """Background jobs that failed, with their error (``vises jobs requeue`` puts them back)."""
    if ctx.invoked_subcommand is not None:
        return
    runtime = get_runtime(ctx)
    if runtime.redis is None:
        click.echo("no REDIS_URL: jobs run inline in the web process, and none are kept")
        return
    found = failed_jobs(runtime.redis)
    if not found:
        click.echo("no failed jobs")
        return
    for job in found:
        ended = job.ended_at.strftime("%Y-%m-%d %H:%M:%S") if job.ended_at else "-"
        args = ", ".join(str(arg) for arg in job.args)
        click.echo(f"{job.id}  {job.queue}  {ended}  {job.func}({args})")
        click.echo(f"    {job.error}")
        if verbose:
            click.echo("    " + job.traceback.strip().replace("\n", "\n    "))
    click.echo(f"{len(found)} failed job{'s' if len(found) != 1 else ''}")


@jobs.command("requeue")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Requeue every failed job.")
@click.pass_context
def jobs_requeue(ctx: click.Context, job_ids: tuple[str, ...], everything: bool) -> None:
    """Put failed jobs back in their queue: the given ids, or --all."""
    if bool(job_ids) == everything:
        raise click.UsageError("give job ids, or --all")
    runtime = get_runtime(ctx)
    if runtime.redis is None:
        raise click.ClickException("no REDIS_URL: there are no kept jobs to requeue")
    done = requeue(runtime.redis, None if everything else list(job_ids))
    missing = sorted(set(job_ids) - set(done))
    for job_id in missing:
        click.echo(f"{job_id}: not a failed job", err=True)
    click.echo(f"requeued {len(done)} job{'s' if len(done) != 1 else ''}")
    if missing:
        ctx.exit(1)


@click.command()
@click.argument("code")
@click.pass_context
def rescore(ctx: click.Context, code: str) -> None:
    """Recompute a campaign's scores and aggregates from its stored answers."""
    runtime = get_runtime(ctx)
    with runtime.transaction() as session:
        campaign = campaign_by_code(session, code)
        if campaign is None:
            raise click.ClickException(f"no campaign with the code {code!r}")
        report = rescore_campaign(session, campaign, utcnow())
        label = campaign.code
    click.echo(
        f"{label}: {report.conversations} completed conversations, {report.scores} scores, "
        f"{report.aggregates} aggregates"
    )
    if report.changed:
        click.echo(f"aggregates changed: {', '.join(report.changed)}")
    else:
        click.echo("aggregates unchanged: they matched the stored answers")
