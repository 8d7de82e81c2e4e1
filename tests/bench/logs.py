"""The logs of a benchmark's processes, scanned for the benchmark's phone numbers, chat ids and free text.

A benchmark runs on a stack of its own (``bench/stack.py``): its throw-away database is dropped and its
folder deleted when it ends, so neither the session's harvest of test databases nor a followed log file
ever sees them. With ``VISES_BENCH_LOGS`` set, the stack copies its processes' logs there; what the
benchmark stores and sends is known beforehand (``bench.data.personal_values``) and registered here.
"""

from __future__ import annotations

from pathlib import Path

from bench import data
from bench.stack import TWILIO_FROM
from tests.support.log_scan import assert_no_personal_data_in, include, ours, personal

PER_SERIES = 1_000
"""Contacts, and respondents per load of ``bench.turns``, registered: more than a tiny run makes."""


def register() -> None:
    """Make the benchmark's numbers, chat ids and free text known to the session's scan; its sender is ours."""
    personal(*data.personal_values(PER_SERIES))
    ours(TWILIO_FROM)


def scan_copies(folder: Path) -> list[Path]:
    """Fail, naming the line, if a log copied into ``folder`` carries personal data; else add it to the session scan.

    A failing log is not added: the test has already failed on it, the session's scan need not too.
    """
    register()
    logs = sorted(folder.rglob("*.log"))
    assert_no_personal_data_in(*logs)
    include(*logs)
    return logs
