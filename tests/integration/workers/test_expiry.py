"""Expiry: conversations idle past their campaign's limit end as expired, answers kept and flagged partial."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from service.models import Answer, Campaign, Conversation, Respondent
from service.runtime import Runtime
from tests.integration.workers.conftest import make_campaign
from workers.expiry import expire_conversations

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _conversation(
    runtime: Runtime, campaign: Campaign, *, idle: timedelta, status: str = "in_progress"
) -> int:
    with runtime.transaction() as session:
        respondent = Respondent(organization_id=campaign.organization_id, pseudonym=secrets.token_hex(16))
        session.add(respondent)
        session.flush()
        conversation = Conversation(
            campaign_id=campaign.id,
            respondent_id=respondent.id,
            channel="sms",
            language="fr",
            status=status,
            state={},
            updated_at=NOW - idle,
        )
        session.add(conversation)
        session.flush()
        session.add(Answer(conversation_id=conversation.id, question_id="better", value="1", channel="sms"))
        return conversation.id


def test_only_conversations_idle_past_their_campaigns_limit_expire(runtime: Runtime) -> None:
    patient = make_campaign(runtime, idle_limit_hours=72)
    hasty = make_campaign(runtime, idle_limit_hours=24)
    stale = _conversation(runtime, patient, idle=timedelta(hours=73))
    fresh = _conversation(runtime, patient, idle=timedelta(hours=71))
    done = _conversation(runtime, patient, idle=timedelta(days=30), status="completed")
    quick = _conversation(runtime, hasty, idle=timedelta(hours=25))
    with time_machine.travel(NOW, tick=False):
        assert expire_conversations() == 2
        assert expire_conversations() == 0
    with runtime.transaction() as session:
        rows = {c.id: c for c in session.scalars(select(Conversation))}
        assert session.scalar(select(func.count(Answer.id))) == 4  # answers kept
    assert {i: rows[i].status for i in (stale, fresh, done, quick)} == {
        stale: "expired",
        fresh: "in_progress",
        done: "completed",
        quick: "expired",
    }
    assert rows[stale].partial and rows[stale].expired_at == NOW
    assert not rows[fresh].partial and rows[fresh].expired_at is None
    assert rows[stale].scored_at is None
