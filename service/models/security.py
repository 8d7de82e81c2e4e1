"""Failed staff logins, counted per account and per address to slow down password guessing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, Id, utcnow


class LoginFailure(Base):
    """One failed login, keyed by a keyed hash of the account or the client address (never stored plain)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key_digest", "failed_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key_digest: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)
