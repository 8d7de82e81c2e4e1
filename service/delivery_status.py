"""Delivery reports from the provider (Twilio status callbacks), recorded on our outbound messages.

Callbacks arrive late, twice, or out of order ("delivered" before "sent"). A report only ever moves a
message up :data:`~service.models.STATUS_RANK`, in one conditional UPDATE, so any order and any number
of copies end in the same state, and two copies racing can't both win. A permanent failure says
something lasting about the recipient: an invalid or unreachable number marks the contact failed; an
unsubscribed one (Twilio's 21610) is an opt-out like a STOP, recorded for the message's organization.

The delivery jobs (``workers/``, ``service/outbound.py``) own sending and the queued → sending → sent
steps; this module only applies what the provider reports afterwards.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from bots.sms import DeliveryReport, RecipientFailure, recipient_failure
from service import respondents
from service.models import (
    STATUS_RANK,
    Contact,
    ContactStatus,
    Identity,
    OutboundMessage,
    OutboundStatus,
)

log = logging.getLogger(__name__)

_FAILED = frozenset({OutboundStatus.UNDELIVERED, OutboundStatus.FAILED})


class ReportOutcome(enum.StrEnum):
    RECORDED = "recorded"
    STALE = "stale"
    """The message already stands at this rank or higher (a duplicate, or a late report)."""
    UNKNOWN = "unknown"
    """No outbound message has this provider id (not ours, or not recorded yet)."""


def record_delivery_report(session: Session, report: DeliveryReport, *, now: datetime) -> ReportOutcome:
    """Apply one provider report to the message it is about, if it moves the message forward."""
    status = OutboundStatus(report.status)
    rank = STATUS_RANK[status]
    row = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.provider_id == report.provider_id, OutboundMessage.status_rank < rank)
        .values(status=status, status_rank=rank, error_code=report.error_code, updated_at=now)
        .returning(
            OutboundMessage.id,
            OutboundMessage.organization_id,
            OutboundMessage.contact_id,
            OutboundMessage.identity_id,
            OutboundMessage.channel,
        )
    ).first()
    if row is None:
        known = session.scalar(
            select(OutboundMessage.id).where(OutboundMessage.provider_id == report.provider_id)
        )
        return ReportOutcome.STALE if known is not None else ReportOutcome.UNKNOWN
    message_id, organization_id, contact_id, identity_id, channel = row
    if status in _FAILED:
        failure = record_recipient_failure(
            session,
            organization_id=organization_id,
            contact_id=contact_id,
            identity_id=identity_id,
            channel=channel,
            error_code=report.error_code,
            now=now,
        )
        if failure is not None:
            log.info("message %s: recipient %s (error %s)", message_id, failure, report.error_code)
    return ReportOutcome.RECORDED


def record_recipient_failure(
    session: Session,
    *,
    organization_id: int,
    contact_id: int | None,
    identity_id: int | None,
    channel: str,
    error_code: str | None,
    now: datetime,
) -> RecipientFailure | None:
    """Record what a provider error code says for good about a recipient (also for refusals at send time).

    An unsubscribed number (21610) is opted out of the organization on that channel, as if it had sent
    STOP; an invalid or unreachable one marks the contact failed. Other codes change nothing.
    """
    failure = recipient_failure(error_code)
    if failure is None:
        return None
    if failure is RecipientFailure.OPTED_OUT and identity_id is not None:
        digest = session.scalar(select(Identity.digest).where(Identity.id == identity_id))
        if digest is not None:
            # Twilio refuses to send to this number until the person opts back in: so do we, everywhere in
            # the organization (this also marks their contacts opted out and cancels what is queued).
            respondents.opt_out(session, [organization_id], channel, digest, source="provider", now=now)
    if contact_id is not None:
        # A contact who opted out stays opted out, whatever fails later.
        contact_status = (
            ContactStatus.OPTED_OUT
            if failure is RecipientFailure.OPTED_OUT
            else case((Contact.status == ContactStatus.OPTED_OUT, Contact.status), else_=ContactStatus.FAILED)
        )
        session.execute(
            update(Contact)
            .where(Contact.id == contact_id)
            .values(status=contact_status, error_code=error_code)
        )
    return failure
