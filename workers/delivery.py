"""The delivery job: send one outbound message (invitation or reminder), exactly once."""

from __future__ import annotations

import logging

from service.delivery import Outcome, deliver
from service.dispatch import schedule_once
from service.outbound import SEND
from service.runtime import current_runtime

log = logging.getLogger(__name__)


def send_message(message_id: int) -> str:
    """Send outbound message ``message_id``; a transient refusal schedules the retry the row now asks for."""
    runtime = current_runtime()
    delivery = deliver(runtime, message_id)
    if delivery.outcome is Outcome.RETRY and delivery.retry_at is not None and delivery.job_id is not None:
        # If this fails (Redis gone), the sweep enqueues the retry once it is due.
        schedule_once(runtime, SEND, delivery.job_id, (message_id,), delivery.retry_at)
    return delivery.outcome.value
