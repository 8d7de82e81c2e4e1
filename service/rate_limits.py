"""Sending rates shared by every process: a GCRA limiter in Redis, or in memory without Redis.

GCRA (the generic cell rate algorithm) keeps one timestamp per key, the
"theoretical arrival time" of the next allowed message, and moves it forward by
``1 / rate`` on every acquisition. It spaces messages evenly, never lets more than
``burst`` through at once, and costs one Redis round trip per message; the
timestamp comes from Redis's own clock, so workers on several machines agree.

When Redis can't be reached, each process paces its own messages in memory until Redis answers again:
a reply must not be dropped for want of a counter (a person answering on Telegram while Redis restarts
still gets their next question), and each process's share still keeps to the rate.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from redis import Redis
from redis.exceptions import RedisError

from service.runtime import Runtime

log = logging.getLogger(__name__)

# KEYS[1]: the limiter key. ARGV: interval (µs), burst allowance (µs), key TTL (ms).
# Returns the wait in µs before the caller may send (0: send now, the slot is taken).
_GCRA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local allowance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allowed_at = tat - allowance
if allowed_at > now then
  return allowed_at - now
end
redis.call('SET', KEYS[1], tat + interval, 'PX', ARGV[3])
return 0
"""


@dataclass(frozen=True)
class Rate:
    """``per_second`` messages a second on average, at most ``burst`` back to back."""

    per_second: float
    burst: int = 1

    @property
    def interval_us(self) -> int:
        return max(1, round(1_000_000 / self.per_second))


class RateLimiter(Protocol):
    """Reserve a slot under ``key``: returns 0.0 when taken, else the seconds to wait before trying again."""

    def try_acquire(self, key: str, rate: Rate) -> float: ...


class RedisRateLimiter:
    def __init__(self, connection: Redis, prefix: str = "vises:rate:") -> None:
        self._script = connection.register_script(_GCRA)
        self._prefix = prefix
        self._fallback = MemoryRateLimiter()
        self._unavailable = False

    def try_acquire(self, key: str, rate: Rate) -> float:
        allowance = rate.interval_us * (max(rate.burst, 1) - 1)
        ttl_ms = max(1000, (rate.interval_us * max(rate.burst, 1)) // 1000 + 1000)
        try:
            wait_us = int(self._script(keys=[self._prefix + key], args=[rate.interval_us, allowance, ttl_ms]))
        except RedisError as exc:
            if not self._unavailable:
                log.warning("rate limits: Redis unavailable (%s); pacing in this process", type(exc).__name__)
                self._unavailable = True
            return self._fallback.try_acquire(key, rate)
        if self._unavailable:
            log.info("rate limits: Redis is back; shared pacing again")
            self._unavailable = False
        return wait_us / 1_000_000


class MemoryRateLimiter:
    """The same algorithm for one process (the embedded default, where jobs run inline)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}

    def try_acquire(self, key: str, rate: Rate) -> float:
        interval = 1 / rate.per_second
        allowance = interval * (max(rate.burst, 1) - 1)
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat.get(key, now), now)
            if tat - allowance > now:
                return tat - allowance - now
            self._tat[key] = tat + interval
            return 0.0


def acquire(limiter: RateLimiter, key: str, rate: Rate, *, timeout: float = 60.0) -> None:
    """Block until a slot under ``key`` is taken; ``TimeoutError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        wait = limiter.try_acquire(key, rate)
        if wait <= 0:
            return
        if time.monotonic() + wait > deadline:
            raise TimeoutError(f"rate limit {key} still full after {timeout:.0f}s")
        time.sleep(wait)


def limiter_for(runtime: Runtime) -> RateLimiter:
    """The process's limiter: shared through Redis when configured, else in memory."""
    limiter = runtime.cache.get("rate_limiter")
    if limiter is None:
        limiter = RedisRateLimiter(runtime.redis) if runtime.redis is not None else MemoryRateLimiter()
        runtime.cache["rate_limiter"] = limiter
    return limiter
