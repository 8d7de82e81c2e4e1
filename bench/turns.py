"""Benchmark 1: conversation turns through signed Twilio webhooks and Telegram webhooks.

``python -m bench.turns [--concurrency 100,1000] [--duration 15]``

Simulated respondents answer the shipped beneficiaries questionnaire from start to thanks (12 messages
each: the keyword or ``/start CODE``, consent, ten answers; a respondent who finishes starts again as a
new person), closed loop: each sends its next message as soon as the previous one is answered.
Baseline: ``POST /bench/insert`` in the same gunicorn (``bench/baseline_app.py``), a bare Flask
endpoint doing one INSERT, driven by the same generator with the same signed Twilio form.

Telegram replies go through the Bot to the fake Bot API. Telegram's limits are enforced as in
production, but the bot-wide one is raised (``VISES_TELEGRAM_MPS``, like a paid-broadcast bot) so
that the stack is measured, not Telegram's 30 messages a second; the per-chat limit (1/s, bursts of 3)
stays, which is what bounds a closed-loop respondent who answers instantly.
"""

from __future__ import annotations

import argparse
import itertools
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from bench import data
from bench.baseline_app import CREATE_TABLE
from bench.load import Request, run_load
from bench.profiling import Profiler, print_summary
from bench.stack import (
    TELEGRAM_SECRET,
    TWILIO_FROM,
    TWILIO_SID,
    TWILIO_TOKEN,
    Stack,
    ratio,
    rss_kib,
    write_result,
)
from bots.sms import SIGNATURE_HEADER, sign
from service.models import Answer, Conversation

SMS_PATH = "/webhooks/twilio/sms"
TELEGRAM_PATH = "/webhooks/telegram"
BASELINE_PATH = "/bench/insert"
ANSWERS = ["OUI"] + ["1"] * 10
"""Consent, then "1" to every question: a valid answer to each (first choice, yes, 1 on the scales, text "1")."""
TELEGRAM_MPS = "1000"
_update_ids = itertools.count(900_000_000)


def _sms(stack: Stack, path: str, phone: str, body: str) -> Request:
    form = {
        "AccountSid": TWILIO_SID,
        "ApiVersion": "2010-04-01",
        "MessageSid": "SM" + secrets.token_hex(16),
        "SmsMessageSid": "",
        "From": phone,
        "To": TWILIO_FROM,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
    }
    form["SmsMessageSid"] = form["MessageSid"]
    signature = sign(TWILIO_TOKEN, stack.web_url + path, form.items())
    return Request(path, data=form, headers={SIGNATURE_HEADER: signature})


def sms_script(stack: Stack, keyword: str, offset: int, path: str = SMS_PATH) -> Any:
    def script(number: int) -> Iterator[Request]:
        phone = data.RESPONDENT_PHONE.format(offset + number)
        for body in [keyword, *ANSWERS]:
            yield _sms(stack, path, phone, body)

    return script


def telegram_script(code: str, offset: int) -> Any:
    def script(number: int) -> Iterator[Request]:
        chat_id = data.FIRST_CHAT_ID + offset + number
        user = {"id": chat_id, "is_bot": False, "first_name": "Bench", "language_code": "fr"}
        chat = {"id": chat_id, "first_name": "Bench", "type": "private"}
        start = f"/start {code}"
        for message_id, body in enumerate([start, *ANSWERS], start=1):
            message: dict[str, Any] = {
                "message_id": message_id,
                "from": user,
                "chat": chat,
                "date": int(time.time()),
                "text": body,
            }
            if body.startswith("/"):
                message["entities"] = [{"offset": 0, "length": 6, "type": "bot_command"}]
            yield Request(
                TELEGRAM_PATH,
                json={"update_id": next(_update_ids), "message": message},
                headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
            )

    return script


def _twiml(status: int, body: bytes) -> bool:
    return status == 200 and (body.startswith(b"<?xml") or body.startswith(b"<Response"))


def _counts(stack: Stack) -> dict[str, Any]:
    assert stack.runtime is not None
    with stack.runtime.transaction() as session:
        rows = session.execute(
            select(Conversation.channel, Conversation.status, func.count()).group_by(
                Conversation.channel, Conversation.status
            )
        ).all()
        answers = session.scalar(select(func.count()).select_from(Answer))
    return {"conversations": {f"{c}:{s}": n for c, s, n in rows}, "answers": answers}


def run(
    concurrencies: list[int], duration: float, warmup: float, channels: list[str], *, profile: bool = False
) -> dict[str, Any]:
    results: dict[str, Any] = {"runs": [], "settings": {}}
    with Stack("turns", extra_env={"VISES_TELEGRAM_MPS": TELEGRAM_MPS}) as stack:
        runtime = stack.build_runtime()
        target = data.campaign(runtime, "bench-turns", ["sms", "telegram", "web"], keyword="BENCH")
        with runtime.engine.begin() as connection:
            connection.exec_driver_sql(CREATE_TABLE)
        stack.start_fakes()
        web = stack.start_web()
        workers = stack.web_workers(web)
        idle = {str(pid): rss_kib(pid) for pid in workers}
        env = stack.env()
        results["settings"] = {
            "WEB_CONCURRENCY": env.get("WEB_CONCURRENCY", "2 (default)"),
            "WEB_THREADS": env.get("WEB_THREADS", "4 (default)"),
            "VISES_TELEGRAM_MPS": TELEGRAM_MPS,
            "duration_s": duration,
            "warmup_s": warmup,
            "questionnaire": data.QUESTIONNAIRE,
            "messages_per_conversation": 1 + len(ANSWERS),
        }
        print(f"[turns] gunicorn on {stack.web_url}, workers {workers}; campaign {target.code}")
        offset = 0
        for concurrency in concurrencies:
            runs: dict[str, Any] = {}
            plans = [("baseline", sms_script(stack, "PING", offset, BASELINE_PATH), None)]
            if "sms" in channels:
                plans.append(
                    ("sms", sms_script(stack, target.keyword or "BENCH", offset + 1_000_000), _twiml)
                )
            if "telegram" in channels:
                plans.append(("telegram", telegram_script(target.code, offset + 2_000_000), None))
            for name, script, check in plans:
                before = stack.fake_stats("telegram") if name == "telegram" else None
                profiled = profile and name != "baseline" and concurrency == concurrencies[0]
                with Profiler(workers if profiled else [], f"turns-{name}-c{concurrency}") as profiler:
                    result = run_load(
                        stack.web_url,
                        script,
                        concurrency=concurrency,
                        duration=duration,
                        # 1,000 respondents need longer before their first answers come back.
                        warmup=max(warmup, concurrency / 100),
                        check=check,
                    )
                summary = result.summary()
                if profiler.summary:
                    results.setdefault("profiles", {})[f"{name}-c{concurrency}"] = profiler.summary
                    print_summary(profiler.summary, prefix=f"[turns] {name} profile")
                if before is not None:
                    summary["telegram_api"] = stack.fake_stats("telegram")["calls"]
                runs[name] = summary
                print(
                    f"[turns] c={concurrency:<5} {name:<9} {summary['per_second']:>8.1f}/s "
                    f"p50 {summary['p50_ms']:>7.1f} ms  p95 {summary['p95_ms']:>7.1f} ms  "
                    f"p99 {summary['p99_ms']:>7.1f} ms  errors {summary['errors']}  "
                    f"finished {summary['conversations_finished']}"
                )
                time.sleep(1)
            offset += 100_000
            base = runs["baseline"]["per_second"]
            for name in ("sms", "telegram"):
                if name in runs:
                    runs[name]["ratio"] = ratio(runs[name]["per_second"], base)
                    print(f"[turns] c={concurrency:<5} {name:<9} ratio to baseline {runs[name]['ratio']:.3f}")
            results["runs"].append({"concurrency": concurrency, **runs})
        results["stored"] = _counts(stack)
        results["memory_kib"] = {
            "gunicorn_workers_idle": idle,
            "gunicorn_workers_after": {str(pid): rss_kib(pid) for pid in workers},
        }
        results["target"] = {"ratio": 0.6}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", default="100,1000")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--channels", default="sms,telegram")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy on the gunicorn workers (first concurrency)"
    )
    args = parser.parse_args()
    results = run(
        [int(c) for c in args.concurrency.split(",")],
        args.duration,
        args.warmup,
        args.channels.split(","),
        profile=args.profile,
    )
    write_result("turns", results)
    print(json.dumps({"stored": results["stored"]}, indent=1))


if __name__ == "__main__":
    main()
