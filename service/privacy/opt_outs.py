"""Opt-outs as staff see them: counts per channel and per way they were asked, never a list of people.

Every way of saying "no more messages" ends in :func:`service.respondents.opt_out` (STOP by SMS, /stop
or a blocked bot on Telegram, the web form's link, the provider's own opt-out, and staff entering one
for a person who phoned or wrote, :func:`staff_opt_out`), and is honoured by every campaign of the
organization on that channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import respondents
from service.audit import Action, record
from service.models import OptOut, Organization

STAFF_CHANNELS = ("sms", "whatsapp")
"""What a phone number typed by staff can be opted out of (a Telegram chat is not known by its number)."""


@dataclass
class ChannelOptOuts:
    channel: str
    active: int = 0
    ended: int = 0
    by_source: dict[str, int] = field(default_factory=dict)


def opt_out_counts(session: Session, organization_id: int) -> list[ChannelOptOuts]:
    """Active and ended opt-outs of an organization, per channel, with the ways they were made."""
    found: dict[str, ChannelOptOuts] = {}
    rows = session.execute(
        select(OptOut.channel, OptOut.source, OptOut.opted_in_at.is_(None), func.count(OptOut.id))
        .where(OptOut.organization_id == organization_id)
        .group_by(OptOut.channel, OptOut.source, OptOut.opted_in_at.is_(None))
    )
    for channel, source, active, count in rows:
        counts = found.setdefault(channel, ChannelOptOuts(channel))
        if active:
            counts.active += count
            counts.by_source[source] = counts.by_source.get(source, 0) + count
        else:
            counts.ended += count
    return [found[channel] for channel in sorted(found)]


def staff_opt_out(
    session: Session,
    organization: Organization,
    addresses: Sequence[tuple[str, str]],
    *,
    received_via: str,
    user_id: int | None,
    now: datetime,
) -> int:
    """Opt a phone number out of the organization's SMS and WhatsApp messages; returns how many were new."""
    from service.privacy.requests import Kind, staff_request  # requests builds on erasure; this stays light

    request = staff_request(session, organization, Kind.OPT_OUT, received_via, user_id, now)
    request.scope = ",".join(STAFF_CHANNELS)
    added = 0
    for channel, digest in addresses:
        if channel in STAFF_CHANNELS and respondents.opt_out(
            session, [organization.id], channel, digest, source="staff", now=now
        ):
            added += 1
    record(
        session,
        organization.id,
        Action.OPT_OUT,
        user_id=user_id,
        target_type="privacy_request",
        target_id=request.id,
        details={
            "source": "staff",
            "received_via": received_via,
            "channels": list(STAFF_CHANNELS),
            "new": added,
        },
        at=now,
    )
    return added
