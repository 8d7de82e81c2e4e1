"""The README's first command: ``vises serve`` with nothing configured runs on SQLite with inline jobs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.processes import stop, vises_command, wait_until

# Everything an operator could have set: the first run has none of it.
CONFIGURATION = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DATA_KEY", "PUBLIC_BASE_URL", "HOST", "PORT")
CONFIGURATION_PREFIXES = ("VISES_", "TWILIO_", "TELEGRAM_", "WEB_", "GUNICORN_", "LOG_")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health(url: str) -> dict[str, Any] | None:
    """The health answer, or None while the server is not listening yet."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]
    except (ConnectionError, urllib.error.URLError, TimeoutError):
        return None


def test_vises_serve_starts_on_sqlite_with_inline_jobs_and_no_configuration(tmp_path: Path) -> None:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in CONFIGURATION and not key.startswith(CONFIGURATION_PREFIXES)
    }
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*vises_command(), "serve", "--port", str(port)],
            cwd=tmp_path,
            env=environ,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        answers: list[dict[str, Any]] = []

        def healthy() -> bool:
            assert process.poll() is None, f"vises serve exited:\n{log.read_text()}"
            answer = health(f"http://127.0.0.1:{port}/healthz")
            if answer is not None:
                answers.append(answer)
            return answer is not None

        wait_until(healthy, 90, "vises serve to answer /healthz")
    finally:
        status = stop(process)
    answer = answers[-1]
    assert answer["status"] == "ok"
    assert answer["database"]["backend"] == "sqlite" and answer["database"]["migrated"] is True
    assert answer["jobs"] == "inline" and answer["redis"]["configured"] is False
    assert (tmp_path / "instance" / "vises.db").exists(), "the database is the default file in ./instance"
    assert (tmp_path / "instance" / "secrets.json").exists(), "the secrets are generated on first run"
    assert f"vises on http://127.0.0.1:{port}  (database: sqlite, jobs: inline)" in log.read_text()
    assert status == 0, log.read_text()
