"""Erasing a person: their identities, contact names and references, free text, and more as chosen.

Who: the respondents of one organization that a request concerns (found from a channel address's
digest, see :func:`respondents_for`). What goes in every case: each identity's digest and ciphertext
(the row stays, marked erased, so invitation counts hold), the names, references and personal links
of their contact-list entries, their free-text answers, the links from their answers to the provider
messages that carried them, and the provider ids of messages we sent them (a provider id can be looked
up at Twilio for the number). What else depends on the organization's ``erasure_mode``:

* ``anonymize``: completed conversations keep their coded answers and scores, so that aggregates
  already published stay true; the respondent gets a new random pseudonym, so nothing recorded before
  (a request's pseudonym) leads to them. Conversations that never completed are deleted.
* ``delete``: every conversation, answer, score, consent record, contact-list entry and message is
  deleted, and the aggregates of the campaigns they counted in are recomputed from what remains
  (:func:`service.scores.rescore_campaign`) in the same transaction.

An opt-out (STOP) is not erased: it holds only a digest and is what keeps us from writing to the person
again. The building blocks (:func:`erase_identities`, :func:`clear_contacts`, :func:`erase_free_text`)
serve the retention job too.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from service.models import (
    Answer,
    Campaign,
    ConsentRecord,
    Contact,
    Conversation,
    ConversationStatus,
    ErasureMode,
    Export,
    Identity,
    InboundMessage,
    Organization,
    OutboundMessage,
    OutboundStatus,
    Respondent,
    Score,
)
from service.scores import rescore_campaign

ERASED_PREFIX = "erased:"
"""An erased identity's digest: no HMAC output starts with it, so no address ever matches again."""


@dataclass(frozen=True, slots=True)
class Holdings:
    """What one organization holds about a request's respondents, as counts only (shown to staff)."""

    organization_id: int
    respondent_ids: tuple[int, ...]
    conversations: int
    campaigns: int
    contact_lists: int

    @property
    def empty(self) -> bool:
        return not self.respondent_ids


@dataclass(frozen=True, slots=True)
class ErasureReport:
    mode: str
    respondents: int
    identities: int
    conversations_deleted: int
    conversations_kept: int
    free_text_answers: int
    contacts: int
    campaigns_rescored: tuple[str, ...]
    exports_discarded: int = 0

    def as_details(self) -> dict[str, Any]:
        """For the audit trail and the request record: counts, never content."""
        return {
            "mode": self.mode,
            "respondents": self.respondents,
            "identities": self.identities,
            "conversations_deleted": self.conversations_deleted,
            "conversations_kept": self.conversations_kept,
            "free_text_answers": self.free_text_answers,
            "contacts": self.contacts,
            "campaigns_rescored": list(self.campaigns_rescored),
            "exports_discarded": self.exports_discarded,
        }


def respondents_for(
    session: Session, organization_ids: Iterable[int], addresses: Iterable[tuple[str, str]]
) -> dict[int, list[int]]:
    """The respondents (by organization) known by any of the (channel, digest) pairs."""
    pairs = list(addresses)
    ids = list(organization_ids)
    if not pairs or not ids:
        return {}
    rows = session.execute(
        select(Identity.organization_id, Identity.respondent_id)
        .where(
            Identity.organization_id.in_(ids),
            or_(*((Identity.channel == channel) & (Identity.digest == digest) for channel, digest in pairs)),
        )
        .distinct()
        .order_by(Identity.organization_id, Identity.respondent_id)
    )
    found: dict[int, list[int]] = {}
    for organization_id, respondent_id in rows:
        found.setdefault(organization_id, []).append(respondent_id)
    return found


def holdings(session: Session, organization_id: int, respondent_ids: Collection[int]) -> Holdings:
    """Counts of what the organization holds about these respondents."""
    ids = sorted(set(respondent_ids))
    if not ids:
        return Holdings(organization_id, (), 0, 0, 0)
    conversations, campaigns = session.execute(
        select(func.count(Conversation.id), func.count(Conversation.campaign_id.distinct())).where(
            Conversation.respondent_id.in_(ids)
        )
    ).one()
    contacts = session.scalar(select(func.count(Contact.id)).where(Contact.respondent_id.in_(ids)))
    return Holdings(organization_id, tuple(ids), int(conversations), int(campaigns), int(contacts or 0))


# --- building blocks (shared with retention) ---------------------------------------------------------


def erase_identities(session: Session, identity_ids: Collection[int], now: datetime) -> int:
    """Blank identities: digest and ciphertext gone, the row kept and marked erased; returns how many."""
    if not identity_ids:
        return 0
    count = 0
    for identity in session.scalars(
        select(Identity).where(Identity.id.in_(list(identity_ids)), Identity.erased_at.is_(None))
    ):
        identity.digest = f"{ERASED_PREFIX}{identity.id}"
        identity.ciphertext = None
        identity.erased_at = now
        count += 1
    # Queued messages to these addresses can't go out any more: cancelled now rather than failed later.
    session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.identity_id.in_(list(identity_ids)),
            OutboundMessage.status == OutboundStatus.QUEUED,
        )
        .values(status=OutboundStatus.CANCELED, error_code="erased", updated_at=now)
    )
    session.flush()
    return count


def clear_contacts(session: Session, contact_ids: Collection[int]) -> int:
    """Remove names, references, personal Telegram links and time zones from contact-list entries."""
    if not contact_ids:
        return 0
    result = session.execute(
        update(Contact)
        .where(
            Contact.id.in_(list(contact_ids)),
            or_(
                Contact.name_ciphertext.is_not(None),
                Contact.reference.is_not(None),
                Contact.link_token.is_not(None),
                Contact.timezone.is_not(None),
            ),
        )
        .values(name_ciphertext=None, reference=None, link_token=None, timezone=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def erase_free_text(session: Session, conversation_ids: Collection[int]) -> int:
    """Delete the free-text answers of these conversations, from the answers and from the engine state."""
    if not conversation_ids:
        return 0
    ids = list(conversation_ids)
    found: dict[int, set[str]] = {}
    for conversation_id, question_id in session.execute(
        select(Answer.conversation_id, Answer.question_id).where(
            Answer.conversation_id.in_(ids), Answer.is_free_text.is_(True)
        )
    ):
        found.setdefault(conversation_id, set()).add(question_id)
    if not found:
        return 0
    result = session.execute(
        delete(Answer)
        .where(Answer.conversation_id.in_(list(found)), Answer.is_free_text.is_(True))
        .execution_options(synchronize_session=False)
    )
    for conversation in session.scalars(select(Conversation).where(Conversation.id.in_(list(found)))):
        conversation.state = without_answers(conversation.state, found[conversation.id])
    session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]


def discard_exports(session: Session, instance_path: Path, campaign_ids: Collection[int]) -> int:
    """Exports already written for these campaigns hold data that is now gone: file and row are deleted.

    Exports still queued or being written are left alone: they read the database as it is when they run.
    """
    from service.results.export_jobs import export_file  # the results package is heavy; only erasure needs it

    if not campaign_ids:
        return 0
    count = 0
    for export in session.scalars(
        select(Export).where(
            Export.campaign_id.in_(list(campaign_ids)), Export.status.in_(("done", "failed"))
        )
    ):
        path = export_file(instance_path, export)
        if path is not None:
            path.unlink(missing_ok=True)
        session.delete(export)
        count += 1
    session.flush()
    return count


def without_answers(state: dict[str, Any], question_ids: Collection[str]) -> dict[str, Any]:
    """A conversation's stored engine state with some answers taken out (a new dict, so it is saved)."""
    answers = state.get("answers")
    if not isinstance(answers, dict):
        return dict(state)
    return {**state, "answers": {key: value for key, value in answers.items() if key not in question_ids}}


# --- erasing respondents --------------------------------------------------------------------------------


def _delete_conversations(session: Session, ids: list[int]) -> None:
    if not ids:
        return
    for model in (Answer, Score, ConsentRecord):
        session.execute(
            delete(model).where(model.conversation_id.in_(ids)).execution_options(synchronize_session=False)
        )
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.conversation_id.in_(ids))
        .values(conversation_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.conversation_id.in_(ids))
        .values(conversation_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Conversation).where(Conversation.id.in_(ids)).execution_options(synchronize_session=False)
    )


def _unlink_messages(
    session: Session,
    conversation_ids: list[int],
    contact_ids: list[int],
    identity_ids: list[int],
    now: datetime,
) -> None:
    """Cut what leads back to the provider (and so to the number): message ids, bodies, queued sends."""
    if conversation_ids:
        session.execute(
            update(Answer)
            .where(Answer.conversation_id.in_(conversation_ids))
            .values(inbound_message_id=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.conversation_id.in_(conversation_ids))
            .values(conversation_id=None)
            .execution_options(synchronize_session=False)
        )
    if contact_ids or conversation_ids or identity_ids:
        concerned = or_(
            OutboundMessage.contact_id.in_(contact_ids),
            OutboundMessage.conversation_id.in_(conversation_ids),
            OutboundMessage.identity_id.in_(identity_ids),
        )
        session.execute(
            update(OutboundMessage)
            .where(concerned, OutboundMessage.status == OutboundStatus.QUEUED)
            .values(status=OutboundStatus.CANCELED, error_code="erased", updated_at=now)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(OutboundMessage)
            .where(concerned)
            .values(provider_id=None, body="", identity_id=None, conversation_id=None)
            .execution_options(synchronize_session=False)
        )


def erase_respondents(
    session: Session,
    organization: Organization,
    respondent_ids: Collection[int],
    *,
    now: datetime,
    instance_path: Path | None = None,
) -> ErasureReport:
    """Erase these respondents of ``organization`` as its ``erasure_mode`` says, in the caller's transaction.

    With ``instance_path``, the campaigns' export files already written (which hold the person's answers)
    are deleted too.
    """
    ids = sorted(set(respondent_ids))
    mode = ErasureMode(organization.erasure_mode)
    owned = list(
        session.scalars(
            select(Respondent.id).where(Respondent.id.in_(ids), Respondent.organization_id == organization.id)
        )
    )
    if len(owned) != len(ids):
        raise ValueError("a respondent of another organization was given")
    session.flush()
    conversations = session.execute(
        select(Conversation.id, Conversation.campaign_id, Conversation.status, Conversation.scored_at)
        .where(Conversation.respondent_id.in_(ids))
        .order_by(Conversation.id)
        .with_for_update()
    ).all()
    contact_ids = list(session.scalars(select(Contact.id).where(Contact.respondent_id.in_(ids))))
    identity_ids = list(session.scalars(select(Identity.id).where(Identity.respondent_id.in_(ids))))
    free_text = int(
        session.scalar(
            select(func.count(Answer.id)).where(
                Answer.conversation_id.in_([row.id for row in conversations]), Answer.is_free_text.is_(True)
            )
        )
        or 0
    )

    exports = (
        discard_exports(session, instance_path, {row.campaign_id for row in conversations})
        if instance_path is not None
        else 0
    )
    if mode is ErasureMode.DELETE:
        rescore = sorted(
            {
                row.campaign_id
                for row in conversations
                if row.status == ConversationStatus.COMPLETED and row.scored_at
            }
        )
        conversation_ids = [row.id for row in conversations]
        _delete_conversations(session, conversation_ids)
        concerned = or_(
            OutboundMessage.contact_id.in_(contact_ids), OutboundMessage.identity_id.in_(identity_ids)
        )
        session.execute(delete(OutboundMessage).where(concerned).execution_options(synchronize_session=False))
        session.execute(
            delete(Contact).where(Contact.id.in_(contact_ids)).execution_options(synchronize_session=False)
        )
        session.execute(
            delete(Identity).where(Identity.id.in_(identity_ids)).execution_options(synchronize_session=False)
        )
        session.execute(
            delete(Respondent).where(Respondent.id.in_(ids)).execution_options(synchronize_session=False)
        )
        session.expire_all()
        codes = []
        for campaign in session.scalars(
            select(Campaign).where(Campaign.id.in_(rescore)).order_by(Campaign.id)
        ):
            rescore_campaign(session, campaign, now)
            codes.append(campaign.code)
        session.flush()
        return ErasureReport(
            mode=mode.value,
            respondents=len(ids),
            identities=len(identity_ids),
            conversations_deleted=len(conversation_ids),
            conversations_kept=0,
            free_text_answers=free_text,
            contacts=len(contact_ids),
            campaigns_rescored=tuple(codes),
            exports_discarded=exports,
        )

    kept = [row.id for row in conversations if row.status == ConversationStatus.COMPLETED]
    dropped = [row.id for row in conversations if row.status != ConversationStatus.COMPLETED]
    _delete_conversations(session, dropped)
    erase_free_text(session, kept)
    _unlink_messages(session, kept, contact_ids, identity_ids, now)
    if kept:
        session.execute(
            update(Conversation)
            .where(Conversation.id.in_(kept))
            .values(identity_id=None, resume_code=None)
            .execution_options(synchronize_session=False)
        )
    clear_contacts(session, contact_ids)
    erased = erase_identities(session, identity_ids, now)
    for respondent in session.scalars(select(Respondent).where(Respondent.id.in_(ids))):
        respondent.pseudonym = secrets.token_hex(16)
        respondent.erased_at = now
    session.flush()
    session.expire_all()
    return ErasureReport(
        mode=mode.value,
        respondents=len(ids),
        identities=erased,
        conversations_deleted=len(dropped),
        conversations_kept=len(kept),
        free_text_answers=free_text,
        contacts=len(contact_ids),
        campaigns_rescored=(),
        exports_discarded=exports,
    )
