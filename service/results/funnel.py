"""The response funnel (invited → started → completed, and who opted out) by channel and by language.

The definitions are those of the campaign list (:mod:`service.campaign_stats`), so both pages agree:

* **invited**: contacts whose invitation the provider accepted; **not reached**: contacts whose
  invitation failed for good;
* **started**: conversations begun, whether invited or not (a web link, an SMS keyword);
* **completed**, **expired** (left unfinished), **declined** (consent refused) and **in progress**:
  conversations by status;
* **opted out**: distinct respondents who opted out, before their invitation or during the conversation;
* **response rate**: invited contacts who completed ÷ invited (only where invitations were sent);
* **completion rate**: completed ÷ started.

Everything is counted with grouped SQL queries; nothing is loaded row by row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, cast, func, select, union
from sqlalchemy.orm import InstrumentedAttribute, Session

from service.campaign_stats import ACCEPTED
from service.models import (
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    MessageKind,
    OutboundMessage,
)
from service.results import phrases


@dataclass
class FunnelRow:
    """One channel's (or language's) funnel."""

    key: str
    label: str
    invited: int = 0
    not_reached: int = 0
    started: int = 0
    completed: int = 0
    expired: int = 0
    opted_out: int = 0
    declined: int = 0
    in_progress: int = 0
    completed_invited: int = 0
    """Invited contacts who completed: the numerator of the response rate."""

    @property
    def response_rate(self) -> float | None:
        return 100 * self.completed_invited / self.invited if self.invited else None

    @property
    def completion_rate(self) -> float | None:
        return 100 * self.completed / self.started if self.started else None

    def add(self, other: FunnelRow) -> None:
        for name in (
            "invited",
            "not_reached",
            "started",
            "completed",
            "expired",
            "opted_out",
            "declined",
            "in_progress",
            "completed_invited",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Funnel:
    by_channel: list[FunnelRow]
    by_language: list[FunnelRow]
    total: FunnelRow
    daily: list[tuple[date, int, int]] = field(default_factory=list)
    """(day, conversations started, conversations completed), UTC days with activity."""


_STATUS_FIELD: dict[str, str] = {
    ConversationStatus.COMPLETED: "completed",
    ConversationStatus.EXPIRED: "expired",
    ConversationStatus.REFUSED: "declined",
    ConversationStatus.IN_PROGRESS: "in_progress",
}


def funnel(session: Session, campaign_ids: Iterable[int], language: str) -> Funnel:
    """The funnel of one campaign (or several pooled), by channel and by language, with daily activity."""
    ids = list(campaign_ids)
    tables: dict[str, dict[str, FunnelRow]] = {"channel": {}, "language": {}}

    def row(prefix: str, key: str) -> FunnelRow:
        table = tables[prefix]
        if key not in table:
            table[key] = FunnelRow(key, _label(prefix, key, language))
        return table[key]

    invited = (
        select(OutboundMessage.contact_id)
        .where(
            OutboundMessage.campaign_id.in_(ids),
            OutboundMessage.kind == MessageKind.INVITATION,
            OutboundMessage.status.in_(ACCEPTED),
        )
        .scalar_subquery()
    )
    for column, prefix in ((Contact.channel, "channel"), (Contact.language, "language")):
        for key, count in session.execute(
            select(column, func.count())
            .where(Contact.campaign_id.in_(ids), Contact.id.in_(invited))
            .group_by(column)
        ):
            row(prefix, key).invited += count
        for key, count in session.execute(
            select(column, func.count())
            .where(Contact.campaign_id.in_(ids), Contact.status == ContactStatus.FAILED)
            .group_by(column)
        ):
            row(prefix, key).not_reached += count
        for key, count in session.execute(
            select(column, func.count(func.distinct(Contact.id)))
            .join(
                Conversation,
                and_(
                    Conversation.campaign_id == Contact.campaign_id,
                    Conversation.respondent_id == Contact.respondent_id,
                    Conversation.status == ConversationStatus.COMPLETED,
                ),
            )
            .where(Contact.campaign_id.in_(ids), Contact.id.in_(invited))
            .group_by(column)
        ):
            row(prefix, key).completed_invited += count

    for channel, conversation_language, status, count in session.execute(
        select(Conversation.channel, Conversation.language, Conversation.status, func.count())
        .where(Conversation.campaign_id.in_(ids))
        .group_by(Conversation.channel, Conversation.language, Conversation.status)
    ):
        name = _STATUS_FIELD.get(status)
        for target in (row("channel", channel), row("language", conversation_language)):
            target.started += count
            if name:
                setattr(target, name, getattr(target, name) + count)

    opted = union(
        select(Conversation.channel, Conversation.language, Conversation.respondent_id).where(
            Conversation.campaign_id.in_(ids), Conversation.status == ConversationStatus.OPTED_OUT
        ),
        select(Contact.channel, Contact.language, Contact.respondent_id).where(
            Contact.campaign_id.in_(ids), Contact.status == ContactStatus.OPTED_OUT
        ),
    ).subquery()
    for prefix in ("channel", "language"):
        grouped = opted.c[prefix]
        for key, count in session.execute(
            select(grouped, func.count(opted.c.respondent_id.distinct())).group_by(grouped)
        ):
            row(prefix, key).opted_out = count
    total = FunnelRow("all", phrases.text("all", language))
    for item in tables["channel"].values():
        total.add(item)
    total.opted_out = int(session.scalar(select(func.count(opted.c.respondent_id.distinct()))) or 0)
    channels, languages = tables["channel"], tables["language"]
    return Funnel(
        by_channel=[channels[key] for key in sorted(channels, key=channel_order)],
        by_language=[languages[key] for key in sorted(languages, key=language_order)],
        total=total,
        daily=daily_activity(session, ids),
    )


def daily_activity(session: Session, campaign_ids: list[int]) -> list[tuple[date, int, int]]:
    """Conversations started and completed per UTC day, oldest first."""
    started = _per_day(session, campaign_ids, Conversation.started_at)
    completed = _per_day(session, campaign_ids, Conversation.completed_at)
    days = sorted(set(started) | set(completed))
    return [(day, started.get(day, 0), completed.get(day, 0)) for day in days]


def _per_day(
    session: Session, campaign_ids: list[int], column: InstrumentedAttribute[Any]
) -> dict[date, int]:
    day: ColumnElement[Any]
    if session.get_bind().dialect.name == "postgresql":
        day = cast(func.timezone("UTC", column), Date)
    else:
        day = func.date(column)  # SQLite stores UTC text: date() takes its first ten characters
    rows = session.execute(
        select(day, func.count())
        .where(Conversation.campaign_id.in_(campaign_ids), column.is_not(None))
        .group_by(day)
    )
    result: dict[date, int] = {}
    for value, count in rows:
        if value is None:
            continue
        key = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        if isinstance(key, datetime):
            key = key.date()
        result[key] = result.get(key, 0) + int(count)
    return result


def weekly(daily: list[tuple[date, int, int]]) -> list[tuple[date, int, int]]:
    """Daily activity summed per week (weeks start on Monday), for long campaigns."""
    weeks: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for day, started, completed in daily:
        monday = day - timedelta(days=day.weekday())
        weeks[monday][0] += started
        weeks[monday][1] += completed
    return [(monday, counts[0], counts[1]) for monday, counts in sorted(weeks.items())]


_CHANNEL_ORDER = ("web", "sms", "whatsapp", "telegram")


def channel_order(key: str) -> tuple[int, str]:
    return (_CHANNEL_ORDER.index(key) if key in _CHANNEL_ORDER else len(_CHANNEL_ORDER), key)


def language_order(key: str) -> tuple[int, str]:
    return (phrases.LANGUAGES.index(key) if key in phrases.LANGUAGES else 9, key)


def _label(prefix: str, key: str, language: str) -> str:
    name = f"{prefix}.{key}"
    return phrases.text(name, language) if name in phrases.CATALOG else key
