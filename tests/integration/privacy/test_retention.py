"""The retention job, with frozen time: it erases exactly the identities, contact names and free text whose
period is over, nothing else, and nothing twice. Runs on the suite's database (PostgreSQL in CI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from flask import Flask
from sqlalchemy import func, select

from service import respondents
from service.campaigns import change_status, create_campaign
from service.contacts import import_contacts
from service.definitions import register_shipped
from service.models import (
    Answer,
    AuditEvent,
    Campaign,
    Contact,
    Conversation,
    Identity,
    Organization,
    Respondent,
)
from service.privacy.retention import apply_retention, retention_dates
from service.runtime import Runtime
from tests.integration.privacy.support import FREE_TEXT, Texter, make_setting
from tests.integration.web.staff_support import signed_in
from tests.support.log_scan import personal
from workers.retention import erase_expired_data

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
ONLY_A = "+32470000101"
A_AND_C = "+32470000102"
ONLY_B = "+32470000103"
INVITED_TO_A = "+32470000104"
ENDED_BY_DATE = "+32470000105"
ORPHAN_CHAT = "5550001234"
NUMBERS = (ONLY_A, A_AND_C, ONLY_B, INVITED_TO_A, ENDED_BY_DATE)


def _campaign(runtime: Runtime, organization_id: int, keyword: str, **options: object) -> Campaign:
    with runtime.transaction() as session:
        organization = session.get_one(Organization, organization_id)
        version = register_shipped(session, organization, "beneficiaries")
        campaign = create_campaign(
            session, organization, version, name=keyword, channels=["sms"], sms_keyword=keyword, **options
        )
        change_status(session, campaign, "start", now=T0 - timedelta(days=1))
        return campaign


def _close(runtime: Runtime, campaign: Campaign) -> None:
    with runtime.transaction() as session:
        change_status(session, session.get_one(Campaign, campaign.id), "close")


def _alive(runtime: Runtime) -> set[str]:
    """The numbers whose identity still opens (digest and ciphertext kept)."""
    with runtime.transaction() as session:
        return {
            runtime.vault.decrypt(token)
            for token in session.scalars(select(Identity.ciphertext).where(Identity.ciphertext.is_not(None)))
        }


def _free_texts(runtime: Runtime) -> dict[str, int]:
    with runtime.transaction() as session:
        rows = session.execute(
            select(Campaign.sms_keyword, func.count(Answer.id))
            .join(Conversation, Conversation.id == Answer.conversation_id)
            .join(Campaign, Campaign.id == Conversation.campaign_id)
            .where(Answer.is_free_text.is_(True))
            .group_by(Campaign.sms_keyword)
        ).all()
        return {str(keyword): int(count) for keyword, count in rows}


def test_identities_contact_names_and_free_text_are_erased_exactly_when_their_period_is_over(
    runtime: Runtime,
) -> None:
    personal(*NUMBERS, ORPHAN_CHAT, FREE_TEXT, "Albertine Oudemans", "Bruno Vanderlinden")
    with time_machine.travel(T0, tick=False):
        setting = make_setting(
            runtime,
            "atelier",
            "AAAA",
            started=T0 - timedelta(days=1),
            retention_days=30,
            free_text_retention_days=10,
        )
        a = setting.campaign
        b = _campaign(runtime, setting.organization_id, "BBBB")
        c = _campaign(runtime, setting.organization_id, "CCCC")
        _campaign(runtime, setting.organization_id, "DDDD", closes_at=T0 + timedelta(days=2))
        with runtime.transaction() as session:
            rows = [
                {"phone": ONLY_A, "language": "fr", "name": "Albertine Oudemans", "reference": "A-1"},
                {"phone": INVITED_TO_A, "language": "fr", "name": "Bruno Vanderlinden"},
            ]
            import_contacts(session, runtime, session.get_one(Campaign, a.id), rows, "sms", "BE")
            import_contacts(
                session,
                runtime,
                session.get_one(Campaign, c.id),
                [{"phone": A_AND_C, "language": "nl"}],
                "sms",
                "BE",
            )
            orphan = respondents.identity_for(
                session, runtime.vault, setting.organization_id, "telegram", ORPHAN_CHAT
            )
            orphan_id = orphan.id
        Texter(runtime, ONLY_A).complete("AAAA")
        Texter(runtime, A_AND_C).complete("AAAA")
        Texter(runtime, A_AND_C).complete("CCCC")
        Texter(runtime, ONLY_B).complete("BBBB")
        Texter(runtime, ENDED_BY_DATE).complete("DDDD")
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        _close(runtime, a)
    with time_machine.travel(T0 + timedelta(days=21), tick=False):
        _close(runtime, b)
    assert _alive(runtime) == {ONLY_A, A_AND_C, ONLY_B, INVITED_TO_A, ENDED_BY_DATE, ORPHAN_CHAT}
    assert _free_texts(runtime) == {"AAAA": 2, "BBBB": 1, "CCCC": 1, "DDDD": 1}

    with time_machine.travel(T0 + timedelta(days=30, hours=23), tick=False):
        early = apply_retention(runtime.sessions, datetime.now(UTC))
    assert (early.identities, early.contacts) == (1, 0), "only the orphan: A ended 29 days and 23 hours ago"
    assert _free_texts(runtime) == {"BBBB": 1, "CCCC": 1}, "A and D ended over 10 days ago, B 9 days ago"

    with time_machine.travel(T0 + timedelta(days=32, hours=1), tick=False):
        assert erase_expired_data() == {"identities": 3, "contacts": 2, "free_text_answers": 1}
        assert erase_expired_data() == {"identities": 0, "contacts": 0, "free_text_answers": 0}
    # A ended 31 days ago, D (its closing date passed, still "running") 30 days and 1 hour ago.
    assert _alive(runtime) == {A_AND_C, ONLY_B}, "still on a running campaign (C), or ended 11 days ago (B)"
    assert _free_texts(runtime) == {"CCCC": 1}
    with runtime.transaction() as session:
        assert session.get_one(Identity, orphan_id).erased_at is not None, (
            "known from no campaign for 30 days"
        )
        names = dict(session.execute(select(Contact.campaign_id, Contact.name_ciphertext)).all())
        assert (
            session.scalar(
                select(func.count(Contact.id)).where(
                    Contact.campaign_id == a.id, Contact.reference.is_not(None)
                )
            )
            == 0
        )
        assert names[c.id] is None  # C's contact had no name; it still has its identity:
        assert session.scalar(select(func.count(Identity.id)).where(Identity.erased_at.is_(None))) == 2
        assert session.scalar(select(func.count(Respondent.id))) == 6, "pseudonymous respondents stay"
        assert session.scalar(select(func.count(Answer.id)).where(Answer.is_free_text.is_(False))) == 5 * 8, (
            "coded answers stay"
        )
        events = [
            event.details
            for event in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "retention").order_by(AuditEvent.id)
            )
        ]
    assert events == [
        {"identities": 1, "contacts": 0, "free_text_answers": 3},
        {"identities": 3, "contacts": 2, "free_text_answers": 1},
    ]

    with time_machine.travel(T0 + timedelta(days=51, hours=1), tick=False):
        later = apply_retention(runtime.sessions, datetime.now(UTC))
    assert later.identities == 1 and _alive(runtime) == {A_AND_C}, "B ended 30 days ago; C still runs"
    # A person who answered and whose number was erased is someone new if they write again.
    with time_machine.travel(T0 + timedelta(days=52), tick=False):
        assert Texter(runtime, ONLY_A).send("AAAA").outgoing.texts == (
            "Ce questionnaire est terminé. Merci !",
        )


def test_the_campaign_page_says_when_its_data_will_be_erased(app: Flask, runtime: Runtime) -> None:
    setting = make_setting(runtime, retention_days=90)
    viewer = signed_in(app, setting.viewer)
    page = viewer.get(f"/campaigns/{setting.campaign.code}").get_data(as_text=True)
    assert "Phone numbers and Telegram chats erased 90 days after the campaign ends." in page
    assert "Free-text answers are kept with the other answers." in page
    assert "consent-ledger.csv" not in page, "viewers don't get the ledger"
    with runtime.transaction() as session:
        campaign = session.get_one(Campaign, setting.campaign.id)
        change_status(session, campaign, "close", now=datetime(2026, 3, 1, 12, tzinfo=UTC))
        session.get_one(Organization, setting.organization_id).free_text_retention_days = 30
    page = signed_in(app, setting.editor).get(f"/campaigns/{setting.campaign.code}").get_data(as_text=True)
    assert "Phone numbers and Telegram chats erased on 2026-05-30 (90 days after the end)." in page
    assert "Free-text answers deleted on 2026-03-31." in page
    assert f"/campaigns/{setting.campaign.code}/consent-ledger.csv" in page


def test_retention_dates_count_from_the_earlier_of_closing_and_the_closing_date(runtime: Runtime) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    organization = Organization(retention_days=180, free_text_retention_days=None)
    planned = Campaign(closes_at=datetime(2026, 7, 1, tzinfo=UTC), closed_at=None)
    dates = retention_dates(planned, organization, now)
    assert (dates.ended, dates.identities_erased_on) == (False, datetime(2026, 12, 28, tzinfo=UTC))
    assert dates.free_text_erased_on is None
    closed_early = Campaign(
        closes_at=datetime(2026, 7, 1, tzinfo=UTC), closed_at=datetime(2026, 5, 1, tzinfo=UTC)
    )
    assert retention_dates(closed_early, organization, now).identities_erased_on == datetime(
        2026, 10, 28, tzinfo=UTC
    )
    passed = Campaign(
        closes_at=datetime(2026, 5, 10, tzinfo=UTC), closed_at=datetime(2026, 5, 20, tzinfo=UTC)
    )
    assert retention_dates(passed, organization, now).ends_at == datetime(2026, 5, 10, tzinfo=UTC)
    assert (
        retention_dates(Campaign(closes_at=None, closed_at=None), organization, now).identities_erased_on
        is None
    )
