"""Expiring conversations left idle longer than their campaign's ``idle_limit_hours``.

An expired conversation keeps its answers, flagged ``partial``; it is not scored. The update is
conditional on the conversation still being in progress and still idle, so a reply that lands at the
same moment (the conversation service locks the row and moves ``updated_at``) wins: PostgreSQL
re-checks the condition on the row it waited for, and SQLite serialises the two writers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.models import Campaign, Conversation, ConversationStatus


def expire_idle(session: Session, now: datetime) -> int:
    """Mark idle in-progress conversations expired; returns how many."""
    limits = session.execute(
        select(Campaign.id, Campaign.idle_limit_hours).where(
            Campaign.id.in_(
                select(Conversation.campaign_id)
                .where(Conversation.status == ConversationStatus.IN_PROGRESS)
                .distinct()
            )
        )
    ).all()
    expired = 0
    for campaign_id, hours in limits:
        result = session.execute(
            update(Conversation)
            .where(
                Conversation.campaign_id == campaign_id,
                Conversation.status == ConversationStatus.IN_PROGRESS,
                Conversation.updated_at < now - timedelta(hours=hours),
            )
            .values(status=ConversationStatus.EXPIRED, expired_at=now, partial=True)
        )
        expired += int(result.rowcount)  # type: ignore[attr-defined]
    return expired
