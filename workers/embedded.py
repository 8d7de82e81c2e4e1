"""Without Redis (the embedded default), ``vises worker`` runs the periodic jobs itself, inline.

The web process runs every other job inline as it is enqueued; the sweep, reminders and expiry have no
request to ride on, so this loop runs them on their intervals, one after another, in this process.
SIGTERM or Ctrl-C stops it between two jobs.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from service.runtime import Runtime, use_runtime
from service.tuning import Tuning
from workers.periodic import schedule

log = logging.getLogger(__name__)


def run_inline(runtime: Runtime, knobs: Tuning, *, burst: bool = False) -> bool:
    """Run the periodic jobs on their intervals until stopped (once each with ``burst``); True if any ran."""
    stop = threading.Event()

    def request_stop(*_: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    periodic = schedule(knobs)
    due = [0.0] * len(periodic)
    ran = False
    try:
        while not stop.is_set():
            for index, job in enumerate(periodic):
                if stop.is_set() or time.monotonic() < due[index]:
                    continue
                due[index] = time.monotonic() + job.interval
                try:
                    with use_runtime(runtime):
                        job.func()
                    ran = True
                except Exception:
                    log.exception(
                        "periodic job %s failed; it runs again in %ss", job.func.__name__, job.interval
                    )
            if burst:
                break
            stop.wait(max(0.5, min(due) - time.monotonic()))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return ran
