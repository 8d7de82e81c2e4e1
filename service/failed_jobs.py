"""Jobs that failed: listed from RQ's failed registries with their error, and put back in their queue.

A job lands there after its retries with the traceback of its last failure (and a job whose worker died
with it, as "abandoned"). The rows it was about are still pending in the database, so requeueing it, or
letting the sweep's next pass find them, finishes the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from rq import Queue
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from service.jobs import QUEUES


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    func: str
    args: tuple[object, ...]
    ended_at: datetime | None
    error: str
    """The last line of the traceback (the exception and its message)."""
    traceback: str


def failed_jobs(connection: Redis) -> list[FailedJob]:
    """Every failed job of the vises queues, oldest first."""
    found: list[FailedJob] = []
    for name in QUEUES:
        registry = Queue(name, connection=connection, serializer=JSONSerializer).failed_job_registry
        ids = registry.get_job_ids()
        for job_id, job in zip(
            ids, Job.fetch_many(ids, connection=connection, serializer=JSONSerializer), strict=True
        ):
            if job is None:
                continue
            text = _traceback(job)
            lines = [line for line in text.strip().splitlines() if line.strip()]
            found.append(
                FailedJob(
                    id=job_id,
                    queue=name,
                    func=job.func_name or "?",
                    args=tuple(job.args or ()),
                    ended_at=job.ended_at,
                    error=lines[-1] if lines else "(no traceback)",
                    traceback=text,
                )
            )
    return found


def requeue(connection: Redis, job_ids: list[str] | None = None) -> list[str]:
    """Put failed jobs back in their queues (all of them when ``job_ids`` is None); returns the ids requeued."""
    wanted = None if job_ids is None else set(job_ids)
    requeued: list[str] = []
    for name in QUEUES:
        registry = Queue(name, connection=connection, serializer=JSONSerializer).failed_job_registry
        for job_id in registry.get_job_ids():
            if wanted is not None and job_id not in wanted:
                continue
            try:
                registry.requeue(job_id)
            except (InvalidJobOperation, NoSuchJobError):
                continue
            requeued.append(job_id)
    return requeued


def _traceback(job: Job) -> str:
    result = job.latest_result()
    if result is not None and result.exc_string:
        return str(result.exc_string)
    return str(job.exc_info or "")
