"""A closed-loop HTTP load generator: N simulated respondents, each sending its next message when answered.

Bounded in time and count: respondents start no request after ``duration`` (plus warm-up) or once
``max_requests`` were sent, and whatever is still in flight ``grace`` seconds later is cancelled. Only
requests that finish inside the measuring window (after the warm-up) count for the rate and latencies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.stack import percentile


@dataclass(frozen=True)
class Request:
    """One message of a respondent: a POST with a form (``data``) or a JSON body, and its headers."""

    path: str
    data: dict[str, str] | None = None
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Script = Callable[[int], Iterator[Request]]
"""Respondent number -> the requests of one respondent's whole conversation, in order."""


@dataclass
class LoadResult:
    concurrency: int
    window: float
    completed: int
    errors: int
    statuses: dict[str, int]
    latencies: list[float]
    conversations_finished: int
    opening: int = 0
    """Requests in the window that opened a conversation (the keyword or /start: the heaviest turn)."""

    @property
    def rate(self) -> float:
        return self.completed / self.window if self.window else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "seconds": round(self.window, 2),
            "requests": self.completed,
            "per_second": round(self.rate, 1),
            "errors": self.errors,
            "statuses": self.statuses,
            "p50_ms": round(percentile(self.latencies, 0.50) * 1000, 1),
            "p95_ms": round(percentile(self.latencies, 0.95) * 1000, 1),
            "p99_ms": round(percentile(self.latencies, 0.99) * 1000, 1),
            "conversations_finished": self.conversations_finished,
            "opening_share": round(self.opening / self.completed, 3) if self.completed else 0.0,
        }


async def _drive(
    base_url: str,
    script: Script,
    concurrency: int,
    duration: float,
    warmup: float,
    max_requests: int,
    grace: float,
    check: Callable[[int, bytes], bool] | None,
) -> LoadResult:
    began = time.perf_counter()
    window_start, stop_at = began + warmup, began + warmup + duration
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    counters = {"sent": 0, "errors": 0, "finished": 0, "respondent": 0, "opening": 0}
    timeout = aiohttp.ClientTimeout(total=120)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, force_close=False)

    async def respondent(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < stop_at and counters["sent"] < max_requests:
            number = counters["respondent"]
            counters["respondent"] += 1
            finished = True
            for position, request in enumerate(script(number)):
                if time.perf_counter() >= stop_at or counters["sent"] >= max_requests:
                    finished = False
                    break
                counters["sent"] += 1
                sent = time.perf_counter()
                try:
                    async with session.post(
                        base_url + request.path, data=request.data, json=request.json, headers=request.headers
                    ) as response:
                        body = await response.read()
                        status = response.status
                except (TimeoutError, aiohttp.ClientError) as exc:
                    status, body = 0, type(exc).__name__.encode()
                done = time.perf_counter()
                key = str(status)
                statuses[key] = statuses.get(key, 0) + 1
                good = status == 200 and (check is None or check(status, body))
                if not good:
                    counters["errors"] += 1
                if window_start <= done <= stop_at:
                    latencies.append(done - sent)
                    counters["opening"] += position == 0
                if not good:
                    finished = False
                    break
            if finished:
                counters["finished"] += 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks = [asyncio.create_task(respondent(session)) for _ in range(concurrency)]
        remaining = stop_at + grace - time.perf_counter()
        _, pending = await asyncio.wait(tasks, timeout=max(remaining, 1.0))
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    window = min(time.perf_counter(), stop_at) - window_start
    return LoadResult(
        concurrency=concurrency,
        window=window,
        completed=len(latencies),
        errors=counters["errors"],
        statuses=statuses,
        latencies=latencies,
        conversations_finished=counters["finished"],
        opening=counters["opening"],
    )


def run_load(
    base_url: str,
    script: Script,
    *,
    concurrency: int,
    duration: float,
    warmup: float = 3.0,
    max_requests: int = 200_000,
    grace: float = 30.0,
    check: Callable[[int, bytes], bool] | None = None,
) -> LoadResult:
    """Drive ``concurrency`` respondents against ``base_url`` for ``duration`` seconds after ``warmup``."""
    return asyncio.run(_drive(base_url, script, concurrency, duration, warmup, max_requests, grace, check))
