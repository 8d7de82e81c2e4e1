"""Questionnaire versions, campaigns, their contact lists and launches."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.base import Base, Id, utcnow


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    CLOSED = "closed"


class Channel(enum.StrEnum):
    WEB = "web"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"


class QuestionnaireVersion(Base):
    """One validated definition, stored as its document; immutable once a campaign uses it."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("organization_id", "questionnaire_key", "version", "checksum"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    questionnaire_key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    document: Mapped[dict[str, Any]]
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="shipped")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT, index=True)
    channels: Mapped[list[Any]] = mapped_column(default=list)
    default_language: Mapped[str] = mapped_column(String(2), default="fr")
    sms_keyword: Mapped[str | None] = mapped_column(String(32), unique=True)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    target_responses: Mapped[int | None] = mapped_column(Integer)
    reminder_policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idle_limit_hours: Mapped[int] = mapped_column(Integer, default=72)
    allow_restart: Mapped[bool] = mapped_column(Boolean, default=False)
    transliterate_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    baseline_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()


class ContactStatus(enum.StrEnum):
    PENDING = "pending"
    INVITED = "invited"
    FAILED = "failed"
    OPTED_OUT = "opted_out"


class Contact(Base):
    """A person on a campaign's invitation list, known only through an identity (hash + ciphertext)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("campaign_id", "identity_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id", ondelete="CASCADE"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    name_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    reference: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=ContactStatus.PENDING)
    error_code: Mapped[str | None] = mapped_column(String(32))
    link_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    """Telegram: the per-contact opt-in deep-link token, until the person starts the bot."""
    linked_at: Mapped[datetime | None]
    timezone: Mapped[str | None] = mapped_column(String(64))
    """The person's IANA time zone when their phone number tells it (reminders go out in their hours)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Launch(Base):
    """One request to invite a campaign's contacts on a channel; its progress is read from outbound messages."""

    __tablename__ = "launches"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
