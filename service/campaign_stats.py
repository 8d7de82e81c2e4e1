"""Live counts for campaign lists and pages: invited, started, completed, opted out, by channel.

A handful of grouped queries answer for any number of campaigns at once (never one query per
campaign). "Invited" counts contacts whose invitation the provider accepted; "started" counts
conversations (every respondent who began, whatever happened next); "opted out" counts distinct
respondents who opted out, whether before their invitation (the contact) or during the
conversation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from service.models import (
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    MessageKind,
    OutboundMessage,
    OutboundStatus,
)

ACCEPTED = (OutboundStatus.SENT, OutboundStatus.DELIVERED)


@dataclass
class Counts:
    contacts: int = 0
    invited: int = 0
    started: int = 0
    completed: int = 0
    opted_out: int = 0
    in_progress: int = 0
    expired: int = 0
    refused: int = 0


@dataclass
class CampaignCounts:
    total: Counts = field(default_factory=Counts)
    by_channel: dict[str, Counts] = field(default_factory=dict)

    def channel(self, name: str) -> Counts:
        return self.by_channel.setdefault(name, Counts())

    @property
    def channels(self) -> list[str]:
        return sorted(self.by_channel)


def campaign_counts(session: Session, campaign_ids: Iterable[int]) -> dict[int, CampaignCounts]:
    """The counts of every campaign in ``campaign_ids`` (five grouped queries, whatever their number)."""
    ids = sorted(set(campaign_ids))
    result = {campaign_id: CampaignCounts() for campaign_id in ids}
    if not ids:
        return result

    contacts = session.execute(
        select(Contact.campaign_id, Contact.channel, func.count())
        .where(Contact.campaign_id.in_(ids))
        .group_by(Contact.campaign_id, Contact.channel)
    )
    for campaign_id, channel, count in contacts:
        result[campaign_id].channel(channel).contacts = int(count)
        result[campaign_id].total.contacts += int(count)

    invited = session.execute(
        select(
            OutboundMessage.campaign_id,
            OutboundMessage.channel,
            func.count(OutboundMessage.contact_id.distinct()),
        )
        .where(
            OutboundMessage.campaign_id.in_(ids),
            OutboundMessage.kind == MessageKind.INVITATION,
            OutboundMessage.status.in_(ACCEPTED),
        )
        .group_by(OutboundMessage.campaign_id, OutboundMessage.channel)
    )
    for sent_for, channel, reached in invited:
        if sent_for is None:  # excluded by the query; keeps the type checker informed
            continue
        result[sent_for].channel(channel).invited = int(reached or 0)
        result[sent_for].total.invited += int(reached or 0)

    conversations = session.execute(
        select(Conversation.campaign_id, Conversation.channel, Conversation.status, func.count())
        .where(Conversation.campaign_id.in_(ids))
        .group_by(Conversation.campaign_id, Conversation.channel, Conversation.status)
    )
    for campaign_id, channel, status, count in conversations:
        for counts in (result[campaign_id].channel(channel), result[campaign_id].total):
            counts.started += count
            if status == ConversationStatus.COMPLETED:
                counts.completed += count
            elif status == ConversationStatus.IN_PROGRESS:
                counts.in_progress += count
            elif status == ConversationStatus.EXPIRED:
                counts.expired += count
            elif status == ConversationStatus.REFUSED:
                counts.refused += count

    opted = union(
        select(Conversation.campaign_id, Conversation.channel, Conversation.respondent_id).where(
            Conversation.campaign_id.in_(ids), Conversation.status == ConversationStatus.OPTED_OUT
        ),
        select(Contact.campaign_id, Contact.channel, Contact.respondent_id).where(
            Contact.campaign_id.in_(ids), Contact.status == ContactStatus.OPTED_OUT
        ),
    ).subquery()
    for campaign_id, channel, count in session.execute(
        select(opted.c.campaign_id, opted.c.channel, func.count(opted.c.respondent_id.distinct())).group_by(
            opted.c.campaign_id, opted.c.channel
        )
    ):
        result[campaign_id].channel(channel).opted_out = count
    for campaign_id, count in session.execute(
        select(opted.c.campaign_id, func.count(opted.c.respondent_id.distinct())).group_by(
            opted.c.campaign_id
        )
    ):
        result[campaign_id].total.opted_out = count
    return result
