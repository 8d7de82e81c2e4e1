"""The periodic expiry job: conversations idle longer than their campaign allows become expired."""

from __future__ import annotations

from service.expiry import expire_idle
from service.models import utcnow
from service.runtime import current_runtime


def expire_conversations() -> int:
    """Expire idle conversations (answers kept, flagged partial); returns how many."""
    with current_runtime().transaction() as session:
        return expire_idle(session, utcnow())
