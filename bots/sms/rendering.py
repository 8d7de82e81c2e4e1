"""An Outgoing as SMS or WhatsApp text: the TwiML reply to an incoming message, or the body of a send.

Texts are rendered with the core's compact numbered form (``questionnaires.plaintext``); each piece
(a confirmation, an error, the question) is what the questionnaire validator measured, and pieces are
only joined into one SMS when that costs no extra segment.
"""

from __future__ import annotations

from typing import Final

from twilio.twiml.messaging_response import MessagingResponse

from bots.base import Outgoing
from questionnaires.plaintext import render_text
from questionnaires.segments import count_segments, transliterate

BODY_LIMIT: Final = 1600
"""Twilio refuses longer bodies (error 21617)."""
SEPARATOR: Final = "\n"


def _pieces(outgoing: Outgoing, channel: str) -> list[str]:
    pieces = [text.strip() for text in outgoing.texts if text.strip()]
    if outgoing.prompt is not None:
        pieces.append(render_text(outgoing.prompt, outgoing.language))
    if outgoing.transliterate and channel == "sms":
        pieces = [transliterate(piece) for piece in pieces]
    return pieces


def _cost(text: str, channel: str) -> int:
    """Messages billed for ``text``: SMS segments; one per message on WhatsApp."""
    return count_segments(text).segments if channel == "sms" else 1


def _split(text: str, limit: int = BODY_LIMIT) -> list[str]:
    """``text`` cut at spaces into parts of at most ``limit`` characters."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit + 1)
        cut = cut if cut > 0 else limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def reply_bodies(outgoing: Outgoing, *, channel: str = "sms") -> list[str]:
    """The messages one reply is sent as: its pieces, joined wherever joining costs no extra segment."""
    bodies: list[str] = []
    for piece in _pieces(outgoing, channel):
        for part in _split(piece):
            if bodies:
                joined = bodies[-1] + SEPARATOR + part
                if len(joined) <= BODY_LIMIT and _cost(joined, channel) <= _cost(bodies[-1], channel) + _cost(
                    part, channel
                ):
                    bodies[-1] = joined
                    continue
            bodies.append(part)
    return bodies


def render_twiml(outgoing: Outgoing, *, channel: str = "sms") -> str:
    """The TwiML answer to an incoming message: one ``<Message>`` per body, or an empty ``<Response/>``."""
    response = MessagingResponse()  # type: ignore[no-untyped-call]
    for body in reply_bodies(outgoing, channel=channel):
        response.message(body)  # type: ignore[no-untyped-call]
    return str(response)


def message_body(outgoing: Outgoing, *, channel: str = "sms") -> str:
    """The one message a send carries (texts, then the question), as it will be billed."""
    return SEPARATOR.join(_pieces(outgoing, channel))
