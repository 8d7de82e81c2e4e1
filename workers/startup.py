"""The worker composition root: settings, runtime and an RQ worker serving the vises queues."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rq import Worker
from rq.serializers import JSONSerializer

from service.jobs import QUEUES
from service.logging_setup import configure_logging
from service.runtime import build_runtime, install_runtime
from service.settings import ConfigError, Settings, load_settings

log = logging.getLogger(__name__)


def start_worker(
    settings: Settings | None = None,
    *,
    queues: Sequence[str] = QUEUES,
    burst: bool = False,
    with_scheduler: bool = True,
    name: str | None = None,
) -> bool:
    """Serve jobs until stopped (or, with ``burst``, until the queues are empty)."""
    settings = settings or load_settings()
    if settings.redis_url is None:
        raise ConfigError(
            "REDIS_URL: vises worker needs Redis; without it jobs run inline in the web process"
        )
    configure_logging(settings.log_level)
    runtime = build_runtime(settings)
    install_runtime(runtime)
    assert runtime.redis is not None
    worker = Worker(list(queues), connection=runtime.redis, serializer=JSONSerializer, name=name)
    log.info("worker %s serving %s", worker.name, ", ".join(queues))
    return bool(worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=settings.log_level))
