"""Pseudonymous respondents, their channel identities, and opt-outs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, Id, utcnow


class Respondent(Base):
    """A person as an organization knows them: a random pseudonym, nothing else."""

    __tablename__ = "respondents"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]


class Identity(Base):
    """How to recognise (keyed hash) and, where needed, reach again (ciphertext) a respondent on one channel."""

    __tablename__ = "identities"
    __table_args__ = (
        UniqueConstraint("organization_id", "channel", "digest"),
        Index("ix_identities_channel_digest", "channel", "digest"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]


class OptOut(Base):
    """One opt-out of an organization on a channel; active until ``opted_in_at`` is set. Rows are kept as history."""

    __tablename__ = "opt_outs"
    __table_args__ = (Index("ix_opt_outs_lookup", "organization_id", "channel", "digest"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    """keyword, command, blocked, web_link, provider, staff"""
    opted_out_at: Mapped[datetime] = mapped_column(default=utcnow)
    opted_in_at: Mapped[datetime | None]
