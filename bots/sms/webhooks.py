"""Twilio's webhooks: signature checks, incoming messages and status callbacks, read into our own types."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import phonenumbers
from twilio.request_validator import RequestValidator

from bots.base import Inbound
from questionnaires.keywords import Command, Keyword

SIGNATURE_HEADER: Final = "X-Twilio-Signature"
WHATSAPP_PREFIX: Final = "whatsapp:"


class MalformedWebhook(ValueError):
    """A signed Twilio request without the fields every such request has; never names a number."""


class _Fields:
    """A multi-valued form in the shape ``RequestValidator`` reads (``getlist``)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def getlist(self, name: str) -> list[str]:
        return self._values.get(name, [])


def verify_signature(auth_token: str, url: str, fields: Iterable[tuple[str, str]], signature: str) -> bool:
    """Whether ``signature`` is Twilio's for this URL (as Twilio called it) and every posted field."""
    if not signature or not auth_token:
        return False
    validator = RequestValidator(auth_token)  # type: ignore[no-untyped-call]
    return bool(validator.validate(url, _Fields(fields), signature))  # type: ignore[no-untyped-call]


def sign(auth_token: str, url: str, fields: Iterable[tuple[str, str]]) -> str:
    """The signature Twilio would send for this request (for fakes and tests)."""
    validator = RequestValidator(auth_token)  # type: ignore[no-untyped-call]
    return str(validator.compute_signature(url, _Fields(fields)))  # type: ignore[no-untyped-call]


def split_address(raw: str) -> tuple[str, str]:
    """``(channel, E.164 number)`` of a Twilio address: ``whatsapp:+32…`` is WhatsApp, anything else SMS."""
    value = raw.strip()
    channel = "sms"
    if value.lower().startswith(WHATSAPP_PREFIX):
        channel, value = "whatsapp", value[len(WHATSAPP_PREFIX) :].strip()
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise MalformedWebhook("the sender is not a phone number") from None
    # "possible" rather than "valid": Twilio has seen this number send a message, and a number range newer
    # than our copy of libphonenumber's metadata must not lose a person's reply.
    if not phonenumbers.is_possible_number(number):
        raise MalformedWebhook("the sender is not a phone number")
    return channel, str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


_PROVIDER_KEYWORDS: Final = {
    "STOP": Keyword(Command.STOP),
    "START": Keyword(Command.START),
    "HELP": Keyword(Command.HELP),
}


@dataclass(frozen=True, slots=True)
class SmsWebhook:
    """One inbound SMS or WhatsApp message, and what Twilio already did about it."""

    inbound: Inbound
    provider_answered: bool = False
    """Twilio's Advanced Opt-Out recognised STOP, START or HELP and replied itself: we record, and stay quiet."""


def parse_inbound(fields: Mapping[str, str], *, received_at: datetime) -> SmsWebhook:
    """Read Twilio's incoming-message form (From, Body, MessageSid...) into a channel-free Inbound."""
    sender = fields.get("From", "")
    external_id = fields.get("MessageSid") or fields.get("SmsMessageSid") or fields.get("SmsSid")
    if not sender or not external_id:
        raise MalformedWebhook("an incoming message needs From and MessageSid")
    channel, address = split_address(sender)
    body = fields.get("Body", "")
    command = _PROVIDER_KEYWORDS.get(fields.get("OptOutType", "").strip().upper())
    provider_answered = command is not None
    if command is None and not body.strip() and _media_count(fields) > 0:
        # A picture or a voice note has nothing to read: it is answered like HELP (how to reply, then the
        # question again) rather than taken as an empty reply, which would skip an optional question.
        command = Keyword(Command.HELP)
    inbound = Inbound(
        channel=channel,
        address=address,
        external_id=external_id,
        received_at=received_at,
        text=body,
        command=command,
    )
    return SmsWebhook(inbound, provider_answered=provider_answered)


def _media_count(fields: Mapping[str, str]) -> int:
    try:
        return int(fields.get("NumMedia", "0") or 0)
    except ValueError:
        return 0


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A status callback: where one of our messages stands at Twilio.

    ``status`` is in the vocabulary of our outbound messages (queued, sending, sent, delivered,
    undelivered, failed, canceled); ``provider_status`` is Twilio's own word.
    """

    provider_id: str
    status: str
    provider_status: str
    error_code: str | None = None
    channel: str = "sms"


_STATUSES: Final = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",  # WhatsApp: read implies delivered
    "partially_delivered": "undelivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "canceled",
}


def parse_status_callback(fields: Mapping[str, str]) -> DeliveryReport | None:
    """Read a status callback; None for a status we don't track (inbound ``receiving``/``received``)."""
    sid = fields.get("MessageSid") or fields.get("SmsSid")
    provider_status = (fields.get("MessageStatus") or fields.get("SmsStatus") or "").strip().lower()
    if not sid or not provider_status:
        raise MalformedWebhook("a status callback needs MessageSid and MessageStatus")
    status = _STATUSES.get(provider_status)
    if status is None:
        return None
    error_code = (fields.get("ErrorCode") or "").strip() or None
    channel = "whatsapp" if fields.get("To", "").lower().startswith(WHATSAPP_PREFIX) else "sms"
    return DeliveryReport(sid, status, provider_status, error_code, channel)
