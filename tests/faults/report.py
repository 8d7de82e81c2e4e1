"""Render ``docs/reliability.md`` from the counts the fault tests wrote to ``tests/artifacts/faults/*.json``.

Run the campaign, then this script (from the repository root)::

    pytest tests/faults
    python -m tests.faults.report            # writes docs/reliability.md
    python -m tests.faults.report --check    # exits 1 if a test failed, was skipped, or lost an answer

Only the newest session's records are used (each record names its session): a test that did not run
in it is listed as missing rather than reported with old numbers.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from tests.faults.tally import ARTIFACTS

ROOT = Path(__file__).parents[2]
OUTPUT = ROOT / "docs" / "reliability.md"
TOTALS = (
    ("inputs", "inputs tried (requests sent, generated inputs)"),
    ("duplicates", "duplicate deliveries (copies of a request already sent)"),
    ("races", "races of two replies from one person"),
    ("kills", "worker processes SIGKILLed"),
    ("restarts", "restarts after a fault (workers, Redis)"),
    ("outages", "Redis or PostgreSQL outages"),
    ("refused", "requests answered 503 during an outage (then delivered again)"),
    ("answers_acknowledged", "answers acknowledged to a respondent"),
    ("answers_stored", "of which stored"),
    ("answers_lost", "answers lost"),
    ("invitations", "invitations to send"),
    ("sent_at_provider", "messages accepted by the (fake) provider"),
    ("reconciled", "sends found at the provider after a kill, recorded without sending again"),
    ("conversations_scored", "completions scored by workers killed mid-scoring (each counted once)"),
    ("scoring_jobs_offered_by_sweep", "scoring jobs the sweep offered again after a kill"),
)
AREAS = (
    "Duplicate webhooks",
    "Racing replies",
    "Workers killed",
    "Redis outage",
    "PostgreSQL outage",
    "Fuzzing the core",
    "Fuzzing the webhooks",
    "API against its OpenAPI document",
)
INTRO = """\
# Reliability: the fault campaign

What `tests/faults/` does to vises, and what came out, from the last run of the campaign (issue 9). Every
test is part of `.ci/run`; this page is rendered by `python -m tests.faults.report` from the counts the
tests write to `tests/artifacts/faults/`. The rules under test are those of `DESIGN.md`, "Data that must
never be lost or leaked": an answer acknowledged to the respondent is in the database whatever happens
to Redis or a worker after; a webhook delivered twice, or two replies racing, store one answer and advance
once.

## What each part of the campaign does

- **Duplicate webhooks** (`test_duplicate_webhooks.py`): every step of a conversation by SMS (signed
  Twilio webhooks), Telegram (updates with the secret header) and the web form (with its cookies and
  CSRF token), and Twilio status callbacks, each sent as a burst of 8 concurrent copies to a threaded
  HTTP server on PostgreSQL, then once more, late. One ledger row, one answer and one reply per message.
- **Racing replies** (`test_racing_replies.py`): two different replies of one person at once (seeded
  choices, valid for one question and not the next), on SMS, Telegram (texts and two taps on one
  keyboard) and the web form (one question open in two tabs). Each message stores at most one answer,
  on consecutive questions, the conversation moves on by exactly that many, and each SMS reply asks the
  question that follows what was stored, or asks again; never silence.
- **Workers killed** (`test_worker_kills.py`): real `vises worker` processes (RQ's SimpleWorker, and
  the forking Worker in one run) on a private redis-server and the test database, sending through the
  Twilio SDK to the fake Twilio (slowed a little so kills land mid-call): SIGKILLed a random moment after
  taking the launch job, then after a random number of messages, then a last worker and the periodic
  sweep run until all is settled. Every contact gets exactly one message at the provider. And
  (`test_scoring_kills.py`) a `vises worker --queue scoring` SIGKILLed two or three times, at random
  moments, while it scores a backlog of 3,000 completions in batches, then a last worker and the sweep:
  every completion is scored once, one score per indicator, and the campaign's aggregates are what
  `rescore_campaign` recomputes from the stored answers.
- **Redis outage** (`test_redis_outage.py`): a launch queued, conversations answered on the web, by SMS
  and Telegram; Redis stopped mid-campaign (turns go on), started again empty; the sweep re-enqueues
  the lost sends and scoring jobs and a real `vises worker --burst` does them.
- **PostgreSQL outage** (`test_database_outage.py`): the app reaches the database through a TCP proxy
  of the test's own, cut and restored (alone, and at random moments during bursts of answers), or the
  test database's backends are terminated with `pg_terminate_backend` (that database only). During the
  outage webhooks get 503 with Retry-After and people a 503 page; afterwards everything works without
  a restart, and every redelivered message is stored once.
- **Fuzzing the core** (`test_fuzz_core.py`, hypothesis): the reply parser on every question type with
  any text (unicode, controls, 100,000-character pastes); the definition loader on random YAML, random
  data, mutated shipped definitions and alias bombs; the XLSForm importer on generated workbooks and
  the shared forms mutated cell by cell.
- **Fuzzing the webhooks** (`test_fuzz_webhooks.py`, hypothesis): random and malformed form bodies,
  JSON, raw bytes, odd content types and signatures to the Twilio, Telegram and web-form endpoints while
  conversations are in progress. No 5xx, no exception logged, nothing stored by a rejected request, and
  every stored answer valid for its question.
- **API against its OpenAPI document** (`test_api_schema.py`, schemathesis): valid and invalid requests
  for every operation of `/api/v1/openapi.json`, in process, with a live bearer token: no 5xx, and
  status codes, content types and bodies as documented.
"""


FINDINGS = """\
## What the campaign found, and what was fixed

Each fix has a regression test; the campaign's own tests would fail again without it.

1. **A launch whose worker died, or whose job was lost with Redis, was never resumed**: nobody on the
   list was invited (found by the first kill during a launch). Launch jobs now have a stable id
   (`launch-<id>`, `service/launches.py`) and the sweep offers every launch not finished a minute after
   it was requested (`service/sweep.py`); running a launch again only creates and queues what is missing.
   Regression: `test_a_launch_whose_job_was_lost_with_redis_is_taken_up_by_the_sweep`, and the kill runs.
2. **A job whose worker was killed held its row for up to ten minutes**: RQ keeps such a job "started"
   until its heartbeat expires (90 s) and its registry maintenance runs (every 10 minutes), and the sweep
   treated it as live. A started job is now live only while its worker is: registered, not dead, and on
   this machine with its process still there (`service/dispatch.py`). Regression:
   `test_a_job_left_started_by_a_dead_worker_is_offered_again`.
3. **Telegram replies were dropped while Redis was down**: the shared rate limiter raised, so a person's
   answer was stored but their next question never sent. The limiter now paces in the process until Redis
   answers again (`service/rate_limits.py`). Regression: the Redis outage test's Telegram turn, and
   `test_rate_limits_are_kept_in_this_process_while_redis_is_down`.
4. **A database outage was a 500 with a traceback on pages and the API** (the webhooks already answered
   503). The app now answers any outage 503 with Retry-After: the usual error page for people, JSON for
   the API (`service/web/errors.py`). Regression: `test_a_cut_database_is_answered_503_everywhere_then_recovers_without_a_restart`.
5. **A Telegram update whose chat id was not a number became an identity**, then failed the reply (found
   by fuzzing: PTB's `de_json` does not check types). Updates whose ids or texts have the wrong type are
   now ignored as malformed (`bots/telegram/updates.py`). Regression:
   `test_an_update_whose_chat_id_is_not_a_number_is_ignored`.
6. **A status callback with an ErrorCode longer than 32 characters, or a MessageSid longer than 64,
   failed with 500 on PostgreSQL** (found by fuzzing). The code is cut to its column's length, and a
   provider id longer than any we store is not ours (`service/delivery_status.py`). Regression:
   `test_a_status_callback_with_an_overlong_field_is_answered_200`.
7. **The XLSForm importer raised `KeyError('en')` on a form without a single label** (found by fuzzing)
   instead of reporting it (`questionnaires/xlsform.py`). Regression:
   `test_a_form_without_any_text_is_reported_not_raised`.
8. **The API's OpenAPI document did not describe the contacts upload's field errors** (a 422 with
   `errors` by field, documented as a list of bad lines only; found by schemathesis). The 422 is now
   either shape (`service/web/api/openapi.py`). Regression:
   `test_a_contacts_upload_refused_for_its_channel_matches_the_document`.

## What remains

- **An answer committed as the database link breaks** is stored, but the app can't know it was and
  answers 503; Twilio's redelivery is then a duplicate, answered with an empty reply. Nothing is lost,
  but that person gets no next question until they write again (then they get it). The burst-cut test
  counts these (see its notes); a provider retry after a 503 would need its own ledger state to replay
  the reply, which we judged not worth it for a window of milliseconds.
- **A worker killed on another machine** is noticed when its RQ registration expires (about 90 s after
  its last heartbeat) rather than at once: the process check only works on the machine that runs it.
- **Lost work waits for the sweep**: a queued row or a launch is offered again only once it is a minute
  old (the grace period that lets its creator enqueue it), at the next sweep (`VISES_SWEEP_SECONDS`,
  120 s by default). The kill and Redis tests run the sweep "two minutes later" with time travel rather
  than waiting.
- While Redis is down, each web process paces Telegram on its own, so the bot's overall rate can exceed
  30 messages a second with several processes; Telegram then answers 429, which is honoured.
"""


def _records() -> tuple[list[dict[str, Any]], str]:
    records = [json.loads(path.read_text()) for path in sorted(ARTIFACTS.glob("*.json"))]
    if not records:
        raise SystemExit(f"no records in {ARTIFACTS}: run pytest tests/faults first")
    session = max(record.get("session", "") for record in records)
    return [record for record in records if record.get("session", "") == session], session


def _versions() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, commit {commit} (+ working tree)"


def _test_name(record: dict[str, Any]) -> str:
    return str(record["test"]).split("::", 1)[-1]


def render(records: list[dict[str, Any]], session: str) -> str:
    totals: Counter[str] = Counter()
    by_area: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        totals.update(record["counts"])
        by_area[record["area"]].append(record)
    outcomes = Counter(record["outcome"] for record in records)
    databases = sorted({record["database"] for record in records})
    seconds = sum(record["seconds"] for record in records)
    lines = [INTRO, FINDINGS, "## This run", ""]
    lines.append(
        f"Session {session}, {len(records)} tests ({', '.join(f'{n} {o}' for o, n in sorted(outcomes.items()))}), "
        f"{seconds:.0f} s of test time, database: {', '.join(databases)}; {_versions()}."
    )
    lines += ["", "| | count |", "| --- | ---: |"]
    for key, label in TOTALS:
        lines.append(f"| {label} | {totals.get(key, 0):,} |")
    for area in [*AREAS, *sorted(set(by_area) - set(AREAS))]:
        found = by_area.get(area)
        lines += ["", f"### {area}", ""]
        if not found:
            lines.append("_Not run in this session._")
            continue
        lines += ["| test | outcome | s | counts |", "| --- | --- | ---: | --- |"]
        notes: list[str] = []
        for record in sorted(found, key=_test_name):
            counts = ", ".join(f"{key} {value:,}" for key, value in record["counts"].items() if value)
            lines.append(
                f"| `{_test_name(record)}` | {record['outcome']} | {record['seconds']:.1f} | {counts} |"
            )
            notes += record["notes"]
        if notes:
            lines.append("")
            lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail unless every test passed and lost nothing")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    records, session = _records()
    if args.check:
        bad = [r["test"] for r in records if r["outcome"] != "passed" or r["counts"].get("answers_lost", 0)]
        for test in bad:
            print(f"not passed, or lost answers: {test}", file=sys.stderr)
        return 1 if bad else 0
    args.output.write_text(render(records, session))
    print(f"wrote {args.output} from {len(records)} records of session {session}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
