"""The worker composition root: settings, runtime, an RQ worker on the vises queues, and the periodic jobs.

Which RQ worker: by default :class:`~rq.SimpleWorker`, which runs each job in the worker process. RQ's
authors recommend the forking :class:`~rq.Worker` unless jobs are very short, per-job process cost is a
measured bottleneck and the code is trusted; all three hold here. A delivery job does some 10-50 ms of
work, but a fresh work horse must first build its provider client: importing the Twilio REST modules
alone cost 0.35 s per job when measured, then a new TLS connection to Twilio, or a new Bot and its
``getMe`` call to Telegram, for every message; in one process they are built once and their connections
reused. Jobs are our own code; a job that overruns is still stopped by its timeout (SIGALRM, in the main
thread), and a worker that dies mid-job loses nothing (the sweep recovers its work). ``vises worker
--fork`` runs RQ's forking Worker for whoever prefers isolation to throughput.

Any process forked from here (RQ's scheduler, or a work horse with ``--fork``) must not use the database
connections it inherited: two processes on one socket corrupt both. An at-fork hook drops the inherited
pool in the child, without closing its connections (SQLAlchemy's recipe), so the child opens its own.

Without ``REDIS_URL`` there is no queue to serve: ``vises worker`` then runs the periodic jobs inline
(:mod:`workers.embedded`), which completes the embedded default.

Each worker also runs RQ's scheduler (delayed retries) and the periodic jobs (:mod:`workers.periodic`).
SIGTERM asks for a warm shutdown: the job in progress finishes, then the worker, its scheduler and the
periodic thread stop; a second SIGTERM stops the job too (the sweep then recovers it).
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Sequence
from functools import partial

from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer

from service.channels import ChannelUnavailable, sender_for
from service.jobs import QUEUES
from service.logging_setup import configure_logging
from service.runtime import Runtime, build_runtime, install_runtime
from service.settings import Settings, load_settings
from service.tuning import tuning
from workers.embedded import run_inline
from workers.periodic import CronThread, build_cron

log = logging.getLogger(__name__)

JOB_MODULES = (
    "workers.delivery",
    "workers.scoring",
    "workers.launch",
    "workers.sweep",
    "workers.reminders",
    "workers.expiry",
    "workers.exports",
    "workers.retention",
)


def start_worker(
    settings: Settings | None = None,
    *,
    queues: Sequence[str] = QUEUES,
    burst: bool = False,
    with_scheduler: bool = True,
    name: str | None = None,
    fork: bool = False,
) -> bool:
    """Serve jobs until stopped (or, with ``burst``, run the periodic jobs once and stop when queues are empty)."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    knobs = tuning(settings)
    runtime = build_runtime(settings)
    install_runtime(runtime)
    if settings.redis_url is None:
        log.info("no REDIS_URL: running the periodic jobs inline (the web process runs the others)")
        try:
            return run_inline(runtime, knobs, burst=burst)
        finally:
            runtime.dispose()
    os.register_at_fork(after_in_child=partial(runtime.engine.dispose, close=False))
    _preload(runtime)
    assert runtime.redis is not None
    worker_class = Worker if fork else SimpleWorker
    worker = worker_class(list(queues), connection=runtime.redis, serializer=JSONSerializer, name=name)
    cron = build_cron(runtime.redis, knobs, name=f"{worker.name}-cron")
    thread: CronThread | None = None
    if with_scheduler:
        if burst:
            cron.enqueue_all_now()
        else:
            thread = CronThread(cron)
            thread.start()
    log.info("%s %s serving %s", worker_class.__name__, worker.name, ", ".join(queues))
    try:
        return bool(worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=settings.log_level))
    finally:
        if thread is not None:
            thread.stop()
        runtime.dispose()


def _preload(runtime: Runtime) -> None:
    """Import the job modules and build the channel senders before any fork (RQ's advice): a wrong channel
    setting shows at start-up, and forked horses find them loaded."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    for channel in ("sms", "whatsapp", "telegram"):
        try:
            sender_for(runtime, channel)
        except ChannelUnavailable:
            continue
