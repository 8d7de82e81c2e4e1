"""Slowing down password guessing: failed logins counted per account and per client address.

Each failure is a row keyed by a keyed hash (HMAC with the secret key) of the e-mail address or
of the client address, so the table never holds either in clear. A login is refused while the
account has had ``ACCOUNT_LIMIT`` failures, or the address ``ADDRESS_LIMIT``, within ``WINDOW``;
the refusal itself says nothing about whether the account exists. Rows live in the database so
that every web process shares the count.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.models import LoginFailure

WINDOW: Final = timedelta(minutes=15)
ACCOUNT_LIMIT: Final = 5
"""Failures for one e-mail address within the window before its logins are refused."""
ADDRESS_LIMIT: Final = 20
"""Failures from one client address within the window (several people may share an office's address)."""


@dataclass(frozen=True)
class LoginThrottle:
    """The throttle for one secret key; build it once per app."""

    secret_key: str

    def _digest(self, kind: str, value: str) -> str:
        message = f"{kind}:{value.strip().lower()}".encode()
        return hmac.new(self.secret_key.encode(), message, hashlib.sha256).hexdigest()

    def _keys(self, email: str, address: str) -> tuple[str, str]:
        return self._digest("account", email), self._digest("address", address)

    def blocked(self, session: Session, email: str, address: str, now: datetime) -> bool:
        """Whether a login for ``email`` from ``address`` must be refused without checking the password."""
        account, client = self._keys(email, address)
        since = now - WINDOW
        rows = session.execute(
            select(LoginFailure.key_digest, func.count())
            .where(LoginFailure.key_digest.in_([account, client]), LoginFailure.failed_at > since)
            .group_by(LoginFailure.key_digest)
        ).all()
        counts = {key: int(count) for key, count in rows}
        return counts.get(account, 0) >= ACCOUNT_LIMIT or counts.get(client, 0) >= ADDRESS_LIMIT

    def record_failure(self, session: Session, email: str, address: str, now: datetime) -> None:
        """Count one failure against the account and the address; forget failures older than the window."""
        account, client = self._keys(email, address)
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.key_digest.in_([account, client]), LoginFailure.failed_at <= now - WINDOW
            )
        )
        session.add_all(
            [LoginFailure(key_digest=account, failed_at=now), LoginFailure(key_digest=client, failed_at=now)]
        )
        session.flush()

    def record_success(self, session: Session, email: str) -> None:
        """A successful login clears the account's failures (not the address's)."""
        account = self._digest("account", email)
        session.execute(delete(LoginFailure).where(LoginFailure.key_digest == account))
