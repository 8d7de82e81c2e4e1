"""What the worker tests share: a running campaign with contacts, fake senders, Redis runtimes, a drain."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from redis import Redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from bots.base import Outgoing, SendError, SendResult
from questionnaires.loader import load_text
from service.accounts import create_organization
from service.campaigns import change_status, create_campaign
from service.contacts import import_contacts
from service.definitions import register_version
from service.jobs import QUEUES, RedisJobs
from service.models import Campaign, Contact, MessageKind, Organization
from service.outbound import NewMessage, insert_messages
from service.runtime import Runtime, use_runtime
from service.settings import Settings
from tests.conftest import _runtime_for
from tests.fakes.twilio_api import FakeTwilio, running
from tests.support.redis_servers import PrivateRedis

DEFINITION = """
id: pulse
version: 1
title: {fr: Pouls, nl: Pols, en: Pulse}
languages: [fr, nl, en]
default_language: fr
consent:
  version: "1"
  text: {fr: "On commence ?", nl: "Beginnen?", en: "Shall we start?"}
questions:
  - id: better
    type: single_choice
    text: {fr: "Votre vie a-t-elle change ?", nl: "Is uw leven veranderd?", en: "Has your life changed?"}
    choices:
      - {code: "1", label: {fr: Mieux, nl: Beter, en: Better}}
      - {code: "2", label: {fr: Pareil, nl: Gelijk, en: Same}}
      - {code: "3", label: {fr: Pire, nl: Slechter, en: Worse}}
      - {code: "9", label: {fr: Je ne sais pas, nl: Weet niet, en: "Don't know"}}
  - id: calm
    type: scale
    min: 1
    max: 5
    text: {fr: "Calme ?", nl: "Rustig?", en: "Calm?"}
  - id: tired
    type: scale
    min: 1
    max: 5
    text: {fr: "Fatigue ?", nl: "Moe?", en: "Tired?"}
  - id: recommend
    type: scale
    min: 0
    max: 10
    text: {fr: "Recommanderiez-vous {org} ?", nl: "Beveelt u {org} aan?", en: "Would you recommend {org}?"}
indicators:
  - id: better_off
    title: {fr: Mieux, nl: Beter, en: Better off}
    dimension: individuals
    method: share
    question: better
    codes: ["1"]
    exclude: ["9"]
  - id: wellbeing
    title: {fr: Bien-etre, nl: Welzijn, en: Wellbeing}
    dimension: individuals
    method: mean
    questions: [calm, tired]
    reverse: [tired]
    rescale: true
  - id: recommend
    title: {fr: Recommandation, nl: Aanbeveling, en: Recommendation}
    dimension: individuals
    method: recommend
    question: recommend
"""

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def phone(i: int) -> str:
    """A valid Belgian mobile number, different for each ``i`` below a million."""
    return f"+32470{i:06d}"


@dataclass
class FakeSender:
    """An in-memory Sender: records what it accepted; refuses as told (per address, in order)."""

    channel: str = "sms"
    sent: list[tuple[str, Outgoing, str]] = field(default_factory=list)
    refusals: dict[str, list[SendError]] = field(default_factory=dict)
    lose_answer: set[str] = field(default_factory=set)
    """Addresses whose next send is accepted but whose answer never comes back (a broken connection)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, address: str, outgoing: Outgoing) -> SendResult:
        with self._lock:
            pending = self.refusals.get(address)
            if pending:
                raise pending.pop(0)
            provider_id = f"FAKE{len(self.sent) + 1:06d}"
            self.sent.append((address, outgoing, provider_id))
            if address in self.lose_answer:
                self.lose_answer.discard(address)
                raise SendError("connection reset", permanent=False, code="network")
        return SendResult(provider_id=provider_id)

    def to(self, address: str) -> list[Outgoing]:
        return [outgoing for sent_to, outgoing, _ in self.sent if sent_to == address]

    def addresses(self) -> list[str]:
        return [address for address, _, _ in self.sent]


@dataclass(frozen=True)
class Listed:
    provider_id: str
    body: str
    created_at: datetime | None


@dataclass
class FakeSenderWithHistory(FakeSender):
    """A FakeSender whose provider can list what it sent (like Twilio)."""

    def recent_messages(self, address: str, *, limit: int = 20) -> list[Listed]:
        found = [
            Listed(provider_id, "\n".join(outgoing.texts), datetime.now(UTC))
            for sent_to, outgoing, provider_id in reversed(self.sent)
            if sent_to == address
        ]
        return found[:limit]


def install_sender(runtime: Runtime, sender: Any, channel: str = "sms") -> None:
    runtime.cache.setdefault("senders", {})[channel] = sender


def tune(runtime: Runtime, **variables: str) -> None:
    """Set ``VISES_*`` knobs on a running runtime (a fast Twilio rate, a short sending lease...)."""
    runtime.settings = runtime.settings.with_overrides(extra={**runtime.settings.extra, **variables})


def create_invitations(runtime: Runtime, campaign: Campaign, channel: str = "sms") -> list[int]:
    """Invitation rows for the campaign's contacts, not enqueued: tests deliver them one by one."""
    with runtime.transaction() as session:
        contacts = session.scalars(
            select(Contact)
            .where(Contact.campaign_id == campaign.id, Contact.channel == channel)
            .order_by(Contact.id)
        ).all()
        return insert_messages(
            session,
            [
                NewMessage(
                    organization_id=campaign.organization_id,
                    campaign_id=campaign.id,
                    contact_id=contact.id,
                    channel=channel,
                    kind=MessageKind.INVITATION,
                    sequence=0,
                    language=contact.language,
                    identity_id=contact.identity_id,
                )
                for contact in contacts
            ],
            now=datetime.now(UTC),
        )


def make_campaign(
    runtime: Runtime,
    *,
    channels: tuple[str, ...] = ("sms", "telegram", "web"),
    policy: dict[str, Any] | None = None,
    started_at: datetime | None = None,
    idle_limit_hours: int = 72,
) -> Campaign:
    with runtime.transaction() as session:
        org = session.scalar(select(Organization).where(Organization.slug == "atelier"))
        if org is None:
            org = create_organization(session, "atelier", name="Atelier Namur", short_name="Atelier")
        version = register_version(session, org, load_text(DEFINITION), source="yaml")
        campaign = create_campaign(
            session,
            org,
            version,
            name="Pulse",
            channels=list(channels),
            sms_keyword=None,
            reminder_policy=policy,
            idle_limit_hours=idle_limit_hours,
        )
        change_status(session, campaign, "start", now=started_at or datetime.now(UTC))
        return campaign


def add_contacts(
    runtime: Runtime,
    campaign: Campaign,
    numbers: range | list[int],
    *,
    channel: str = "sms",
    language: str = "fr",
) -> None:
    rows = [{"phone": phone(i), "language": language} for i in numbers]
    with runtime.transaction() as session:
        fresh = session.get_one(Campaign, campaign.id)
        report = import_contacts(session, runtime, fresh, rows, channel, "BE")
        assert report.ok, report.problems


@pytest.fixture
def sender(runtime: Runtime) -> FakeSenderWithHistory:
    fake = FakeSenderWithHistory()
    install_sender(runtime, fake)
    tune(runtime, VISES_TWILIO_MPS="100000")
    return fake


@pytest.fixture
def redis_settings(make_settings: Callable[..., Settings], database_url: str, redis_url: str) -> Settings:
    return make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url)


@pytest.fixture
def redis_runtime(redis_settings: Settings) -> Iterator[Runtime]:
    """A runtime on the test database whose jobs go to Redis (database VISES_TEST_REDIS_DB)."""
    yield from _runtime_for(redis_settings)


@pytest.fixture
def private_runtime(
    make_settings: Callable[..., Settings], database_url: str, private_redis: PrivateRedis
) -> Iterator[Runtime]:
    """A runtime whose jobs go to a redis-server of this test's own (to flush or restart)."""
    yield from _runtime_for(make_settings(DATABASE_URL=database_url, REDIS_URL=private_redis.url))


def drain(runtime: Runtime, *, max_jobs: int | None = None) -> None:
    """Run queued jobs in this process (RQ's SimpleWorker, burst) until the queues are empty."""
    assert isinstance(runtime.jobs, RedisJobs) and runtime.redis is not None
    worker = SimpleWorker(
        [runtime.jobs.queue(name) for name in QUEUES], connection=runtime.redis, serializer=JSONSerializer
    )
    with use_runtime(runtime):
        worker.work(burst=True, max_jobs=max_jobs, logging_level="WARNING")


def queued_jobs(connection: Redis) -> int:
    return sum(int(connection.llen(f"rq:queue:{name}")) for name in QUEUES)


TWILIO_SID = "AC" + "7" * 32
TWILIO_TOKEN = "fake-twilio-auth-token"
TWILIO_FROM = "+32460000000"


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """The SMS engineer's fake Twilio REST API, on a free port of 127.0.0.1."""
    yield from running(TWILIO_SID, TWILIO_TOKEN)


def twilio_env(fake: FakeTwilio) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM_NUMBER": TWILIO_FROM,
        "TWILIO_API_BASE": fake.url,
        "VISES_TWILIO_MPS": "100000",
    }


@pytest.fixture
def twilio_runtime(
    make_settings: Callable[..., Settings], database_url: str, redis_url: str, fake_twilio: FakeTwilio
) -> Iterator[Runtime]:
    """Jobs on Redis, SMS through the real Twilio SDK to the fake Twilio."""
    yield from _runtime_for(
        make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url, **twilio_env(fake_twilio))
    )
