"""What Twilio's refusals and delivery error codes mean for us: lasting for the recipient, or worth a retry."""

from __future__ import annotations

import email.utils
import enum
from datetime import UTC, datetime
from typing import Final

from bots.base import SendError


class RecipientFailure(enum.StrEnum):
    """Why a recipient can't be reached, for good: recorded on the contact, never retried."""

    OPTED_OUT = "opted_out"
    """The person unsubscribed (STOP) at Twilio's level."""
    UNREACHABLE = "unreachable"
    """The number can't receive our messages (invalid, a landline, not on WhatsApp...)."""


_OPTED_OUT_CODES: Final = frozenset({21610})
_UNREACHABLE_CODES: Final = frozenset(
    {
        21211,  # invalid 'To' number
        21214,  # 'To' number cannot be reached
        21408,  # sending to this region is not enabled for the account
        21612,  # 'To' number is not reachable from this sender
        21614,  # 'To' number is not a mobile number
        21635,  # 'To' number is a landline
        30005,  # delivery: unknown destination handset
        30006,  # delivery: landline or unreachable carrier
        63003,  # WhatsApp: the number is not on WhatsApp
    }
)
_CONFIGURATION_CODES: Final = frozenset(
    {
        20003,  # authentication failed
        20404,  # account or resource not found
        21212,  # invalid 'From' number
        21603,  # 'From' is required
        21606,  # 'From' can't send SMS
        21659,  # 'From' is not a Twilio number of this account
        21701,  # Messaging Service not found
        21703,  # Messaging Service has no sender
    }
)


def recipient_failure(code: str | int | None) -> RecipientFailure | None:
    """What a Twilio error code says about the recipient, if it says anything lasting."""
    number = int_or_none(code)
    if number in _OPTED_OUT_CODES:
        return RecipientFailure.OPTED_OUT
    if number in _UNREACHABLE_CODES:
        return RecipientFailure.UNREACHABLE
    return None


def send_error(status: int, code: int | None, retry_after: float | None) -> SendError:
    """Twilio's refusal as a SendError; the message names status and code, never the number or text."""
    text = f"Twilio refused the request (HTTP {status}, error {code or '-'})"
    code_text = str(code) if code else str(status)
    if status == 429 or code == 20429:
        return SendError(text, permanent=False, code=code_text, retry_after=retry_after)
    if status >= 500:
        return SendError(text, permanent=False, code=code_text, retry_after=retry_after)
    failure = recipient_failure(code)
    if failure is not None:
        return SendError(
            text, permanent=True, code=code_text, opted_out=failure is RecipientFailure.OPTED_OUT
        )
    if status in (401, 403, 404) or code in _CONFIGURATION_CODES:
        # Our account or sender is misconfigured: nothing is wrong with the recipient, so nothing is
        # recorded on the contact; the delivery job retries with its backoff once an operator fixes it.
        return SendError(text, permanent=False, code=code_text)
    return SendError(text, permanent=True, code=code_text)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def int_or_none(value: object) -> int | None:
    """A Twilio error code as a number (they arrive as int or str), or None."""
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return None
