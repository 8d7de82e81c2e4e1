"""The stack a benchmark runs on: database, Redis, gunicorn, workers and fake providers, all stopped at the end.

:class:`Stack` is a context manager. Whatever it starts is registered on its exit stack, so a failure,
Ctrl-C or SIGTERM stops every process it started (by process group: each was started in a session of
its own) and drops the throw-away database. Nothing here touches a Redis database other than
:data:`REDIS_DB`.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import requests
from redis import Redis
from rq import Worker

from service.runtime import Runtime, build_runtime
from service.settings import Settings, load_settings
from tests.support.databases import throwaway_postgres
from tests.support.processes import descendants
from tests.support.redis_servers import free_port

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REDIS_DB = 7
POSTGRES_ADMIN = os.environ.get(
    "VISES_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
LOCK_KEY = "vises-bench:running"
"""Set while a benchmark owns Redis database 7 (it flushes it at start and end): one at a time."""
REDIS_BASE = os.environ.get("VISES_BENCH_REDIS_URL", "redis://127.0.0.1:6379")
LOGS_ENV = "VISES_BENCH_LOGS"
"""Names a folder the processes' ``*.log`` files are copied into when a stack ends (the smoke test scans them)."""

TWILIO_SID = "AC" + "b3" * 16
TWILIO_TOKEN = "bench-twilio-auth-token-0123456789"
TWILIO_FROM = "+32460000099"
TELEGRAM_TOKEN = "123456789:AAHbenchTokenForTheFakeBotApi_0123"
TELEGRAM_SECRET = "bench-webhook-secret_0123456789"
BIN = Path(sys.executable).parent


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _raise_interrupt(signum: int, frame: Any) -> None:  # noqa: ARG001 (signal handler signature)
    raise KeyboardInterrupt


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rss_kib(pid: int) -> dict[str, int]:
    """Resident memory of a process now (VmRSS) and at its peak (VmHWM), in KiB."""
    found: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return found


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in (
        "flask",
        "gunicorn",
        "sqlalchemy",
        "psycopg",
        "rq",
        "redis",
        "python-telegram-bot",
        "twilio",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    servers = {}
    with contextlib.suppress(Exception):
        servers["redis-server"] = Redis.from_url(f"{REDIS_BASE}/{REDIS_DB}").info("server")["redis_version"]
    with contextlib.suppress(Exception):
        import psycopg

        admin = POSTGRES_ADMIN.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, connect_timeout=5) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            servers["postgresql"] = str(row[0]).split()[0] if row else "?"
    memory_kib = 0
    with contextlib.suppress(OSError):
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "os": platform.platform(),
        "packages": versions,
        "servers": servers,
    }


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "date": now_iso(), "machine": machine(), **payload}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"[{name}] results written to {path.relative_to(ROOT)}")
    return path


def ratio(value: float, baseline: float) -> float:
    return round(value / baseline, 3) if baseline else 0.0


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


@dataclass
class Stack:
    """Everything one benchmark starts; use as a context manager."""

    name: str
    extra_env: Mapping[str, str] = field(default_factory=dict)
    exits: ExitStack = field(default_factory=ExitStack)
    processes: list[Process] = field(default_factory=list)
    database_url: str = ""
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="vises-bench-")))
    fakes: dict[str, str] = field(default_factory=dict)
    web_port: int = 0
    runtime: Runtime | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        signal.signal(signal.SIGTERM, _raise_interrupt)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < min(hard, 65536):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
        self.exits.__enter__()
        try:
            self._set_up()
        except BaseException:
            self.exits.close()  # __exit__ is not called when __enter__ fails
            raise
        return self

    def _set_up(self) -> None:
        self.exits.callback(self._remove_folder)
        redis = Redis.from_url(self.redis_url)
        holder = redis.get(LOCK_KEY)
        if holder is not None and _alive(int(holder.split(b":")[-1])):
            raise RuntimeError(
                f"another benchmark ({holder.decode()}) is using Redis database {REDIS_DB}: run one at a time"
            )
        redis.flushdb()  # database 7 only: the benchmarks' own
        redis.set(LOCK_KEY, f"{self.name}:{os.getpid()}", ex=7200)
        self.exits.callback(self._flush_redis)
        self.database_url = self.exits.enter_context(throwaway_postgres(POSTGRES_ADMIN))
        self.exits.callback(self._stop_all)

    def __exit__(self, *exc: object) -> None:
        if self.runtime is not None:
            self.runtime.dispose()
        self.exits.__exit__(*exc)  # type: ignore[arg-type]

    def _flush_redis(self) -> None:
        with contextlib.suppress(Exception):
            Redis.from_url(self.redis_url).flushdb()

    def _remove_folder(self) -> None:
        import shutil

        self.copy_logs()
        if os.environ.get("VISES_BENCH_KEEP_LOGS"):
            print(f"[{self.name}] logs kept in {self.folder}")
            return
        shutil.rmtree(self.folder, ignore_errors=True)

    def copy_logs(self) -> list[Path]:
        """Copy the processes' logs into a folder of ``LOGS_ENV`` (if set), for a test to scan for personal data.

        Called once every process has stopped, before the stack's own folder is removed; the copy's folder
        is named after the benchmark and the stack's folder, so several stacks of one run don't collide.
        """
        root = os.environ.get(LOGS_ENV)
        if not root:
            return []
        import shutil

        target = Path(root) / f"{self.name}-{self.folder.name}"
        target.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.copy2(log, target / log.name)) for log in sorted(self.folder.glob("*.log"))]

    def _stop_all(self) -> None:
        for process in reversed(self.processes):
            self.stop(process)

    # -- configuration ------------------------------------------------------------------------------------

    @property
    def redis_url(self) -> str:
        return f"{REDIS_BASE}/{REDIS_DB}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def env(self, **overrides: str) -> dict[str, str]:
        """The environment of every process of the stack (and of the settings built here)."""
        environ = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TWILIO_", "TELEGRAM_", "VISES_", "WEB_", "GUNICORN_"))
            and key not in ("DATABASE_URL", "REDIS_URL", "PORT", "HOST", "LOG_LEVEL")
        }
        environ.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            SECRET_KEY="bench-secret-key-0123456789abcdef",
            DATA_KEY="bench-data-key-0123456789abcdef",
            PUBLIC_BASE_URL=self.web_url if self.web_port else "http://127.0.0.1:5000",
            VISES_INSTANCE_PATH=str(self.folder / "instance"),
            PYTHONPATH=str(ROOT),
            TWILIO_ACCOUNT_SID=TWILIO_SID,
            TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
            TWILIO_FROM_NUMBER=TWILIO_FROM,
            TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
            TELEGRAM_BOT_USERNAME="vises_bench_bot",
            TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
        )
        if "twilio" in self.fakes:
            environ["TWILIO_API_BASE"] = self.fakes["twilio"]
        if "telegram" in self.fakes:
            environ["TELEGRAM_API_BASE"] = self.fakes["telegram"]
        environ.update(self.extra_env)
        environ.update(overrides)
        return environ

    def settings(self, **overrides: str) -> Settings:
        return load_settings(self.env(**overrides))

    def build_runtime(self, **overrides: str) -> Runtime:
        """A runtime in this process (for setting data up, and for in-process measurements)."""
        if self.runtime is not None:
            self.runtime.dispose()
        self.runtime = build_runtime(self.settings(**overrides))
        return self.runtime

    # -- processes ----------------------------------------------------------------------------------------

    def start(self, name: str, args: list[str], env: Mapping[str, str]) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("ab") as handle:
            popen = subprocess.Popen(
                args, cwd=ROOT, env=dict(env), stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def stop(self, process: Process, timeout: float = 20) -> None:
        """SIGTERM to the process's group (it was started in a session of its own), then SIGKILL."""
        if process.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.popen.wait(10)
        # Whatever the group left behind (a gunicorn worker, RQ's horse) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if process in self.processes:
            self.processes.remove(process)

    def start_fakes(self) -> dict[str, str]:
        """The fake Twilio and Telegram APIs, in a process of their own (so they don't share our GIL)."""
        process = self.start("fakes", [sys.executable, "-m", "bench.fakes"], self.env())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = process.log.read_text(errors="replace") if process.log.exists() else ""
            for line in text.splitlines():
                if line.startswith("{"):
                    self.fakes = json.loads(line)
                    return self.fakes
            if process.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"the fakes did not start:\n{process.tail()}")

    def fake_stats(self, which: str, reset: bool = False) -> dict[str, Any]:
        path = "/_bench/reset" if reset else "/_bench/stats"
        return requests.post(self.fakes[which] + path, timeout=30).json()  # type: ignore[no-any-return]

    def start_web(self, app: str = "bench.baseline_app:load()", **env: str) -> Process:
        """gunicorn with the Procfile's config (gthread, WEB_CONCURRENCY workers, WEB_THREADS threads)."""
        if not self.web_port:
            self.web_port = free_port()
        environ = self.env(HOST="127.0.0.1", PORT=str(self.web_port), **env)
        process = self.start(
            "web", [str(BIN / "gunicorn"), "--config", "python:service.web.gunicorn_conf", app], environ
        )
        deadline = time.monotonic() + 60
        workers = int(environ.get("WEB_CONCURRENCY", "2"))
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RuntimeError(f"gunicorn stopped:\n{process.tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.web_url + "/healthz", timeout=2).status_code == 200 and (
                    len(self.web_workers(process)) >= workers
                ):
                    return process
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer:\n{process.tail()}")

    def web_workers(self, process: Process) -> list[int]:
        return descendants(process.pid)

    def start_workers(self, count: int, *args: str, **env: str) -> list[Process]:
        """``vises worker`` processes (the Procfile's ``worker``), ready when registered with RQ."""
        redis = Redis.from_url(self.redis_url)
        before = {worker.name for worker in Worker.all(connection=redis)}
        started = [
            self.start(f"worker{index}", [str(BIN / "vises"), "worker", *args], self.env(**env))
            for index in range(count)
        ]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            names = {worker.name for worker in Worker.all(connection=redis)} - before
            if len(names) >= count:
                return started
            for process in started:
                if process.popen.poll() is not None:
                    raise RuntimeError(f"a worker stopped:\n{process.tail()}")
            time.sleep(0.02)
        raise RuntimeError("the workers did not register in time")


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as elapsed:`` ... ``elapsed[0]`` holds the seconds once the block ends."""
    box = [0.0]
    began = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - began


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
