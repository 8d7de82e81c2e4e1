"""Answers of a campaign, page by page, for the API: by question id, never a phone number.

Each page read is written to the audit trail ("read_responses": which campaign, how many rows, by which
token), never with the answers themselves.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit
from service.audit import Action
from service.models import Answer, AuditEvent, Campaign, Conversation, Respondent


class CursorError(ValueError):
    """A cursor that this API did not hand out."""


@dataclass(frozen=True)
class ResponseRow:
    id: int
    respondent: str
    status: str
    channel: str
    language: str
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    answers: dict[str, Any]


def encode_cursor(conversation_id: int) -> str:
    return base64.urlsafe_b64encode(f"c{conversation_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise CursorError("not a cursor from this API") from None
    if not raw.startswith("c") or not raw[1:].isdigit():
        raise CursorError("not a cursor from this API")
    return int(raw[1:])


def responses_page(
    session: Session, campaign_id: int, *, after: int = 0, limit: int = 100, status: str | None = None
) -> tuple[list[ResponseRow], int | None]:
    """Up to ``limit`` conversations with id above ``after``, oldest first, and the next cursor id (or None)."""
    query = (
        select(Conversation, Respondent.pseudonym)
        .join(Respondent, Respondent.id == Conversation.respondent_id)
        .where(Conversation.campaign_id == campaign_id, Conversation.id > after)
        .order_by(Conversation.id)
        .limit(limit + 1)
    )
    if status is not None:
        query = query.where(Conversation.status == status)
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [conversation.id for conversation, _ in rows]
    answers: dict[int, dict[str, Any]] = {conversation_id: {} for conversation_id in ids}
    if ids:
        for conversation_id, question_id, value in session.execute(
            select(Answer.conversation_id, Answer.question_id, Answer.value)
            .where(Answer.conversation_id.in_(ids))
            .order_by(Answer.conversation_id, Answer.id)
        ):
            answers[conversation_id][question_id] = value
    page = [
        ResponseRow(
            id=conversation.id,
            respondent=pseudonym,
            status=conversation.status,
            channel=conversation.channel,
            language=conversation.language,
            started_at=conversation.started_at,
            updated_at=conversation.updated_at,
            completed_at=conversation.completed_at,
            answers=answers[conversation.id],
        )
        for conversation, pseudonym in rows
    ]
    return page, (ids[-1] if more and ids else None)


def record_read(
    session: Session,
    campaign: Campaign,
    *,
    rows: int,
    after: int,
    limit: int,
    status: str | None,
    token_id: int,
) -> AuditEvent:
    """The audit trail's "read_responses" event for one page: its place and size, never its content."""
    return audit.record(
        session,
        campaign.organization_id,
        Action.READ_RESPONSES,
        target_type="campaign",
        target_id=campaign.code,
        details={
            "rows": rows,
            "after": after,
            "limit": limit,
            "status": status,
            "via": "api",
            "token": token_id,
        },
    )
