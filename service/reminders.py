"""Reminders: the campaign's policy, and planning who is due one now, from the database alone.

A campaign's ``reminder_policy`` is a JSON object; ``{}`` means no reminders::

    {"after_days": [2, 5], "max": 2, "hours": [9, 19], "timezone": "Europe/Brussels"}

* ``after_days`` (required): reminder *n* is due ``after_days[n-1]`` days after the invitation was sent,
  and no sooner after reminder *n-1* than the policy spaces them (3 days for ``[2, 5]``). Positive
  numbers (fractions allowed), strictly increasing, at most 60 days, at most 5 reminders.
* ``max``: how many reminders at most (default: as many as ``after_days`` lists, never more).
* ``hours``: ``[from, to]``, the local hours in which reminders may be sent (from 09:00 to 18:59 for
  ``[9, 19]``); default ``[9, 19]``.
* ``timezone``: the IANA zone of those hours when the respondent's own is not known (it is when their
  phone number belongs to one zone); default ``Europe/Brussels``.

Who gets one: an invited contact (their invitation went out) who never started, or whose conversation
is still in progress and has been silent for at least ``after_days[0]`` days; never anyone who
finished, refused, opted out, or whose conversation expired, and never on a campaign that is not
running. Planning is derived from the stored invitation, reminders and conversations, so it is the same
after any restart; each reminder is a row unique per contact and number, so planning twice (two
workers, a retry) never creates a second one.

On WhatsApp, a reminder goes out only while the person's last message to us is less than 24 hours old:
outside that window Twilio refuses free-form messages (error 63016) and vises sends no templates. A
reminder due outside it is skipped: its row is created already canceled (``whatsapp_window``), so it
counts as that contact's reminder *n* and is never planned again.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from service.models import (
    STATUS_RANK,
    Campaign,
    CampaignStatus,
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    InboundMessage,
    MessageKind,
    OutboundMessage,
    OutboundStatus,
)
from service.outbound import NewMessage, insert_messages
from service.texts import N_

log = logging.getLogger(__name__)

DEFAULT_HOURS = (9, 19)
DEFAULT_TIMEZONE = "Europe/Brussels"
MAX_REMINDERS = 5
MAX_DAYS = 60
_KNOWN_KEYS = frozenset({"after_days", "max", "hours", "timezone"})
_BATCH = 1000
_REACHED = (OutboundStatus.SENT, OutboundStatus.DELIVERED)
WHATSAPP = "whatsapp"
WHATSAPP_WINDOW = timedelta(hours=24)
"""How long after a person's last WhatsApp message we may still write to them without a template."""
OUTSIDE_WHATSAPP_WINDOW = "whatsapp_window"
"""The error code of a WhatsApp reminder skipped because the person last wrote too long ago."""


class PolicyError(ValueError):
    """A reminder policy that can't be used; the message (an ``N_`` text) names the field, for staff to fix it."""


@dataclass(frozen=True)
class ReminderPolicy:
    after_days: tuple[float, ...]
    max: int
    hours: tuple[int, int] = DEFAULT_HOURS
    timezone: str = DEFAULT_TIMEZONE

    @classmethod
    def parse(cls, data: Mapping[str, Any] | None) -> ReminderPolicy | None:
        """The policy stored on a campaign, checked; None when it asks for no reminders."""
        if not data:
            return None
        if not isinstance(data, Mapping):
            raise PolicyError(N_("reminder_policy: must be an object"))
        unknown = sorted(set(data) - _KNOWN_KEYS)
        if unknown:
            raise PolicyError(
                N_(
                    "reminder_policy: unknown field %(field)r (known: %(known)s)",
                    field=unknown[0],
                    known=", ".join(sorted(_KNOWN_KEYS)),
                )
            )
        after = _after_days(data.get("after_days"))
        most = data.get("max", len(after))
        if isinstance(most, bool) or not isinstance(most, int) or not 0 <= most <= len(after):
            raise PolicyError(
                N_("reminder_policy.max: a whole number from 0 to %(n)d (the after_days given)", n=len(after))
            )
        hours = _hours(data.get("hours", list(DEFAULT_HOURS)))
        zone = data.get("timezone", DEFAULT_TIMEZONE)
        if not isinstance(zone, str) or not _zone(zone):
            raise PolicyError(
                N_("reminder_policy.timezone: %(zone)r is not a time zone (e.g. Europe/Brussels)", zone=zone)
            )
        return cls(after_days=after, max=most, hours=hours, timezone=zone)

    def to_json(self) -> dict[str, Any]:
        return {
            "after_days": [int(d) if float(d).is_integer() else d for d in self.after_days],
            "max": self.max,
            "hours": list(self.hours),
            "timezone": self.timezone,
        }

    def due_at(self, number: int, invited_at: datetime) -> datetime:
        """When reminder ``number`` (1-based) falls due, counted from the invitation."""
        return invited_at + timedelta(days=self.after_days[number - 1])

    def gap_before(self, number: int) -> timedelta:
        """The least time between reminder ``number - 1`` and reminder ``number`` (as the policy spaces them)."""
        return (
            timedelta(days=self.after_days[number - 1] - self.after_days[number - 2])
            if number > 1
            else timedelta()
        )

    def allows_hour(self, moment: datetime, zone: str | None) -> bool:
        """Whether ``moment`` is within the sending hours in ``zone`` (else the policy's zone)."""
        local = moment.astimezone(_zone(zone or "") or _zone(self.timezone))
        start, end = self.hours
        return start <= local.hour < end


def validate_policy(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The normalized policy to store on a campaign (``{}`` for none); PolicyError says what is wrong."""
    policy = ReminderPolicy.parse(data)
    return policy.to_json() if policy else {}


def _after_days(value: Any) -> tuple[float, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise PolicyError(N_("reminder_policy.after_days: a list of days, e.g. [2, 5]"))
    if len(value) > MAX_REMINDERS:
        raise PolicyError(N_("reminder_policy.after_days: at most %(n)d reminders", n=MAX_REMINDERS))
    days: list[float] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(item):
            raise PolicyError(N_("reminder_policy.after_days: each entry is a number of days"))
        if not 0 < item <= MAX_DAYS:
            raise PolicyError(
                N_("reminder_policy.after_days: each entry is more than 0 and at most %(n)d days", n=MAX_DAYS)
            )
        if days and item <= days[-1]:
            raise PolicyError(N_("reminder_policy.after_days: days must increase (e.g. [2, 5])"))
        days.append(float(item))
    return tuple(days)


def _hours(value: Any) -> tuple[int, int]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or any(isinstance(h, bool) or not isinstance(h, int) for h in value)
        or not 0 <= value[0] < value[1] <= 24
    ):
        raise PolicyError(
            N_("reminder_policy.hours: [from, to] in whole hours, 0 <= from < to <= 24, e.g. [9, 19]")
        )
    return int(value[0]), int(value[1])


def _zone(name: str) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# --- planning ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    contact_id: int
    respondent_id: int
    channel: str
    language: str
    timezone: str | None
    invited_at: datetime
    reminders: int
    last_reminder_at: datetime | None


def plan_reminders(session: Session, campaign: Campaign, now: datetime) -> list[int]:
    """Create the reminders now due for one campaign; returns the new messages' ids (to enqueue)."""
    policy = ReminderPolicy.parse(campaign.reminder_policy)
    if policy is None or policy.max == 0 or campaign.status != CampaignStatus.RUNNING:
        return []
    if campaign.closes_at is not None and now >= campaign.closes_at:
        return []
    created: list[int] = []
    after = 0
    while True:
        batch = _candidates(session, campaign, policy, now, after)
        if not batch:
            return created
        after = batch[-1].contact_id
        states = _conversation_states(session, campaign.id, [c.respondent_id for c in batch])
        heard = _last_whatsapp_messages(session, [c.respondent_id for c in batch if c.channel == WHATSAPP])
        rows, skipped = [], []
        for candidate in batch:
            number = candidate.reminders + 1
            if not _is_due(policy, candidate, states.get(candidate.respondent_id), number, now):
                continue
            reminder = NewMessage(
                organization_id=campaign.organization_id,
                campaign_id=campaign.id,
                contact_id=candidate.contact_id,
                channel=candidate.channel,
                kind=MessageKind.REMINDER,
                sequence=number,
                language=candidate.language,
            )
            last = heard.get(candidate.respondent_id)
            if candidate.channel == WHATSAPP and (last is None or now - last >= WHATSAPP_WINDOW):
                skipped.append(reminder)
            else:
                rows.append(reminder)
        created.extend(insert_messages(session, rows, now=now))
        _skip(session, campaign.id, insert_messages(session, skipped, now=now), now)


def _candidates(
    session: Session, campaign: Campaign, policy: ReminderPolicy, now: datetime, after: int
) -> list[_Candidate]:
    """Contacts whose invitation went out at least ``after_days[0]`` days ago and who have reminders left."""
    invitation = OutboundMessage.__table__.alias("invitation")
    mine = (OutboundMessage.contact_id == Contact.id, OutboundMessage.kind == MessageKind.REMINDER)
    reminders = select(func.count(OutboundMessage.id)).where(*mine).correlate(Contact).scalar_subquery()
    latest = select(func.max(OutboundMessage.created_at)).where(*mine).correlate(Contact).scalar_subquery()
    rows = session.execute(
        select(
            Contact.id,
            Contact.respondent_id,
            Contact.channel,
            Contact.language,
            Contact.timezone,
            invitation.c.sent_at,
            reminders,
            latest,
        )
        .join(
            invitation,
            and_(
                invitation.c.contact_id == Contact.id,
                invitation.c.kind == MessageKind.INVITATION,
                invitation.c.status.in_(_REACHED),
            ),
        )
        .where(
            Contact.campaign_id == campaign.id,
            Contact.id > after,
            Contact.status.notin_((ContactStatus.OPTED_OUT, ContactStatus.FAILED)),
            invitation.c.sent_at <= now - timedelta(days=policy.after_days[0]),
            reminders < policy.max,
        )
        .order_by(Contact.id)
        .limit(_BATCH)
    ).all()
    return [_Candidate(*row) for row in rows]


def _last_whatsapp_messages(session: Session, respondent_ids: Sequence[int]) -> dict[int, datetime]:
    """When each respondent last wrote to us on WhatsApp, in any conversation of their organization."""
    if not respondent_ids:
        return {}
    rows = session.execute(
        select(Conversation.respondent_id, func.max(InboundMessage.received_at))
        .join(Conversation, Conversation.id == InboundMessage.conversation_id)
        .where(InboundMessage.channel == WHATSAPP, Conversation.respondent_id.in_(respondent_ids))
        .group_by(Conversation.respondent_id)
    ).all()
    return {int(row[0]): row[1] for row in rows}


def _skip(session: Session, campaign_id: int, message_ids: Sequence[int], now: datetime) -> None:
    """Mark reminders created for people outside WhatsApp's window as canceled: counted, never sent."""
    if not message_ids:
        return
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(message_ids))
        .values(
            status=OutboundStatus.CANCELED,
            status_rank=STATUS_RANK[OutboundStatus.CANCELED],
            error_code=OUTSIDE_WHATSAPP_WINDOW,
            updated_at=now,
        )
    )
    log.info(
        "campaign %s: %d WhatsApp reminders skipped (last message over 24 hours ago)",
        campaign_id,
        len(message_ids),
    )


def _conversation_states(
    session: Session, campaign_id: int, respondent_ids: Sequence[int]
) -> dict[int, tuple[str, datetime]]:
    """Each respondent's latest conversation in the campaign: its status and last activity."""
    latest: dict[int, tuple[int, str, datetime]] = {}
    rows = session.execute(
        select(
            Conversation.respondent_id, Conversation.attempt, Conversation.status, Conversation.updated_at
        ).where(Conversation.campaign_id == campaign_id, Conversation.respondent_id.in_(respondent_ids))
    )
    for respondent_id, attempt, status, updated_at in rows:
        if respondent_id not in latest or attempt > latest[respondent_id][0]:
            latest[respondent_id] = (attempt, status, updated_at)
    return {key: (status, updated) for key, (_, status, updated) in latest.items()}


def _is_due(
    policy: ReminderPolicy,
    candidate: _Candidate,
    conversation: tuple[str, datetime] | None,
    number: int,
    now: datetime,
) -> bool:
    if number > policy.max or now < policy.due_at(number, candidate.invited_at):
        return False
    previous = candidate.last_reminder_at
    if previous is not None and now < previous + policy.gap_before(number):
        return False
    if conversation is not None:
        status, last_activity = conversation
        if status != ConversationStatus.IN_PROGRESS:
            return False
        if now - last_activity < timedelta(days=policy.after_days[0]):
            return False
    return policy.allows_hour(now, candidate.timezone)


def still_wanted(session: Session, campaign: Campaign, contact: Contact) -> tuple[bool, Conversation | None]:
    """At send time: is the person still someone to remind, and their conversation in progress if any."""
    if campaign.status != CampaignStatus.RUNNING or contact.status in (
        ContactStatus.OPTED_OUT,
        ContactStatus.FAILED,
    ):
        return False, None
    conversation = session.scalar(
        select(Conversation)
        .where(Conversation.campaign_id == campaign.id, Conversation.respondent_id == contact.respondent_id)
        .order_by(Conversation.attempt.desc())
        .limit(1)
    )
    if conversation is not None and conversation.status != ConversationStatus.IN_PROGRESS:
        return False, None
    return True, conversation


def running_campaigns_with_reminders(session: Session) -> Iterable[Campaign]:
    """Campaigns whose reminders are worth planning now."""
    for campaign in session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING)):
        if campaign.reminder_policy:
            yield campaign
