"""``vises telegram poll``: long polling (``getUpdates``) for development without a public URL.

Each update goes through :class:`~service.telegram_updates.TelegramUpdates`, as a webhook's would.
"""

from __future__ import annotations

import logging
import threading
from typing import Final

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bots.base import SendError
from service.telegram_updates import TelegramUpdates

log = logging.getLogger(__name__)


class Poller:
    """Fetches updates and handles them until stopped.

    The offset moves past an update only once it is handled, and is confirmed to Telegram on close; an
    update handled twice (after a crash) is a duplicate to the conversation service.
    """

    FATAL: Final = frozenset({"conflict", "invalid_token"})

    def __init__(self, updates: TelegramUpdates, *, timeout: int = 30, backoff: float = 5.0) -> None:
        self.updates = updates
        self.channel = updates.channel
        self.timeout = timeout
        self.backoff = backoff
        self.offset: int | None = None

    def step(self) -> int:
        """Fetch one batch and handle it; returns how many updates came."""
        batch = self.channel.get_updates(self.offset, timeout=self.timeout)
        for update in batch:
            try:
                self.updates.handle(update)
            except (OperationalError, PoolTimeout):
                raise  # the database is down: this update is fetched again once it is back
            except Exception:
                # As the webhook answers 200 on a bug: an update that fails every time must not stop the rest.
                log.exception("Telegram update %s failed; skipped", update.update_id)
            if update.update_id is not None:
                self.offset = update.update_id + 1
        return len(batch)

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; a conflict (a webhook is set) or a bad token ends it with SendError."""
        while not stop.is_set():
            try:
                self.step()
            except SendError as error:
                if error.code in self.FATAL:
                    raise
                log.warning("polling Telegram failed (%s); trying again in %.0fs", error.code, self.backoff)
                stop.wait(self.backoff)
            except (OperationalError, PoolTimeout) as error:
                # The database is down: the update that failed is fetched again once it is back.
                log.warning(
                    "database unavailable (%s); trying again in %.0fs", type(error).__name__, self.backoff
                )
                stop.wait(self.backoff)

    def close(self) -> None:
        """Confirm what was handled, so a restart doesn't fetch it again."""
        if self.offset is None:
            return
        try:
            self.channel.confirm_updates(self.offset)
        except SendError as error:
            log.warning("could not confirm the last Telegram updates (%s)", error.code)
