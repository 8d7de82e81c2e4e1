"""The scoring job: a completed conversation's indicator scores and its campaign's aggregates."""

from __future__ import annotations

from service.models import utcnow
from service.runtime import current_runtime
from service.scores import score_conversation as score_stored_answers


def score_conversation(conversation_id: int) -> bool:
    """Score conversation ``conversation_id`` once; True if this run scored it."""
    with current_runtime().transaction() as session:
        return score_stored_answers(session, conversation_id, utcnow())
