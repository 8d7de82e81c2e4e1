"""Launching a campaign on a channel: one invitation per contact, created and queued in batches.

A launch is asked for in a web request or at the command line (:func:`request_launch` records a
:class:`~service.models.Launch` and returns at once); the launch job (:func:`run_launch`) then inserts
invitations 1,000 at a time with ``ON CONFLICT DO NOTHING`` and enqueues each batch in one pipelined
round trip, so 100,000 contacts are queued in seconds. Invitations are unique per contact, so a second
launch or a double click only queues what is missing; it also re-offers invitations whose jobs were lost
and Telegram invitations held back until the person linked their chat. :func:`progress` reads where a
launch stands from the outbound messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.campaigns import is_accepting
from service.contacts import INVITABLE_CHANNELS, whatsapp_refusal
from service.dispatch import JobSpec, enqueue_once
from service.models import (
    STATUS_RANK,
    Campaign,
    Contact,
    ContactStatus,
    Launch,
    MessageKind,
    OutboundMessage,
    OutboundStatus,
    utcnow,
)
from service.outbound import dispatch, dispatch_new
from service.runtime import Runtime
from service.texts import N_

LAUNCH_JOB = "workers.launch.launch_campaign"
LAUNCH = JobSpec(LAUNCH_JOB, queue="default", timeout=3600)
BATCH = 1000


class LaunchError(ValueError):
    """A launch that can't be made; the message (an ``N_`` text) is safe to show to staff."""


@dataclass(frozen=True)
class LaunchProgress:
    """Where a launch's invitations stand (for the progress bar)."""

    total: int
    created: int
    queued: int
    sending: int
    sent: int
    failed: int
    canceled: int
    finished: bool
    error: str | None

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.canceled


def request_launch(
    session: Session,
    campaign: Campaign,
    channel: str,
    *,
    requested_by_id: int | None = None,
    now: datetime | None = None,
) -> Launch:
    """Record a launch of ``campaign`` on ``channel``; enqueue :data:`LAUNCH_JOB` with its id after commit."""
    now = now or utcnow()
    if channel == "whatsapp":
        raise LaunchError(whatsapp_refusal())
    if channel not in INVITABLE_CHANNELS:
        raise LaunchError(
            N_(
                "invitations go out by %(channels)s, not %(channel)s",
                channels=", ".join(INVITABLE_CHANNELS),
                channel=channel,
            )
        )
    if channel not in campaign.channels:
        raise LaunchError(N_("this campaign does not use the %(channel)s channel", channel=channel))
    if not is_accepting(campaign, now):
        raise LaunchError(N_("the campaign is not running: start it before sending invitations"))
    total = session.scalar(
        select(func.count(Contact.id)).where(Contact.campaign_id == campaign.id, Contact.channel == channel)
    )
    launch = Launch(
        campaign_id=campaign.id,
        channel=channel,
        total=int(total or 0),
        requested_by_id=requested_by_id,
        requested_at=now,
    )
    session.add(launch)
    session.flush()
    return launch


def launch_job_id(launch_id: int) -> str:
    """The launch job's stable id: the sweep offers an unfinished launch again only when RQ lost its job."""
    return f"launch-{launch_id}"


def enqueue_launch(runtime: Runtime, launch_id: int) -> None:
    """Hand a recorded launch to the workers (inline without Redis)."""
    enqueue_once(runtime, LAUNCH, [(launch_job_id(launch_id), (launch_id,))])


def run_launch(runtime: Runtime, launch_id: int) -> int:
    """Create and queue the launch's invitations; returns how many this launch created."""
    with runtime.transaction() as session:
        launch = session.get(Launch, launch_id)
        if launch is None or launch.finished_at is not None:
            return 0
        campaign = session.get_one(Campaign, launch.campaign_id)
        if not is_accepting(campaign, utcnow()):
            launch.error = "the campaign is not running"
            launch.finished_at = utcnow()
            return 0
        channel, campaign_id, organization_id = launch.channel, campaign.id, campaign.organization_id
        # Rows created from here on are offered as they are created; the pass at the end re-offers only older ones.
        existing = int(session.scalar(select(func.max(OutboundMessage.id))) or 0)
    created = 0
    after = 0
    while True:
        with runtime.transaction() as session:
            upto = _batch_end(session, campaign_id, channel, after)
            if upto is None:
                break
            new_ids = _insert_invitations(session, organization_id, campaign_id, channel, after, upto)
            session.execute(
                update(Launch).where(Launch.id == launch_id).values(queued=Launch.queued + len(new_ids))
            )
        created += len(new_ids)
        dispatch_new(runtime, new_ids)
        after = upto
    _offer_pending(runtime, campaign_id, channel, up_to=existing)
    with runtime.transaction() as session:
        session.execute(update(Launch).where(Launch.id == launch_id).values(finished_at=utcnow()))
    return created


def _invitable(campaign_id: int, channel: str) -> tuple[Any, ...]:
    """The contacts a launch on ``channel`` invites: all but those opted out or known unreachable."""
    return (
        Contact.campaign_id == campaign_id,
        Contact.channel == channel,
        Contact.status.notin_((ContactStatus.OPTED_OUT, ContactStatus.FAILED)),
    )


def _batch_end(session: Session, campaign_id: int, channel: str, after: int) -> int | None:
    """The last contact id of the next batch of (at most) :data:`BATCH` after ``after``; None when done."""
    ids = select(Contact.id).where(*_invitable(campaign_id, channel), Contact.id > after).order_by(Contact.id)
    last = session.scalar(ids.offset(BATCH - 1).limit(1))
    if last is not None:
        return int(last)
    rest = session.scalar(
        select(func.max(Contact.id)).where(*_invitable(campaign_id, channel), Contact.id > after)
    )
    return int(rest) if rest is not None else None


_INVITATION_COLUMNS = (
    "organization_id",
    "campaign_id",
    "contact_id",
    "channel",
    "kind",
    "sequence",
    "language",
    "identity_id",
    "status",
    "status_rank",
    "body",
    "attempts",
    "created_at",
    "updated_at",
)


def _insert_invitations(
    session: Session, organization_id: int, campaign_id: int, channel: str, after: int, upto: int
) -> list[int]:
    """One ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per batch: the database copies the contacts into
    invitations, and returns the ids of those it created (none for a contact already invited)."""
    now = utcnow()
    contacts = select(
        literal(organization_id),
        literal(campaign_id),
        Contact.id,
        literal(channel),
        literal(MessageKind.INVITATION.value),
        literal(0),
        Contact.language,
        # Telegram sends to the chat the person linked, found when sending.
        literal(None, Contact.identity_id.type) if channel == "telegram" else Contact.identity_id,
        literal(OutboundStatus.QUEUED.value),
        literal(STATUS_RANK[OutboundStatus.QUEUED]),
        literal(""),
        literal(0),
        literal(now, OutboundMessage.created_at.type),
        literal(now, OutboundMessage.updated_at.type),
    ).where(*_invitable(campaign_id, channel), Contact.id > after, Contact.id <= upto)
    insert: Any = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(OutboundMessage)
        .from_select(list(_INVITATION_COLUMNS), contacts)
        .on_conflict_do_nothing(index_elements=["contact_id", "kind", "sequence"])
        .returning(OutboundMessage.id)
    )
    return [int(message_id) for message_id in session.scalars(statement)]


def _offer_pending(runtime: Runtime, campaign_id: int, channel: str, *, up_to: int) -> None:
    """Queue again Telegram invitations held back for want of a linked chat, and offer every queued one
    created before this launch (``id <= up_to``: the launch has just offered its own, and checking 100,000
    fresh rows against RQ again doubled the Redis work of a launch, measured in bench/launch)."""
    with runtime.transaction() as session:
        session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.campaign_id == campaign_id,
                OutboundMessage.channel == channel,
                OutboundMessage.kind == MessageKind.INVITATION,
                OutboundMessage.status == OutboundStatus.CANCELED,
                OutboundMessage.error_code == "not_linked",
            )
            .values(
                status=OutboundStatus.QUEUED,
                status_rank=STATUS_RANK[OutboundStatus.QUEUED],
                error_code=None,
                updated_at=utcnow(),
            )
        )
    after = 0
    while True:
        with runtime.transaction() as session:
            rows = session.execute(
                select(
                    OutboundMessage.id,
                    OutboundMessage.status,
                    OutboundMessage.attempts,
                    OutboundMessage.next_attempt_at,
                )
                .where(
                    OutboundMessage.campaign_id == campaign_id,
                    OutboundMessage.channel == channel,
                    OutboundMessage.kind == MessageKind.INVITATION,
                    OutboundMessage.status == OutboundStatus.QUEUED,
                    OutboundMessage.id > after,
                    OutboundMessage.id <= up_to,
                )
                .order_by(OutboundMessage.id)
                .limit(BATCH)
            ).all()
        if not rows:
            return
        after = rows[-1].id
        dispatch(
            runtime, [row for row in rows if row.next_attempt_at is None or row.next_attempt_at <= utcnow()]
        )


def progress(session: Session, launch: Launch) -> LaunchProgress:
    """How far a launch has got, counted from its campaign's invitations on its channel."""
    counts = dict(
        session.execute(
            select(OutboundMessage.status, func.count(OutboundMessage.id))
            .where(
                OutboundMessage.campaign_id == launch.campaign_id,
                OutboundMessage.channel == launch.channel,
                OutboundMessage.kind == MessageKind.INVITATION,
            )
            .group_by(OutboundMessage.status)
        ).all()
    )
    sent = sum(counts.get(s, 0) for s in (OutboundStatus.SENT, OutboundStatus.DELIVERED))
    failed = sum(counts.get(s, 0) for s in (OutboundStatus.FAILED, OutboundStatus.UNDELIVERED))
    return LaunchProgress(
        total=launch.total,
        created=launch.queued,
        queued=counts.get(OutboundStatus.QUEUED, 0),
        sending=counts.get(OutboundStatus.SENDING, 0),
        sent=sent,
        failed=failed,
        canceled=counts.get(OutboundStatus.CANCELED, 0),
        finished=launch.finished_at is not None,
        error=launch.error,
    )
