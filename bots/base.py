"""What every channel adapter speaks: channel-free inbound messages and outgoing replies.

An adapter (``bots/sms.py``, ``bots/telegram.py``, ``bots/web.py``) verifies and
parses what its provider sends into an :class:`Inbound`, and renders an
:class:`Outgoing` into its own markup (TwiML, a Telegram keyboard, an HTML form).
Sending to a provider goes through a :class:`Sender`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from questionnaires.keywords import Keyword
from questionnaires.messages import message
from questionnaires.model import Questionnaire
from questionnaires.prompts import describe_answer
from questionnaires.turns import AnswerReply, Outcome, Prompt, Turn


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a respondent, whatever the channel.

    ``address`` identifies the sender on the channel (an E.164 number, a Telegram
    chat id, a web token); it is hashed before storage and never logged.
    ``external_id`` is the provider's id for the message (MessageSid, update_id,
    a web submission id): the same id twice is the same message.
    ``campaign_code`` is set when the message opens a campaign (a deep link, a
    web path, an SMS keyword); ``command`` when the adapter already recognised a
    command (a Telegram ``/stop``), otherwise the service classifies ``text``.
    """

    channel: str
    address: str
    external_id: str
    received_at: datetime
    text: str | None = None
    answer: AnswerReply | None = None
    command: Keyword | None = None
    campaign_code: str | None = None
    language_hint: str | None = None
    back: bool = False
    link_token: str | None = None
    """Telegram: a per-contact opt-in token from a deep link."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What to tell the respondent, free of any channel's markup.

    ``texts`` come first (confirmations, notes, an error), then ``prompt`` (the
    question to answer), if any. ``acknowledged`` is the label of the answer just
    recorded for ``acknowledged_question`` (Telegram edits the question message
    to show it).
    """

    language: str
    texts: tuple[str, ...] = ()
    prompt: Prompt | None = None
    offer_help: bool = False
    acknowledged_question: str | None = None
    acknowledged: str | None = None
    outdated: bool = False
    ended: bool = False
    error: str | None = None
    """Why the reply was not accepted (it is in ``texts`` too); the web form shows it next to its field."""
    transliterate: bool = False
    """SMS only: replace characters outside GSM-7 (ê→e, ç→c, ’→') so each segment holds 160 characters
    (the campaign's ``transliterate_sms``); other channels ignore it."""

    @property
    def is_empty(self) -> bool:
        return not self.texts and self.prompt is None


@dataclass(frozen=True, slots=True)
class SendResult:
    """The provider accepted a message: its id there, and what it will cost where that is known."""

    provider_id: str
    status: str = "sent"
    segments: int | None = None
    encoding: str | None = None


class SendError(Exception):
    """A send the provider refused.

    ``permanent`` errors (an invalid number, a recipient who unsubscribed or
    blocked the bot) are never retried and are recorded on the contact;
    transient ones are retried, after ``retry_after`` seconds when the provider
    says so.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        code: str | None = None,
        retry_after: float | None = None,
        opted_out: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.retry_after = retry_after
        self.opted_out = opted_out


class Sender(Protocol):
    """Sends text messages on one channel.

    ``send`` either returns the provider's acceptance or raises
    :class:`SendError`; it never retries on its own (the delivery job owns
    retries, so that a retry never sends a second copy of an accepted message).
    """

    channel: str

    def send(self, address: str, outgoing: Outgoing) -> SendResult: ...


class SentMessage(Protocol):
    """A message as the provider holds it: its id, the text it carried, and when the provider took it."""

    @property
    def provider_id(self) -> str: ...

    @property
    def body(self) -> str: ...

    @property
    def created_at(self) -> datetime | None: ...


@runtime_checkable
class SentHistory(Protocol):
    """Optional for a :class:`Sender`: the provider's latest messages to one address, newest first.

    A send whose answer was lost (the worker died after the provider call, or the connection broke
    after the request went out) has an unknown outcome. With this, the delivery job looks the message
    up before sending again, so an accepted message is never sent twice. A sender without it (Telegram
    has no such listing) gets no second attempt when the outcome is unknown. It raises
    :class:`SendError` when the provider can't be asked.
    """

    def recent_messages(self, address: str, *, limit: int = 20) -> Sequence[SentMessage]: ...


ENDING_OUTCOMES = frozenset({Outcome.COMPLETED, Outcome.REFUSED, Outcome.EXPIRED, Outcome.CLOSED})


def outgoing_for_turn(
    turn: Turn, questionnaire: Questionnaire, *, lead: tuple[str, ...] = (), transliterate: bool = False
) -> Outgoing:
    """What to say after one engine step: ``lead`` texts, the turn's messages, its error and help, the prompt."""
    language = turn.state.language
    texts = [*lead, *turn.messages]
    if turn.error:
        texts.append(turn.error)
    if turn.offer_help:
        texts.append(message("offer_help", language))
    acknowledged_question, acknowledged = None, None
    if turn.answer is not None:
        acknowledged_question, value = turn.answer
        question = questionnaire.question(acknowledged_question)
        acknowledged = describe_answer(questionnaire, question, value, language)
    return Outgoing(
        language=language,
        texts=tuple(texts),
        prompt=turn.prompt,
        offer_help=turn.offer_help,
        acknowledged_question=acknowledged_question,
        acknowledged=acknowledged,
        outdated=turn.outcome is Outcome.OUTDATED,
        ended=turn.outcome in ENDING_OUTCOMES,
        transliterate=transliterate,
        error=turn.error,
    )
