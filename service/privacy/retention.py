"""Retention: contact identities and free text erased a chosen number of days after a campaign ends.

Each organization chooses two periods (``Organization.retention_days``, 180 by default, and
``free_text_retention_days``, unset by default: free text then stays as long as the answers):

* **Identities** (phone numbers, Telegram chat ids, web browser tokens: digest and ciphertext) are
  erased once every campaign their person is on (invitation list or conversation) ended more than
  ``retention_days`` ago; a person still on a campaign that runs, or ended recently, keeps theirs. The
  names, references and personal links of the contact lists of those campaigns go at the same time.
* **Free-text answers** of a campaign are deleted ``free_text_retention_days`` after it ended.

A campaign *ends* when it is closed, or when its closing date passes, whichever comes first. Coded
answers, scores and aggregates stay: they are pseudonymous, and with the identities gone nothing leads
from them to a person. :func:`apply_retention` is the periodic job's body (``workers.retention``):
batches in their own transactions, safe to stop and to run again; it does nothing twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Select, select, union
from sqlalchemy.orm import Session, sessionmaker

from service.audit import Action, record
from service.models import Answer, Campaign, Contact, Conversation, Identity, Organization, utcnow
from service.privacy.erasure import clear_contacts, discard_exports, erase_free_text, erase_identities

BATCH_SIZE = 500
MAX_DAYS = 3650


@dataclass(frozen=True, slots=True)
class RetentionDates:
    """When a campaign's contact identities and free text go (None: the campaign has no end yet)."""

    ends_at: datetime | None
    ended: bool
    identity_days: int
    identities_erased_on: datetime | None
    free_text_days: int | None
    free_text_erased_on: datetime | None


def campaign_end(campaign: Campaign, now: datetime) -> datetime | None:
    """When the campaign ended, or is planned to end (its closing date); None when neither is known."""
    ended = [
        moment for moment in (campaign.closed_at, campaign.closes_at) if moment is not None and moment <= now
    ]
    if ended:
        return min(ended)
    return campaign.closes_at


def retention_dates(
    campaign: Campaign, organization: Organization, now: datetime | None = None
) -> RetentionDates:
    """What the campaign page says: when identities and free text of this campaign will be erased."""
    now = now or utcnow()
    end = campaign_end(campaign, now)
    ended = end is not None and end <= now
    identity_days = organization.retention_days
    free_text_days = organization.free_text_retention_days
    return RetentionDates(
        ends_at=end,
        ended=ended,
        identity_days=identity_days,
        identities_erased_on=end + timedelta(days=identity_days) if end else None,
        free_text_days=free_text_days,
        free_text_erased_on=end + timedelta(days=free_text_days)
        if end and free_text_days is not None
        else None,
    )


@dataclass
class RetentionReport:
    identities: int = 0
    contacts: int = 0
    free_text_answers: int = 0
    by_organization: dict[int, Counter[str]] | None = None

    @property
    def total(self) -> int:
        return self.identities + self.contacts + self.free_text_answers


def _expired_campaigns(
    session: Session, organization_id: int, days: int, now: datetime
) -> tuple[list[int], list[int]]:
    """(ended more than ``days`` ago, all the others) campaign ids of an organization."""
    expired: list[int] = []
    live: list[int] = []
    cutoff = now - timedelta(days=days)
    for campaign in session.scalars(select(Campaign).where(Campaign.organization_id == organization_id)):
        end = campaign_end(campaign, now)
        (expired if end is not None and end <= cutoff else live).append(campaign.id)
    return expired, live


def _respondents_of(campaign_ids: list[int]) -> Select[tuple[int]]:
    return select(
        union(
            select(Contact.respondent_id).where(Contact.campaign_id.in_(campaign_ids)),
            select(Conversation.respondent_id).where(Conversation.campaign_id.in_(campaign_ids)),
        )
        .subquery()
        .c[0]
    )


def identities_due(
    session: Session, organization: Organization, now: datetime, *, limit: int = BATCH_SIZE
) -> list[int]:
    """Ids of the organization's identities whose retention period is over (at most ``limit``)."""
    expired, live = _expired_campaigns(session, organization.id, organization.retention_days, now)
    cutoff = now - timedelta(days=organization.retention_days)
    query = (
        select(Identity.id)
        .where(
            Identity.organization_id == organization.id,
            Identity.erased_at.is_(None),
            Identity.respondent_id.not_in(_respondents_of(live)),
        )
        .order_by(Identity.id)
        .limit(limit)
    )
    # A person on ended campaigns only; or known from no campaign at all, for longer than the period.
    linked = _respondents_of(expired) if expired else None
    if linked is not None:
        query = query.where(Identity.respondent_id.in_(linked) | (Identity.created_at <= cutoff))
    else:
        query = query.where(Identity.created_at <= cutoff)
    return list(session.scalars(query))


def contacts_due(
    session: Session, organization: Organization, now: datetime, *, limit: int = BATCH_SIZE
) -> list[int]:
    """Contact-list entries of campaigns past the identity period that still hold a name, reference or link."""
    expired, _ = _expired_campaigns(session, organization.id, organization.retention_days, now)
    if not expired:
        return []
    return list(
        session.scalars(
            select(Contact.id)
            .where(
                Contact.campaign_id.in_(expired),
                Contact.name_ciphertext.is_not(None)
                | Contact.reference.is_not(None)
                | Contact.link_token.is_not(None)
                | Contact.timezone.is_not(None),
            )
            .order_by(Contact.id)
            .limit(limit)
        )
    )


def free_text_due(
    session: Session, organization: Organization, now: datetime, *, limit: int = BATCH_SIZE
) -> list[int]:
    """Conversations with free-text answers in campaigns past the free-text period."""
    days = organization.free_text_retention_days
    if days is None:
        return []
    expired, _ = _expired_campaigns(session, organization.id, days, now)
    if not expired:
        return []
    return list(
        session.scalars(
            select(Conversation.id)
            .where(
                Conversation.campaign_id.in_(expired),
                Conversation.id.in_(select(Answer.conversation_id).where(Answer.is_free_text.is_(True))),
            )
            .order_by(Conversation.id)
            .limit(limit)
        )
    )


def apply_retention(
    sessions: sessionmaker[Session],
    now: datetime,
    *,
    batch_size: int = BATCH_SIZE,
    instance_path: Path | None = None,
) -> RetentionReport:
    """Erase whatever every organization's periods say is due; one transaction per batch.

    With ``instance_path``, export files already written for a campaign whose free text was just deleted
    are deleted too (they hold that free text).
    """
    report = RetentionReport(by_organization={})
    assert report.by_organization is not None
    with sessions() as session:
        organization_ids = list(session.scalars(select(Organization.id).order_by(Organization.id)))
    for organization_id in organization_ids:
        counts: Counter[str] = Counter()
        for kind in ("identities", "contacts", "free_text_answers"):
            while True:
                with sessions.begin() as session:
                    organization = session.get_one(Organization, organization_id)
                    if kind == "identities":
                        ids = identities_due(session, organization, now, limit=batch_size)
                        done = erase_identities(session, ids, now)
                    elif kind == "contacts":
                        ids = contacts_due(session, organization, now, limit=batch_size)
                        done = clear_contacts(session, ids)
                    else:
                        ids = free_text_due(session, organization, now, limit=batch_size)
                        campaigns = set(
                            session.scalars(select(Conversation.campaign_id).where(Conversation.id.in_(ids)))
                        )
                        done = erase_free_text(session, ids)
                        discarded = (
                            discard_exports(session, instance_path, campaigns)
                            if done and instance_path
                            else 0
                        )
                        if discarded:
                            counts["exports_discarded"] += discarded
                    counts[kind] += done
                if len(ids) < batch_size:
                    break
        if sum(counts.values()):
            with sessions.begin() as session:
                record(session, organization_id, Action.RETENTION, details=dict(counts), at=now)
            report.by_organization[organization_id] = counts
            report.identities += counts["identities"]
            report.contacts += counts["contacts"]
            report.free_text_answers += counts["free_text_answers"]
    return report
