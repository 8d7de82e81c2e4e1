"""Respondents and their identities: find or create them from a channel address, and opt-outs."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from service.identities import IdentityVault
from service.models import (
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    Identity,
    InboundMessage,
    OptOut,
    OutboundMessage,
    OutboundStatus,
    Respondent,
)

REACHABLE_CHANNELS = frozenset({"sms", "whatsapp", "telegram"})
"""Channels on which we may write first, so the address is kept encrypted."""


def identity_for(
    session: Session,
    vault: IdentityVault,
    organization_id: int,
    channel: str,
    address: str,
    *,
    respondent_id: int | None = None,
) -> Identity:
    """The organization's identity for this address, created (with a new respondent) when unknown."""
    digest = vault.digest(channel, address)
    identity = session.scalar(
        select(Identity).where(
            Identity.organization_id == organization_id,
            Identity.channel == channel,
            Identity.digest == digest,
        )
    )
    if identity is not None:
        if identity.ciphertext is None and channel in REACHABLE_CHANNELS:
            identity.ciphertext = vault.encrypt(address)
            identity.erased_at = None
        return identity
    if respondent_id is None:
        respondent = Respondent(organization_id=organization_id, pseudonym=secrets.token_hex(16))
        session.add(respondent)
        session.flush()
        respondent_id = respondent.id
    identity = Identity(
        organization_id=organization_id,
        respondent_id=respondent_id,
        channel=channel,
        digest=digest,
        ciphertext=vault.encrypt(address) if channel in REACHABLE_CHANNELS else None,
    )
    session.add(identity)
    session.flush()
    return identity


def is_opted_out(session: Session, organization_id: int, channel: str, digest: str) -> bool:
    return (
        session.scalar(
            select(OptOut.id).where(
                OptOut.organization_id == organization_id,
                OptOut.channel == channel,
                OptOut.digest == digest,
                OptOut.opted_in_at.is_(None),
            )
        )
        is not None
    )


def organizations_knowing(session: Session, channel: str, digest: str) -> list[int]:
    return list(
        session.scalars(
            select(Identity.organization_id)
            .where(Identity.channel == channel, Identity.digest == digest)
            .distinct()
        )
    )


def opt_out(
    session: Session,
    organization_ids: Iterable[int],
    channel: str,
    digest: str,
    *,
    source: str,
    now: datetime,
) -> bool:
    """Record an opt-out for each organization and stop everything in flight; True if anything was new."""
    changed = False
    for organization_id in organization_ids:
        if is_opted_out(session, organization_id, channel, digest):
            continue
        session.add(
            OptOut(
                organization_id=organization_id,
                channel=channel,
                digest=digest,
                source=source,
                opted_out_at=now,
            )
        )
        changed = True
        identity_ids = select(Identity.id).where(
            Identity.organization_id == organization_id,
            Identity.channel == channel,
            Identity.digest == digest,
        )
        session.execute(
            update(Conversation)
            .where(
                Conversation.identity_id.in_(identity_ids),
                Conversation.status == ConversationStatus.IN_PROGRESS,
            )
            .values(status=ConversationStatus.OPTED_OUT, updated_at=now)
        )
        session.execute(
            update(Contact)
            .where(Contact.identity_id.in_(identity_ids), Contact.status != ContactStatus.OPTED_OUT)
            .values(status=ContactStatus.OPTED_OUT)
        )
        session.execute(
            update(OutboundMessage)
            .where(
                and_(
                    OutboundMessage.identity_id.in_(identity_ids),
                    OutboundMessage.status == OutboundStatus.QUEUED,
                )
            )
            .values(status=OutboundStatus.CANCELED, updated_at=now, error_code="opted_out")
        )
    session.flush()
    return changed


def opt_in(
    session: Session, organization_ids: Iterable[int], channel: str, digest: str, *, now: datetime
) -> bool:
    """End active opt-outs (START); True if there was one."""
    result = session.execute(
        update(OptOut)
        .where(
            OptOut.organization_id.in_(list(organization_ids)),
            OptOut.channel == channel,
            OptOut.digest == digest,
            OptOut.opted_in_at.is_(None),
        )
        .values(opted_in_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def forget_refuser(session: Session, conversation_id: int, identity_id: int | None, *, now: datetime) -> bool:
    """After consent was refused, delete the identity that brought the refusal unless something else needs it.

    The refused conversation, its respondent's pseudonym and its consent record stay (the consent ledger);
    the address goes (keyed hash and ciphertext, as the whole row) unless the identity is the way to a
    contact-list entry of the respondent (invitations, reminders, their opt-out) or carries another of
    their conversations. The web's browser token stays: it holds nothing to reach the person with, and it
    is what shows them their refusal when they come back. Inbound messages keep their provider ids (a
    redelivery of the refusal must still be recognised) but no longer point to the conversation.
    Returns True when the identity was deleted.
    """
    if identity_id is None:
        return False
    identity = session.get(Identity, identity_id)
    if identity is None or identity.channel not in REACHABLE_CHANNELS:
        return False
    still_needed = session.scalar(
        select(
            or_(
                exists().where(
                    or_(Contact.identity_id == identity.id, Contact.respondent_id == identity.respondent_id)
                ),
                exists().where(Conversation.identity_id == identity.id, Conversation.id != conversation_id),
            )
        )
    )
    if still_needed:
        return False
    # The foreign keys say SET NULL, but SQLite enforces them only when asked: set them here, on every backend.
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.identity_id == identity.id, OutboundMessage.status == OutboundStatus.QUEUED)
        .values(status=OutboundStatus.CANCELED, error_code="refused", updated_at=now)
    )
    session.execute(
        update(OutboundMessage).where(OutboundMessage.identity_id == identity.id).values(identity_id=None)
    )
    session.execute(
        update(Conversation).where(Conversation.identity_id == identity.id).values(identity_id=None)
    )
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.conversation_id == conversation_id)
        .values(conversation_id=None)
    )
    session.execute(delete(Identity).where(Identity.id == identity.id))
    session.expunge(identity)
    return True
