"""Sending through the real PTB Bot: Telegram's 429 and 403, invitations, and the one Bot per process."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import select

from bots.base import Outgoing, SendError
from bots.telegram import TelegramChannel
from questionnaires.turns import Option, Prompt
from service.channels import sender_for
from service.models import Campaign, Contact, Conversation, OptOut
from service.runtime import Runtime
from service.settings import Settings
from service.telegram_updates import TelegramUpdates, telegram_channel
from tests.e2e.telegram.conftest import Person, answers, conversations, recorded
from tests.fakes.telegram_api import FakeTelegram

INVITATION = Outgoing(
    language="fr",
    texts=("Bonjour ! Atelier aimerait votre avis.",),
    prompt=Prompt(
        question_id="__consent__",
        kind="consent",
        text="Acceptez-vous de répondre ?",
        options=(Option("1", "yes", "Oui"), Option("2", "no", "Non")),
    ),
)


class RecordingSleep:
    """Sleeps as asked, and remembers for how long (the retry waits are the behaviour under test)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def sleep(runtime: Runtime) -> RecordingSleep:
    recording = RecordingSleep()
    runtime.cache["telegram_updates"] = TelegramUpdates(runtime, telegram_channel(runtime), sleep=recording)
    return recording


def statuses(api: FakeTelegram, since: int) -> list[tuple[str, int]]:
    return [(call.method, call.status) for call in api.calls_since(since) if call.method != "getMe"]


def test_a_429_is_honoured_by_waiting_retry_after_then_sending_again(
    runtime: Runtime, beneficiaries: Campaign, amina: Person, sleep: RecordingSleep
) -> None:
    amina.api.flood(amina.chat_id, retry_after=1, times=1)
    before = len(amina.api.calls)
    (first, second) = amina.send(f"/start {beneficiaries.code}")
    assert first == second and first[0] == "sendMessage"
    assert statuses(amina.api, before) == [("sendMessage", 429), ("sendMessage", 200)]
    assert sleep.waits == [1.0]


def test_a_long_retry_after_drops_the_reply_but_never_the_answer(
    runtime: Runtime, beneficiaries: Campaign, amina: Person, sleep: RecordingSleep
) -> None:
    amina.send(f"/start {beneficiaries.code}")
    amina.tap("Oui")
    amina.api.flood(amina.chat_id, retry_after=30, times=1)
    before = len(amina.api.calls)
    amina.tap("Inchangée")
    assert statuses(amina.api, before) == [
        ("answerCallbackQuery", 200),
        ("editMessageText", 200),
        ("sendMessage", 429),
    ]
    assert sleep.waits == []
    assert answers(runtime) == {"A1": "3"}
    # The next message from the person gets the current question.
    (again,) = amina.send("/help")
    assert again[1].endswith("(2/9) Avant Atelier, aviez-vous accès à un service comme celui-ci ?")


def test_a_person_who_blocked_the_bot_is_opted_out_when_a_reply_is_refused(
    runtime: Runtime, beneficiaries: Campaign, amina: Person
) -> None:
    amina.send(f"/start {beneficiaries.code}")
    amina.tap("Oui")
    amina.api.block(amina.chat_id)
    before = len(amina.api.calls)
    amina.tap("Inchangée")
    assert statuses(amina.api, before) == [("answerCallbackQuery", 200), ("editMessageText", 403)]
    assert conversations(runtime) == [("telegram", "fr", "opted_out")]
    with runtime.transaction() as session:
        assert session.scalars(select(OptOut.source)).all() == ["blocked"]


def test_blocking_the_bot_is_an_opt_out_even_before_we_write(
    runtime: Runtime, beneficiaries: Campaign, amina: Person
) -> None:
    amina.send(f"/start {beneficiaries.code}")
    kicked = recorded("my_chat_member_kicked")
    kicked["my_chat_member"]["chat"], kicked["my_chat_member"]["from"] = amina.chat, amina.user
    assert amina.deliver(kicked) == []
    assert conversations(runtime) == [("telegram", "fr", "opted_out")]
    with runtime.transaction() as session:
        assert session.scalars(select(OptOut.source)).all() == ["blocked"]


def test_invitations_go_through_the_sender_with_their_keyboard(
    runtime: Runtime, telegram_api: FakeTelegram, amina: Person
) -> None:
    sender = sender_for(runtime, "telegram")
    result = sender.send(str(amina.chat_id), INVITATION)
    sent = telegram_api.last_message(amina.chat_id)
    assert sent["text"] == "Bonjour ! Atelier aimerait votre avis.\n\nAcceptez-vous de répondre ?"
    assert sent["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "Oui", "callback_data": "a:__consent__:yes"},
                {"text": "Non", "callback_data": "a:__consent__:no"},
            ]
        ]
    }
    assert result.provider_id.startswith(f"telegram:{sent['message_id']}:")
    assert str(amina.chat_id) not in result.provider_id
    assert sender.send(str(amina.chat_id), INVITATION).provider_id != result.provider_id


@pytest.mark.parametrize(
    ("refuse", "permanent", "code", "retry_after", "opted_out"),
    [
        ("flood", False, "rate_limited", 7.0, False),
        ("block", True, "blocked", None, True),
        ("unknown chat", True, "chat_not_found", None, False),
    ],
)
def test_refused_sends_raise_send_error_and_are_never_retried_by_the_sender(
    runtime: Runtime,
    telegram_api: FakeTelegram,
    amina: Person,
    refuse: str,
    permanent: bool,
    code: str,
    retry_after: float | None,
    opted_out: bool,
) -> None:
    address = str(amina.chat_id)
    if refuse == "flood":
        telegram_api.flood(amina.chat_id, retry_after=7, times=1)
    elif refuse == "block":
        telegram_api.block(amina.chat_id)
    else:
        address = "5000000001"
    with pytest.raises(SendError) as raised:
        sender_for(runtime, "telegram").send(address, INVITATION)
    error = raised.value
    assert (error.permanent, error.code, error.retry_after, error.opted_out) == (
        permanent,
        code,
        retry_after,
        opted_out,
    )
    assert address not in str(error)
    assert [c.method for c in telegram_api.calls] == ["getMe", "sendMessage"]


def test_one_bot_per_process_serves_many_threads_on_kept_alive_connections(
    telegram_api: FakeTelegram, settings: Settings
) -> None:
    """The spike's pitfall: a Bot reused across event loops fails every other call ("Event loop is closed")."""
    for chat_id in range(1, 9):
        telegram_api.add_chat(chat_id, f"P{chat_id}", "fr")
    assert settings.telegram is not None
    loops_before = _loop_threads()
    channel = TelegramChannel(token=settings.telegram.bot_token, api_base=telegram_api.api_base)
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda n: channel.send(str(n % 8 + 1), INVITATION), range(40)))
    finally:
        channel.close()
    assert len({r.provider_id for r in results}) == 40
    assert [c.method for c in telegram_api.calls].count("getMe") == 1
    assert all(call.status == 200 for call in telegram_api.calls)
    assert _loop_threads() == loops_before


def _loop_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == "telegram-loop")


@pytest.mark.redis
def test_with_redis_the_limits_are_shared_and_keyed_without_the_chat_id(
    make_settings: Any, database_url: str, telegram_api: FakeTelegram, redis_url: str
) -> None:
    from service.runtime import build_runtime

    settings = make_settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        TELEGRAM_BOT_TOKEN="123456789:AAHfakeTokenForTheFakeBotApi_0123456",
        TELEGRAM_API_BASE=telegram_api.api_base,
    )
    runtime = build_runtime(settings)
    telegram_api.add_chat(6124538790, "Amina", "fr")
    try:
        sender_for(runtime, "telegram").send("6124538790", INVITATION)
    finally:
        runtime.cache["senders"]["telegram"].close()
        runtime.dispose()
    keys = sorted(Redis.from_url(redis_url, decode_responses=True).keys("vises:rate:telegram:*"))
    digest = runtime.vault.digest("telegram", "6124538790")
    assert keys == ["vises:rate:telegram:bot", f"vises:rate:telegram:chat:{digest}"]


def test_the_contact_s_personal_link_ties_the_chat_to_them(
    runtime: Runtime, beneficiaries: Campaign, sam: Person, amina: Person
) -> None:
    from service.respondents import identity_for
    from service.telegram_links import ensure_link_token, link_counts, personal_link

    with runtime.transaction() as session:
        identity = identity_for(session, runtime.vault, beneficiaries.organization_id, "sms", "+32470123456")
        contact = Contact(
            campaign_id=beneficiaries.id,
            respondent_id=identity.respondent_id,
            identity_id=identity.id,
            channel="telegram",
            language="en",
        )
        session.add(contact)
        session.flush()
        token = ensure_link_token(session, contact)
        assert ensure_link_token(session, contact) == token
        assert personal_link(runtime.settings, token) == f"https://t.me/vises_test_bot?start={token}"
        assert link_counts(session, beneficiaries.id).linked == 0
        respondent_id = contact.respondent_id
    (welcome,) = sam.send(f"/start {token}")
    assert welcome[1].startswith("Hello! Atelier would like your views in a few short questions.")
    with runtime.transaction() as session:
        counts = link_counts(session, beneficiaries.id)
        assert (counts.contacts, counts.linked, counts.waiting) == (1, 1, 0)
        conversation = session.scalar(select(Conversation))
        assert conversation is not None and conversation.respondent_id == respondent_id
    # Forwarded to someone else, the link opens the campaign but doesn't make them the contact.
    amina.send(f"/start {token}")
    with runtime.transaction() as session:
        others = session.scalars(
            select(Conversation).where(Conversation.respondent_id != respondent_id)
        ).all()
        assert len(others) == 1


def test_no_free_slot_in_time_is_a_transient_send_error(
    telegram_api: FakeTelegram, settings: Settings
) -> None:
    def saturated(address: str) -> None:
        raise TimeoutError("rate limit telegram:bot still full after 30s")

    telegram_api.add_chat(42, "Zoe", "en")
    assert settings.telegram is not None
    channel = TelegramChannel(
        token=settings.telegram.bot_token, api_base=telegram_api.api_base, throttle=saturated
    )
    try:
        with pytest.raises(SendError) as raised:
            channel.send("42", INVITATION)
    finally:
        channel.close()
    assert (raised.value.permanent, raised.value.code) == (False, "throttled")
    assert telegram_api.calls == []
