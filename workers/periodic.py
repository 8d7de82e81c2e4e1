"""Periodic jobs (sweep, reminders, expiry): RQ's cron scheduler, run by every ``vises worker``.

Each worker process runs an :class:`rq.cron.CronScheduler` in a thread, so the schedule needs no
process of its own in the Procfile and dies with its worker. Two things differ from ``rq cron``:

* jobs are enqueued with the JSON serializer, like every vises job (rq's ``CronJob`` uses pickle);
* however many workers run, a job is enqueued once per interval: each enqueue first takes a Redis key
  that lives for the interval (``SET NX EX``), and whoever takes it enqueues.

Nothing here is stateful: the jobs derive everything from the database, so after a restart, or after
Redis comes back empty, the next tick simply runs them again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.cron import CronJob, CronScheduler
from rq.exceptions import SchedulerNotFound
from rq.job import Job
from rq.serializers import JSONSerializer

from service.dispatch import FAILURE_TTL
from service.tuning import Tuning
from workers.expiry import expire_conversations
from workers.reminders import send_due_reminders
from workers.retention import RETENTION_SECONDS, RETENTION_TIMEOUT, erase_expired_data
from workers.sweep import sweep_lost_work

log = logging.getLogger(__name__)

GATE_PREFIX = "vises:cron:"


@dataclass(frozen=True)
class Periodic:
    func: Callable[..., Any]
    interval: int
    queue: str = "default"
    timeout: int = 600


def schedule(knobs: Tuning) -> list[Periodic]:
    """What runs how often (``VISES_SWEEP_SECONDS``, ``VISES_REMINDER_SECONDS``, ``VISES_EXPIRY_SECONDS``)."""
    return [
        Periodic(sweep_lost_work, knobs.sweep_seconds),
        Periodic(send_due_reminders, knobs.reminder_seconds),
        Periodic(expire_conversations, knobs.expiry_seconds),
        Periodic(erase_expired_data, RETENTION_SECONDS, timeout=RETENTION_TIMEOUT),
    ]


class FleetCronJob(CronJob):
    """A cron job enqueued as JSON, at most once per interval across all the workers sharing Redis."""

    def enqueue(self, connection: Redis, *, force: bool = False) -> Job | None:  # type: ignore[override]
        interval = int(self.interval or 60)
        if not force and not connection.set(GATE_PREFIX + self.name, "1", nx=True, ex=max(1, interval - 1)):
            return None
        queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
        job = queue.enqueue(self.func_name, **self.job_options)
        log.debug("periodic %s enqueued on %s", self.name, self.queue_name)
        return job


class FleetCron(CronScheduler):
    """RQ's cron scheduler holding :class:`FleetCronJob` entries, driven from a thread of the worker."""

    def register_periodic(self, periodic: Periodic) -> CronJob:
        job = FleetCronJob(
            queue_name=periodic.queue,
            func=periodic.func,
            interval=periodic.interval,
            job_timeout=periodic.timeout,
            result_ttl=600,
            failure_ttl=FAILURE_TTL,
        )
        self._cron_jobs.append(job)
        return job

    def enqueue_all_now(self) -> int:
        """Enqueue every periodic job at once, gate or not (``vises worker --burst``)."""
        count = 0
        for job in self.get_jobs():
            if isinstance(job, FleetCronJob) and job.enqueue(self.connection, force=True) is not None:
                count += 1
        return count


class CronThread:
    """Runs a :class:`FleetCron` loop in a daemon thread until :meth:`stop`."""

    def __init__(self, cron: FleetCron) -> None:
        self.cron = cron
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vises-cron", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        registered = False
        while not self._stop.is_set():
            try:
                if not registered:
                    self.cron.register_birth()
                    registered = True
                if self.cron.enqueue_jobs():
                    self.cron.save()
                self.cron.heartbeat()
                wait = self.cron.calculate_sleep_interval()
            except RedisError as exc:
                log.warning("periodic jobs: Redis unavailable (%s); trying again", type(exc).__name__)
                wait = 5.0
            except Exception:
                log.exception("periodic jobs: the cron loop failed; trying again")
                wait = 5.0
            self._stop.wait(max(wait, 0.5))
        if registered:
            try:
                self.cron.register_death()
            except (RedisError, SchedulerNotFound):
                log.info("periodic jobs: the cron scheduler was no longer registered")


def build_cron(connection: Redis, knobs: Tuning, *, name: str = "") -> FleetCron:
    cron = FleetCron(connection=connection, name=name)
    for periodic in schedule(knobs):
        cron.register_periodic(periodic)
    return cron
