"""Nothing is lost with Redis: after it comes back empty, the sweep re-enqueues exactly what is owed."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from redis import Redis
from sqlalchemy import func, select

from bots.base import SendError
from service.launches import request_launch, run_launch
from service.models import Campaign, Conversation, OutboundMessage, utcnow
from service.runtime import Runtime
from service.sweep import sweep
from tests.integration.workers.conftest import (
    FakeSenderWithHistory,
    add_contacts,
    drain,
    install_sender,
    make_campaign,
    phone,
    queued_jobs,
    tune,
)
from tests.integration.workers.test_scoring import _completed
from tests.support.redis_servers import PrivateRedis


@pytest.mark.parametrize("loss", ["flushall", "restart"])
def test_redis_emptied_mid_run_loses_no_invitation_and_no_score(
    private_runtime: Runtime, private_redis: PrivateRedis, loss: str
) -> None:
    runtime = private_runtime
    sender = FakeSenderWithHistory()
    install_sender(runtime, sender)
    tune(runtime, VISES_TWILIO_MPS="100000")
    campaign = make_campaign(runtime)
    add_contacts(runtime, campaign, range(300))
    sender.refusals[phone(5)] = [SendError("busy", permanent=False, code="20429", retry_after=1)]
    with runtime.transaction() as session:
        launch_id = request_launch(session, session.get_one(Campaign, campaign.id), "sms").id
    run_launch(runtime, launch_id)
    completions = _completed(runtime, campaign, random.Random(5), 20)
    for conversation_id in completions:  # as the conversation service does after each completion
        runtime.jobs.enqueue("workers.scoring.score_conversation", conversation_id, queue="scoring")
    drain(runtime, max_jobs=100)
    assert len(sender.sent) == 99  # phone(5) was refused once: its retry is scheduled in RQ

    if loss == "flushall":
        Redis.from_url(private_redis.url).flushall()
    else:
        private_redis.restart()
    assert runtime.redis is not None and queued_jobs(runtime.redis) == 0

    # Two minutes later: past the sweep's grace period and phone(5)'s retry time.
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=True):
        report = sweep(runtime, utcnow())
        assert (report.sending, report.scoring, report.checking) == (201, 20, 0)
        again = sweep(runtime, utcnow())
        assert (again.sending, again.scoring) == (0, 0)  # their jobs are waiting: not doubled
        drain(runtime)

    assert Counter(sender.addresses()) == Counter({phone(i): 1 for i in range(300)})
    with runtime.transaction() as session:
        assert (
            session.scalar(select(func.count(OutboundMessage.id)).where(OutboundMessage.status == "sent"))
            == 300
        )
        assert (
            session.scalar(select(func.count(Conversation.id)).where(Conversation.scored_at.is_(None))) == 0
        )
    assert sweep(runtime, utcnow() + timedelta(minutes=5)) == type(report)(scoring=0, sending=0, checking=0)
