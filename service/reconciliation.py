"""Did a send of unknown outcome reach the provider? Asking a provider that can list what it sent.

A message whose worker died during the provider call, or whose call broke after the request went out,
may or may not have been accepted. Before any second attempt, the delivery job asks a sender that keeps
a history (:class:`~bots.base.SentHistory`, Twilio) for its latest messages to the address, and looks
for one created since our message was, carrying our first text (compared without transliteration and
spacing differences, as the SMS adapter may transliterate). Found: it went out, and is recorded, not
sent again. Telegram keeps no such history, so there an unknown outcome is never retried.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bots.base import Outgoing, SentHistory
from questionnaires.segments import transliterate

CLOCK_SKEW = timedelta(minutes=2)
"""The provider's clock may run behind ours: messages this much older than our row still count."""
LOOKBACK = 20
"""How many of the provider's latest messages to the address are read."""


def find_sent(history: SentHistory, address: str, outgoing: Outgoing, *, since: datetime) -> str | None:
    """The provider id of a message to ``address``, created after ``since``, carrying ``outgoing``'s first text."""
    lead = next((text for text in outgoing.texts if text.strip()), "")
    if not lead:
        return None
    wanted = _normalized(lead)
    for item in history.recent_messages(address, limit=LOOKBACK):
        if item.created_at is not None and item.created_at < since - CLOCK_SKEW:
            continue
        if _normalized(item.body).startswith(wanted):
            return item.provider_id
    return None


def _normalized(text: str) -> str:
    return " ".join(transliterate(text).split())
