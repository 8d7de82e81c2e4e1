"""Two different replies of one person, racing on two server threads.

A person who types "2", then "4" before our answer to the first arrives, sends two messages that can
reach two threads together. Both must be handled, one after the other: either each answers the question
current when its turn came (stored in order), or the second one is re-asked. Never a double advance (two
answers for one message, or a question skipped) and never an answer acknowledged and not stored.

Checked for each race, from the database: the answers the two messages carried are at most one each, on
consecutive questions from the one that was current; the conversation moved on by exactly that many
questions; and (SMS, where each message has its own reply) a message that stored an answer was answered
with the next question, one that stored nothing with a question again, never with silence.
"""

from __future__ import annotations

import random
from collections import Counter
from functools import partial
from typing import Any

import pytest
import requests
from sqlalchemy import select

from service.models import Conversation, InboundMessage
from service.runtime import Runtime
from tests.fakes.telegram_api import FakeTelegram
from tests.faults.live_server import at_once
from tests.faults.respondents import (
    QUESTIONS,
    Browser,
    Chat,
    Phone,
    answers_by_message,
    asked,
    make_campaign,
    twiml_texts,
)
from tests.faults.tally import Tally

AREA = "Racing replies"
SEED = 20261126
CANDIDATES = ("1", "2", "3", "4", "5", "9", "10", "oui", "non", "bof")
"""Replies drawn for the races: each valid for some questions and not others."""
VALID = {"better": ("1", "2", "3", "9"), "calm": ("1", "2", "4", "5"), "member": ("oui", "non")}
VALID["recommend"] = ("0", "5", "9", "10")
"""A reply each question takes: a race after one where both were re-asked includes one, so a person
never reaches the six unreadable replies in a row after which SMS falls silent (by design)."""

pytestmark = pytest.mark.timeout(120)


def _conversation_of(runtime: Runtime, channel: str, external_id: str) -> int:
    with runtime.transaction() as session:
        found = session.scalar(
            select(InboundMessage.conversation_id).where(
                InboundMessage.channel == channel,
                (InboundMessage.external_id == external_id)
                | InboundMessage.external_id.startswith(f"{external_id}/"),
            )
        )
    assert found is not None
    return int(found)


def _position(runtime: Runtime, conversation_id: int) -> int:
    """How many questions the conversation has moved past (all of them once completed)."""
    with runtime.transaction() as session:
        conversation = session.get_one(Conversation, conversation_id)
    if conversation.status == "completed":
        return len(QUESTIONS)
    assert conversation.status == "in_progress", conversation.status
    return QUESTIONS.index(conversation.current_question or "")


def _check_race(
    runtime: Runtime,
    channel: str,
    conversation_id: int,
    start: int,
    external_ids: list[str],
    replies: dict[str, list[str]] | None,
    outcomes: Counter[str],
) -> int:
    """The invariants of one race that began at question ``start``; returns the new position."""
    carried = answers_by_message(runtime, channel)
    stored: dict[str, str] = {}
    for external_id in external_ids:
        answers = carried.get(external_id, [])
        assert len(answers) <= 1, f"one message stored {len(answers)} answers"
        for answer_conversation, question, _ in answers:
            assert answer_conversation == conversation_id
            stored[external_id] = question
    positions = sorted(QUESTIONS.index(question) for question in stored.values())
    assert positions == list(range(start, start + len(stored))), f"answers skip a question: {positions}"
    position = _position(runtime, conversation_id)
    assert position == start + len(stored), "the conversation moved on more than the answers it stored"
    for external_id, texts in (replies or {}).items():
        text = "\n".join(texts)
        assert text.strip(), f"a reply was answered with silence: {external_id} {stored} {replies} {position}"
        if external_id in stored:
            following = QUESTIONS.index(stored[external_id]) + 1
            expected = QUESTIONS[following] if following < len(QUESTIONS) else None
            assert asked(text) == expected, (stored[external_id], text)
        elif start < len(QUESTIONS) and position < len(QUESTIONS):
            # Re-asked: the question that was current when its turn came.
            assert asked(text) in {QUESTIONS[start], QUESTIONS[min(start + 1, len(QUESTIONS) - 1)]}, text
    outcomes[{2: "both stored in order", 1: "one stored, one re-asked", 0: "both re-asked"}[len(stored)]] += 1
    return position


def test_two_sms_replies_racing_are_both_handled_and_advance_once_each(
    runtime: Runtime, server: str, tally: Tally
) -> None:
    make_campaign(runtime)
    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    for _ in range(8):
        phone = Phone(server)
        with requests.Session() as http:
            phone.send(http, "POULS")
            consent = phone.form("oui")
            assert phone.post(http, consent).status_code == 200
        conversation_id = _conversation_of(runtime, "sms", consent["MessageSid"])
        position, stalled = 0, False
        while position < len(QUESTIONS):
            bodies = rng.sample(CANDIDATES, 2)
            if stalled:
                bodies[rng.randrange(2)] = rng.choice(VALID[QUESTIONS[position]])
            forms = [phone.form(body) for body in bodies]
            responses = at_once([partial(phone.post, form=form) for form in forms])
            assert [r.status_code for r in responses] == [200, 200]
            replies = {
                form["MessageSid"]: twiml_texts(r.content) for form, r in zip(forms, responses, strict=True)
            }
            before = position
            position = _check_race(
                runtime, "sms", conversation_id, position, list(replies), replies, outcomes
            )
            stalled = position == before
            tally.add(inputs=2, races=1)
    stored = sum(len(a) for a in answers_by_message(runtime, "sms").values())
    tally.add(answers_acknowledged=stored, answers_stored=stored, answers_lost=0)
    for outcome, count in sorted(outcomes.items()):
        tally.note(f"SMS races: {count} {outcome}")
    assert outcomes["both stored in order"] and outcomes["one stored, one re-asked"]


def test_two_telegram_messages_racing_are_both_handled_and_advance_once_each(
    runtime: Runtime, server: str, telegram_api: FakeTelegram, tally: Tally
) -> None:
    campaign = make_campaign(runtime)
    rng = random.Random(SEED + 1)
    outcomes: Counter[str] = Counter()
    for index in range(4):
        chat = Chat(server, 7_000_000_100 + index)
        telegram_api.add_chat(chat.chat_id, chat.first_name, chat.language_code)
        with requests.Session() as http:
            start = chat.text_update(f"/start {campaign.code}")
            assert chat.post(http, start).status_code == 200
            consent = chat.tap_update(telegram_api.last_message(chat.chat_id), "Oui")
            assert chat.post(http, consent).status_code == 200
        conversation_id = _conversation_of(runtime, "telegram", str(start["update_id"]))
        position, stalled = 0, False
        while position < len(QUESTIONS):
            updates: list[dict[str, Any]] = []
            if rng.random() < 0.5 and QUESTIONS[position] in ("better", "member"):
                # Two taps on two buttons of the question message, at once.
                message = telegram_api.last_message(chat.chat_id)
                labels = [
                    button["text"]
                    for row in message["reply_markup"]["inline_keyboard"]
                    for button in row
                    if button["callback_data"].startswith("a:")  # answers, not "back"
                ]
                updates = [chat.tap_update(message, label) for label in rng.sample(labels, 2)]
            else:
                bodies = rng.sample(CANDIDATES, 2)
                if stalled:
                    bodies[rng.randrange(2)] = rng.choice(VALID[QUESTIONS[position]])
                updates = [chat.text_update(body) for body in bodies]
            responses = at_once([partial(chat.post, update=update) for update in updates])
            assert [r.status_code for r in responses] == [200, 200]
            ids = [str(update["update_id"]) for update in updates]
            before = position
            position = _check_race(runtime, "telegram", conversation_id, position, ids, None, outcomes)
            stalled = position == before
            if position < len(QUESTIONS):
                # Whatever happened, the last thing the person sees asks the question now current.
                assert asked(telegram_api.last_message(chat.chat_id)["text"]) == QUESTIONS[position]
            tally.add(inputs=2, races=1)
    stored = sum(len(a) for a in answers_by_message(runtime, "telegram").values())
    tally.add(answers_acknowledged=stored, answers_stored=stored, answers_lost=0)
    for outcome, count in sorted(outcomes.items()):
        tally.note(f"Telegram races: {count} {outcome}")


def test_two_web_screens_posted_together_are_both_handled_and_advance_once_each(
    runtime: Runtime, server: str, tally: Tally
) -> None:
    campaign = make_campaign(runtime)
    rng = random.Random(SEED + 2)
    outcomes: Counter[str] = Counter()
    for _ in range(4):
        browser = Browser(server, campaign.code)
        try:
            browser.open()
            consent = browser.form()
            assert browser.post_with(browser.http, consent).status_code == 303
            conversation_id = _conversation_of(runtime, "web", consent["sid"])
            position = 0
            while position < len(QUESTIONS):
                # The same question opened in two tabs, each posted with its own answer.
                forms = []
                for body in rng.sample(("1", "2", "3", "4", "9", "yes", "no"), 2):
                    browser.open()
                    forms.append(browser.form(body))
                responses = at_once([partial(browser.post_with, form=form) for form in forms])
                assert {r.status_code for r in responses} <= {303, 422}, [r.status_code for r in responses]
                ids = [form["sid"] for form in forms]
                position = _check_race(runtime, "web", conversation_id, position, ids, None, outcomes)
                if position < len(QUESTIONS):
                    assert asked(browser.open()) == QUESTIONS[position]
                tally.add(inputs=2, races=1)
        finally:
            browser.close()
    stored = sum(len(a) for a in answers_by_message(runtime, "web").values())
    tally.add(answers_acknowledged=stored, answers_stored=stored, answers_lost=0)
    for outcome, count in sorted(outcomes.items()):
        tally.note(f"Web races: {count} {outcome}")
