"""Jobs that must exist at most once per row: stable job ids, checked against what RQ holds.

A job about a database row (send message 42, score conversation 7) gets an id derived from the row's
state (``send-42``, ``send-42-at1767225600``). Before enqueueing, RQ is asked whether a job with that id
is still waiting, scheduled or running; only rows without one get a new job. So the launch, the sweep and
a relaunch can all offer the same rows without ever doubling a queue, and after Redis is restarted empty
every row is offered again. A duplicate that slips through a race is harmless: jobs are idempotent.

Without Redis (the embedded default) jobs run inline, at once; a delayed job can't be kept and is left to
the next sweep.

A job RQ still calls "started" is live only while its worker is: a worker killed in the middle of a job
(SIGKILL, OOM, a lost machine) leaves it "started" until RQ's registry maintenance notices, which can
take ten minutes, and the row it is about would wait as long. So a started job whose worker has
registered its death, whose registration has expired, or whose process is gone from this machine, is
not live, and its row is offered again.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.job import Job, JobStatus
from rq.worker import Worker
from sqlalchemy import Select

from service.jobs import RedisJobs
from service.runtime import Runtime

log = logging.getLogger(__name__)

LIVE = frozenset(
    {
        JobStatus.QUEUED.value,
        JobStatus.STARTED.value,
        JobStatus.SCHEDULED.value,
        JobStatus.DEFERRED.value,
        JobStatus.RATE_LIMITED.value,
        # A failed job waits for an operator (``vises jobs requeue``): its row is not offered again behind
        # their back, so a job that fails for a bug does not loop.
        JobStatus.FAILED.value,
    }
)
BATCH = 1000
RESULT_TTL = 0
"""Finished jobs are dropped at once: the database holds every outcome, and 100,000 sends must not
leave 100,000 job records in Redis."""
FAILURE_TTL = 7 * 86400


@dataclass(frozen=True)
class JobSpec:
    """How jobs of one kind run: the function by name, its queue, timeout and RQ retries."""

    func: str
    queue: str
    timeout: int = 300
    retry_intervals: tuple[int, ...] = (30, 120, 600)
    """Retries for a job that raised or whose worker died; the job's own errors are handled inside it."""

    def retry(self) -> Retry | None:
        return (
            Retry(max=len(self.retry_intervals), interval=list(self.retry_intervals))
            if self.retry_intervals
            else None
        )


def offer_in_pages(
    runtime: Runtime,
    spec: JobSpec,
    job_id: Callable[[int], str],
    ids_after: Callable[[int], Select[Any]],
) -> int:
    """Enqueue a job per id that has no live job yet, reading the ids a page at a time (``ids_after(last)``
    selects the next page, in id order, with its own limit); returns how many were enqueued."""
    count, after = 0, 0
    while True:
        with runtime.transaction() as session:
            ids = list(session.scalars(ids_after(after)))
        if not ids:
            return count
        after = ids[-1]
        count += enqueue_once(runtime, spec, ((job_id(i), (i,)) for i in ids))


def enqueue_once(runtime: Runtime, spec: JobSpec, jobs: Iterable[tuple[str, Sequence[Any]]]) -> int:
    """Enqueue each ``(job_id, args)`` that has no live job yet; returns how many were enqueued."""
    redis_jobs = runtime.jobs if isinstance(runtime.jobs, RedisJobs) else None
    if redis_jobs is None:
        count = 0
        for _, args in jobs:
            runtime.jobs.enqueue(spec.func, *args, queue=spec.queue)
            count += 1
        return count
    queue = redis_jobs.queue(spec.queue)
    count = 0
    batch: list[tuple[str, Sequence[Any]]] = []
    for item in jobs:
        batch.append(item)
        if len(batch) >= BATCH:
            count += _enqueue_batch(queue, spec, batch)
            batch = []
    if batch:
        count += _enqueue_batch(queue, spec, batch)
    return count


def schedule_once(runtime: Runtime, spec: JobSpec, job_id: str, args: Sequence[Any], at: datetime) -> bool:
    """Run the job at ``at`` unless it is already live; False without Redis (the sweep will run it)."""
    if not isinstance(runtime.jobs, RedisJobs):
        return False
    queue = runtime.jobs.queue(spec.queue)
    if _live_ids(queue, [job_id]):
        return False
    queue.enqueue_at(
        at,
        spec.func,
        *args,
        job_id=job_id,
        job_timeout=spec.timeout,
        retry=spec.retry(),
        result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL,
    )
    return True


def _enqueue_batch(queue: Queue, spec: JobSpec, batch: list[tuple[str, Sequence[Any]]]) -> int:
    live = _live_ids(queue, [job_id for job_id, _ in batch])
    fresh: dict[str, Sequence[Any]] = {}
    for job_id, args in batch:
        if job_id not in live:
            fresh.setdefault(job_id, args)
    if not fresh:
        return 0
    data = [
        Queue.prepare_data(
            spec.func,
            tuple(args),
            job_id=job_id,
            timeout=spec.timeout,
            retry=spec.retry(),
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
        )
        for job_id, args in fresh.items()
    ]
    with queue.connection.pipeline() as pipe:
        queue.enqueue_many(data, pipeline=pipe)
        pipe.execute()
    return len(data)


def _live_ids(queue: Queue, job_ids: Sequence[str]) -> set[str]:
    """The ids among ``job_ids`` whose job RQ still holds as waiting, scheduled, running or failed."""
    with queue.connection.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hmget(Job.key_for(job_id), ["status", "worker_name"])
        found = pipe.execute()
    live: set[str] = set()
    running: dict[str, str] = {}
    for job_id, (status, worker_name) in zip(job_ids, found, strict=True):
        if status is None or status.decode() not in LIVE:
            continue
        if status.decode() == JobStatus.STARTED.value and worker_name:
            running[job_id] = worker_name.decode()
        else:
            live.add(job_id)
    if running:
        alive = _workers_alive(queue.connection, set(running.values()))
        live.update(job_id for job_id, worker in running.items() if worker in alive)
    return live


def _workers_alive(connection: Redis, names: set[str]) -> set[str]:
    """The workers among ``names`` that may still be running a job (dead only when it is certain)."""
    ordered = sorted(names)
    with connection.pipeline(transaction=False) as pipe:
        for name in ordered:
            pipe.hmget(Worker.redis_worker_namespace_prefix + name, ["death", "hostname", "pid"])
        found = pipe.execute()
    here = socket.gethostname()
    alive = set()
    for name, (death, hostname, pid) in zip(ordered, found, strict=True):
        if hostname is None or death is not None:
            continue  # its registration expired, or it registered its death
        if hostname.decode() == here and pid and not _process_exists(int(pid)):
            continue  # killed on this machine: its process is gone
        alive.add(name)
    return alive


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
