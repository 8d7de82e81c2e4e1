"""Each benchmark script runs end to end at a tiny size and leaves nothing running (not a timing test).

The figures are not checked: on a shared machine they mean nothing at this size. What is checked is that
each script starts its stack, measures, writes its JSON with the fields the report reads, stops every
process it started, and that no log of those processes (nor the script's own output) carries a phone
number, chat id or free-text answer of the benchmark's respondents (``tests/bench/logs.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bench.stack import LOGS_ENV
from tests.bench.logs import PER_SERIES, scan_copies
from tests.support.databases import postgres_admin_url, services_required

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def _services() -> dict[str, str]:
    admin = postgres_admin_url()
    redis_url = "redis://127.0.0.1:6379/7"
    try:
        Redis.from_url(redis_url, socket_connect_timeout=1).ping()
    except RedisConnectionError:
        admin = None
    if admin is None:
        if services_required():
            pytest.fail("the benchmarks need PostgreSQL and Redis on 127.0.0.1")
        pytest.skip("the benchmarks need PostgreSQL and Redis on 127.0.0.1")
    return {"VISES_BENCH_POSTGRES_URL": admin}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """The scripts write into bench/results: keep what a real run left there, and put it back after."""
    folder = ROOT / "bench" / "results"
    kept = tmp_path / "kept"
    if folder.exists():
        shutil.copytree(folder, kept)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
    if kept.exists():
        shutil.copytree(kept, folder)


def _run(logs: Path, *args: str, timeout: float = 600) -> dict[str, Any]:
    """Run a benchmark, its processes' logs copied into ``logs/<name>``, and fail if any carries personal data."""
    name = args[0].removeprefix("bench.")
    kept = logs / name
    env = {**os.environ, **_services(), LOGS_ENV: str(kept)}
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    kept.mkdir(parents=True, exist_ok=True)
    (kept / "script.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    scan_copies(kept)
    return json.loads((ROOT / "bench" / "results" / f"{name}.json").read_text())  # type: ignore[no-any-return]


def _no_leftovers() -> None:
    """No process of ours still runs from the repository (gunicorn, workers, the fakes)."""
    mine = str(os.getpid())
    found = subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True, check=True).stdout
    leftovers = [
        line
        for line in found.splitlines()
        if ("bench.baseline_app" in line or "bench.fakes" in line or "vises-bench-" in line)
        and mine not in line
    ]
    assert leftovers == []


@pytest.mark.timeout(1800)
def test_every_benchmark_runs_at_a_tiny_size(results: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    turns = _run(logs, "bench.turns", "--concurrency", "5", "--duration", "2", "--warmup", "1")
    assert turns["runs"][0]["baseline"]["requests"] > 0
    assert turns["runs"][0]["sms"]["errors"] == 0
    assert turns["stored"]["answers"] > 0
    _within_registered_series(turns)
    launch = _run(logs, "bench.launch", "--contacts", "300")
    assert launch["launch"]["jobs"] == 300
    delivery = _run(logs, "bench.delivery", "--messages", "100", "--limited", "20", "--mps", "10")
    assert delivery["delivery"]["rows"] == {"sent": 100}
    assert delivery["rate_limit"]["messages"] == 20
    scoring = _run(logs, "bench.scoring", "--conversations", "100", "--limit", "120")
    assert scoring["scoring"]["scored"] == 100
    page = _run(logs, "bench.results", "--conversations", "200", "--repeat", "1")
    assert page["export"]["rows"] == 200
    memory = _run(logs, "bench.memory")
    assert memory["gunicorn_worker"]["after_rss_mib"] > 0
    assert memory["rq_worker"]["after_rss_mib"] > 0
    _run_report()
    _no_leftovers()
    kept = {log.name for log in logs.rglob("*.log")}
    assert {"script.log", "fakes.log", "web.log", "worker0.log", "child.log"} <= kept


def _within_registered_series(turns: dict[str, Any]) -> None:
    """Each load of bench.turns numbered fewer respondents than the scan registered (the contacts are 300)."""
    messages = turns["settings"]["messages_per_conversation"]
    for run in turns["runs"]:
        for name in ("baseline", "sms", "telegram"):
            sent = sum(run[name]["statuses"].values())
            # A respondent sends all its messages unless one fails or time runs out (one per connection).
            assert sent // messages + run[name]["errors"] + run["concurrency"] < PER_SERIES


def _run_report() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from bench import report; report.DOC = report.RESULTS / 'performance.md'; report.write()",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| benchmark |" in (ROOT / "bench" / "results" / "performance.md").read_text()
