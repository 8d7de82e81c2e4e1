"""Outbound messages: created once per contact, kind and number, and offered to the delivery job.

Invitations and reminders are rows of :class:`~service.models.OutboundMessage`, unique per
``(contact_id, kind, sequence)``: they are inserted with ``ON CONFLICT DO NOTHING``, so launching
twice, a double click, or two workers planning the same reminder never create a second one. The row
carries the delivery state machine (see :mod:`service.delivery`)::

    queued --> sending --> sent --> delivered          (provider callbacks move it on)
       ^          |          \\--> undelivered / failed
       |          +--> failed           (permanent refusal, or retries exhausted)
       +----------+                     (transient refusal: back to queued with next_attempt_at)
    queued --> canceled                 (opted out, campaign closed, reminder no longer needed)

A job for a row is named after the row's state (:func:`send_job_id`), so the sweep can tell whether
the job a pending row needs still exists in RQ.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.delivery_status import apply_held_report
from service.dispatch import JobSpec, enqueue_once
from service.models import (
    STATUS_RANK,
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    MessageKind,
    OutboundMessage,
    OutboundStatus,
)
from service.runtime import Runtime

SEND = JobSpec("workers.delivery.send_message", queue="delivery", timeout=300)
_INSERT_BATCH = 1000


@dataclass(frozen=True)
class NewMessage:
    """An outbound message to create (if its contact, kind and number don't have one yet)."""

    organization_id: int
    campaign_id: int
    contact_id: int
    channel: str
    kind: str
    sequence: int
    language: str
    identity_id: int | None = None


def insert_messages(session: Session, messages: Sequence[NewMessage], *, now: datetime) -> list[int]:
    """Insert the messages that don't exist yet, in batches; returns the ids of those actually created."""
    created: list[int] = []
    dialect = session.get_bind().dialect.name
    for start in range(0, len(messages), _INSERT_BATCH):
        values = [
            {
                **vars(message),  # shallow: asdict() deep-copies every field, a measurable cost per row
                "status": OutboundStatus.QUEUED.value,
                "status_rank": STATUS_RANK[OutboundStatus.QUEUED],
                "body": "",
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for message in messages[start : start + _INSERT_BATCH]
        ]
        statement: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OutboundMessage)
        statement = statement.on_conflict_do_nothing(
            index_elements=["contact_id", "kind", "sequence"]
        ).returning(OutboundMessage.id)
        # The rows as executemany parameters, not as one VALUES clause: SQLAlchemy then compiles the statement
        # once and sends the rows in its "insertmanyvalues" batches. Compiling a fresh 1,000-row VALUES clause
        # for every batch made a 100,000-contact launch spend most of its time in SQLAlchemy (bench/launch).
        created.extend(int(row_id) for row_id in session.scalars(statement, values))
    return created


def send_job_id(message_id: int, status: str, attempts: int, next_attempt_at: datetime | None) -> str:
    """The id of the job a pending message needs in its current state.

    A queued message waits for ``send-<id>`` (or, when a retry is scheduled, ``send-<id>-at<time>``); one
    left "sending" by a vanished worker needs ``send-<id>-check<attempt>``, which reconciles with the
    provider. The id changes whenever the row moves on, so a job never reschedules itself under its own id.
    """
    if status == OutboundStatus.SENDING:
        return f"send-{message_id}-check{attempts}"
    if next_attempt_at is not None:
        return f"send-{message_id}-at{int(next_attempt_at.timestamp())}"
    return f"send-{message_id}"


def dispatch(runtime: Runtime, rows: Iterable[Row[Any] | tuple[int, str, int, datetime | None]]) -> int:
    """Enqueue a send job for each ``(id, status, attempts, next_attempt_at)`` that has none; returns how many."""
    return enqueue_once(runtime, SEND, ((send_job_id(*row), (row[0],)) for row in rows))


def dispatch_new(runtime: Runtime, message_ids: Iterable[int]) -> int:
    """Enqueue the first send job of freshly created messages."""
    return enqueue_once(runtime, SEND, ((f"send-{message_id}", (message_id,)) for message_id in message_ids))


# --- the state machine's transitions (on a row locked by the caller) ---------------------------------------


def mark_sending(message: OutboundMessage, *, identity_id: int, body: str, now: datetime) -> None:
    """queued → sending, one more attempt: committed before the provider is called."""
    message.status = OutboundStatus.SENDING
    message.status_rank = STATUS_RANK[OutboundStatus.SENDING]
    message.attempts += 1
    message.identity_id = identity_id
    message.body = body
    message.error_code = None
    message.next_attempt_at = None
    message.updated_at = now


def mark_sent(
    session: Session,
    message: OutboundMessage,
    *,
    provider_id: str | None,
    now: datetime,
    error_code: str | None = None,
) -> None:
    """→ sent (never down from a provider's later report): the contact is invited, a reminder counted."""
    if message.status_rank < STATUS_RANK[OutboundStatus.SENT]:
        message.status = OutboundStatus.SENT
        message.status_rank = STATUS_RANK[OutboundStatus.SENT]
    if provider_id is not None:
        message.provider_id = provider_id
    message.error_code = error_code
    message.sent_at = message.sent_at or now
    message.next_attempt_at = None
    message.updated_at = now
    if provider_id is not None:
        session.flush()
        apply_held_report(session, provider_id, now=now)
    if message.contact_id is None:
        return
    session.execute(
        update(Contact)
        .where(Contact.id == message.contact_id, Contact.status == ContactStatus.PENDING)
        .values(status=ContactStatus.INVITED, error_code=None)
    )
    if message.kind == MessageKind.REMINDER:
        respondent_id = (
            select(Contact.respondent_id).where(Contact.id == message.contact_id).scalar_subquery()
        )
        session.execute(
            update(Conversation)
            .where(
                Conversation.campaign_id == message.campaign_id,
                Conversation.respondent_id == respondent_id,
                Conversation.status == ConversationStatus.IN_PROGRESS,
            )
            .values(reminders_sent=Conversation.reminders_sent + 1, last_reminder_at=now)
        )


def mark_queued(message: OutboundMessage, *, at: datetime | None, code: str | None, now: datetime) -> None:
    """→ queued, to be tried again at ``at`` (a transient refusal, a rate limit, an unreachable provider)."""
    message.status = OutboundStatus.QUEUED
    message.status_rank = STATUS_RANK[OutboundStatus.QUEUED]
    message.next_attempt_at = at
    message.error_code = code[:32] if code else None
    message.updated_at = now


def mark_canceled(message: OutboundMessage, code: str, now: datetime) -> None:
    """queued → canceled: it must not go out (opted out, campaign closed, nobody to remind any more)."""
    message.status = OutboundStatus.CANCELED
    message.status_rank = STATUS_RANK[OutboundStatus.CANCELED]
    message.error_code = code[:32]
    message.next_attempt_at = None
    message.updated_at = now


def mark_failed(message: OutboundMessage, contact: Contact | None, code: str, now: datetime) -> None:
    """→ failed, for good; the contact is marked failed too unless they opted out (which says more)."""
    message.status = OutboundStatus.FAILED
    message.status_rank = STATUS_RANK[OutboundStatus.FAILED]
    message.error_code = code[:32]
    message.next_attempt_at = None
    message.updated_at = now
    if contact is not None and contact.status != ContactStatus.OPTED_OUT:
        contact.status = ContactStatus.FAILED
        contact.error_code = code[:32]
