"""What one conversation turn costs inside the web process: SQL statements, CPU and wall time per turn.

``python -m bench.turn_cost [--conversations 40] [--channels sms,telegram] [--profile]``

The same signed Twilio webhooks and Telegram updates as :mod:`bench.turns` (whole 12-message
conversations of the shipped questionnaire), posted one at a time through Flask's test client into the
app built in this process, against a throw-away PostgreSQL database and the fake providers. No HTTP
server and no concurrency: the figures are the turn's own, free of the load generator and of other work
on the machine, which makes them the quick A/B measure for a change (``bench.turns`` is the real one).
Turns are counted separately for opening messages (keyword or ``/start CODE``) and the eleven others.
``--profile`` adds cProfile's top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, event

from bench import data
from bench.load import Request
from bench.stack import Stack, write_result
from bench.turns import TELEGRAM_MPS, sms_script, telegram_script
from service import telegram_rates
from service.rate_limits import Rate
from service.web import create_app

WARM_UP = 3
"""Whole conversations per channel before measuring (imports, caches, the Bot's first connection)."""


class _Statements:
    """Counts the SQL statements every engine of this process sends."""

    def __init__(self) -> None:
        self.count = 0
        event.listen(Engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._seen)


def _conversations(script: Any, first: int, count: int) -> Iterator[tuple[int, Request]]:
    for number in range(first, first + count):
        yield from enumerate(script(number))


def _measure(client: Any, requests: Iterator[tuple[int, Request]], statements: _Statements) -> dict[str, Any]:
    totals = {
        kind: {"turns": 0, "statements": 0, "cpu_s": 0.0, "wall_s": 0.0} for kind in ("opening", "other")
    }
    for position, request in requests:
        before_statements = statements.count
        cpu, wall = time.process_time(), time.perf_counter()
        response = client.post(request.path, data=request.data, json=request.json, headers=request.headers)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if response.status_code != 200:
            raise RuntimeError(
                f"{request.path} answered {response.status_code}: {response.get_data()[:200]!r}"
            )
        bucket = totals["opening" if position == 0 else "other"]
        bucket["turns"] += 1
        bucket["statements"] += statements.count - before_statements
        bucket["cpu_s"] += cpu
        bucket["wall_s"] += wall
    figures: dict[str, Any] = {}
    for kind in ("opening", "other", "all"):
        picked = list(totals.values()) if kind == "all" else [totals[kind]]
        turns = sum(b["turns"] for b in picked)
        figures[kind] = {
            "turns": turns,
            "statements_per_turn": round(sum(b["statements"] for b in picked) / turns, 2),
            "cpu_ms_per_turn": round(1000 * sum(b["cpu_s"] for b in picked) / turns, 2),
            "wall_ms_per_turn": round(1000 * sum(b["wall_s"] for b in picked) / turns, 2),
        }
    return figures


def run(conversations: int, channels: list[str], *, profile: bool = False) -> dict[str, Any]:
    results: dict[str, Any] = {"conversations": conversations, "channels": {}}
    with Stack("turn_cost", extra_env={"VISES_TELEGRAM_MPS": TELEGRAM_MPS}) as stack:
        stack.web_port = 5000  # only names the URL Twilio "called" (the signature covers it); nothing listens
        runtime = stack.build_runtime()
        target = data.campaign(runtime, "bench-turn-cost", ["sms", "telegram", "web"], keyword="BENCH")
        stack.start_fakes()
        app = create_app(stack.settings())
        client = app.test_client()
        scripts = {
            "sms": sms_script(stack, target.keyword or "BENCH", 1_000_000),
            "telegram": telegram_script(target.code, 2_000_000),
        }
        # One respondent's twelve messages follow each other here within milliseconds: Telegram's per-chat
        # limit (1/s) would make the turns sleep, which is not the turn's cost. Raised for this process only.
        telegram_rates.PER_CHAT = Rate(1000, burst=3)
        statements = _Statements()
        try:
            for channel in channels:
                script = scripts[channel]
                _measure(client, _conversations(script, 0, WARM_UP), statements)
                profiler = cProfile.Profile() if profile else None
                if profiler is not None:
                    profiler.enable()
                figures = _measure(client, _conversations(script, WARM_UP, conversations), statements)
                if profiler is not None:
                    profiler.disable()
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
                    print(out.getvalue())
                results["channels"][channel] = figures
                for kind, values in figures.items():
                    print(
                        f"[turn_cost] {channel:<9} {kind:<8} {values['turns']:>5} turns  "
                        f"{values['statements_per_turn']:>5.2f} statements  {values['cpu_ms_per_turn']:>6.2f} ms CPU  "
                        f"{values['wall_ms_per_turn']:>6.2f} ms wall"
                    )
        finally:
            statements.close()
            app.extensions["vises"].dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--channels", default="sms,telegram")
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions by cumulative time")
    args = parser.parse_args()
    results = run(args.conversations, args.channels.split(","), profile=args.profile)
    write_result("turn_cost", results)
    print(json.dumps(results["channels"], indent=1))


if __name__ == "__main__":
    main()
