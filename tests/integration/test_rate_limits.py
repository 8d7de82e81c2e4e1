"""The shared sending rate: never above the limit, close to it when saturated, shared by processes."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from redis import Redis

from service.rate_limits import MemoryRateLimiter, Rate, RedisRateLimiter, acquire


def _hammer(url: str, key: str, count: int, ready: Any, out: Any) -> None:
    limiter = RedisRateLimiter(Redis.from_url(url))
    ready.wait(60)
    stamps = []
    for _ in range(count):
        acquire(limiter, key, Rate(40))
        stamps.append(time.time())
    out.put(stamps)


def _max_in_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, t in enumerate(stamps):
        while t - stamps[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_two_processes_share_one_limit(redis_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    ready = ctx.Barrier(2)
    # Both start together (however slowly they were spawned) and each takes 60 slots of one 40/s limit.
    procs = [ctx.Process(target=_hammer, args=(redis_url, "shared", 60, ready, out)) for _ in range(2)]
    for p in procs:
        p.start()
    first, second = out.get(timeout=60), out.get(timeout=60)
    for p in procs:
        p.join(10)
    stamps = sorted(first + second)
    assert min(second) < max(first) and min(first) < max(second), "the two processes must overlap"
    rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    assert 30 <= rate <= 40.4
    assert _max_in_window(stamps, 1.0) <= 41


def test_memory_limiter_spaces_messages() -> None:
    limiter = MemoryRateLimiter()
    started = time.monotonic()
    for _ in range(21):
        acquire(limiter, "k", Rate(100))
    assert time.monotonic() - started >= 0.19


def test_burst_allows_that_many_back_to_back(redis_url: str) -> None:
    limiter = RedisRateLimiter(Redis.from_url(redis_url))
    assert [limiter.try_acquire("b", Rate(1, burst=3)) == 0 for _ in range(4)] == [True, True, True, False]
