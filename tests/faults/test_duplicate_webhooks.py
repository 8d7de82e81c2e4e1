"""Every webhook delivered again and again: in bursts of concurrent copies, then once more, late.

Providers redeliver whenever they didn't hear back in time, and a browser posts twice on a double click;
copies of one request can arrive together on different server threads. Whatever arrives, one message is
one answer and one reply: the first copy to claim the message id is handled, every other copy is a
duplicate that stores nothing and says nothing (TwiML without a message, no Bot API call, a redirect).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from service.contacts import import_contacts
from service.delivery import deliver
from service.models import Campaign, Contact, Conversation, InboundMessage, OptOut, OutboundMessage
from service.outbound import NewMessage, insert_messages
from service.runtime import Runtime
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.faults.live_server import burst
from tests.faults.respondents import (
    QUESTIONS,
    STATUS_PATH,
    Browser,
    Chat,
    Phone,
    answers_by_message,
    asked,
    make_campaign,
    status_form,
    twiml_texts,
)
from tests.faults.tally import Tally

AREA = "Duplicate webhooks"
COPIES = 8
"""Copies of each request in a burst (then one more, late)."""

pytestmark = pytest.mark.timeout(120)


def _deliver_copies(tally: Tally, call: Any) -> tuple[list[Any], Any]:
    """``COPIES`` concurrent copies of one request, then a late one; returns (burst responses, late one)."""
    responses = burst(COPIES, call)
    with requests.Session() as http:
        late = call(http)
    tally.add(inputs=COPIES + 1, duplicates=COPIES)
    return responses, late


def test_sms_webhook_copies_store_one_answer_and_send_one_reply(
    runtime: Runtime, server: str, tally: Tally
) -> None:
    campaign = make_campaign(runtime)
    steps = [("POULS", "consent"), ("oui", "better"), ("2", "calm"), ("4", "member"), ("non", "recommend")]
    steps.append(("9", "thanks"))
    for _ in range(3):
        phone = Phone(server)
        for body, next_question in steps:
            form = phone.form(body)
            responses, late = _deliver_copies(
                tally, lambda http, form=form, phone=phone: phone.post(http, form)
            )
            assert {r.status_code for r in [*responses, late]} == {200}
            replies = [twiml_texts(r.content) for r in responses]
            spoken = [texts for texts in replies if texts]
            assert len(spoken) == 1, f"{len(spoken)} replies to one message {body!r}"
            assert twiml_texts(late.content) == []
            text = "\n".join(spoken[0])
            if next_question == "thanks":
                assert "erci" in text, text
            else:
                assert asked(text) == next_question, text
    carried = answers_by_message(runtime, "sms")
    with runtime.transaction() as session:
        ledger = session.scalar(select(func.count(InboundMessage.id)).where(InboundMessage.channel == "sms"))
        statuses = Counter(
            session.scalars(select(Conversation.status).where(Conversation.campaign_id == campaign.id))
        )
    assert ledger == 3 * len(steps)  # one ledger row per message, whatever the copies
    assert statuses == Counter({"completed": 3})
    assert all(len(answers) == 1 for answers in carried.values())
    assert Counter(q for answers in carried.values() for _, q, _ in answers) == Counter(
        dict.fromkeys(QUESTIONS, 3)
    )
    tally.add(answers_acknowledged=3 * len(QUESTIONS), answers_stored=sum(map(len, carried.values())))
    tally.add(answers_lost=3 * len(QUESTIONS) - sum(map(len, carried.values())))


def _chat_texts(api: FakeTelegram, chat_id: int, since: int) -> list[str]:
    return [
        call.params.get("text", "")
        for call in api.calls_since(since)
        if call.method == "sendMessage" and int(call.params.get("chat_id", 0)) == chat_id
    ]


def test_telegram_update_copies_store_one_answer_and_send_one_reply(
    runtime: Runtime, server: str, telegram_api: FakeTelegram, tally: Tally
) -> None:
    campaign = make_campaign(runtime)
    chat = Chat(server, 6124538790)
    telegram_api.add_chat(chat.chat_id, chat.first_name, chat.language_code)

    def last() -> dict[str, Any]:
        return telegram_api.last_message(chat.chat_id)

    steps: list[tuple[Any, str]] = [
        (lambda: chat.text_update(f"/start {campaign.code}"), "consent"),
        (lambda: chat.tap_update(last(), "Oui"), "better"),
        (lambda: chat.tap_update(last(), "Pareil"), "calm"),
        (lambda: chat.text_update("4"), "member"),
        (lambda: chat.tap_update(last(), "Non"), "recommend"),
        (lambda: chat.text_update("9"), "thanks"),
    ]
    for make_update, next_question in steps:
        update = make_update()
        before = len(telegram_api.calls)
        responses, late = _deliver_copies(tally, lambda http, update=update: chat.post(http, update))
        assert {r.status_code for r in [*responses, late]} == {200}
        texts = _chat_texts(telegram_api, chat.chat_id, before)
        if next_question == "thanks":
            assert sum("erci" in text for text in texts) == 1, texts
        else:
            assert [asked(text) for text in texts].count(next_question) == 1, texts
        answered = [c for c in telegram_api.calls_since(before) if c.method == "answerCallbackQuery"]
        assert all(call.status == 200 for call in answered)  # never a second answer to one tap
    carried = answers_by_message(runtime, "telegram")
    assert all(len(answers) == 1 for answers in carried.values())
    assert sorted(q for answers in carried.values() for _, q, _ in answers) == sorted(QUESTIONS)
    tally.add(answers_acknowledged=len(QUESTIONS), answers_stored=sum(map(len, carried.values())))
    tally.add(answers_lost=len(QUESTIONS) - sum(map(len, carried.values())))


def test_web_form_posted_in_copies_stores_one_answer_and_advances_once(
    runtime: Runtime, server: str, tally: Tally
) -> None:
    campaign = make_campaign(runtime)
    steps = [(None, "better"), ("2", "calm"), ("4", "member"), ("no", "recommend"), ("9", None)]
    for _ in range(2):
        browser = Browser(server, campaign.code)
        try:
            browser.open()
            for answer, next_question in steps:
                form = browser.form(answer)
                responses, late = _deliver_copies(
                    tally, lambda http, form=form, browser=browser: browser.post_with(http, form)
                )
                assert {r.status_code for r in [*responses, late]} == {303}, [
                    r.status_code for r in responses
                ]
                page = browser.open()
                if next_question is None:
                    assert "Merci" in page or "merci" in page
                else:
                    assert asked(page) == next_question
        finally:
            browser.close()
    carried = answers_by_message(runtime, "web")
    with runtime.transaction() as session:
        statuses = Counter(
            session.scalars(select(Conversation.status).where(Conversation.campaign_id == campaign.id))
        )
    assert statuses == Counter({"completed": 2})
    assert all(len(answers) == 1 for answers in carried.values())
    assert Counter(q for answers in carried.values() for _, q, _ in answers) == Counter(
        dict.fromkeys(QUESTIONS, 2)
    )
    tally.add(answers_acknowledged=2 * len(QUESTIONS), answers_stored=sum(map(len, carried.values())))
    tally.add(answers_lost=2 * len(QUESTIONS) - sum(map(len, carried.values())))


def test_status_callback_copies_move_each_message_once(
    runtime: Runtime, server: str, twilio_api: FakeTwilio, tally: Tally
) -> None:
    campaign = make_campaign(runtime)
    numbers = [f"+3247230{i:04d}" for i in range(4)]
    with runtime.transaction() as session:
        fresh = session.get_one(Campaign, campaign.id)
        report = import_contacts(
            session, runtime, fresh, [{"phone": n, "language": "fr"} for n in numbers], "sms", "BE"
        )
        assert report.ok, report.problems
        contacts = list(session.scalars(select(Contact).where(Contact.campaign_id == campaign.id)))
        ids = insert_messages(
            session,
            [
                NewMessage(
                    organization_id=campaign.organization_id,
                    campaign_id=campaign.id,
                    contact_id=contact.id,
                    channel="sms",
                    kind="invitation",
                    sequence=0,
                    language="fr",
                    identity_id=contact.identity_id,
                )
                for contact in contacts
            ],
            now=contacts[0].created_at,
        )
    for message_id in ids:
        assert deliver(runtime, message_id).outcome.value == "sent"
    sent = {m.to: m.sid for m in twilio_api.messages}
    assert sorted(sent) == numbers

    phone = Phone(server)
    reports: list[tuple[str, str, str | None]] = [(numbers[0], "sent", None), (numbers[0], "delivered", None)]
    reports.append((numbers[0], "sent", None))
    reports += [(numbers[1], "delivered", None), (numbers[2], "failed", "30003")]
    reports += [(numbers[3], "undelivered", "21610")]
    for to, status, error in reports:
        form = status_form(sent[to], to, status, error)
        responses, late = _deliver_copies(
            tally, lambda http, form=form: phone.post(http, form, path=STATUS_PATH)
        )
        assert {r.status_code for r in [*responses, late]} == {200}, [r.text for r in responses]
    with runtime.transaction() as session:
        final = dict(session.execute(select(OutboundMessage.provider_id, OutboundMessage.status)).all())
        opt_outs = session.scalar(select(func.count(OptOut.id)))
    assert final == {
        sent[numbers[0]]: "delivered",  # a late "sent" never moves a message back
        sent[numbers[1]]: "delivered",
        sent[numbers[2]]: "failed",
        sent[numbers[3]]: "undelivered",
    }
    assert opt_outs == 1  # nine copies of one unsubscribed report: one opt-out
