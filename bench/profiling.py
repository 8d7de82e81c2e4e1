"""Sampling profiles of the stack's processes with py-spy, summarised as the functions that take the time.

``Profiler(pids, name)`` starts one ``py-spy record --format raw`` per process (collapsed stacks) and
stops them when the block ends; :func:`summarize` reads the stacks back and lists, for each function,
the share of samples in which it was on the stack (inclusive) and on top (self). Without py-spy
(``pip install py-spy``) profiling is skipped and says so.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.stack import RESULTS, ROOT

PROFILES = RESULTS / "profiles"


def py_spy() -> str | None:
    return shutil.which("py-spy") or (
        str(Path(sys.executable).parent / "py-spy")
        if (Path(sys.executable).parent / "py-spy").exists()
        else None
    )


class Profiler:
    """py-spy on ``pids`` while the ``with`` block runs; ``summary`` afterwards."""

    def __init__(self, pids: list[int], name: str, *, rate: int = 100, idle: bool = False) -> None:
        self.pids = pids
        self.name = name
        self.rate = rate
        self.idle = idle
        self.files: list[Path] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self.summary: dict[str, Any] = {}

    def __enter__(self) -> Profiler:
        binary = py_spy()
        if binary is None:
            print("[profile] py-spy not installed: no profile")
            return self
        PROFILES.mkdir(parents=True, exist_ok=True)
        for pid in self.pids:
            target = PROFILES / f"{self.name}-{pid}.txt"
            self.files.append(target)
            args = [binary, "record", "--pid", str(pid), "--rate", str(self.rate), "--format", "raw"]
            args += ["--output", str(target), "--nonblocking"]
            if self.idle:
                args.append("--idle")
            self.processes.append(
                subprocess.Popen(
                    args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
                )
            )
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        existing = [path for path in self.files if path.exists()]
        if existing:
            merged = PROFILES / f"{self.name}.txt"
            merged.write_text("".join(path.read_text() for path in existing))
            for path in existing:
                path.unlink()
            self.summary = summarize(merged)


def _frame_name(frame: str) -> str:
    """``function (path/to/file.py:12)`` -> ``path/to/file.py:function`` relative to the repository."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    with contextlib.suppress(ValueError):
        path = str(Path(path).resolve().relative_to(ROOT))
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif "/lib/python3" in path:
        path = "stdlib/" + path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return f"{path}:{name}"


def summarize(path: Path, top: int = 80) -> dict[str, Any]:
    """The functions most often on the stack (inclusive) and on top of it (self), as shares of all samples."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(frame) for frame in stack.split(";") if " (" in frame]
        if not frames:
            continue
        total += count
        for name in set(frames):
            inclusive[name] += count
        own[frames[-1]] += count

    def share(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    return {
        "samples": total,
        "file": str(path.relative_to(ROOT)),
        "inclusive_percent": {name: share(n) for name, n in inclusive.most_common(top)},
        "self_percent": {name: share(n) for name, n in own.most_common(25)},
    }


def print_summary(summary: dict[str, Any], *, prefix: str = "[profile]", lines: int = 20) -> None:
    if not summary:
        return
    print(f"{prefix} {summary['samples']} samples ({summary['file']})")
    print(f"{prefix} inclusive:")
    for name, value in list(summary["inclusive_percent"].items())[:lines]:
        print(f"{prefix}   {value:5.1f}%  {name}")
    print(f"{prefix} self:")
    for name, value in list(summary["self_percent"].items())[:lines]:
        print(f"{prefix}   {value:5.1f}%  {name}")
