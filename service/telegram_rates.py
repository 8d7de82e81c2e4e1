"""Telegram's sending limits, enforced for every process at once through the shared rate limiter.

Telegram allows a bot about 30 messages a second overall, and about one a second in any one chat
(short bursts pass, sustained ones get 429 with ``retry_after``). Every message and edit the bot
makes, from the web process, the poller or a worker, first takes a slot in both buckets; with Redis
configured the buckets are shared by all processes and machines. Answering a tap (the button's
spinner) is not a message and takes none. Chats are keyed by their keyed hash, never their id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from service.rate_limits import Rate, acquire, limiter_for
from service.runtime import Runtime
from service.tuning import tuning

CHANNEL: Final = "telegram"
PER_BOT: Final = Rate(30)
"""Messages a second for the whole bot, evenly spaced (``VISES_TELEGRAM_MPS`` changes the 30)."""
PER_CHAT: Final = Rate(1, burst=3)
"""Messages a second in one chat; a reply to a tap (edit, then next question) fits the burst."""
WAIT_LIMIT: Final = 30.0
"""Seconds a send may wait for a slot before giving up (``TimeoutError``)."""


def telegram_throttle(runtime: Runtime) -> Callable[[str], None]:
    """The throttle the Telegram channel calls with a chat before each message."""

    per_bot = PER_BOT
    configured = tuning(runtime.settings).telegram_mps
    if configured != PER_BOT.per_second:
        per_bot = Rate(configured)

    def throttle(address: str) -> None:
        limiter = limiter_for(runtime)
        chat = runtime.vault.digest(CHANNEL, address)
        # The chat's slot first: waiting on it must not hold one of the bot's 30.
        acquire(limiter, f"telegram:chat:{chat}", PER_CHAT, timeout=WAIT_LIMIT)
        acquire(limiter, "telegram:bot", per_bot, timeout=WAIT_LIMIT)

    return throttle
