"""Real ``vises worker`` processes on real Redis: the Procfile path, a SIGKILL mid-send, a warm shutdown."""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from service.launches import request_launch, run_launch
from service.models import Answer, Campaign, Conversation, OutboundMessage, Respondent
from service.runtime import Runtime
from tests.conftest import TEST_DATA_KEY, TEST_SECRET
from tests.fakes.twilio_api import FakeTwilio
from tests.integration.workers.conftest import (
    TWILIO_SID,
    TWILIO_TOKEN,
    add_contacts,
    make_campaign,
    phone,
    twilio_env,
)
from tests.support.log_scan import assert_no_personal_data_in
from tests.support.processes import kill_hard, start_vises, stop, wait_until


@dataclass
class HoldingTwilio(FakeTwilio):
    """The fake Twilio, able to accept one message and then hold its answer (a worker dies waiting for it)."""

    hold_to: str | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        before = len(self.messages)
        answer = super().wsgi(environ, start_response)
        accepted = self.messages[before:]
        if (
            self.hold_to is not None
            and any(m.to == self.hold_to for m in accepted)
            and not self.held.is_set()
        ):
            self.held.set()
            self.release.wait(60)
        return answer


@pytest.fixture
def holding_twilio() -> Iterator[HoldingTwilio]:
    fake = HoldingTwilio(TWILIO_SID, TWILIO_TOKEN).start()
    try:
        yield fake
    finally:
        fake.release.set()
        fake.stop()


def _worker_env(
    database_url: str, redis_url: str, fake: FakeTwilio, instance: Path, **extra: str
) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TEST_SECRET,
        "DATA_KEY": TEST_DATA_KEY,
        "VISES_INSTANCE_PATH": str(instance),
        "LOG_LEVEL": "INFO",
        **twilio_env(fake),
        **extra,
    }


def _launch(runtime: Runtime, campaign: Campaign) -> None:
    with runtime.transaction() as session:
        launch_id = request_launch(session, session.get_one(Campaign, campaign.id), "sms").id
    run_launch(runtime, launch_id)


def _statuses(runtime: Runtime) -> Counter[str]:
    with runtime.transaction() as session:
        return Counter(
            dict(
                session.execute(
                    select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
                ).all()
            )
        )


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_vises_worker_burst_runs_launches_sweep_scoring_and_expiry(
    twilio_runtime: Runtime, redis_url: str, database_url: str, fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    runtime = twilio_runtime
    campaign = make_campaign(runtime, idle_limit_hours=1)
    add_contacts(runtime, campaign, range(40))
    _launch(runtime, campaign)  # 40 send jobs waiting in Redis
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    with runtime.transaction() as session:  # work the database says is owed and Redis never heard of
        for status in ("completed", "in_progress"):
            respondent = Respondent(organization_id=campaign.organization_id, pseudonym=secrets.token_hex(16))
            session.add(respondent)
            session.flush()
            conversation = Conversation(
                campaign_id=campaign.id,
                respondent_id=respondent.id,
                channel="web",
                language="nl",
                status=status,
                state={},
                updated_at=long_ago,
                completed_at=long_ago if status == "completed" else None,
            )
            session.add(conversation)
            session.flush()
            session.add(
                Answer(conversation_id=conversation.id, question_id="recommend", value=9, channel="web")
            )
    log = tmp_path / "worker.log"
    worker = start_vises(
        ["worker", "--burst"], _worker_env(database_url, redis_url, fake_twilio, tmp_path / "i"), log
    )
    try:
        assert worker.wait(180) == 0, log.read_text()
    finally:
        kill_hard(worker) if worker.poll() is None else None
    assert Counter(m.to for m in fake_twilio.messages) == Counter({phone(i): 1 for i in range(40)})
    assert _statuses(runtime) == Counter({"sent": 40})
    with runtime.transaction() as session:
        conversations = {c.status: c for c in session.scalars(select(Conversation))}
    assert conversations["completed"].scored_at is not None  # found by the sweep, scored
    assert set(conversations) == {"completed", "expired"} and conversations["expired"].partial
    assert_no_personal_data_in(log, runtime=runtime, fakes=[fake_twilio])


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_worker_killed_mid_send_and_restarted_sends_each_invitation_exactly_once(
    runtime: Runtime, redis_url: str, database_url: str, holding_twilio: HoldingTwilio, tmp_path: Path
) -> None:
    fake = holding_twilio
    env = _worker_env(
        database_url,
        redis_url,
        fake,
        tmp_path / "i",
        VISES_SENDING_LEASE_SECONDS="2",
        VISES_SWEEP_SECONDS="1",
    )
    campaign = make_campaign(runtime)
    add_contacts(runtime, campaign, range(80))
    fake.hold_to = phone(30)
    runtime.settings = runtime.settings.with_overrides(redis_url=redis_url)
    from service.runtime import build_runtime

    queued = build_runtime(runtime.settings)
    try:
        _launch(queued, campaign)
    finally:
        queued.dispose()

    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_vises(["worker", "--fork"], env, first_log)  # RQ's forking worker: its work horse dies too
    try:
        wait_until(fake.held.is_set, 120, "the worker to be in the middle of sending to the held number")
        kill_hard(first)
    finally:
        if first.poll() is None:
            kill_hard(first)
    fake.release.set()
    statuses = _statuses(runtime)
    assert statuses["sending"] == 1 and statuses["sent"] < 80  # one message in doubt, others still queued
    assert Counter(m.to for m in fake.messages)[phone(30)] == 1  # Twilio has it; we don't know it yet

    second = start_vises(["worker"], env, second_log)
    try:
        wait_until(
            lambda: _statuses(runtime) == Counter({"sent": 80}), 150, "every invitation to be recorded sent"
        )
        assert stop(second) == 0  # SIGTERM: a warm shutdown
    finally:
        if second.poll() is None:
            kill_hard(second)
    assert Counter(m.to for m in fake.messages) == Counter({phone(i): 1 for i in range(80)})
    with runtime.transaction() as session:
        recorded = set(session.scalars(select(OutboundMessage.provider_id)))
    assert recorded == {m.sid for m in fake.messages}  # including the one found again at Twilio
    assert "attempt 1 had reached the provider; recorded" in second_log.read_text()
    assert_no_personal_data_in(first_log, second_log, runtime=runtime, fakes=[fake])
