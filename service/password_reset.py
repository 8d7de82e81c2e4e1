"""Password-reset and invitation links: signed, expiring, and dead once used.

The token signs the user's id and a fingerprint of the current password hash
(itsdangerous, salted per purpose). Setting a new password changes the hash, so a
used link (and every other outstanding one) stops working; an expired or
tampered link is refused the same way. Without a mail server the link is written
to the log and ``vises user reset-link`` prints it.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Final

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import User
from service.passwords import check_strength, hash_password
from service.settings import Settings

log = logging.getLogger(__name__)

RESET_MAX_AGE: Final = timedelta(hours=2)
INVITATION_MAX_AGE: Final = timedelta(days=7)
_SALTS: Final = {"reset": "vises-password-reset", "invitation": "vises-invitation"}


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash: changes whenever the password does."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]


def _serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALTS[purpose])


def make_token(secret_key: str, user: User, purpose: str = "reset") -> str:
    """A signed token for ``user`` (purpose ``reset`` or ``invitation``)."""
    return _serializer(secret_key, purpose).dumps(
        {"u": user.id, "p": password_fingerprint(user.password_hash)}
    )


def max_age(purpose: str) -> timedelta:
    return INVITATION_MAX_AGE if purpose == "invitation" else RESET_MAX_AGE


def user_for_token(session: Session, secret_key: str, token: str, purpose: str = "reset") -> User | None:
    """The active user the token was made for, or None when it is expired, tampered with or already used."""
    try:
        payload = _serializer(secret_key, purpose).loads(token, max_age=int(max_age(purpose).total_seconds()))
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return None
    user = session.get(User, payload["u"])
    if user is None or not user.is_active:
        return None
    if payload.get("p") != password_fingerprint(user.password_hash):
        return None
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Store a new password (WeakPassword if it is too weak); every outstanding link dies with the old hash."""
    check_strength(password)
    user.password_hash = hash_password(password)
    session.flush()


def reset_link(settings: Settings, token: str, purpose: str = "reset") -> str:
    path = "invitation" if purpose == "invitation" else "password/reset"
    return f"{settings.public_base_url}/{path}/{token}"


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def issue_link(session: Session, settings: Settings, email: str, purpose: str = "reset") -> str | None:
    """Make a link for the account with this e-mail and write it to the log (there is no mail server).

    Returns None, and logs nothing that would confirm an address, when there is no such active account.
    """
    user = user_by_email(session, email)
    if user is None or not user.is_active:
        log.info("password reset asked for an address with no active account")
        return None
    link = reset_link(settings, make_token(settings.secret_key, user, purpose), purpose)
    log.warning(
        "%s link for staff user %s (valid %s, no mail server configured): %s",
        "invitation" if purpose == "invitation" else "password reset",
        user.id,
        max_age(purpose),
        link,
    )
    return link
