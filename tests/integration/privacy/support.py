"""What the privacy tests share: an organization with a running campaign, and people answering it by SMS.

Answers go through the conversation service itself (the channel adapters have their own end-to-end
tests, and the SMS and Telegram tests here use them too). Fixtures are imported by the modules that use
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select

from bots.base import Inbound
from service.accounts import create_organization, create_user
from service.campaigns import change_status, create_campaign
from service.conversations import ConversationService, Handled
from service.definitions import register_shipped
from service.models import Campaign, Organization, Role
from service.runtime import Runtime

PASSWORD = "correct horse battery"
BENEFICIARY_ANSWERS = (
    "oui",
    "2",
    "Plus de contacts avec les voisins du quartier",
    "non",
    "2",
    "8",
    "non",
    "2",
    "2",
    "7",
)
"""A complete French run of the shipped beneficiaries questionnaire (A2 is free text)."""
FREE_TEXT = BENEFICIARY_ANSWERS[2]
_sids = count(1)


@dataclass
class Texter:
    """Someone texting the service (through the conversation service, as the SMS webhook does)."""

    runtime: Runtime
    number: str
    channel: str = "sms"
    received: list[tuple[str, ...]] = field(default_factory=list)
    now: datetime | None = None

    def send(self, text: str) -> Handled:
        moment = self.now or datetime.now(UTC)
        handled = ConversationService(self.runtime).handle(
            Inbound(
                channel=self.channel,
                address=self.number,
                external_id=f"SM{next(_sids):032x}",
                received_at=moment,
                text=text,
            )
        )
        self.received.append(handled.outgoing.texts)
        return handled

    def texts(self, text: str) -> list[str]:
        """What the person reads back (texts, then the question's text)."""
        handled = self.send(text)
        shown = list(handled.outgoing.texts)
        if handled.outgoing.prompt is not None:
            shown.append(handled.outgoing.prompt.text)
        return shown

    def complete(self, keyword: str, answers: tuple[str, ...] = BENEFICIARY_ANSWERS) -> None:
        self.send(keyword)
        for answer in answers:
            self.send(answer)


@dataclass
class Setting:
    organization_id: int
    slug: str
    campaign: Campaign
    keyword: str
    owner: str
    editor: str
    viewer: str


def make_setting(
    runtime: Runtime,
    slug: str = "atelier",
    keyword: str = "AVIS",
    *,
    started: datetime | None = None,
    **org: Any,
) -> Setting:
    """An organization (short name "Atelier"), its three staff members and a running SMS/web campaign."""
    with runtime.transaction() as session:
        organization = create_organization(session, slug, name=f"{slug.title()} Namur", short_name="Atelier")
        for key, value in org.items():
            setattr(organization, key, value)
        for role in ("owner", "editor", "viewer"):
            create_user(session, organization, f"{role}@{slug}.example", PASSWORD, role=Role(role))
        version = register_shipped(session, organization, "beneficiaries")
        campaign = create_campaign(
            session,
            organization,
            version,
            name="Avis 2026",
            channels=["sms", "whatsapp", "web"],
            sms_keyword=keyword,
        )
        change_status(session, campaign, "start", now=started or datetime.now(UTC) - timedelta(days=1))
        return Setting(
            organization.id,
            slug,
            campaign,
            keyword,
            f"owner@{slug}.example",
            f"editor@{slug}.example",
            f"viewer@{slug}.example",
        )


@pytest.fixture
def atelier(runtime: Runtime) -> Setting:
    return make_setting(runtime)


def organization(runtime: Runtime, setting: Setting) -> Organization:
    with runtime.transaction() as session:
        found = session.scalar(select(Organization).where(Organization.id == setting.organization_id))
        assert found is not None
        return found
