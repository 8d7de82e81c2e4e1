"""Sending one outbound message, exactly once, whatever happens to the worker or to Redis.

:func:`deliver` is the body of the delivery job. It commits "sending" *before* calling the provider and
the provider's id *right after*, so a message is never in doubt for longer than one provider call:

1. Look at the row (locked): already sent, failed or canceled → nothing to do; "sending" for less than
   the lease (``VISES_SENDING_LEASE_SECONDS``) → another attempt is at it; "sending" for longer → its
   worker vanished mid-call: reconcile (below). Cancel what must not go out: an opted-out person, a
   closed campaign, a reminder nobody needs any more, a Telegram contact who never opened their link.
   A reminder outside the allowed hours is withdrawn (deleted) and planned again in the next window.
2. Take a slot from the shared rate limiter (Twilio per sender; the Telegram channel takes its own, per
   bot and per chat, before each call).
3. Mark "sending" (attempt + 1) and commit; call the provider; record the outcome and commit:
   accepted → "sent" with the provider id; refused for good → "failed" (and the contact marked failed,
   or opted out); refused for now → back to "queued" with ``next_attempt_at`` (backoff, or the
   provider's ``retry_after``), at most :data:`MAX_ATTEMPTS` attempts.

Reconciling an unknown outcome (:mod:`service.reconciliation`): a sender that can list what it sent
(:class:`~bots.base.SentHistory`, Twilio) is asked before any second attempt, and a message found there is recorded as sent, not sent
again. Telegram can't be asked, so the policy there is at most once: a Telegram message whose outcome is
unknown (its worker died during the call, or the error gave no ``retry_after``, which is the Bot API's
sign that it refused) is recorded as sent with ``error_code="unconfirmed"`` and never sent again;
reminders still reach whoever it missed.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bots.base import Outgoing, Sender, SendError, SendResult, SentHistory
from service import respondents
from service.channels import ChannelUnavailable, sender_for
from service.contacts import identity_channel
from service.definitions import definition
from service.identities import IdentityDecryptError
from service.models import (
    Campaign,
    CampaignStatus,
    Contact,
    ContactStatus,
    Conversation,
    Identity,
    MessageKind,
    Organization,
    OutboundMessage,
    OutboundStatus,
    utcnow,
)
from service.notices import compose
from service.outbound import mark_canceled, mark_failed, mark_queued, mark_sending, mark_sent, send_job_id
from service.rate_limits import Rate, acquire, limiter_for
from service.reconciliation import find_sent
from service.reminders import ReminderPolicy, still_wanted
from service.runtime import Runtime
from service.tuning import Tuning, tuning

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (30, 120, 600, 1800)
"""Wait before attempt 2, 3, 4, 5 after a transient refusal (or longer, when the provider says so)."""
RATE_WAIT_SECONDS = 120.0
CHANNEL_RETRY = timedelta(minutes=15)
UNCONFIRMED = "unconfirmed"
WHATSAPP_WINDOW_CLOSED = "63016"
"""Twilio's refusal of a free-form WhatsApp message more than 24 hours after the person's last one: that
message can never go out (so no retry), but nothing is wrong with the person, who may write again."""
_DONE = frozenset(
    {
        OutboundStatus.SENT,
        OutboundStatus.DELIVERED,
        OutboundStatus.UNDELIVERED,
        OutboundStatus.FAILED,
        OutboundStatus.CANCELED,
    }
)


class Outcome(enum.StrEnum):
    SENT = "sent"
    RECONCILED = "reconciled"
    """An earlier attempt had gone out: recorded now, not sent again."""
    UNCONFIRMED = "unconfirmed"
    FAILED = "failed"
    CANCELED = "canceled"
    WITHDRAWN = "withdrawn"
    RETRY = "retry"
    """Back to queued; ``retry_at`` says when, ``job_id`` names the job to run then."""
    WAITING = "waiting"
    """Left as it is for now (campaign paused, another attempt in flight, provider unreachable to ask)."""
    DONE = "done"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    retry_at: datetime | None = None
    job_id: str | None = None


@dataclass(frozen=True)
class _Plan:
    """Everything needed to send, gathered in one short transaction."""

    attempts: int
    stale_sending: bool
    channel: str
    identity_id: int
    digest: str
    address: str
    outgoing: Outgoing
    sender: Sender
    created_at: datetime


def deliver(runtime: Runtime, message_id: int) -> Delivery:
    """Send outbound message ``message_id`` if, and only if, it still has to go out."""
    knobs = tuning(runtime.settings)
    with runtime.transaction() as session:
        found = _prepare(session, runtime, knobs, message_id, utcnow())
    if isinstance(found, Delivery):
        return found
    plan = found
    history = plan.sender if isinstance(plan.sender, SentHistory) else None
    if plan.stale_sending or (plan.attempts > 0 and history is not None):
        settled = _reconcile(runtime, message_id, plan, history)
        if settled is not None:
            return settled
        if plan.stale_sending:
            # Back in the queue: checked again (paused campaign, opt-out...) and sent like any queued message.
            return deliver(runtime, message_id)
    try:
        _take_slot(runtime, knobs, plan)
    except TimeoutError:
        return _postpone(runtime, message_id, plan, timedelta(seconds=30), error_code="rate_limited")
    if not _mark_sending(runtime, message_id, plan):
        return Delivery(Outcome.WAITING)
    try:
        result = plan.sender.send(plan.address, plan.outgoing)
    except SendError as exc:
        with runtime.transaction() as session:
            return _refused(session, message_id, plan, exc, history is not None, utcnow())
    except TimeoutError:
        # A sender's own rate limiter gave up (Telegram's, before a Bot API call): the outcome is that of a
        # transient error without retry_after, since part of a multi-message send may have gone out.
        refusal = SendError("no rate-limit slot in time", permanent=False, code="rate_limited")
        with runtime.transaction() as session:
            return _refused(session, message_id, plan, refusal, history is not None, utcnow())
    with runtime.transaction() as session:
        _record_sent(session, message_id, result, utcnow())
    return Delivery(Outcome.SENT)


# --- 1. looking at the row -------------------------------------------------------------------------------


def _prepare(
    session: Session, runtime: Runtime, knobs: Tuning, message_id: int, now: datetime
) -> _Plan | Delivery:
    message = session.get(OutboundMessage, message_id, with_for_update=True)
    if message is None or message.status in _DONE:
        return Delivery(Outcome.DONE)
    stale = False
    if message.status == OutboundStatus.SENDING:
        if now - message.updated_at < timedelta(seconds=knobs.sending_lease_seconds):
            return Delivery(Outcome.WAITING)
        stale = True
    elif message.next_attempt_at is not None and message.next_attempt_at > now + timedelta(seconds=1):
        return Delivery(Outcome.WAITING)

    campaign = session.get(Campaign, message.campaign_id) if message.campaign_id else None
    contact = session.get(Contact, message.contact_id) if message.contact_id else None
    if campaign is None or contact is None:
        return _cancel(message, "no_campaign", now)
    if campaign.status == CampaignStatus.CLOSED or (campaign.closes_at and now >= campaign.closes_at):
        return _cancel(message, "campaign_closed", now, attempted=stale)
    if campaign.status != CampaignStatus.RUNNING and not stale:
        return Delivery(Outcome.WAITING)
    if contact.status == ContactStatus.OPTED_OUT:
        return _cancel(message, "opted_out", now, attempted=stale)
    if not stale and message.attempts >= MAX_ATTEMPTS:
        # Attempts that ended in an unexpected error (not a provider refusal) and were found unsent.
        return _fail(message, contact, message.error_code or "gave_up", now)

    conversation: Conversation | None = None
    if message.kind == MessageKind.REMINDER:
        wanted, conversation = still_wanted(session, campaign, contact)
        policy = ReminderPolicy.parse(campaign.reminder_policy)
        if not stale and (not wanted or policy is None):
            return _cancel(message, "not_needed", now)
        if not stale and policy is not None and not policy.allows_hour(now, contact.timezone):
            session.delete(message)
            return Delivery(Outcome.WITHDRAWN)
    elif not stale and _has_conversation(session, campaign.id, contact.respondent_id):
        return _cancel(message, "already_started", now)

    identity = _identity(session, contact, message)
    if identity is None:
        code = "not_linked" if message.channel == "telegram" else "erased"
        return _cancel(message, code, now, attempted=stale)
    if respondents.is_opted_out(session, campaign.organization_id, message.channel, identity.digest):
        contact.status = ContactStatus.OPTED_OUT
        return _cancel(message, "opted_out", now, attempted=stale)
    try:
        address = runtime.vault.decrypt(identity.ciphertext or b"")
    except IdentityDecryptError:
        log.error("message %s: the contact's address can't be decrypted with the configured keys", message.id)
        return _fail(message, contact, "undecryptable", now)
    try:
        sender = sender_for(runtime, message.channel)
    except ChannelUnavailable:
        log.warning(
            "message %s: the %s channel is not configured; trying again later", message.id, message.channel
        )
        if stale:
            return Delivery(Outcome.WAITING)
        return _requeue(message, now + CHANNEL_RETRY, "channel_unavailable", now)

    organization = session.get_one(Organization, campaign.organization_id)
    outgoing = compose(
        runtime.settings,
        campaign,
        kind=message.kind,
        channel=message.channel,
        language=message.language,
        org=organization.short_name,
        questionnaire=definition(campaign.questionnaire_version) if conversation is not None else None,
        conversation=conversation,
    )
    return _Plan(
        attempts=message.attempts,
        stale_sending=stale,
        channel=message.channel,
        identity_id=identity.id,
        digest=identity.digest,
        address=address,
        outgoing=outgoing,
        sender=sender,
        created_at=message.created_at,
    )


def _has_conversation(session: Session, campaign_id: int, respondent_id: int) -> bool:
    """The person already answered or is answering (they came by keyword or link before the invitation)."""
    found = session.scalar(
        select(Conversation.id)
        .where(Conversation.campaign_id == campaign_id, Conversation.respondent_id == respondent_id)
        .limit(1)
    )
    return found is not None


def _identity(session: Session, contact: Contact, message: OutboundMessage) -> Identity | None:
    """Where to send: the contact's own address, or for Telegram the chat they linked to their respondent."""
    if message.channel == identity_channel(message.channel):
        identity = session.get(Identity, contact.identity_id)
    else:
        identity = session.scalar(
            select(Identity)
            .where(
                Identity.respondent_id == contact.respondent_id,
                Identity.channel == message.channel,
                Identity.erased_at.is_(None),
                Identity.ciphertext.is_not(None),
            )
            .order_by(Identity.id.desc())
            .limit(1)
        )
    if identity is None or identity.erased_at is not None or identity.ciphertext is None:
        return None
    return identity


def _cancel(message: OutboundMessage, code: str, now: datetime, *, attempted: bool = False) -> Delivery:
    """Cancel a message that must not go out; one left "sending" may have gone out, so it is only failed."""
    if attempted:
        # An attempt was under way: it may have reached the person. Nothing is sent again either way.
        mark_failed(message, None, code, now)
        return Delivery(Outcome.FAILED)
    mark_canceled(message, code, now)
    return Delivery(Outcome.CANCELED)


def _fail(message: OutboundMessage, contact: Contact | None, code: str, now: datetime) -> Delivery:
    mark_failed(message, contact, code, now)
    return Delivery(Outcome.FAILED)


def _requeue(message: OutboundMessage, at: datetime, code: str | None, now: datetime) -> Delivery:
    mark_queued(message, at=at, code=code, now=now)
    return Delivery(
        Outcome.RETRY, retry_at=at, job_id=send_job_id(message.id, message.status, message.attempts, at)
    )


# --- reconciling ---------------------------------------------------------------------------------------


def _reconcile(
    runtime: Runtime, message_id: int, plan: _Plan, history: SentHistory | None
) -> Delivery | None:
    """Settle an earlier attempt of unknown outcome; None when it is safe to send now."""
    now = utcnow()
    if history is None:
        with runtime.transaction() as session:
            message = session.get_one(OutboundMessage, message_id, with_for_update=True)
            if message.status != OutboundStatus.SENDING or message.attempts != plan.attempts:
                return Delivery(Outcome.WAITING)
            log.info("message %s: outcome of attempt %s unknown; not sent again", message_id, plan.attempts)
            mark_sent(session, message, provider_id=None, now=now, error_code=UNCONFIRMED)
        return Delivery(Outcome.UNCONFIRMED)
    try:
        found = find_sent(history, plan.address, plan.outgoing, since=plan.created_at)
    except SendError as exc:
        log.warning("message %s: can't ask the provider what was sent (%s); later", message_id, exc.code)
        if plan.stale_sending:
            return Delivery(Outcome.WAITING)
        return _postpone(
            runtime, message_id, plan, timedelta(seconds=BACKOFF_SECONDS[0]), error_code=exc.code
        )
    with runtime.transaction() as session:
        message = session.get_one(OutboundMessage, message_id, with_for_update=True)
        expected = OutboundStatus.SENDING if plan.stale_sending else OutboundStatus.QUEUED
        if message.status != expected or message.attempts != plan.attempts:
            return Delivery(Outcome.WAITING)
        if found is not None:
            log.info("message %s: attempt %s had reached the provider; recorded", message_id, plan.attempts)
            mark_sent(session, message, provider_id=found, now=now)
            return Delivery(Outcome.RECONCILED)
        if plan.stale_sending:
            # The provider never got it: the message goes back to the queue and is sent below.
            mark_queued(message, at=None, code=message.error_code, now=now)
    return None


# --- 2 and 3. sending ------------------------------------------------------------------------------------


def _take_slot(runtime: Runtime, knobs: Tuning, plan: _Plan) -> None:
    """Twilio's per-sender rate, shared by every worker. The Telegram channel takes its own slots (per bot
    and per chat, :mod:`service.telegram_rates`) before each Bot API call, for replies as well."""
    if plan.channel in ("sms", "whatsapp"):
        acquire(
            limiter_for(runtime), f"twilio:{plan.channel}", Rate(knobs.twilio_mps), timeout=RATE_WAIT_SECONDS
        )


def _postpone(
    runtime: Runtime, message_id: int, plan: _Plan, wait: timedelta, *, error_code: str | None
) -> Delivery:
    now = utcnow()
    with runtime.transaction() as session:
        message = session.get_one(OutboundMessage, message_id, with_for_update=True)
        if message.status != OutboundStatus.QUEUED or message.attempts != plan.attempts:
            return Delivery(Outcome.WAITING)
        return _requeue(message, now + wait, error_code, now)


def _mark_sending(runtime: Runtime, message_id: int, plan: _Plan) -> bool:
    """Commit "sending" before the provider call; False if another attempt got there first."""
    now = utcnow()
    with runtime.transaction() as session:
        message = session.get_one(OutboundMessage, message_id, with_for_update=True)
        # An opt-out since step 1 cancelled the row (``respondents.opt_out`` cancels queued messages).
        if message.status != OutboundStatus.QUEUED or message.attempts != plan.attempts:
            return False
        mark_sending(message, identity_id=plan.identity_id, body="\n".join(plan.outgoing.texts), now=now)
    return True


def _record_sent(session: Session, message_id: int, result: SendResult, now: datetime) -> None:
    message = session.get_one(OutboundMessage, message_id, with_for_update=True)
    if message.provider_id is not None and message.provider_id != result.provider_id:
        log.error("message %s: sent twice (provider ids differ); keeping the first", message_id)
        return
    message.segments = result.segments
    message.encoding = result.encoding
    mark_sent(session, message, provider_id=result.provider_id, now=now)


def _refused(
    session: Session, message_id: int, plan: _Plan, exc: SendError, can_reconcile: bool, now: datetime
) -> Delivery:
    message = session.get_one(OutboundMessage, message_id, with_for_update=True)
    if message.status != OutboundStatus.SENDING or message.attempts != plan.attempts + 1:
        return Delivery(Outcome.WAITING)
    contact = session.get(Contact, message.contact_id) if message.contact_id else None
    code = (exc.code or ("refused" if exc.permanent else "transient"))[:32]
    window_closed = code == WHATSAPP_WINDOW_CLOSED
    permanent = exc.permanent or window_closed
    log.info("message %s: %s refusal (%s)", message_id, "permanent" if permanent else "transient", code)
    if permanent:
        if exc.opted_out and message.campaign_id is not None:
            organization_id = session.scalar(
                select(Campaign.organization_id).where(Campaign.id == message.campaign_id)
            )
            respondents.opt_out(
                session, [organization_id or 0], plan.channel, plan.digest, source="provider", now=now
            )
            if contact is not None:
                contact.status = ContactStatus.OPTED_OUT
                contact.error_code = code
        return _fail(message, None if window_closed else contact, code, now)
    if not can_reconcile and exc.retry_after is None:
        # Telegram: without a retry_after the Bot API may have sent it; at most once.
        mark_sent(session, message, provider_id=None, now=now, error_code=UNCONFIRMED)
        return Delivery(Outcome.UNCONFIRMED)
    if message.attempts >= MAX_ATTEMPTS:
        return _fail(message, contact, code, now)
    wait = BACKOFF_SECONDS[min(message.attempts, len(BACKOFF_SECONDS)) - 1]
    # Spread retries of a burst of failures over a tenth of the wait, so they don't all return at once.
    wait_seconds = max(float(wait) * (1 + (message_id % 10) / 100), exc.retry_after or 0.0)
    return _requeue(message, now + timedelta(seconds=wait_seconds), code, now)
