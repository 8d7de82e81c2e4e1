"""The conversation service on the suite's database: one inbound message, one stored step, one reply."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import func, select

from bots.base import Inbound
from questionnaires.keywords import Command, Keyword
from questionnaires.loader import load_text
from questionnaires.messages import message
from questionnaires.turns import AnswerReply
from service import respondents
from service.accounts import create_organization
from service.campaigns import change_status, create_campaign
from service.conversations import ConversationService
from service.definitions import register_version
from service.models import Answer, Campaign, ConsentRecord, Conversation, InboundMessage, OptOut
from service.runtime import Runtime

DEFINITION = """
id: tiny
version: 1
title: {fr: Petit, nl: Klein, en: Tiny}
languages: [fr, nl, en]
default_language: fr
consent:
  version: "1"
  text: {fr: "On commence ?", nl: "Beginnen?", en: "Shall we start?"}
questions:
  - id: mood
    type: single_choice
    text: {fr: "Comment allez-vous a {org} ?", nl: "Hoe gaat het bij {org}?", en: "How are you at {org}?"}
    choices:
      - {code: "1", label: {fr: Bien, nl: Goed, en: Good}}
      - {code: "2", label: {fr: Moyen, nl: Matig, en: So-so}}
      - {code: "3", label: {fr: Mal, nl: Slecht, en: Bad}}
  - id: why
    type: text
    required: false
    show_if: "mood = '3'"
    text: {fr: "Pourquoi ?", nl: "Waarom?", en: "Why?"}
  - id: score
    type: scale
    min: 0
    max: 10
    text: {fr: "Une note ?", nl: "Een cijfer?", en: "A score?"}
"""

PHONE = "+32470000001"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
_ids = count(1)


@pytest.fixture
def campaign(runtime: Runtime) -> Campaign:
    with runtime.transaction() as session:
        org = create_organization(session, "atelier", name="Atelier", short_name="Atelier")
        version = register_version(session, org, load_text(DEFINITION), source="yaml")
        created = create_campaign(
            session, org, version, name="Test", channels=["sms", "web"], sms_keyword="tiny"
        )
        change_status(session, created, "start", now=NOW - timedelta(days=1))
        return created


def sms(text: str, *, address: str = PHONE, sid: str | None = None, at: datetime = NOW) -> Inbound:
    return Inbound(
        channel="sms", address=address, external_id=sid or f"SM{next(_ids):032x}", received_at=at, text=text
    )


def test_a_keyword_starts_and_replies_advance_until_completion(runtime: Runtime, campaign: Campaign) -> None:
    service = ConversationService(runtime)
    first = service.handle(sms("Tiny"))
    assert first.outgoing.prompt is not None and first.outgoing.prompt.kind == "consent"
    assert first.outgoing.language == "fr"
    second = service.handle(sms("oui"))
    assert second.outgoing.prompt is not None and second.outgoing.prompt.question_id == "mood"
    assert "Atelier" in second.outgoing.prompt.text
    third = service.handle(sms(" 3. "))
    assert third.stored_answer and third.outgoing.acknowledged == "Mal"
    assert third.outgoing.prompt is not None and third.outgoing.prompt.question_id == "why"
    service.handle(sms("trop de bruit"))
    last = service.handle(sms("dix"))
    assert last.status == "completed" and last.outgoing.ended
    with runtime.transaction() as session:
        answers = dict(session.execute(select(Answer.question_id, Answer.value)).all())
        assert answers == {"mood": "3", "why": "trop de bruit", "score": 10}
        free_text = session.scalar(select(Answer).where(Answer.question_id == "why"))
        assert free_text is not None and free_text.is_free_text
        consent = session.scalar(select(ConsentRecord))
        assert (
            consent is not None
            and consent.given
            and consent.channel == "sms"
            and consent.consent_version == "1"
        )
        conversation = session.scalar(select(Conversation))
        assert conversation is not None and conversation.completed_at == NOW


def test_a_redelivered_message_is_stored_once_and_not_answered_again(
    runtime: Runtime, campaign: Campaign
) -> None:
    service = ConversationService(runtime)
    service.handle(sms("tiny"))
    service.handle(sms("oui"))
    original = service.handle(sms("2", sid="SMduplicate"))
    again = service.handle(sms("2", sid="SMduplicate"))
    assert original.stored_answer and not original.duplicate
    assert again.duplicate and again.outgoing.is_empty
    with runtime.transaction() as session:
        conversation = session.scalar(select(Conversation))
        assert conversation is not None and conversation.current_question == "score"
        assert (
            session.scalar(
                select(func.count(InboundMessage.id)).where(InboundMessage.external_id == "SMduplicate")
            )
            == 1
        )


def test_an_unreadable_reply_is_reasked_and_nothing_is_stored(runtime: Runtime, campaign: Campaign) -> None:
    service = ConversationService(runtime)
    service.handle(sms("tiny"))
    service.handle(sms("oui"))
    reask = service.handle(sms("peut-être"))
    assert not reask.stored_answer and reask.outgoing.texts
    assert reask.outgoing.prompt is not None and reask.outgoing.prompt.question_id == "mood"
    for _ in range(2):
        reask = service.handle(sms("bof bof"))
    assert reask.outgoing.offer_help


def test_stop_opts_out_everywhere_once_and_start_opts_back_in(runtime: Runtime, campaign: Campaign) -> None:
    service = ConversationService(runtime)
    service.handle(sms("tiny"))
    stopped = service.handle(sms("ARRÊT"))
    assert stopped.outgoing.texts and "Atelier" in stopped.outgoing.texts[0]
    assert service.handle(sms("stop")).outgoing.is_empty
    with runtime.transaction() as session:
        assert session.scalar(select(Conversation.status)) == "opted_out"
        assert session.scalar(select(func.count(OptOut.id)).where(OptOut.opted_in_at.is_(None))) == 1
    assert service.handle(sms("tiny")).outgoing.is_empty
    assert service.handle(sms("START")).outgoing.texts
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(OptOut.id)).where(OptOut.opted_in_at.is_(None))) == 0


def test_the_web_form_starts_with_the_consent_answer(runtime: Runtime, campaign: Campaign) -> None:
    service = ConversationService(runtime)
    handled = service.handle(
        Inbound(
            channel="web",
            address="web-token-1",
            external_id="sub-1",
            received_at=NOW,
            campaign_code=campaign.code,
            answer=AnswerReply("__consent__", "yes"),
            language_hint="nl",
        )
    )
    assert handled.outgoing.language == "nl"
    assert handled.outgoing.prompt is not None and handled.outgoing.prompt.question_id == "mood"


def test_an_unknown_campaign_code_during_a_conversation_resends_the_question(
    runtime: Runtime, campaign: Campaign
) -> None:
    service = ConversationService(runtime)

    def telegram(**fields: Any) -> Inbound:
        return Inbound(
            channel="telegram", address="5001", external_id=f"tg-{next(_ids)}", received_at=NOW, **fields
        )

    service.handle(telegram(campaign_code=campaign.code, language_hint="nl"))
    service.handle(telegram(text="ja"))
    for opening in (telegram(campaign_code="WRONGCOD"), telegram(link_token="x" * 32)):
        handled = service.handle(opening)
        assert handled.outgoing.texts == (message("unknown_keyword", "nl"),)
        assert handled.outgoing.prompt is not None and handled.outgoing.prompt.question_id == "mood"
        assert not handled.stored_answer
    assert service.handle(telegram(text="1")).stored_answer
    with runtime.transaction() as session:
        assert dict(session.execute(select(Answer.question_id, Answer.value)).all()) == {"mood": "1"}


def test_back_and_language_switches_reach_a_conversation_through_another_browser(
    runtime: Runtime, campaign: Campaign
) -> None:
    service = ConversationService(runtime)

    def web(address: str, **fields: Any) -> Inbound:
        return Inbound(
            channel="web",
            address=address,
            external_id=f"sub-{next(_ids)}",
            received_at=NOW,
            campaign_code=campaign.code,
            **fields,
        )

    service.handle(web("browser-1", answer=AnswerReply("__consent__", "yes"), language_hint="fr"))
    assert service.handle(web("browser-1", answer=AnswerReply("mood", "1"))).stored_answer
    # The same person on a second browser (as a resume code makes it): another identity of their respondent,
    # while the conversation still points at the first one.
    with runtime.transaction() as session:
        respondent_id = session.scalars(select(Conversation.respondent_id)).one()
        respondents.identity_for(
            session, runtime.vault, campaign.organization_id, "web", "browser-2", respondent_id=respondent_id
        )
    switched = service.handle(web("browser-2", command=Keyword(Command.LANGUAGE, "en")))
    assert switched.outgoing.language == "en"
    assert switched.outgoing.prompt is not None and switched.outgoing.prompt.question_id == "score"
    assert switched.outgoing.texts == (message("language_switched", "en"),)
    back = service.handle(web("browser-2", back=True))
    assert back.outgoing.prompt is not None and back.outgoing.prompt.question_id == "mood"
    with runtime.transaction() as session:
        assert session.scalars(select(Conversation.language)).one() == "en"
        assert dict(session.execute(select(Answer.question_id, Answer.value)).all()) == {"mood": "1"}


def test_a_closed_campaign_says_so(runtime: Runtime, campaign: Campaign) -> None:
    with runtime.transaction() as session:
        change_status(session, session.get_one(Campaign, campaign.id), "close")
    handled = ConversationService(runtime).handle(sms("tiny"))
    assert handled.outgoing.prompt is None and handled.outgoing.texts


def test_concurrent_replies_from_one_person_advance_once_each(runtime: Runtime, campaign: Campaign) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("row locking is exercised on PostgreSQL")
    service = ConversationService(runtime)
    service.handle(sms("tiny"))
    service.handle(sms("oui"))
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def reply(text: str) -> None:
        barrier.wait()
        results.append(service.handle(sms(text)))

    threads = [threading.Thread(target=reply, args=(t,)) for t in ("1", "2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.stored_answer for r in results), results
    with runtime.transaction() as session:
        answers = dict(session.execute(select(Answer.question_id, Answer.value)).all())
    # Serialised on the conversation's row lock: whichever came first answered "mood", the other "score".
    assert answers in ({"mood": "1", "score": 2}, {"mood": "2", "score": 1})
