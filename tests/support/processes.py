"""Starting ``vises`` commands as real processes, and killing them (and their children) like a crash would.

Each process's log file is followed by the session's log scan (``tests/support/log_scan.py``) and read
to its end when :func:`stop` or :func:`kill_hard` ends the process (and after the test in any case).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from tests.support import log_scan

_LOGS: dict[int, Path] = {}
"""The log file of each process started here, by pid, read into the scan once the process has ended."""


def vises_command() -> list[str]:
    """The ``vises`` console script of this interpreter's environment (as the Procfile runs it)."""
    script = Path(sys.executable).parent / "vises"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from service.cli import main; main()"]


def start_vises(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``vises <args>`` in a session of its own, its output to ``log`` (scanned for personal data)."""
    environ = {
        key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "TELEGRAM_"))
    }
    environ.update(env)
    log_scan.follow(log)
    handle = log.open("ab")
    try:
        process = subprocess.Popen(
            [*vises_command(), *args],
            env=environ,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        handle.close()
    _LOGS[process.pid] = log
    return process


def _scan_log(process: subprocess.Popen[bytes]) -> None:
    log = _LOGS.pop(process.pid, None)
    if log is not None:
        log_scan.collect(log)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (RQ's work horse and scheduler), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def kill_hard(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process and everything it started, at once, as when a machine or container dies."""
    family = [process.pid, *descendants(process.pid)]
    for pid in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in family[1:]):
        time.sleep(0.05)
    _scan_log(process)


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM (a warm shutdown), then SIGKILL if it doesn't end in time; returns the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            kill_hard(process)
    _scan_log(process)
    return int(process.returncode)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
