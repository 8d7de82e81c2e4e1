"""Benchmark 3: delivering invitations by SMS with 2 ``vises worker`` processes to the fake Twilio API.

``python -m bench.delivery [--messages 10000] [--limited 300 --mps 20]``

1. Baseline: the same 2 workers (the Procfile's ``vises worker``) run as many trivial jobs
   (``bench.jobs.noop``) from the delivery queue.
2. Delivery: a campaign's invitations to ``--messages`` contacts are launched (jobs queued first), the
   workers send them to the fake Twilio REST API with the shared rate limit set high
   (``VISES_TWILIO_MPS``); timed from the workers being ready to every message being sent.
3. The shared limit held: ``--limited`` more invitations with ``VISES_TWILIO_MPS=--mps``; the send
   times the fake recorded give the measured rate (it must be within 5% of the limit, never above).

Both timings start when both workers are registered with RQ and stop when the queue is empty and no job
is running, polled every 20 ms, or after ``--limit`` seconds: the rate is then that of the jobs done
(the rest is dropped with Redis database 7), and the JSON says ``finished: false``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from redis import Redis
from rq import Queue, Worker
from rq.serializers import JSONSerializer
from sqlalchemy import func, select, update

from bench import data
from bench.profiling import Profiler, print_summary
from bench.stack import Stack, ratio, rss_kib, write_result
from service.jobs import RedisJobs
from service.launches import request_launch, run_launch
from service.models import Campaign, OutboundMessage
from service.runtime import use_runtime

WORKERS = 2
HIGH_MPS = "100000"


def _drained(redis: Redis, queue: str) -> bool:
    if Queue(queue, connection=redis, serializer=JSONSerializer).count:
        return False
    return all(worker.get_state() != "busy" for worker in Worker.all(connection=redis))


def _wait_drained(redis: Redis, queue: str, limit: float) -> tuple[float, bool]:
    """Seconds until the queue is drained, or ``limit`` (then False: the rate is that of the jobs done)."""
    began = time.perf_counter()
    while not _drained(redis, queue):
        if time.perf_counter() - began > limit:
            return time.perf_counter() - began, False
        time.sleep(0.02)
    return time.perf_counter() - began, True


def _launch(stack: Stack, target: data.BenchCampaign) -> int:
    runtime = stack.runtime
    assert runtime is not None
    with runtime.transaction() as session:
        launch = request_launch(session, session.get_one(Campaign, target.id), "sms")
        launch_id = launch.id
    with use_runtime(runtime):
        return run_launch(runtime, launch_id)


def _sent(stack: Stack, campaign_id: int) -> dict[str, int]:
    assert stack.runtime is not None
    with stack.runtime.transaction() as session:
        rows = session.execute(
            select(OutboundMessage.status, func.count())
            .where(OutboundMessage.campaign_id == campaign_id)
            .group_by(OutboundMessage.status)
        ).all()
    return {str(status): int(count) for status, count in rows}


def _rate(times: list[float], limit: float) -> dict[str, Any]:
    times = sorted(times)
    if len(times) < 2:
        return {}
    span = times[-1] - times[0]
    measured = (len(times) - 1) / span if span else 0.0
    worst = 0
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        worst = max(worst, end - start + 1)
    return {
        "limit_per_second": limit,
        "messages": len(times),
        "seconds": round(span, 3),
        "measured_per_second": round(measured, 3),
        "deviation_percent": round(100 * (measured - limit) / limit, 2),
        "max_in_any_1s_window": worst,
        "within_5_percent": abs(measured - limit) <= 0.05 * limit,
        "never_above": measured <= limit * 1.0001,
    }


def run(
    count: int, limited: int, mps: float, *, limit: float = 600.0, profile: bool = False
) -> dict[str, Any]:
    result: dict[str, Any] = {"messages": count, "workers": WORKERS}
    with Stack("delivery") as stack:
        runtime = stack.build_runtime()
        redis = Redis.from_url(stack.redis_url)
        stack.start_fakes()
        fast = data.campaign(runtime, "bench-delivery", ["sms"])
        data.contacts(runtime, fast, count)
        print(f"[delivery] {count} contacts loaded")

        # 1. Baseline: trivial jobs on the delivery queue, run by the same workers.
        jobs = RedisJobs(redis)
        jobs.enqueue_many("bench.jobs.noop", [(number,) for number in range(count)], queue="delivery")
        workers = stack.start_workers(WORKERS, VISES_TWILIO_MPS=HIGH_MPS)
        baseline, finished = _wait_drained(redis, "delivery", limit)
        for worker in workers:
            stack.stop(worker)
        trivial = count - Queue("delivery", connection=redis, serializer=JSONSerializer).count
        Queue("delivery", connection=redis, serializer=JSONSerializer).empty()
        print(f"[delivery] baseline: {trivial} trivial jobs in {baseline:.2f}s ({trivial / baseline:.1f}/s)")

        # 2. Delivery with the limit set high.
        queued = _launch(stack, fast)
        workers = stack.start_workers(WORKERS, VISES_TWILIO_MPS=HIGH_MPS)
        idle = {str(w.pid): rss_kib(w.pid) for w in workers}  # registered, before its first job
        with Profiler([w.pid for w in workers] if profile else [], "delivery") as profiler:
            delivering, all_sent = _wait_drained(redis, "delivery", limit)
        sent = _sent(stack, fast.id).get("sent", 0)  # when the clock stopped
        after = {str(w.pid): rss_kib(w.pid) for w in workers}
        for worker in workers:
            stack.stop(worker)  # a warm shutdown: the job in hand finishes, then the counts are final
        statuses = _sent(stack, fast.id)
        fake = stack.fake_stats("twilio")
        print(
            f"[delivery] vises: {queued} invitations queued, {sent} sent in {delivering:.2f}s "
            f"({sent / delivering:.1f}/s); rows {statuses}; the fake received {fake['sent']}"
        )
        print_summary(profiler.summary, prefix="[delivery] profile")
        # What the time limit left undone: dropped from the queue, and cancelled so that the next workers'
        # sweep doesn't offer it again in the rate-limit phase.
        Queue("delivery", connection=redis, serializer=JSONSerializer).empty()
        with runtime.engine.begin() as connection:
            connection.execute(
                update(OutboundMessage)
                .where(OutboundMessage.campaign_id == fast.id, OutboundMessage.status == "queued")
                .values(status="canceled", error_code="bench_time_limit")
            )

        # 3. The shared rate limit, set low.
        stack.fake_stats("twilio", reset=True)
        slow = data.campaign(runtime, "bench-delivery-limited", ["sms"])
        data.contacts(runtime, slow, limited)
        _launch(stack, slow)
        workers = stack.start_workers(WORKERS, VISES_TWILIO_MPS=str(mps))
        limited_seconds, _ = _wait_drained(redis, "delivery", 60 + 3 * limited / mps)
        times = stack.fake_stats("twilio")["times"]
        held = _rate(times, mps)
        print(
            f"[delivery] limit {mps}/s: {held.get('messages')} messages, measured "
            f"{held.get('measured_per_second')}/s ({held.get('deviation_percent')}%), "
            f"at most {held.get('max_in_any_1s_window')} in any second"
        )
        for worker in workers:
            stack.stop(worker)

        result.update(
            {
                "baseline": {
                    "what": f"{WORKERS} vises workers running trivial jobs from the delivery queue",
                    "jobs": trivial,
                    "finished": finished,
                    "seconds": round(baseline, 3),
                    "per_second": round(trivial / baseline, 1),
                },
                "delivery": {
                    "what": f"{WORKERS} vises workers sending SMS invitations to the fake Twilio API",
                    "sent": sent,
                    "finished": all_sent,
                    "seconds": round(delivering, 3),
                    "per_second": round(sent / delivering, 1),
                    "rows": statuses,
                    "fake_received": fake["sent"],
                    "ratio": ratio(sent / delivering, trivial / baseline),
                },
                "rate_limit": {**held, "seconds_to_drain": round(limited_seconds, 2)},
                "memory_kib": {"rq_workers_idle": idle, "rq_workers_after": after},
            }
        )
        if profiler.summary:
            result["profile"] = profiler.summary
        print(f"[delivery] ratio to baseline {result['delivery']['ratio']:.3f}")
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--limited", type=int, default=300)
    parser.add_argument("--mps", type=float, default=20.0)
    parser.add_argument(
        "--limit",
        type=float,
        default=600.0,
        help="stop a phase after this many seconds (rate of what was done)",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy on the workers while they deliver")
    args = parser.parse_args()
    write_result(
        "delivery", run(args.messages, args.limited, args.mps, limit=args.limit, profile=args.profile)
    )


if __name__ == "__main__":
    main()
