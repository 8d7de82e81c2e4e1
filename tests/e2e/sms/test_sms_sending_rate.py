"""Twilio's sending rate (``VISES_TWILIO_MPS``) holds when a launch sends many invitations at once.

The fake notes when each message reaches it. The limiter (GCRA, :mod:`service.rate_limits`) spaces slots
``1 / MPS`` apart with a burst of 1, and the inline runner sends one message after the other: message
*n* reaches the fake after its slot and before slot *n + 1* is taken. So any 1-second window holds the
messages of at most MPS consecutive slots plus the one whose slot came just before the window opened:
MPS + 1. That bound holds however slow the machine is; the test asserts no speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from service.contacts import import_contacts
from service.launches import request_launch, run_launch
from service.models import Campaign
from service.runtime import Runtime
from service.settings import Settings
from tests.e2e.sms.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    OUR_NUMBER,
    PUBLIC_BASE_URL,
    WHATSAPP_NUMBER,
)
from tests.fakes.twilio_api import FakeTwilio

MPS = 5
BURST = 1
"""The burst the delivery gives Twilio's rate (``Rate(twilio_mps)``): one message at a time."""
INVITATIONS = 15


@dataclass
class TimedTwilio(FakeTwilio):
    """The fake Twilio, noting when each message arrived (monotonic seconds, the limiter's clock)."""

    arrivals: list[float] = field(default_factory=list)

    def _create(self, form: dict[str, str]) -> tuple[str, list[tuple[str, str]], Any]:
        self.arrivals.append(time.monotonic())
        return super()._create(form)


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = TimedTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str, twilio_api: FakeTwilio) -> Settings:
    """As for every SMS test, but with Twilio's rate at 5 messages a second."""
    return make_settings(
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER=OUR_NUMBER,
        TWILIO_WHATSAPP_FROM=WHATSAPP_NUMBER,
        TWILIO_API_BASE=twilio_api.url,
        VISES_TWILIO_MPS=str(MPS),
    )


def most_in_one_second(arrivals: list[float]) -> int:
    """The largest number of arrivals within any half-open window [t, t + 1s)."""
    ordered = sorted(arrivals)
    most = 0
    start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_the_window_counter_counts_what_falls_within_one_second() -> None:
    assert most_in_one_second([0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2]) == 5
    assert most_in_one_second([0.0, 0.01, 0.02, 0.9, 2.5]) == 4
    assert most_in_one_second([]) == 0


def test_a_launch_of_fifteen_invitations_keeps_to_five_messages_a_second(
    runtime: Runtime, campaign: Campaign, twilio_api: TimedTwilio
) -> None:
    rows = [{"phone": f"+3247055{n:04d}", "language": "fr"} for n in range(INVITATIONS)]
    with runtime.transaction() as session:
        found = session.get_one(Campaign, campaign.id)
        report = import_contacts(session, runtime, found, rows, "sms", "BE")
        assert report.imported == INVITATIONS and not report.problems
        launch_id = request_launch(session, found, "sms").id
    run_launch(runtime, launch_id)

    assert sorted(m.to for m in twilio_api.messages) == sorted(r["phone"] for r in rows)
    assert len(twilio_api.arrivals) == INVITATIONS  # none refused, none sent twice
    assert most_in_one_second(twilio_api.arrivals) <= MPS + BURST
