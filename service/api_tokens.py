"""Bearer tokens for the JSON API: one organization each, shown once, stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import ApiToken, Organization

TOKEN_PREFIX: Final = "vises_"  # noqa: S105 - a public marker that tokens start with, not a secret
LAST_USED_RESOLUTION: Final = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per token, not on every request."""


class TokenError(ValueError):
    """A token request that breaks a rule; safe to show."""


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    session: Session, organization: Organization, name: str, *, created_by_id: int | None = None
) -> tuple[ApiToken, str]:
    """A new token and its secret value, which is never stored and can't be shown again."""
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError("a token needs a name of 1 to 100 characters")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organization_id=organization.id,
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        token_hash=digest(raw),
        created_by_id=created_by_id,
    )
    session.add(token)
    session.flush()
    return token, raw


def authenticate(session: Session, raw: str, now: datetime) -> ApiToken | None:
    """The live token with this value (noting when it was used), or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    if token is None or token.revoked_at is not None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.flush()
    return token


def organization_tokens(session: Session, organization_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.organization_id == organization_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke(session: Session, organization_id: int, token_id: int, now: datetime) -> ApiToken | None:
    """Revoke one of the organization's tokens; None when it has no such token."""
    token = session.get(ApiToken, token_id)
    if token is None or token.organization_id != organization_id:
        return None
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
    return token
