"""Background jobs, enqueued by name: on RQ when Redis is configured, inline otherwise.

The service never imports worker code: a job is a dotted path such as
``workers.scoring.score_conversation`` with JSON-serialisable arguments (ids).
Callers enqueue only after their transaction has committed, so a job always
finds the rows it is about.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

log = logging.getLogger(__name__)

QUEUES = ("default", "delivery", "scoring")
"""Queue names, in the order a worker serves them."""


class JobQueue(Protocol):
    """Where jobs go. ``enqueue`` must not raise for a job's own failure, only for failing to enqueue."""

    def enqueue(
        self,
        func: str,
        *args: Any,
        queue: str = "default",
        job_id: str | None = None,
        job_timeout: int | None = None,
    ) -> None:
        """``job_timeout``: seconds before RQ stops the job (its default, 180 s, when None)."""

    def enqueue_many(
        self, func: str, arg_lists: Iterable[Sequence[Any]], *, queue: str = "default"
    ) -> int: ...


def resolve(func: str) -> Callable[..., Any]:
    module, _, name = func.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


class InlineJobs:
    """Runs each job at once in the calling process: the embedded default without Redis.

    A failing job is logged and swallowed, as a worker would; the periodic sweep
    finds whatever it left undone.
    """

    def __init__(self, runner: Callable[[Callable[[], Any]], Any] | None = None) -> None:
        self._runner = runner or (lambda call: call())

    def enqueue(
        self,
        func: str,
        *args: Any,
        queue: str = "default",
        job_id: str | None = None,
        job_timeout: int | None = None,
    ) -> None:
        target = resolve(func)
        try:
            self._runner(lambda: target(*args))
        except Exception:
            log.exception("inline job %s failed", func)

    def enqueue_many(self, func: str, arg_lists: Iterable[Sequence[Any]], *, queue: str = "default") -> int:
        count = 0
        for args in arg_lists:
            self.enqueue(func, *args, queue=queue)
            count += 1
        return count


class RedisJobs:
    """RQ queues with the JSON serializer; ``enqueue_many`` pipelines batches in one round trip each."""

    def __init__(self, connection: Redis, *, batch_size: int = 1000) -> None:
        self._connection = connection
        self._batch_size = batch_size
        self._queues = {
            name: Queue(name, connection=connection, serializer=JSONSerializer) for name in QUEUES
        }

    def queue(self, name: str) -> Queue:
        return self._queues[name]

    def enqueue(
        self,
        func: str,
        *args: Any,
        queue: str = "default",
        job_id: str | None = None,
        job_timeout: int | None = None,
    ) -> None:
        self._queues[queue].enqueue(
            func, *args, job_id=job_id, job_timeout=job_timeout, result_ttl=600, failure_ttl=7 * 86400
        )

    def enqueue_many(self, func: str, arg_lists: Iterable[Sequence[Any]], *, queue: str = "default") -> int:
        target = self._queues[queue]
        count = 0
        batch: list[Any] = []
        for args in arg_lists:
            batch.append(Queue.prepare_data(func, tuple(args), result_ttl=600, failure_ttl=7 * 86400))
            if len(batch) >= self._batch_size:
                count += self._flush(target, batch)
                batch = []
        if batch:
            count += self._flush(target, batch)
        return count

    def _flush(self, target: Queue, batch: list[Any]) -> int:
        with self._connection.pipeline() as pipe:
            target.enqueue_many(batch, pipeline=pipe)
            pipe.execute()
        return len(batch)
