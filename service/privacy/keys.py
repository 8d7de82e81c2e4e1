"""The identity vault's keys: which key hashes, which encrypts, and re-encrypting under a new ``DATA_KEY``.

Two jobs, two keys:

* **Digests** (recognising a person from their number or chat id) use ``VISES_DIGEST_KEY``, or
  ``DATA_KEY`` when it is unset. A digest can't be recomputed without the address, so the digest key
  must never change: before the first rotation, pin it by setting ``VISES_DIGEST_KEY`` to the current
  ``DATA_KEY``. While ``VISES_PREVIOUS_DATA_KEYS`` is set, ``VISES_DIGEST_KEY`` is required (start-up
  stops otherwise), so a rotation can't orphan every digest by accident.
* **Encryption** (numbers and chat ids we must write to again, contact names) uses ``DATA_KEY``; the
  keys in ``VISES_PREVIOUS_DATA_KEYS`` (comma-separated) still decrypt.

:func:`rotate_keys` (``vises keys rotate``) re-encrypts every ciphertext under the current key, in
batches that each commit on their own, with the rows of a batch locked, so the service keeps running;
it is safe to stop and to run again. ``Identity.key_version`` records the key a ciphertext is under as
:func:`key_version` of that key (a fingerprint, not the key). When :func:`key_status` says nothing is
left under an older key, the old key can be removed from ``VISES_PREVIOUS_DATA_KEYS``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.audit import Action, record
from service.identities import IdentityDecryptError, IdentityVault
from service.models import Campaign, Contact, Identity
from service.settings import ConfigError, Settings

log = logging.getLogger(__name__)

DIGEST_KEY = "VISES_DIGEST_KEY"
PREVIOUS_KEYS = "VISES_PREVIOUS_DATA_KEYS"
BATCH_SIZE = 500
DIGEST_SAMPLE = 50
"""Identities whose digest is recomputed from their decrypted address before anything is re-encrypted."""


class DigestKeyMismatch(Exception):
    """Stored digests were made with another key than the configured digest key."""


def previous_keys(settings: Settings) -> list[str]:
    """Older data keys, still accepted for decryption (``VISES_PREVIOUS_DATA_KEYS``, comma-separated)."""
    raw = settings.extra.get(PREVIOUS_KEYS, "")
    return [key.strip() for key in raw.split(",") if key.strip()]


def digest_key(settings: Settings) -> str:
    """The key digests are made with: ``VISES_DIGEST_KEY``, else ``DATA_KEY`` (before any rotation)."""
    pinned = settings.extra.get(DIGEST_KEY, "").strip()
    if pinned:
        if len(pinned) < 16:
            raise ConfigError(f"{DIGEST_KEY}: must be at least 16 characters long")
        return pinned
    if previous_keys(settings):
        raise ConfigError(
            f"{DIGEST_KEY}: required while {PREVIOUS_KEYS} is set; set it to the DATA_KEY the stored "
            "digests were made with (the first one), or every known person becomes a stranger"
        )
    return settings.data_key


def vault_for(settings: Settings) -> IdentityVault:
    """The process's vault: encryption under ``DATA_KEY`` (older keys decrypt), digests under the pinned key."""
    return IdentityVault(settings.data_key, previous_keys(settings), hash_key_source=digest_key(settings))


def key_version(data_key: str) -> int:
    """A stable 31-bit fingerprint of a data key, stored as ``Identity.key_version`` (it reveals nothing)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=4, salt=b"vises-identities", info=b"key-version").derive(
        data_key.encode()
    )
    return int.from_bytes(derived, "big") & 0x7FFFFFFF


@dataclass
class RotationReport:
    """What a rotation did; ``undecryptable`` rows are left as they are (no configured key opens them)."""

    identities_reencrypted: int = 0
    identities_current: int = 0
    contacts_reencrypted: int = 0
    contacts_current: int = 0
    undecryptable: int = 0
    batches: int = 0
    by_organization: Counter[int] = field(default_factory=Counter)

    @property
    def reencrypted(self) -> int:
        return self.identities_reencrypted + self.contacts_reencrypted


@dataclass(frozen=True)
class KeyStatus:
    """How many ciphertexts each key holds: what is left to rotate before an old key can go."""

    identities_current: int
    identities_older: int
    contacts_current: int
    contacts_older: int
    undecryptable: int
    digests_checked: int

    @property
    def done(self) -> bool:
        return self.identities_older == 0 and self.contacts_older == 0 and self.undecryptable == 0


def check_digests(session: Session, vault: IdentityVault, *, sample: int = DIGEST_SAMPLE) -> int:
    """Recompute the digest of some identities from their decrypted address; raise if one differs."""
    checked = 0
    rows = session.execute(
        select(Identity.channel, Identity.digest, Identity.ciphertext)
        .where(Identity.ciphertext.is_not(None), Identity.erased_at.is_(None))
        .order_by(Identity.id)
        .limit(sample)
    )
    for channel, digest, ciphertext in rows:
        try:
            address = vault.decrypt(ciphertext or b"")
        except IdentityDecryptError:
            continue
        if vault.digest(channel, address) != digest:
            raise DigestKeyMismatch(
                f"stored digests were made with another key: set {DIGEST_KEY} to the DATA_KEY they were "
                "made with before rotating"
            )
        checked += 1
    return checked


def _opens_with(current: IdentityVault, token: bytes | None) -> bool:
    try:
        current.decrypt(token or b"")
    except IdentityDecryptError:
        return False
    return True


def rotate_keys(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    batch_size: int = BATCH_SIZE,
    now: datetime,
    progress: Callable[[RotationReport], None] | None = None,
) -> RotationReport:
    """Re-encrypt every identity and contact name under ``DATA_KEY``; batches commit one by one."""
    vault = vault_for(settings)
    rotation = _Rotation(vault, IdentityVault(settings.data_key), key_version(settings.data_key))
    with sessions.begin() as session:
        check_digests(session, vault)
    for step in (rotation.identities, rotation.contacts):
        last = 0
        while True:
            with sessions.begin() as session:
                last = step(session, last, batch_size)
            rotation.report.batches += 1
            if progress is not None:
                progress(rotation.report)
            if last == 0:
                break
    report = rotation.report
    if report.by_organization:
        with sessions.begin() as session:
            for organization_id, count in sorted(report.by_organization.items()):
                record(
                    session,
                    organization_id,
                    Action.KEY_ROTATION,
                    target_type="data_key",
                    target_id=rotation.version,
                    details={"reencrypted": count},
                    at=now,
                )
    return report


@dataclass
class _Rotation:
    """One rotation's keys and running counts; each step handles one batch and returns the last id (0: done)."""

    vault: IdentityVault
    current: IdentityVault
    version: int
    report: RotationReport = field(default_factory=RotationReport)

    def _reencrypt(self, token: bytes, what: str, row_id: int) -> bytes | None:
        try:
            return self.vault.reencrypt(token)
        except IdentityDecryptError:
            self.report.undecryptable += 1
            log.error("%s %s: no configured key opens its ciphertext", what, row_id)
            return None

    def identities(self, session: Session, after: int, batch_size: int) -> int:
        identities = list(
            session.scalars(
                select(Identity)
                .where(Identity.id > after, Identity.ciphertext.is_not(None))
                .order_by(Identity.id)
                .limit(batch_size)
                .with_for_update()
            )
        )
        for identity in identities:
            token = identity.ciphertext
            assert token is not None
            if identity.key_version == self.version or _opens_with(self.current, token):
                identity.key_version = self.version
                self.report.identities_current += 1
                continue
            fresh = self._reencrypt(token, "identity", identity.id)
            if fresh is not None:
                identity.ciphertext = fresh
                identity.key_version = self.version
                self.report.identities_reencrypted += 1
                self.report.by_organization[identity.organization_id] += 1
        return identities[-1].id if identities else 0

    def contacts(self, session: Session, after: int, batch_size: int) -> int:
        rows = session.execute(
            select(Contact, Campaign.organization_id)
            .join(Campaign, Campaign.id == Contact.campaign_id)
            .where(Contact.id > after, Contact.name_ciphertext.is_not(None))
            .order_by(Contact.id)
            .limit(batch_size)
            .with_for_update(of=Contact)
        ).all()
        for contact, organization_id in rows:
            token = contact.name_ciphertext
            assert token is not None
            if _opens_with(self.current, token):
                self.report.contacts_current += 1
                continue
            fresh = self._reencrypt(token, "contact", contact.id)
            if fresh is not None:
                contact.name_ciphertext = fresh
                self.report.contacts_reencrypted += 1
                self.report.by_organization[organization_id] += 1
        return rows[-1][0].id if rows else 0


def key_status(
    sessions: sessionmaker[Session], settings: Settings, *, batch_size: int = BATCH_SIZE
) -> KeyStatus:
    """Count the ciphertexts under the current key and under older ones (read only)."""
    vault = vault_for(settings)
    current = IdentityVault(settings.data_key)
    counts: Counter[str] = Counter()
    with sessions() as session:
        checked = check_digests(session, vault)
        for kind, column, key in (
            ("identities", Identity.ciphertext, Identity.id),
            ("contacts", Contact.name_ciphertext, Contact.id),
        ):
            last = 0
            while True:
                rows = session.execute(
                    select(key, column).where(key > last, column.is_not(None)).order_by(key).limit(batch_size)
                ).all()
                if not rows:
                    break
                for row_id, token in rows:
                    last = row_id
                    if _opens_with(current, token):
                        counts[f"{kind}_current"] += 1
                    elif _opens_with(vault, token):
                        counts[f"{kind}_older"] += 1
                    else:
                        counts["undecryptable"] += 1
    return KeyStatus(
        identities_current=counts["identities_current"],
        identities_older=counts["identities_older"],
        contacts_current=counts["contacts_current"],
        contacts_older=counts["contacts_older"],
        undecryptable=counts["undecryptable"],
        digests_checked=checked,
    )
