"""Telegram end to end: updates posted to our webhook as Telegram sends them, the real PTB out to a fake Bot API.

Updates are built from the recorded payloads in ``tests/data/telegram`` (a text message, a command, a
callback query), with the ids, the person and the text of each step filled in. A tap is made on a
message the bot really sent: the fake keeps every message (edits included), and the callback query
carries it exactly as Telegram would.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from service.accounts import create_organization
from service.campaigns import change_status, create_campaign
from service.definitions import register_shipped
from service.models import Answer, Campaign, Conversation, InboundMessage
from service.rate_limits import Rate
from service.runtime import Runtime
from service.settings import Settings
from tests.fakes.telegram_api import ApiCall, FakeTelegram, running

TOKEN = "123456789:AAHfakeTokenForTheFakeBotApi_0123456"
SECRET = "webhook-secret_for-the-tests-0123"
USERNAME = "vises_test_bot"
PUBLIC_BASE_URL = "https://survey.example.org"
WEBHOOK = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DATA = Path(__file__).parents[2] / "data" / "telegram"
_update_ids = count(734_600_000)
_query_ids = count(4_382_000_000_000_000_001)


def recorded(name: str) -> dict[str, Any]:
    """A recorded update payload from ``tests/data/telegram``."""
    return json.loads((DATA / f"{name}.json").read_text())  # type: ignore[no-any-return]


class RecordingLimiter:
    """The rate limiter's interface, granting every slot at once and remembering which were taken."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, Rate]] = []

    def try_acquire(self, key: str, rate: Rate) -> float:
        self.taken.append((key, rate))
        return 0.0


@pytest.fixture
def telegram_api() -> Iterator[FakeTelegram]:
    yield from running(TOKEN)


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], database_url: str, telegram_api: FakeTelegram
) -> Settings:
    """The suite's database, plus Telegram pointed at the fake."""
    return make_settings(
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BOT_USERNAME=USERNAME,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE=telegram_api.api_base,
    )


@pytest.fixture
def limiter(runtime: Runtime) -> RecordingLimiter:
    """Telegram's limits are 1 message a second per chat: the tests take the slots without the wait."""
    recording = RecordingLimiter()
    runtime.cache["rate_limiter"] = recording
    return recording


@pytest.fixture(autouse=True)
def _close_the_bot(runtime: Runtime) -> Iterator[None]:
    """Each test's runtime has its own Bot and loop thread: closed at the end, as a process would at exit."""
    yield
    channel = runtime.cache.get("senders", {}).get("telegram")
    if channel is not None:
        channel.close()


def _campaign(runtime: Runtime, questionnaire: str, slug: str, **options: Any) -> Campaign:
    with runtime.transaction() as session:
        organization = create_organization(session, slug, name=f"{slug.title()} Namur", short_name="Atelier")
        version = register_shipped(session, organization, questionnaire)
        created = create_campaign(
            session,
            organization,
            version,
            name=f"{questionnaire} 2026",
            channels=["telegram", "web"],
            **options,
        )
        change_status(session, created, "start", now=datetime.now(UTC) - timedelta(days=1))
        return created


@pytest.fixture
def beneficiaries(runtime: Runtime) -> Campaign:
    """The shipped beneficiaries questionnaire, running on Telegram for "Atelier" (default language fr)."""
    return _campaign(runtime, "beneficiaries", "atelier")


@pytest.fixture
def insertion_workers(runtime: Runtime) -> Campaign:
    return _campaign(runtime, "insertion-workers", "chantier", allow_restart=True)


def summary(call: ApiCall) -> tuple[Any, ...]:
    """A call as the person would notice it: what was sent or edited, and the buttons."""
    params = call.params
    if call.method == "sendMessage":
        return ("sendMessage", params["text"], buttons(params.get("reply_markup")))
    if call.method == "editMessageText":
        return ("editMessageText", params["message_id"], params["text"])
    if call.method == "editMessageReplyMarkup":
        return ("editMessageReplyMarkup", params["message_id"], buttons(params.get("reply_markup")))
    if call.method == "answerCallbackQuery":
        return ("answerCallbackQuery", params.get("text"))
    return (call.method,)


def buttons(markup: dict[str, Any] | None) -> list[list[tuple[str, str]]] | None:
    if markup is None:
        return None
    return [[(b["text"], b["callback_data"]) for b in row] for row in markup["inline_keyboard"]]


@dataclass
class Person:
    """Someone chatting with the bot in a private chat: each action posts an update to our webhook."""

    client: Any
    api: FakeTelegram
    chat_id: int
    first_name: str
    language_code: str | None
    user: dict[str, Any] = field(init=False)
    payloads: list[dict[str, Any]] = field(default_factory=list)
    _message_ids: Iterator[int] = field(default_factory=lambda: count(1))

    def __post_init__(self) -> None:
        self.user = self.api.add_chat(self.chat_id, self.first_name, self.language_code)

    @property
    def chat(self) -> dict[str, Any]:
        return {"id": self.chat_id, "first_name": self.first_name, "type": "private"}

    def message_update(self, text: str) -> dict[str, Any]:
        """What Telegram posts for a text message (a command when it starts with "/")."""
        update = recorded("command_help" if text.startswith("/") else "text")
        update["update_id"] = next(_update_ids)
        message = update["message"]
        message.update(message_id=next(self._message_ids), text=text)
        message["from"], message["chat"] = self.user, self.chat
        if text.startswith("/"):
            message["entities"] = [
                {"offset": 0, "length": len(text.split(maxsplit=1)[0]), "type": "bot_command"}
            ]
        return update

    def tap_update(self, label: str, message_id: int | None = None) -> dict[str, Any]:
        """What Telegram posts when the button ``label`` is tapped (on the newest message showing it)."""
        found = self._button(label, message_id)
        message, data = found
        update = recorded("callback_answer")
        update["update_id"] = next(_update_ids)
        query = update["callback_query"]
        query.update(id=str(next(_query_ids)), data=data, message=message)
        query["from"] = self.user
        return update

    def _button(self, label: str, message_id: int | None) -> tuple[dict[str, Any], str]:
        candidates = sorted((m for c, m in self.api.messages if c == self.chat_id), reverse=True)
        for candidate in candidates if message_id is None else [message_id]:
            message = self.api.message(self.chat_id, candidate)
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        return message, button["callback_data"]
        raise AssertionError(f"no button {label!r} in the chat")

    def post(self, payload: Any, *, secret: str | None = SECRET) -> Any:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return self.client.post(WEBHOOK, json=payload, headers=headers)

    def deliver(self, payload: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Post ``payload`` as Telegram does; returns the Bot API calls it caused, summarised."""
        self.payloads.append(copy.deepcopy(payload))
        before = len(self.api.calls)
        response = self.post(payload)
        assert response.status_code == 200, response.data
        calls = self.api.calls_since(before)
        for call in calls:
            if "chat_id" in call.params:
                assert call.params["chat_id"] == self.chat_id
        return [summary(call) for call in calls if call.method != "getMe"]

    def send(self, text: str) -> list[tuple[Any, ...]]:
        return self.deliver(self.message_update(text))

    def tap(self, label: str, message_id: int | None = None) -> list[tuple[Any, ...]]:
        return self.deliver(self.tap_update(label, message_id))

    def last_message_id(self) -> int:
        return int(self.api.last_message(self.chat_id)["message_id"])


@pytest.fixture
def amina(client: Any, telegram_api: FakeTelegram, limiter: RecordingLimiter) -> Person:
    """A French-speaking person (Telegram app in French)."""
    return Person(client, telegram_api, 6124538790, "Amina", "fr")


@pytest.fixture
def sam(client: Any, telegram_api: FakeTelegram, limiter: RecordingLimiter) -> Person:
    """An English-speaking person (Telegram app in British English)."""
    return Person(client, telegram_api, 7301845566, "Sam", "en-GB")


def answers(runtime: Runtime) -> dict[str, Any]:
    with runtime.transaction() as session:
        return dict(session.execute(select(Answer.question_id, Answer.value)).all())


def answer_rows(runtime: Runtime) -> list[tuple[str, Any, int, str]]:
    """(question, value, revision, external id of the update that carried it), in question order."""
    with runtime.transaction() as session:
        rows = session.execute(
            select(Answer.question_id, Answer.value, Answer.revision, InboundMessage.external_id)
            .join(InboundMessage, InboundMessage.id == Answer.inbound_message_id)
            .order_by(Answer.id)
        ).all()
        return [tuple(row) for row in rows]


def conversations(runtime: Runtime) -> list[tuple[str, str, str]]:
    with runtime.transaction() as session:
        rows = session.execute(
            select(Conversation.channel, Conversation.language, Conversation.status).order_by(Conversation.id)
        ).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]
