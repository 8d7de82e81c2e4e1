"""Talking to the Bot API: one long-lived PTB ``Bot`` per process, on an event loop of its own.

Building a ``Bot`` costs 50-90 ms (two httpx clients, each with an SSL context), and a Bot can't be
reused across ``asyncio.run()`` calls (its pooled connections belong to the loop that opened them:
"Event loop is closed"). So each process gets one asyncio loop in a daemon thread and one Bot that
lives on it, both started on first use, which in gunicorn and RQ is after the fork. Synchronous callers
(Flask views, the poller, RQ jobs) hand it coroutines and wait for the result.

Every refusal comes back as a :class:`~bots.base.SendError`: a blocked bot (403) is permanent and an
opt-out, ``RetryAfter`` (429) is transient with its delay, a chat that doesn't exist is permanent.
Nothing here retries; the caller decides. Before each message (not before acknowledging a tap) the
optional ``throttle`` is called with the chat: the service uses it for Telegram's limits, shared
across processes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import secrets
import threading
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final, TypeVar

import httpx
from telegram import Bot, BotCommand
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bots.base import Outgoing, SendError, SendResult
from bots.telegram.replies import AnswerTap, Call, EditText, RemoveKeyboard, SendText, outgoing_messages
from bots.telegram.updates import CHANNEL, TelegramUpdate, read_update
from questionnaires.messages import message

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_API_BASE: Final = "https://api.telegram.org"
ALLOWED_UPDATES: Final = ("message", "edited_message", "callback_query", "my_chat_member")
"""What we ask Telegram to send (``my_chat_member`` tells us when someone blocks the bot)."""
CALL_TIMEOUT: Final = 30.0

Throttle = Callable[[str], None]


class EventLoopThread:
    """An asyncio loop running in a daemon thread, (re)started lazily in whichever process uses it."""

    def __init__(self, name: str = "telegram-loop") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                # After a fork the parent's loop thread doesn't exist here: start our own.
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
                thread.start()
                self._loop, self._thread, self._pid = loop, thread, os.getpid()
            return self._loop

    def run(self, work: Callable[[], Awaitable[T]], timeout: float) -> T:
        """Run ``work()`` on the loop and wait for its result; cancelled if we stop waiting (Ctrl-C, timeout)."""
        loop = self._running_loop()
        future = asyncio.run_coroutine_threadsafe(_await(work), loop)
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        """Cancel what is still running, stop the loop and wait for its thread (this process's only)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            if loop is None or thread is None or self._pid != os.getpid():
                return
            self._loop = self._thread = None
        asyncio.run_coroutine_threadsafe(_cancel_others(), loop).result(CALL_TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(CALL_TIMEOUT)
        loop.close()


async def _await(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


async def _cancel_others() -> None:
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


MENU_COMMANDS: Final = ("start", "back", "language", "help", "restart", "mydata", "delete", "stop")
"""The commands shown in Telegram's menu, in this order (each has a ``telegram.command.*`` text)."""
NOT_SENT_ERRORS: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport failures before a request was sent: retrying them can never deliver a message twice."""
NOT_SENT_RETRY: Final = 30.0


async def _set_menu(bot: Bot, *, menu: list[BotCommand], language: str | None) -> bool:
    return await bot.set_my_commands(menu, language_code=language)


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def send_error(exc: TelegramError) -> SendError:
    """A Bot API refusal as a SendError whose text names no chat, no message and never the token."""
    if isinstance(exc, RetryAfter):
        return SendError(
            "Telegram asks us to slow down",
            permanent=False,
            code="rate_limited",
            retry_after=_seconds(exc.retry_after),
        )
    description = exc.message.lower()
    if isinstance(exc, Forbidden):
        if "blocked" in description:
            return SendError("the person blocked the bot", permanent=True, code="blocked", opted_out=True)
        if "deactivated" in description:
            return SendError("the person deleted their account", permanent=True, code="deactivated")
        return SendError("Telegram forbids this chat", permanent=True, code="forbidden")
    if isinstance(exc, InvalidToken):
        # Our configuration, not the recipient, and certainly nothing sent: retried after a pause,
        # so messages go out once an operator fixes TELEGRAM_BOT_TOKEN.
        return SendError(
            "Telegram rejected the bot token",
            permanent=False,
            code="invalid_token",
            retry_after=NOT_SENT_RETRY * 10,
        )
    if isinstance(exc, BadRequest):
        for needle, code in (
            ("chat not found", "chat_not_found"),
            ("message is not modified", "not_modified"),
            ("message to edit not found", "not_editable"),
            ("message can't be edited", "not_editable"),
            ("query is too old", "query_expired"),
            ("query id is invalid", "query_expired"),
        ):
            if needle in description:
                return SendError(f"Telegram refused the request ({code})", permanent=True, code=code)
        return SendError("Telegram refused the request (bad_request)", permanent=True, code="bad_request")
    if isinstance(exc, ChatMigrated):
        return SendError("the chat moved (a group)", permanent=True, code="chat_migrated")
    if isinstance(exc, Conflict):
        return SendError(
            "another poller or a webhook is receiving the updates", permanent=False, code="conflict"
        )
    if isinstance(exc.__cause__, NOT_SENT_ERRORS):
        # No connection was made (or none was free): the request never left, so a retry can't duplicate it.
        return SendError(
            "Telegram could not be reached", permanent=False, code="unreachable", retry_after=NOT_SENT_RETRY
        )
    if isinstance(exc, TimedOut):
        return SendError("Telegram did not answer in time", permanent=False, code="timed_out")
    if isinstance(exc, NetworkError):
        return SendError("Telegram could not be reached", permanent=False, code="network")
    return SendError("Telegram refused the request", permanent=False, code="telegram_error")


def _prepare_library() -> None:
    # PTB 22 warns on every int duration it returns (RetryAfter.retry_after) unless the caller opts in to
    # the timedelta it will return in its next major version: we opt in, and read both.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    # PTB logs each request's parameters (chat ids, texts) at DEBUG: never let them reach our logs.
    for name in ("telegram", "httpx"):
        library_log = logging.getLogger(name)
        if library_log.getEffectiveLevel() < logging.WARNING:
            library_log.setLevel(logging.WARNING)


class TelegramChannel:
    """The Telegram :class:`~bots.base.Sender`, plus what the webhook, the poller and the CLI need."""

    channel = CHANNEL

    def __init__(
        self,
        *,
        token: str,
        api_base: str = DEFAULT_API_BASE,
        throttle: Throttle | None = None,
        timeout: float = CALL_TIMEOUT,
    ) -> None:
        _prepare_library()
        self._token = token
        self._api_base = api_base.rstrip("/")
        self._throttle = throttle
        self._timeout = timeout
        self._loop = EventLoopThread()
        self._lock = threading.Lock()
        self._bot: Bot | None = None
        self._pid: int | None = None

    # -- the Bot ---------------------------------------------------------------------------------------

    def _ready(self) -> Bot:
        """This process's Bot, built and initialised (``getMe``) on first use."""
        with self._lock:
            if self._bot is not None and self._pid == os.getpid():
                return self._bot
            bot = Bot(
                self._token, base_url=f"{self._api_base}/bot", base_file_url=f"{self._api_base}/file/bot"
            )
            try:
                self._loop.run(bot.initialize, self._timeout)
            except (TelegramError, concurrent.futures.TimeoutError) as exc:
                with contextlib.suppress(TelegramError, concurrent.futures.TimeoutError):
                    self._loop.run(bot.shutdown, self._timeout)
                if isinstance(exc, TelegramError):
                    raise send_error(exc) from None
                raise SendError(
                    "Telegram did not answer in time", permanent=False, code="timed_out"
                ) from None
            self._bot, self._pid = bot, os.getpid()
            return bot

    def _run(self, work: Callable[[Bot], Awaitable[T]], timeout: float | None = None) -> T:
        bot = self._ready()
        try:
            return self._loop.run(lambda: work(bot), timeout or self._timeout)
        except TelegramError as exc:
            raise send_error(exc) from None
        except concurrent.futures.TimeoutError:
            raise SendError("Telegram did not answer in time", permanent=False, code="timed_out") from None

    def username(self) -> str:
        """The bot's @username, as Telegram knows it."""
        return self._ready().username

    def close(self) -> None:
        """Close the Bot's connections and stop the loop thread (end of a command, of a test)."""
        with self._lock:
            bot, self._bot = self._bot, None
            mine = self._pid == os.getpid()
        if bot is not None and mine:
            try:
                self._loop.run(bot.shutdown, self._timeout)
            except (TelegramError, concurrent.futures.TimeoutError):
                log.warning("the Telegram bot did not shut down cleanly")
        self._loop.stop()

    # -- sending ---------------------------------------------------------------------------------------

    def perform(self, address: str, call: Call) -> int | None:
        """Make one call for the chat ``address``; returns the id of the message sent or edited, if any."""
        chat_id = int(address)
        if self._throttle is not None and not isinstance(call, AnswerTap):
            try:
                self._throttle(address)
            except TimeoutError:
                raise SendError("no sending slot free in time", permanent=False, code="throttled") from None
        if isinstance(call, SendText):
            sent = self._run(lambda bot: bot.send_message(chat_id, call.text, reply_markup=call.keyboard))
            return sent.message_id
        if isinstance(call, EditText):
            self._run(
                lambda bot: bot.edit_message_text(call.text, chat_id=chat_id, message_id=call.message_id)
            )
            return call.message_id
        if isinstance(call, RemoveKeyboard):
            self._run(lambda bot: bot.edit_message_reply_markup(chat_id=chat_id, message_id=call.message_id))
            return call.message_id
        self._run(lambda bot: bot.answer_callback_query(call.query_id, text=call.text))
        return None

    def send(self, address: str, outgoing: Outgoing) -> SendResult:
        """Send an invitation, a reminder or a notice: its texts and question, the keyboard included.

        ``provider_id`` is the Telegram message id (unique only within its chat) plus a random suffix, so
        that it is unique among our outbound messages without naming the chat.
        """
        messages = outgoing_messages(outgoing)
        if not messages:
            raise SendError("nothing to send", permanent=True, code="empty")
        message_id = None
        for call in messages:
            message_id = self.perform(address, call)
        return SendResult(provider_id=f"telegram:{message_id}:{secrets.token_hex(8)}")

    # -- receiving and set-up --------------------------------------------------------------------------

    def get_updates(self, offset: int | None, *, timeout: int) -> list[TelegramUpdate]:
        """Long-poll for updates from ``offset`` on (which also confirms every update before it)."""
        updates = self._run(
            lambda bot: bot.get_updates(offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES),
            timeout=timeout + self._timeout,
        )
        received_at = datetime.now(UTC)
        return [read_update(update, received_at=received_at) for update in updates]

    def confirm_updates(self, offset: int) -> None:
        """Tell Telegram every update before ``offset`` was handled (as PTB's own Updater does on stop)."""
        self._run(lambda bot: bot.get_updates(offset=offset, limit=1, timeout=0))

    def set_webhook(
        self,
        url: str,
        *,
        secret_token: str,
        allowed_updates: Sequence[str] = ALLOWED_UPDATES,
        drop_pending: bool = False,
    ) -> None:
        self._run(
            lambda bot: bot.set_webhook(
                url,
                secret_token=secret_token,
                allowed_updates=list(allowed_updates),
                drop_pending_updates=drop_pending,
            )
        )

    def set_commands(self) -> None:
        """Publish the command menu, in English by default and in French and Dutch for those languages."""
        for language in (None, "fr", "nl"):
            menu = [
                BotCommand(name, message(f"telegram.command.{name}", language or "en"))
                for name in MENU_COMMANDS
            ]
            self._run(partial(_set_menu, menu=menu, language=language))

    def delete_webhook(self) -> None:
        self._run(lambda bot: bot.delete_webhook())
