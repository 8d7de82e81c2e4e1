"""Benchmark 5: the results page and a CSV export of a campaign of 100,000 conversations.

``python -m bench.results [--conversations 100000]``

The campaign (80% completed, 10% expired, 10% in progress, on three channels and two languages) is
loaded with SQL; its scores come from the core's pure scoring and its aggregates are summed the way the
scoring job sums them, then both are copied in. Each measurement runs in a process of its own, so its
peak resident memory (``ru_maxrss``) is its own:

* the page: ``GET /campaigns/<code>/results`` through the Flask app (signed-in owner), once to warm
  up, then timed (median of ``--repeat``); the SQL it runs is recorded;
* the page's SQL: those same statements and parameters, replayed on a raw psycopg connection;
* the export: ``vises export CODE --format csv -o FILE``, the command itself;
* the export's SQL: the statements the export runs (recorded the same way), replayed raw.

Ratio: raw SQL time / vises time (1.0 would mean vises adds nothing to its queries).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

from sqlalchemy import event, text

from bench import data
from bench.stack import BIN, ROOT, Stack, ratio, timed, write_result
from questionnaires.scoring import Tally
from questionnaires.scoring import score_conversation as score_answers
from service.aggregates import segments_of

PASSWORD = "bench correct horse battery staple"
EMAIL = "owner@bench.example.org"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- data ---------------------------------------------------------------------------------------------


class _Conversation:
    def __init__(self, channel: str, language: str) -> None:
        self.channel, self.language = channel, language


def _scores_and_aggregates(stack: Stack, target: data.BenchCampaign) -> int:
    """Score every completed conversation with the pure core; copy the scores and the summed tallies in."""
    runtime = stack.runtime
    assert runtime is not None
    answers: dict[int, dict[str, Any]] = {}
    meta: dict[int, _Conversation] = {}
    with runtime.engine.connect() as connection:
        for conversation_id, channel, language in connection.execute(
            text(
                "SELECT id, channel, language FROM conversations WHERE campaign_id = :c AND status = 'completed'"
            ),
            {"c": target.id},
        ):
            meta[conversation_id] = _Conversation(channel, language)
        for conversation_id, question_id, value in connection.execute(
            text(
                "SELECT a.conversation_id, a.question_id, a.value FROM answers a JOIN conversations c "
                "ON c.id = a.conversation_id WHERE c.campaign_id = :c AND c.status = 'completed'"
            ),
            {"c": target.id},
        ):
            answers.setdefault(conversation_id, {})[question_id] = (
                tuple(value) if isinstance(value, list) else value
            )
    rows = []
    now = datetime.now(UTC)
    tallies: dict[tuple[str, str], Tally] = {}
    for conversation_id, conversation in meta.items():
        scores = score_answers(target.questionnaire, answers.get(conversation_id, {}))
        for indicator_id, score in scores.items():
            rows.append((conversation_id, indicator_id, score.value, score.category, now))
            for segment in segments_of(conversation):  # type: ignore[arg-type]
                key = (indicator_id, segment)
                tallies[key] = tallies.get(key, Tally.empty()).add(score)
    data._copy(
        runtime, "scores", ["conversation_id", "indicator_id", "value", "category", "computed_at"], rows
    )
    with runtime.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE conversations SET scored_at = now() WHERE campaign_id = :c AND status = 'completed'"
            ),
            {"c": target.id},
        )
        for (indicator_id, segment), tally in tallies.items():
            connection.execute(
                text(
                    "INSERT INTO campaign_aggregates (campaign_id, indicator_id, segment, tally, updated_at) "
                    "VALUES (:c, :i, :s, CAST(:t AS jsonb), now())"
                ),
                {"c": target.id, "i": indicator_id, "s": segment, "t": json.dumps(tally.to_json())},
            )
        for table in ("scores", "campaign_aggregates", "conversations"):
            connection.execute(text(f"ANALYZE {table}"))
    return len(rows)


# --- children -----------------------------------------------------------------------------------------


def _record(engine: Any, captured: list[tuple[str, Any]]) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def record(*event_args: Any) -> None:
        _, _, statement, parameters, _, _ = event_args
        captured.append((statement, parameters))


def _child_page(args: dict[str, Any]) -> dict[str, Any]:
    from service.settings import load_settings
    from service.web import create_app

    app = create_app(load_settings())
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = _CSRF.search(page)
    assert token, "no CSRF token on the login page"
    answer = client.post("/login", data={"csrf_token": token.group(1), "email": EMAIL, "password": PASSWORD})
    assert answer.status_code in (302, 303), f"login failed: {answer.status_code}"
    url = f"/campaigns/{args['code']}/results"
    first = time.perf_counter()
    response = client.get(url)
    warm = time.perf_counter() - first
    assert response.status_code == 200, f"{url}: {response.status_code}"
    size = len(response.get_data())
    captured: list[tuple[str, Any]] = []
    _record(app.extensions["vises"].engine, captured)
    times = []
    for index in range(args["repeat"]):
        if index == 1:
            captured.clear()  # keep exactly one request's statements
        began = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200
        if index == 0:
            statements = list(captured)
    Path(args["capture"]).write_bytes(pickle.dumps(statements))
    return {
        "first_s": warm,
        "times_s": times,
        "bytes": size,
        "statements": len(statements),
        "self_peak_rss_kib": _hwm_kib(os.getpid()),
    }


def _child_export_capture(args: dict[str, Any]) -> dict[str, Any]:
    """Record the statements ``vises export`` runs, by running the export's own code once."""
    from service.cli import main as cli_main
    from service.runtime import build_runtime

    captured: list[tuple[str, Any]] = []
    original = build_runtime

    def recording(*a: Any, **k: Any) -> Any:
        runtime = original(*a, **k)
        _record(runtime.engine, captured)
        return runtime

    import service.cli.base as cli_base

    cli_base.build_runtime = recording  # type: ignore[assignment]
    try:
        cli_main(["export", args["code"], "--format", "csv", "-o", args["output"]])
    except SystemExit as stop:
        if stop.code:
            raise
    selects = [(s, p) for s, p in captured if s.lstrip().upper().startswith("SELECT")]
    Path(args["capture"]).write_bytes(pickle.dumps(selects))
    return {"statements": len(selects)}


CHILDREN = {"page": _child_page, "export-capture": _child_export_capture}


def _run_child(stack: Stack, mode: str, args: dict[str, Any]) -> dict[str, Any]:
    if mode == "sql":
        return _measured(
            stack, [sys.executable, "-m", "bench.sql_replay", args["capture"], str(args["repeat"])]
        )
    command = [sys.executable, "-m", "bench.results", "--child", mode, json.dumps(args)]
    return _measured(stack, command)


def _hwm_kib(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM of its own address space), in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _measured(stack: Stack, command: list[str]) -> dict[str, Any]:
    """Run a command to the end: its wall time, its peak resident memory (KiB) and its last JSON line.

    The peak is VmHWM read every 20 ms while it runs (wait4's ru_maxrss would not do: Linux carries the
    parent's high-water mark over into a child that execs, and this process holds the benchmark's data).
    """
    log = stack.folder / "child.log"
    out = stack.folder / "child.out"
    began = time.perf_counter()
    peak = 0
    with log.open("ab") as errors, out.open("wb") as handle:
        process = subprocess.Popen(command, cwd=ROOT, env=stack.env(), stdout=handle, stderr=errors)
        try:
            while process.poll() is None:
                peak = max(peak, _hwm_kib(process.pid))
                time.sleep(0.02)
        except BaseException:
            process.kill()
            process.wait(10)
            raise
    wall = time.perf_counter() - began
    if process.returncode:
        raise RuntimeError(f"{command[1:5]} failed:\n{log.read_text(errors='replace')[-3000:]}")
    result: dict[str, Any] = {}
    for line in out.read_text().splitlines():
        if line.startswith("{"):
            result = json.loads(line)
    result["wall_s"] = wall
    result["peak_rss_kib"] = max(peak, int(result.get("self_peak_rss_kib", 0)))
    return result


def run(count: int, repeat: int) -> dict[str, Any]:
    with Stack("results") as stack:
        runtime = stack.build_runtime(REDIS_URL="")
        target = data.campaign(runtime, "bench-results", ["sms", "telegram", "web"])
        from service.accounts import create_user
        from service.models import Organization

        with runtime.transaction() as session:
            create_user(session, session.get_one(Organization, target.organization_id), EMAIL, PASSWORD)
        with timed() as loading:
            data.completed_conversations(runtime, target, count, all_completed=False)
            scores = _scores_and_aggregates(stack, target)
        print(f"[results] {count} conversations, {scores} scores loaded in {loading[0]:.1f}s")

        capture = stack.folder / "page.pickle"
        page = _run_child(stack, "page", {"code": target.code, "repeat": repeat, "capture": str(capture)})
        page_sql = _run_child(stack, "sql", {"capture": str(capture), "repeat": repeat})
        page_time, page_sql_time = median(page["times_s"]), median(page_sql["times_s"])
        print(
            f"[results] page: {page_time * 1000:.0f} ms (first {page['first_s'] * 1000:.0f} ms), "
            f"{page['statements']} statements, {page['bytes'] // 1024} KiB, peak {page['peak_rss_kib'] // 1024} MiB; "
            f"its SQL alone {page_sql_time * 1000:.0f} ms, peak {page_sql['peak_rss_kib'] // 1024} MiB"
        )

        output = stack.folder / "export.csv"
        export = _measured(
            stack, [str(BIN / "vises"), "export", target.code, "--format", "csv", "-o", str(output)]
        )
        rows = sum(1 for _ in output.open(encoding="utf-8")) - 1
        export_capture = stack.folder / "export.pickle"
        _run_child(
            stack,
            "export-capture",
            {"code": target.code, "output": str(stack.folder / "again.csv"), "capture": str(export_capture)},
        )
        export_sql = _run_child(stack, "sql", {"capture": str(export_capture), "repeat": 1})
        export_sql_time = median(export_sql["times_s"])
        print(
            f"[results] export: {rows} rows in {export['wall_s']:.2f}s (the whole command), "
            f"peak {export['peak_rss_kib'] // 1024} MiB, {output.stat().st_size // 1024 // 1024} MiB; "
            f"its {export_sql['statements']} SELECTs alone {export_sql_time:.2f}s, peak "
            f"{export_sql['peak_rss_kib'] // 1024} MiB"
        )
        result = {
            "conversations": count,
            "page": {
                "seconds": round(page_time, 4),
                "first_seconds": round(page["first_s"], 4),
                "statements": page["statements"],
                "bytes": page["bytes"],
                "peak_rss_kib": page["peak_rss_kib"],
            },
            "page_sql": {
                "seconds": round(page_sql_time, 4),
                "statements": page_sql["statements"],
                "slowest": page_sql.get("slowest", []),
                "peak_rss_kib": page_sql["peak_rss_kib"],
            },
            "export": {
                "seconds": round(export["wall_s"], 3),
                "rows": rows,
                "bytes": output.stat().st_size,
                "peak_rss_kib": export["peak_rss_kib"],
            },
            "export_sql": {
                "seconds": round(export_sql_time, 3),
                "slowest": export_sql.get("slowest", []),
                "statements": export_sql["statements"],
                "rows": export_sql["rows"],
                "peak_rss_kib": export_sql["peak_rss_kib"],
            },
        }
        result["page"]["ratio"] = ratio(page_sql_time, page_time)
        result["export"]["ratio"] = ratio(export_sql_time, export["wall_s"])
        print(
            f"[results] ratios (SQL alone / vises): page {result['page']['ratio']}, export {result['export']['ratio']}"
        )
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, payload = args.child
        found = CHILDREN[mode](json.loads(payload))
        print(json.dumps(found, default=str))
        return
    write_result("results", run(args.conversations, args.repeat))


if __name__ == "__main__":
    main()
