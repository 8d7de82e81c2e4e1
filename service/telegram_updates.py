"""Telegram updates, from the webhook or the poller, through the conversation service and back.

One function serves both: :meth:`TelegramUpdates.handle` takes a parsed update, gives its message to
:class:`~service.conversations.ConversationService` (which deduplicates on the update id, locks the
conversation, stores the answer) and sends the reply through the process's long-lived Bot.

How replies go out: every call is made during the request, through the Bot, after the answer is
committed: the tap is acknowledged first (so the button's spinner stops at once), then the question
message is edited to show the answer, then the next question is sent. Each message waits for its slot
in Telegram's limits, shared by all processes (:mod:`service.telegram_rates`). Nothing goes in the
webhook's HTTP response: its result would be unknown, and a refusal (a person who blocked the bot)
must be seen to be recorded. A 429 is honoured: the call is made again after ``retry_after`` when that
is short (:data:`MAX_INLINE_WAIT`), otherwise dropped and logged; the person gets the question again
with their next message. A person who blocked the bot is opted out.

Flask-free: ``vises telegram poll`` runs the same code (:mod:`service.telegram_polling`).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bots.base import SendError
from bots.telegram import (
    CHANNEL,
    Call,
    Ignored,
    SendText,
    TapKind,
    TelegramChannel,
    TelegramUpdate,
    edited_calls,
    ledger_id,
    outdated_tap_calls,
    parse_update,
    reply_calls,
    resolve,
    with_tap_data,
)
from questionnaires.keywords import Command, Keyword
from questionnaires.model import Questionnaire
from service import respondents
from service.campaigns import CODE_ALPHABET, CODE_LENGTH
from service.channels import sender_for
from service.conversations import ConversationService, cached_definition
from service.models import (
    Campaign,
    Conversation,
    ConversationStatus,
    Identity,
    InboundMessage,
)
from service.runtime import Runtime

log = logging.getLogger(__name__)

MAX_INLINE_WAIT: Final = 5.0
"""Longest ``retry_after`` waited for during a request; longer ones drop the reply."""
RETRIES: Final = 2
_building = threading.Lock()
_CODE_SHAPE: Final = re.compile(rf"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")


@dataclass(frozen=True)
class _Active:
    """The chat's conversation in progress, as far as a tap needs to know it."""

    questionnaire: Questionnaire
    current: str | None
    language: str


class _Blocked(Exception):
    """The person blocked the bot while we were replying."""


def telegram_channel(runtime: Runtime) -> TelegramChannel:
    """The process's Telegram channel (built once, with the shared throttle)."""
    channel = sender_for(runtime, CHANNEL)
    if not isinstance(channel, TelegramChannel):
        raise TypeError(f"the telegram sender is a {type(channel).__name__}")
    return channel


def telegram_updates(runtime: Runtime) -> TelegramUpdates:
    """The process's update handler (one per runtime, sharing its Bot)."""
    with _building:
        found = runtime.cache.get("telegram_updates")
        if found is None:
            found = runtime.cache["telegram_updates"] = TelegramUpdates(runtime, telegram_channel(runtime))
        return found


class TelegramUpdates:
    """Handles Telegram updates against the database and answers them through the Bot API."""

    def __init__(
        self,
        runtime: Runtime,
        channel: TelegramChannel,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = MAX_INLINE_WAIT,
    ) -> None:
        self.runtime = runtime
        self.channel = channel
        self.conversations = ConversationService(runtime)
        self.sleep = sleep
        self.max_wait = max_wait

    # -- entry points ------------------------------------------------------------------------------------

    def handle_payload(self, payload: Any) -> str:
        """Handle a webhook's JSON body (anything at all); returns what happened, for the log."""
        return self.handle(parse_update(payload, received_at=datetime.now(UTC)))

    def handle(self, update: TelegramUpdate) -> str:
        """Handle one update; returns what happened: replied, duplicate, ignored, stale, opted_out."""
        result = self._handle(update)
        log.info("telegram update %s (%s): %s", update.update_id, update.kind, result)
        return result

    def _handle(self, update: TelegramUpdate) -> str:
        if update.ignored is not None or update.address is None:
            if update.ignored is Ignored.EDITED and update.address is not None:
                if not self._claim(ledger_id(update)):
                    return "duplicate"
                self._deliver(update.address, edited_calls(update))
                return "replied"
            return "ignored"
        address = update.address
        if update.blocked:
            self._opt_out(address)
            return "opted_out"
        checked = self._checked_tap(update)
        if checked is None or checked.inbound is None:
            return self._stale_tap(update)
        update = self._with_start(checked)
        assert update.inbound is not None
        handled = self.conversations.handle(update.inbound)
        if handled.duplicate:
            return "duplicate"
        self._deliver(address, reply_calls(update, handled.outgoing))
        return "replied"

    # -- before the conversation service -----------------------------------------------------------------

    def _checked_tap(self, update: TelegramUpdate) -> TelegramUpdate | None:
        """The update, with a tap's hashed ids resolved; None for a tap that can't concern the chat now.

        A tap on a keyboard left over from a finished conversation, or on the "back" button of a question
        no longer current, is outdated: going back twice from one button would skip a correction.
        """
        tap = update.tap
        if tap is None or tap.data is None or tap.data.kind is TapKind.LANGUAGE:
            return update
        assert update.address is not None
        active = self._active(update.address)
        if active is None:
            return None
        data = resolve(tap.data, active.questionnaire)
        if data.kind is TapKind.BACK and data.question != active.current:
            return None
        if data != tap.data:
            assert update.inbound is not None
            return with_tap_data(update, data, received_at=update.inbound.received_at)
        return update

    def _with_start(self, update: TelegramUpdate) -> TelegramUpdate:
        """A bare /start opts back in after a STOP; a typed campaign code opens that campaign."""
        inbound = update.inbound
        assert inbound is not None and update.address is not None
        if update.bare_start and self._opted_out_somewhere(update.address):
            return replace(update, inbound=replace(inbound, command=Keyword(Command.START)))
        text = (inbound.text or "").strip().upper()
        if inbound.command is None and _CODE_SHAPE.fullmatch(text):
            return replace(update, inbound=replace(inbound, campaign_code=text))
        return update

    def _digest(self, address: str) -> str:
        return self.runtime.vault.digest(CHANNEL, address)

    def _active(self, address: str) -> _Active | None:
        with self.runtime.transaction() as session:
            row = session.execute(
                select(
                    Conversation.current_question, Conversation.language, Campaign.questionnaire_version_id
                )
                # The respondent's condition is implied; it lets PostgreSQL use conversations' respondent index.
                .join(
                    Identity,
                    (Identity.respondent_id == Conversation.respondent_id)
                    & (Identity.id == Conversation.identity_id),
                )
                .join(Campaign, Campaign.id == Conversation.campaign_id)
                .where(
                    Identity.channel == CHANNEL,
                    Identity.digest == self._digest(address),
                    Conversation.status == ConversationStatus.IN_PROGRESS,
                )
                .order_by(Conversation.updated_at.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            current, language, version_id = row
            return _Active(cached_definition(self.runtime, session, version_id), current, language)

    def _opted_out_somewhere(self, address: str) -> bool:
        digest = self._digest(address)
        with self.runtime.transaction() as session:
            return any(
                respondents.is_opted_out(session, organization_id, CHANNEL, digest)
                for organization_id in respondents.organizations_knowing(session, CHANNEL, digest)
            )

    # -- updates the conversation service doesn't see ------------------------------------------------------

    def _claim(self, external_id: str) -> bool:
        """Record an update in the deduplication ledger; False when it was already there."""
        try:
            with self.runtime.transaction() as session:
                session.add(
                    InboundMessage(
                        channel=CHANNEL, external_id=external_id[:128], received_at=datetime.now(UTC)
                    )
                )
                session.flush()
        except IntegrityError:
            return False
        return True

    def _stale_tap(self, update: TelegramUpdate) -> str:
        tap = update.tap
        assert tap is not None and update.address is not None
        if not self._claim(ledger_id(update)):
            return "duplicate"
        active = self._active(update.address)
        language = active.language if active else (update.language_hint or "fr")
        self._deliver(update.address, outdated_tap_calls(tap, language))
        return "stale"

    def _opt_out(self, address: str) -> None:
        """The person blocked the bot: opted out of every organisation that knows this chat."""
        digest = self._digest(address)
        with self.runtime.transaction() as session:
            organizations = respondents.organizations_knowing(session, CHANNEL, digest)
            respondents.opt_out(
                session, organizations, CHANNEL, digest, source="blocked", now=datetime.now(UTC)
            )

    # -- replying ----------------------------------------------------------------------------------------

    def _deliver(self, address: str, calls: list[Call]) -> None:
        """Make the calls in order; a message that can't be sent ends the reply, a failed edit doesn't."""
        for call in calls:
            try:
                sent = self._perform(address, call)
            except _Blocked:
                log.info("a Telegram user blocked the bot: opted out")
                self._opt_out(address)
                return
            if not sent and isinstance(call, SendText):
                return

    def _perform(self, address: str, call: Call) -> bool:
        for attempt in range(RETRIES + 1):
            try:
                self.channel.perform(address, call)
                return True
            except SendError as error:
                if error.opted_out:
                    raise _Blocked from None
                wait = error.retry_after
                if wait is not None and wait <= self.max_wait and attempt < RETRIES:
                    self.sleep(wait)
                    continue
                log.warning("telegram %s not made: %s", type(call).__name__, error.code)
                return False
        return False
