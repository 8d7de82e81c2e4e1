"""Launching a campaign: one invitation per contact, queued in pipelined batches, never twice."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from service.launches import LaunchError, progress, request_launch, run_launch
from service.models import Campaign, Launch, OutboundMessage
from service.runtime import Runtime
from tests.fakes.twilio_api import FakeTwilio
from tests.integration.workers.conftest import (
    FakeSenderWithHistory,
    add_contacts,
    drain,
    make_campaign,
    phone,
    queued_jobs,
)


def _request(runtime: Runtime, campaign: Campaign, channel: str = "sms") -> int:
    with runtime.transaction() as session:
        return request_launch(session, session.get_one(Campaign, campaign.id), channel).id


@pytest.mark.slow
@pytest.mark.timeout(280)
def test_a_campaign_of_1000_launched_twice_sends_1000_invitations_through_twilio(
    twilio_runtime: Runtime, fake_twilio: FakeTwilio
) -> None:
    runtime = twilio_runtime
    campaign = make_campaign(runtime)
    add_contacts(runtime, campaign, range(1000))
    first, second = _request(runtime, campaign), _request(runtime, campaign)  # a double click
    assert run_launch(runtime, first) == 1000
    assert run_launch(runtime, second) == 0
    assert runtime.redis is not None and queued_jobs(runtime.redis) == 1000  # the second queued nothing
    drain(runtime)
    assert run_launch(runtime, _request(runtime, campaign)) == 0  # relaunching after the fact
    drain(runtime)
    recipients = Counter(message.to for message in fake_twilio.messages)
    assert len(recipients) == 1000 and set(recipients.values()) == {1}
    assert set(recipients) == {phone(i) for i in range(1000)}
    assert {message.from_ for message in fake_twilio.messages} == {"+32460000000"}
    with runtime.transaction() as session:
        state = progress(session, session.get_one(Launch, first))
        provider_ids = session.scalars(select(OutboundMessage.provider_id)).all()
    assert (state.total, state.created, state.sent, state.queued, state.finished) == (
        1000,
        1000,
        1000,
        0,
        True,
    )
    assert set(provider_ids) == {message.sid for message in fake_twilio.messages}


def test_without_redis_a_launch_sends_inline_and_a_relaunch_sends_nothing_more(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    campaign = make_campaign(runtime)
    add_contacts(runtime, campaign, range(300))
    assert run_launch(runtime, _request(runtime, campaign)) == 300
    assert run_launch(runtime, _request(runtime, campaign)) == 0
    assert Counter(sender.addresses()) == Counter({phone(i): 1 for i in range(300)})


def test_contacts_added_later_are_invited_by_the_next_launch_alone(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    campaign = make_campaign(runtime)
    add_contacts(runtime, campaign, range(10))
    run_launch(runtime, _request(runtime, campaign))
    add_contacts(runtime, campaign, range(10, 15))
    assert run_launch(runtime, _request(runtime, campaign)) == 5
    assert Counter(sender.addresses()) == Counter({phone(i): 1 for i in range(15)})
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(OutboundMessage.id))) == 15


def test_a_launch_needs_a_running_campaign_on_one_of_its_channels(runtime: Runtime) -> None:
    campaign = make_campaign(runtime, channels=("sms", "web"))
    with pytest.raises(LaunchError, match="does not use the telegram channel"):
        _request(runtime, campaign, "telegram")
    with runtime.transaction() as session:
        session.get_one(Campaign, campaign.id).status = "paused"
    with pytest.raises(LaunchError, match="not running"):
        _request(runtime, campaign)
