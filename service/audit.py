"""The audit trail: who read, exported, erased or re-keyed what, and when; never the personal data itself.

Every audit write goes through :func:`record`, so that each event has the same shape: the
organization whose data it concerns, the staff member (None for the command line, a scheduled job
or the respondent themselves), an :class:`Action`, a target (``campaign`` + code, ``privacy_request``
+ id...) and small details (counts, formats, the channel). Details must never hold a phone number, a
chat id, a name or an answer: only what lets an owner answer "who looked at what, when".

Owners read the trail on ``/organization/privacy/audit`` (:func:`events_page`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import AuditEvent, User, utcnow

PER_PAGE = 50


class Action(enum.StrEnum):
    READ_FREE_TEXT = "read_free_text"
    """A page of free-text answers was shown (results)."""
    EXPORT = "export"
    """A campaign's rows were exported (CSV/XLSX, web, API or command line)."""
    EXPORT_DOWNLOAD = "export_download"
    """A finished export's file was downloaded (staff page or API)."""
    READ_RESPONSES = "read_responses"
    """A page of answers was read through the API (its size, never its content)."""
    TELEGRAM_LINKS_EXPORT = "telegram_links_export"
    """The CSV of a campaign's Telegram personal links (with contact names) was downloaded."""
    CONSENT_LEDGER_EXPORT = "consent_ledger_export"
    ACCESS = "privacy_access"
    """A person's data was given to them (on their channel, or as a file for staff to hand over)."""
    ERASURE = "privacy_erasure"
    LOOKUP = "privacy_lookup"
    """Staff looked a phone number up for a request (only counts are shown)."""
    RETENTION = "retention"
    """The retention job erased identities, contact names or free text past their period."""
    KEY_ROTATION = "key_rotation"
    OPT_OUT = "privacy_opt_out"
    """Staff entered an opt-out for a person who asked by other means."""
    PRIVACY_SETTINGS = "privacy_settings"
    """An owner changed the retention periods or the erasure mode."""
    FEDERATION_NAMING = "federation_naming"
    """An owner let the organization's federations show its name next to its results, or withdrew that."""


def record(
    session: Session,
    organization_id: int,
    action: Action | str,
    *,
    user_id: int | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one event to the trail (in the caller's transaction: it commits with what it records)."""
    event = AuditEvent(
        organization_id=organization_id,
        user_id=user_id,
        action=str(action),
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=dict(details or {}),
        at=at or utcnow(),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event as the audit page shows it: who by name or e-mail (or None: the system or the person)."""

    at: datetime
    action: str
    who: str | None
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventsPage:
    rows: tuple[EventRow, ...]
    total: int
    page: int
    pages: int


def events_page(
    session: Session,
    organization_id: int,
    *,
    action: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> EventsPage:
    """One page of the organization's trail, newest first, optionally for one action."""
    conditions = [AuditEvent.organization_id == organization_id]
    if action:
        conditions.append(AuditEvent.action == action)
    total = int(session.scalar(select(func.count(AuditEvent.id)).where(*conditions)) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(AuditEvent, User.name, User.email)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(*conditions)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return EventsPage(
        rows=tuple(
            EventRow(
                at=event.at,
                action=event.action,
                who=(name or email) if email else None,
                target_type=event.target_type,
                target_id=event.target_id,
                details=dict(event.details or {}),
            )
            for event, name, email in rows
        ),
        total=total,
        page=page,
        pages=pages,
    )
