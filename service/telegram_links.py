"""Personal Telegram opt-in links: a bot can only write to someone who has started it.

An invitation by Telegram therefore starts with a link of the contact's own,
``https://t.me/<bot>?start=<token>`` (sent by SMS, e-mail or on paper). Opening it links the chat to
the contact's respondent (``Contact.linked_at``; the conversation service does this when the token
comes in) and opens the campaign; from then on reminders can go through the bot. Flask-free: the
contact import and the staff pages call these functions.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Contact
from service.settings import Settings

TOKEN_BYTES: Final = 24
"""32 URL-safe characters: more than a campaign code's 16, so a /start payload says which it is, and
well within the 64 characters Telegram allows."""


def ensure_link_token(session: Session, contact: Contact) -> str:
    """The contact's opt-in token, created on first call (random, unique, only ``A-Za-z0-9_-``)."""
    if contact.link_token is None:
        while True:
            token = secrets.token_urlsafe(TOKEN_BYTES)
            if session.scalar(select(Contact.id).where(Contact.link_token == token)) is None:
                break
        contact.link_token = token
        session.flush()
    return contact.link_token


def personal_link(settings: Settings, token: str) -> str | None:
    """The deep link that opens the bot with ``token``; None until TELEGRAM_BOT_USERNAME is set."""
    if settings.telegram is None or not settings.telegram.bot_username:
        return None
    return f"https://t.me/{settings.telegram.bot_username}?start={token}"


@dataclass(frozen=True)
class LinkCounts:
    """How many of a campaign's Telegram contacts have opened their personal link."""

    contacts: int
    linked: int

    @property
    def waiting(self) -> int:
        return self.contacts - self.linked


def link_counts(session: Session, campaign_id: int) -> LinkCounts:
    """Telegram contacts of the campaign, and those among them who started the bot through their link."""
    contacts, linked = session.execute(
        select(func.count(Contact.id), func.count(Contact.linked_at)).where(
            Contact.campaign_id == campaign_id, Contact.channel == "telegram"
        )
    ).one()
    return LinkCounts(contacts=int(contacts or 0), linked=int(linked or 0))
