"""The periodic sweep job: enqueue again whatever the database says is owed and RQ no longer holds."""

from __future__ import annotations

import logging

from service.models import utcnow
from service.runtime import current_runtime
from service.sweep import sweep

log = logging.getLogger(__name__)


def sweep_lost_work() -> dict[str, int]:
    """Re-enqueue unscored completions, unfinished launches, due queued messages and abandoned sends; returns
    the counts."""
    report = sweep(current_runtime(), utcnow())
    if report.scoring or report.sending or report.checking or report.launching or report.exporting:
        log.info(
            "sweep: %s scoring, %s launch, %s sending, %s checking, %s export jobs enqueued",
            report.scoring,
            report.launching,
            report.sending,
            report.checking,
            report.exporting,
        )
    return {
        "scoring": report.scoring,
        "launching": report.launching,
        "sending": report.sending,
        "checking": report.checking,
        "exporting": report.exporting,
    }
