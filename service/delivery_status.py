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
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from bots.sms import DeliveryReport, RecipientFailure, recipient_failure
from service import respondents
from service.models import (
    STATUS_RANK,
    Contact,
    ContactStatus,
    EarlyDeliveryReport,
    Identity,
    OutboundMessage,
    OutboundStatus,
)

log = logging.getLogger(__name__)

_FAILED = frozenset({OutboundStatus.UNDELIVERED, OutboundStatus.FAILED})
ERROR_CODE_LENGTH = 32
PROVIDER_ID_LENGTH = 64
"""The stored provider id's length (``OutboundMessage.provider_id``, ``EarlyDeliveryReport.provider_id``)."""
"""The stored error code's length (``OutboundMessage.error_code``, ``Contact.error_code``)."""


class ReportOutcome(enum.StrEnum):
    RECORDED = "recorded"
    STALE = "stale"
    """The message already stands at this rank or higher (a duplicate, or a late report)."""
    UNKNOWN = "unknown"
    """No outbound message has this provider id (not ours, or not recorded yet): the report is held."""


EARLY_REPORTS_KEPT = timedelta(days=2)
"""How long a report for an id we don't know waits for its message: far longer than any send."""


def record_delivery_report(session: Session, report: DeliveryReport, *, now: datetime) -> ReportOutcome:
    """Apply one provider report to the message it is about, if it moves the message forward."""
    if len(report.provider_id) > PROVIDER_ID_LENGTH:
        # Longer than any id we store (Twilio's are 34 characters): not ours, and not worth holding.
        return ReportOutcome.UNKNOWN
    status = OutboundStatus(report.status)
    rank = STATUS_RANK[status]
    # Twilio's codes are five digits; anything longer is not one of them, and must not fail the callback.
    error_code = report.error_code[:ERROR_CODE_LENGTH] if report.error_code else None
    row = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.provider_id == report.provider_id, OutboundMessage.status_rank < rank)
        .values(status=status, status_rank=rank, error_code=error_code, updated_at=now)
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
        if known is not None:
            return ReportOutcome.STALE
        _hold(session, report, rank, error_code, now)
        return ReportOutcome.UNKNOWN
    message_id, organization_id, contact_id, identity_id, channel = row
    if status in _FAILED:
        failure = record_recipient_failure(
            session,
            organization_id=organization_id,
            contact_id=contact_id,
            identity_id=identity_id,
            channel=channel,
            error_code=error_code,
            now=now,
        )
        if failure is not None:
            log.info("message %s: recipient %s (error %s)", message_id, failure, error_code)
    return ReportOutcome.RECORDED


def _hold(session: Session, report: DeliveryReport, rank: int, error_code: str | None, now: datetime) -> None:
    """Keep a report whose message isn't recorded yet (the highest-ranked one wins, as on the message)."""
    held = session.get(EarlyDeliveryReport, report.provider_id)
    if held is None:
        session.add(
            EarlyDeliveryReport(
                provider_id=report.provider_id,
                status=report.status,
                status_rank=rank,
                provider_status=report.provider_status[:32],
                error_code=error_code,
                channel=report.channel,
                received_at=now,
            )
        )
    elif held.status_rank < rank:
        held.status, held.status_rank = report.status, rank
        held.provider_status, held.error_code = report.provider_status[:32], error_code


def apply_held_report(session: Session, provider_id: str, *, now: datetime) -> ReportOutcome | None:
    """Apply (and forget) a report that arrived before ``provider_id`` was recorded; None when there was none."""
    held = session.get(EarlyDeliveryReport, provider_id)
    if held is None:
        return None
    session.delete(held)
    session.flush()
    report = DeliveryReport(provider_id, held.status, held.provider_status, held.error_code, held.channel)
    return record_delivery_report(session, report, now=now)


def forget_stale_reports(session: Session, *, now: datetime) -> int:
    """Drop held reports no message claimed in time (not ours); returns how many."""
    result = session.execute(
        delete(EarlyDeliveryReport).where(EarlyDeliveryReport.received_at < now - EARLY_REPORTS_KEPT)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


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
