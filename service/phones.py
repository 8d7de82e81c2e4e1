"""Phone numbers: parsed and normalised to E.164 with Google's libphonenumber (``phonenumbers``)."""

from __future__ import annotations

import phonenumbers

from service.texts import N_

SUPPORTED_REGIONS = ("BE", "FR", "NL", "LU")


class InvalidPhoneNumber(ValueError):
    """A string that is not a valid phone number for the given region; the message never repeats the number."""


def normalize_phone(raw: str, region: str = "BE") -> str:
    """The number in E.164 (``+32470123456``); accepts national formats of ``region`` and ``whatsapp:`` prefixes."""
    value = raw.strip().removeprefix("whatsapp:")
    try:
        number = phonenumbers.parse(value, region.upper())
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(N_("not a phone number")) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(N_("not a valid phone number"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def masked(e164: str) -> str:
    """A form safe for staff screens and logs: country code and the last two digits only."""
    if len(e164) < 6:
        return "***"
    return f"{e164[:3]}{'•' * (len(e164) - 5)}{e164[-2:]}"
