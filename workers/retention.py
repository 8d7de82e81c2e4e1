"""The periodic retention job: contact identities and free text erased once their period is over."""

from __future__ import annotations

import logging

from service.models import utcnow
from service.privacy.retention import apply_retention
from service.runtime import current_runtime

log = logging.getLogger(__name__)

RETENTION_SECONDS = 3600
"""Hourly: periods are counted in days, and a run with nothing due is a few small queries."""
RETENTION_TIMEOUT = 3600


def erase_expired_data() -> dict[str, int]:
    """Apply every organization's retention periods now; returns what was erased (counts)."""
    runtime = current_runtime()
    report = apply_retention(runtime.sessions, utcnow(), instance_path=runtime.settings.instance_path)
    if report.total:
        log.info(
            "retention: %s identities, %s contact entries, %s free-text answers erased",
            report.identities,
            report.contacts,
            report.free_text_answers,
        )
    return {
        "identities": report.identities,
        "contacts": report.contacts,
        "free_text_answers": report.free_text_answers,
    }
