"""Benchmark 2: launching a campaign to 100,000 SMS contacts, until every invitation's job is queued.

``python -m bench.launch [--contacts 100000]``

Measured: :func:`service.launches.run_launch`, the launch job's body, in this process against the
throw-away database and Redis database 7: it creates the invitations 1,000 at a time and enqueues their
send jobs (each batch checked against the jobs RQ already holds, then ``enqueue_many`` in one pipeline),
then offers every queued invitation once more. No worker runs, so the jobs stay queued and are counted.
Baseline: RQ's ``enqueue_many`` of as many trivial jobs in one pipeline, from the same process.
"""

from __future__ import annotations

import argparse
from typing import Any

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from bench import data
from bench.stack import Stack, ratio, timed, write_result
from service.launches import request_launch, run_launch
from service.models import Campaign, OutboundMessage
from service.runtime import use_runtime


def _profiled(function: Any, name: str) -> tuple[Any, dict[str, Any]]:
    """Run ``function()`` under pyinstrument when installed; (result, summary of the slowest frames)."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return function(), {}
    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        result = function()
    finally:
        profiler.stop()
    from bench.profiling import PROFILES

    PROFILES.mkdir(parents=True, exist_ok=True)
    path = PROFILES / f"{name}.txt"
    path.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    return result, {
        "file": str(path.relative_to(path.parents[3])),
        "text": profiler.output_text(show_all=False),
    }


def run(count: int, *, profile: bool = False) -> dict[str, Any]:
    with Stack("launch") as stack:
        runtime = stack.build_runtime()
        target = data.campaign(runtime, "bench-launch", ["sms"])
        with timed() as loading:
            data.contacts(runtime, target, count, distinct_phones=False)
        print(f"[launch] {count} contacts loaded in {loading[0]:.1f}s")
        redis = Redis.from_url(stack.redis_url)

        # Baseline: trivial jobs, enqueue_many in one pipeline (JSON serializer, as vises's queues).
        queue = Queue("bench", connection=redis, serializer=JSONSerializer)
        with timed() as baseline:
            jobs = [Queue.prepare_data("bench.jobs.noop", (number,)) for number in range(count)]
            with redis.pipeline() as pipe:
                queue.enqueue_many(jobs, pipeline=pipe)
                pipe.execute()
        baseline_queued = queue.count
        print(f"[launch] baseline: {baseline_queued} trivial jobs in {baseline[0]:.2f}s")
        queue.empty()

        with runtime.transaction() as session:
            launch = request_launch(session, session.get_one(Campaign, target.id), "sms")
            launch_id = launch.id
        with use_runtime(runtime), timed() as launching:
            if profile:
                created, report = _profiled(lambda: run_launch(runtime, launch_id), "launch")
            else:
                created, report = run_launch(runtime, launch_id), {}
        delivery_queued = Queue("delivery", connection=redis, serializer=JSONSerializer).count
        with runtime.transaction() as session:
            rows = session.scalar(
                select(func.count())
                .select_from(OutboundMessage)
                .where(OutboundMessage.campaign_id == target.id)
            )
        print(
            f"[launch] vises: {created} invitations created, {delivery_queued} send jobs queued in "
            f"{launching[0]:.2f}s"
        )
        result = {
            "contacts": count,
            "baseline": {
                "what": "rq enqueue_many of trivial jobs in one pipeline",
                "jobs": baseline_queued,
                "seconds": round(baseline[0], 3),
                "per_second": round(count / baseline[0], 1),
            },
            "launch": {
                "what": "service.launches.run_launch (the launch job's body)",
                "invitations": rows,
                "jobs": delivery_queued,
                "seconds": round(launching[0], 3),
                "per_second": round(count / launching[0], 1),
            },
            "target": {"ratio": 0.7},
        }
        result["launch"]["ratio"] = ratio(baseline[0], launching[0])
        print(f"[launch] ratio to baseline {result['launch']['ratio']:.3f} (target 0.7)")
        if report:
            result["profile"] = {"file": report["file"]}
            print(report["text"][:6000])
        assert delivery_queued == count and rows == count, "not every invitation was queued"
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="pyinstrument on the launch")
    args = parser.parse_args()
    write_result("launch", run(args.contacts, profile=args.profile))


if __name__ == "__main__":
    main()
