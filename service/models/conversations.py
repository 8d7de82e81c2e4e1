"""Conversations, the answers they hold, the inbound messages that carried them, and consent records."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, Id, Json, utcnow


class ConversationStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    EXPIRED = "expired"
    OPTED_OUT = "opted_out"
    REFUSED = "refused"
    """Consent was refused: only the refusal is kept."""


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("campaign_id", "respondent_id", "attempt"),
        Index("ix_conversations_campaign_status", "campaign_id", "status"),
        # Exports read a campaign's conversations in id order, a page at a time.
        Index("ix_conversations_campaign_id", "campaign_id", "id"),
        Index("ix_conversations_unscored", "status", "scored_at"),
        # Every turn finds the sender's conversation in progress by identity; erasure finds them all.
        Index("ix_conversations_identity_status", "identity_id", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id", ondelete="CASCADE"), index=True)
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("identities.id", ondelete="SET NULL"))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.IN_PROGRESS)
    state: Mapped[dict[str, Any]]
    current_question: Mapped[str | None] = mapped_column(String(100))
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    resume_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]
    scored_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_reminder_at: Mapped[datetime | None]


class InboundMessage(Base):
    """Every inbound message we acted on, unique per channel and provider id: the deduplication ledger."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Answer(Base):
    """The current answer to one question of one conversation (a correction replaces it)."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("conversation_id", "question_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(Json, nullable=True)
    is_free_text: Mapped[bool] = mapped_column(Boolean, default=False)
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentRecord(Base):
    """Which consent text was shown to whom (pseudonymously), on which channel, and the answer."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    consent_version: Mapped[str] = mapped_column(String(64))
    text_digest: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(16))
    given: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
