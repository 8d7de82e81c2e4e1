"""Jobs by name: inline without Redis, pipelined onto RQ with it."""

from typing import Any

from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from service.jobs import InlineJobs, RedisJobs

CALLS: list[Any] = []


def record(*args: Any) -> None:
    CALLS.append(args)


def explode() -> None:
    raise RuntimeError("boom")


def test_inline_jobs_run_at_once_and_a_failure_does_not_escape() -> None:
    CALLS.clear()
    jobs = InlineJobs()
    jobs.enqueue("tests.integration.test_jobs.record", 1, "a")
    jobs.enqueue("tests.integration.test_jobs.explode")
    assert jobs.enqueue_many("tests.integration.test_jobs.record", [(2,), (3,)]) == 2
    assert CALLS == [(1, "a"), (2,), (3,)]


def test_redis_jobs_pipeline_batches_and_a_worker_runs_them(redis_url: str) -> None:
    CALLS.clear()
    connection = Redis.from_url(redis_url)
    jobs = RedisJobs(connection, batch_size=7)
    assert (
        jobs.enqueue_many("tests.integration.test_jobs.record", ((i,) for i in range(20)), queue="delivery")
        == 20
    )
    jobs.enqueue("tests.integration.test_jobs.record", "single")
    assert Queue("delivery", connection=connection).count == 20
    worker = SimpleWorker(
        [Queue(name, connection=connection, serializer=JSONSerializer) for name in ("default", "delivery")],
        connection=connection,
        serializer=JSONSerializer,
    )
    worker.work(burst=True)
    assert sorted(CALLS, key=str) == sorted([(i,) for i in range(20)] + [("single",)], key=str)
