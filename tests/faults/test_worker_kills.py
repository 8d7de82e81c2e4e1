"""``vises worker`` SIGKILLed at random points of a launch and of its deliveries, then started again.

Real worker processes (RQ's SimpleWorker, or its forking Worker with ``--fork``) on a redis-server of the
test's own and the test database, sending through the real Twilio SDK to the fake Twilio, which takes a
few milliseconds per message so that kills land in the middle of provider calls too. Each run (seeded):

1. a launch of ``CONTACTS`` SMS invitations is requested; a worker takes the launch job and is killed a
   random moment after it started (before, while or after the invitations are created and queued);
2. a new worker starts sending and is killed after a random number of messages, often in the middle of
   one (the message is then "sending", and may or may not have reached Twilio);
3. a last worker runs, with the periodic sweep, until every invitation is settled.

In the end every contact got their invitation exactly once at the fake provider, every message is
recorded "sent" with the provider's id, and nothing is left queued or sending.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from service.contacts import import_contacts
from service.dispatch import enqueue_once
from service.launches import enqueue_launch, request_launch
from service.models import Campaign, Launch, OutboundMessage, utcnow
from service.outbound import SEND
from service.runtime import Runtime
from service.settings import Settings
from service.sweep import sweep
from tests.conftest import TEST_DATA_KEY, TEST_SECRET
from tests.fakes.twilio_api import FakeTwilio
from tests.faults.respondents import TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, channel_env, make_campaign
from tests.faults.tally import Tally
from tests.support.log_scan import assert_no_personal_data_in
from tests.support.processes import kill_hard, start_vises, stop
from tests.support.redis_servers import PrivateRedis

AREA = "Workers killed"
CONTACTS = 40
LEASE_SECONDS = "2"

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(300)]


@dataclass
class SlowTwilio(FakeTwilio):
    """The fake Twilio, taking ``delay`` seconds to accept each message (a kill can land during the call)."""

    delay: float = 0.03

    def _create(self, form: dict[str, str]) -> tuple[str, list[tuple[str, str]], Any]:
        time.sleep(self.delay)
        return super()._create(form)


@pytest.fixture
def twilio_api() -> Iterator[SlowTwilio]:
    fake = SlowTwilio(TWILIO_SID, TWILIO_TOKEN)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings],
    postgres_url: str,
    private_redis: PrivateRedis,
    twilio_api: SlowTwilio,
) -> Settings:
    return make_settings(
        DATABASE_URL=postgres_url,
        REDIS_URL=private_redis.url,
        VISES_SENDING_LEASE_SECONDS=LEASE_SECONDS,
        **channel_env(twilio_api.url),
    )


def _worker_env(runtime: Runtime, instance: Path) -> dict[str, str]:
    settings = runtime.settings
    assert settings.twilio is not None and settings.redis_url is not None
    return {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SECRET_KEY": TEST_SECRET,
        "DATA_KEY": TEST_DATA_KEY,
        "VISES_INSTANCE_PATH": str(instance),
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM_NUMBER": TWILIO_FROM,
        "TWILIO_API_BASE": settings.twilio.api_base,
        "VISES_TWILIO_MPS": "100000",
        "VISES_SENDING_LEASE_SECONDS": LEASE_SECONDS,
        "VISES_SWEEP_SECONDS": "2",
        "LOG_LEVEL": "INFO",
    }


def _statuses(runtime: Runtime, campaign_id: int) -> Counter[str]:
    with runtime.transaction() as session:
        rows = session.execute(
            select(OutboundMessage.status, func.count())
            .where(OutboundMessage.campaign_id == campaign_id)
            .group_by(OutboundMessage.status)
        ).all()
    return Counter(dict(rows))


def _launch_phase(runtime: Runtime, launch_id: int) -> str:
    with runtime.transaction() as session:
        launch = session.get_one(Launch, launch_id)
        queued, finished = launch.queued, launch.finished_at is not None
    if finished:
        return "after the launch finished"
    return (
        "before any invitation was created" if queued == 0 else "after creating invitations, before finishing"
    )


def _sweep_later(runtime: Runtime) -> None:
    """The periodic sweep, as it will run two minutes from now (past its grace period for queued rows)."""
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=True):
        sweep(runtime, utcnow())


@pytest.mark.parametrize(("seed", "kill_after"), [(11, (0.0, 0.05)), (22, (0.05, 0.2)), (33, (0.0, 0.5))])
def test_workers_killed_during_launch_and_delivery_send_each_invitation_exactly_once(
    seed: int,
    kill_after: tuple[float, float],
    runtime: Runtime,
    twilio_api: SlowTwilio,
    private_redis: PrivateRedis,
    tmp_path: Path,
    tally: Tally,
) -> None:
    rng = random.Random(seed)
    fork = seed % 2 == 0  # RQ's forking Worker in some runs: its work horse dies with it
    campaign = make_campaign(runtime, channels=("sms",))
    numbers = [f"+324730{seed:02d}{i:03d}" for i in range(CONTACTS)]
    with runtime.transaction() as session:
        fresh = session.get_one(Campaign, campaign.id)
        report = import_contacts(
            session, runtime, fresh, [{"phone": n, "language": "fr"} for n in numbers], "sms", "BE"
        )
        assert report.ok, report.problems
        launch_id = request_launch(session, fresh, "sms").id
    enqueue_launch(runtime, launch_id)
    connection = Redis.from_url(private_redis.url)
    (launch_job_id,) = Queue("default", connection=connection).get_job_ids()
    env = _worker_env(runtime, tmp_path / "instance")
    command = ["worker", *(["--fork"] if fork else [])]
    logs: list[Path] = []

    def start() -> Any:
        logs.append(tmp_path / f"worker-{len(logs) + 1}.log")
        tally.add(restarts=1 if len(logs) > 1 else 0)
        return start_vises(command, env, logs[-1])

    # 1. Killed a random moment after taking the launch job.
    worker = start()
    try:
        job = Job.fetch(launch_job_id, connection=connection)
        deadline = time.monotonic() + 60
        while job.get_status(refresh=True) == "queued":
            assert time.monotonic() < deadline, "the worker never took the launch job"
            time.sleep(0.002)
        time.sleep(rng.uniform(*kill_after))
    finally:
        kill_hard(worker)
    tally.add(kills=1)
    tally.note(f"seed {seed}: launch killed {_launch_phase(runtime, launch_id)}")

    # 2. Killed after a random number of further messages reached the provider.
    worker = start()
    try:
        _sweep_later(runtime)  # a launch left unfinished is taken up again
        target = len(twilio_api.messages) + rng.randint(1, CONTACTS // 2)
        deadline = time.monotonic() + 30
        while len(twilio_api.messages) < target and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.05))  # recording that one, or already on the next
    finally:
        kill_hard(worker)
    tally.add(kills=1)
    in_doubt = _statuses(runtime, campaign.id)["sending"]
    tally.note(f"seed {seed}: delivery killed after {len(twilio_api.messages)} sent, {in_doubt} in doubt")

    # 3. A last worker, and the periodic sweep, until everything is settled.
    worker = start()
    try:
        deadline = time.monotonic() + 150
        while _statuses(runtime, campaign.id) != Counter({"sent": CONTACTS}):
            assert time.monotonic() < deadline, (
                f"not settled: {_statuses(runtime, campaign.id)}, {len(twilio_api.messages)} at the provider"
            )
            _sweep_later(runtime)
            time.sleep(1)
        assert stop(worker) == 0
    finally:
        if worker.poll() is None:
            kill_hard(worker)

    assert Counter(m.to for m in twilio_api.messages) == Counter(dict.fromkeys(numbers, 1))
    with runtime.transaction() as session:
        recorded = set(
            session.scalars(
                select(OutboundMessage.provider_id).where(OutboundMessage.campaign_id == campaign.id)
            )
        )
    assert recorded == {m.sid for m in twilio_api.messages}
    reconciled = sum(log.read_text().count("had reached the provider; recorded") for log in logs)
    assert_no_personal_data_in(*logs, runtime=runtime, fakes=[twilio_api])
    tally.add(invitations=CONTACTS, sent_at_provider=len(twilio_api.messages), reconciled=reconciled)


def test_a_job_left_started_by_a_dead_worker_is_offered_again(
    private_redis: PrivateRedis, runtime: Runtime
) -> None:
    """Found by the campaign: a job its worker was killed in stays "started" in RQ until RQ's maintenance
    notices (its heartbeat expires after 90 s, and maintenance runs every 10 minutes), and the sweep held
    it live all that time, so the message it was about waited too. A started job counts as live only while
    its worker does."""
    connection = Redis.from_url(private_redis.url)
    queue = Queue("delivery", connection=connection, serializer=JSONSerializer)
    queue.enqueue("os._exit", 9, job_id="send-424242")  # the job kills its own worker, mid-job
    script = (
        "import sys; from redis import Redis; from rq import SimpleWorker; from rq.serializers import "
        "JSONSerializer; SimpleWorker(['delivery'], connection=Redis.from_url(sys.argv[1]), "
        "serializer=JSONSerializer).work(burst=True)"
    )
    dead = subprocess.run([sys.executable, "-c", script, private_redis.url], timeout=60, check=False)
    assert dead.returncode == 9
    assert Job.fetch("send-424242", connection=connection).get_status() == "started"
    assert enqueue_once(runtime, SEND, [("send-424242", (424242,))]) == 1  # offered again at once
    assert Job.fetch("send-424242", connection=connection, serializer=JSONSerializer).get_status() == "queued"
    assert enqueue_once(runtime, SEND, [("send-424242", (424242,))]) == 0  # and not twice
