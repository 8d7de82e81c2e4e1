"""Redis stopped in the middle of a campaign, then started again empty.

Redis holds only jobs and rate-limit counters; everything a job is about is in the database first. So
while Redis is down, people keep answering (the web form, SMS, Telegram): their answers are stored and
they get their next question, and a completion's scoring job that can't be enqueued is left for the
sweep. When Redis comes back empty, every job it held is gone (invitations waiting to be sent, scoring);
the sweep finds that work in the database and enqueues it again, and a real ``vises worker`` does it:
every invitation sent exactly once, every completed conversation scored, no answer lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import time_machine
from redis import Redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from service.contacts import import_contacts
from service.launches import enqueue_launch, request_launch, run_launch
from service.models import Campaign, Conversation, Launch, OutboundMessage, utcnow
from service.rate_limits import Rate, RedisRateLimiter
from service.runtime import Runtime
from service.settings import Settings
from service.sweep import sweep
from tests.conftest import TEST_DATA_KEY, TEST_SECRET
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.faults.respondents import (
    QUESTIONS,
    Browser,
    Chat,
    Phone,
    answers_by_message,
    asked,
    channel_env,
    make_campaign,
)
from tests.faults.tally import Tally
from tests.support.log_scan import assert_no_personal_data_in
from tests.support.processes import kill_hard, start_vises
from tests.support.redis_servers import PrivateRedis

AREA = "Redis outage"
REAL_LIMITER = True
"""The rate limiter of this test's runtime is the real one, in Redis, and goes down with it."""
CONTACTS = 40
WEB_ANSWERS = ("2", "4", "no", "9")

pytestmark = [pytest.mark.redis, pytest.mark.timeout(240)]


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings],
    database_url: str,
    private_redis: PrivateRedis,
    twilio_api: FakeTwilio,
    telegram_api: FakeTelegram,
) -> Settings:
    """Jobs and rate limits in a redis-server of this test's own."""
    return make_settings(
        DATABASE_URL=database_url,
        REDIS_URL=private_redis.url,
        **channel_env(twilio_api.url, telegram_api.api_base),
    )


def _answer_on_the_web(server: str, code: str, answers: tuple[str, ...]) -> list[str]:
    """A person answering the web form from the consent on; returns the submission ids of their answers."""
    browser = Browser(server, code)
    sids = []
    try:
        browser.open()
        assert browser.post_with(browser.http, browser.form()).status_code == 303
        for answer in answers:
            browser.open()
            form = browser.form(answer)
            response = browser.post_with(browser.http, form)
            assert response.status_code == 303, response.status_code
            sids.append(form["sid"])
        page = browser.open()
        if len(answers) == len(QUESTIONS):
            assert "erci" in page
        else:
            assert asked(page) == QUESTIONS[len(answers)]
    finally:
        browser.close()
    return sids


def _worker_env(runtime: Runtime, instance: Path) -> dict[str, str]:
    settings = runtime.settings
    twilio = settings.twilio
    assert twilio is not None and settings.redis_url is not None
    return {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SECRET_KEY": TEST_SECRET,
        "DATA_KEY": TEST_DATA_KEY,
        "VISES_INSTANCE_PATH": str(instance),
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM_NUMBER": twilio.from_number or "",
        "TWILIO_API_BASE": twilio.api_base,
        "VISES_TWILIO_MPS": "100000",
        "LOG_LEVEL": "INFO",
    }


def test_redis_down_then_back_empty_loses_no_answer_no_invitation_and_no_score(
    runtime: Runtime,
    server: str,
    private_redis: PrivateRedis,
    twilio_api: FakeTwilio,
    telegram_api: FakeTelegram,
    tmp_path: Path,
    tally: Tally,
) -> None:
    campaign = make_campaign(runtime)
    numbers = [f"+3247240{i:04d}" for i in range(CONTACTS)]
    with runtime.transaction() as session:
        fresh = session.get_one(Campaign, campaign.id)
        report = import_contacts(
            session, runtime, fresh, [{"phone": n, "language": "fr"} for n in numbers], "sms", "BE"
        )
        assert report.ok, report.problems
        launch_id = request_launch(session, fresh, "sms").id
    run_launch(runtime, launch_id)  # CONTACTS send jobs waiting in Redis; no worker runs yet
    assert runtime.redis is not None
    assert sum(int(runtime.redis.llen(f"rq:queue:{q}")) for q in ("delivery",)) == CONTACTS

    web_sids = [_answer_on_the_web(server, campaign.code, WEB_ANSWERS) for _ in range(3)]  # scored later
    phone, chat = Phone(server), Chat(server, 6_124_538_790)
    telegram_api.add_chat(chat.chat_id, chat.first_name, chat.language_code)
    with requests.Session() as http:
        phone.send(http, "POULS")
        assert chat.post(http, chat.text_update(f"/start {campaign.code}")).status_code == 200

        private_redis.stop()
        tally.add(outages=1)
        # Turns while Redis is down: answers stored, next question sent, completions left for the sweep.
        web_sids += [_answer_on_the_web(server, campaign.code, WEB_ANSWERS) for _ in range(3)]
        web_sids.append(_answer_on_the_web(server, campaign.code, WEB_ANSWERS[:2]))
        sms_replies = [phone.send(http, body) for body in ("oui", "2", "4", "oui", "9")]
        assert [asked("\n".join(texts)) for texts in sms_replies[:4]] == [
            "better",
            "calm",
            "member",
            "recommend",
        ]
        assert "erci" in "\n".join(sms_replies[-1])
        before = len(telegram_api.calls)
        assert (
            chat.post(http, chat.tap_update(telegram_api.last_message(chat.chat_id), "Oui")).status_code
            == 200
        )
        sent = [
            c.params.get("text", "") for c in telegram_api.calls_since(before) if c.method == "sendMessage"
        ]
        assert [asked(text) for text in sent] == ["better"], "a Telegram turn during the outage got no reply"
        resume = http.post(f"{server}/s/{campaign.code}/resume", data={"code": "ABCD-EFGH"})
        assert resume.status_code < 500 or resume.status_code == 503, resume.status_code
        tally.add(inputs=3 * (len(WEB_ANSWERS) + 1) + 3 + 5 + 2, restarts=1)

        private_redis.start()  # same port, nothing kept: every job is gone
    assert runtime.redis is not None and runtime.redis.dbsize() == 0

    stored = answers_by_message(runtime, "web")
    for sids in web_sids:
        assert all(len(stored.get(sid, [])) == 1 for sid in sids), "a web answer acknowledged and not stored"
    expected = 6 * len(QUESTIONS) + 2 + len(QUESTIONS)
    total = sum(len(a) for channel in ("web", "sms") for a in answers_by_message(runtime, channel).values())
    assert total == expected

    # The periodic sweep, two minutes later (past its grace period), enqueues the lost work again ...
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=True):
        swept = sweep(runtime, utcnow())
    assert swept.sending == CONTACTS and swept.scoring == 7  # 6 web, 1 SMS completions
    # ... and a real worker does it.
    log = tmp_path / "worker.log"
    worker = start_vises(["worker", "--burst"], _worker_env(runtime, tmp_path / "instance"), log)
    try:
        assert worker.wait(120) == 0, log.read_text()[-3000:]
    finally:
        if worker.poll() is None:
            kill_hard(worker)
    tally.add(restarts=1)
    assert_no_personal_data_in(log, runtime=runtime, fakes=[twilio_api, telegram_api])

    assert Counter(m.to for m in twilio_api.messages) == Counter(dict.fromkeys(numbers, 1))
    with runtime.transaction() as session:
        statuses = Counter(session.scalars(select(OutboundMessage.status)))
        completed = list(session.scalars(select(Conversation).where(Conversation.status == "completed")))
    assert statuses == Counter({"sent": CONTACTS})
    assert len(completed) == 7 and all(c.scored_at is not None for c in completed)
    assert Redis.from_url(private_redis.url).ping()
    tally.add(
        invitations=CONTACTS,
        sent_at_provider=len(twilio_api.messages),
        answers_acknowledged=expected,
        answers_stored=total,
        answers_lost=expected - total,
    )
    tally.note(f"{swept.sending} send jobs and {swept.scoring} scoring jobs restored by the sweep")


def test_a_launch_whose_job_was_lost_with_redis_is_taken_up_by_the_sweep(
    runtime: Runtime, private_redis: PrivateRedis, twilio_api: FakeTwilio
) -> None:
    """Found by the campaign: a launch whose job was lost (Redis emptied, or its worker killed) was never
    run again, and nobody on the list was invited. The sweep now offers unfinished launches again."""
    campaign = make_campaign(runtime, channels=("sms",))
    with runtime.transaction() as session:
        fresh = session.get_one(Campaign, campaign.id)
        rows = [{"phone": f"+3247250{i:04d}", "language": "fr"} for i in range(5)]
        assert import_contacts(session, runtime, fresh, rows, "sms", "BE").ok
        launch_id = request_launch(session, fresh, "sms").id
    enqueue_launch(runtime, launch_id)
    private_redis.restart()  # the launch job is gone before any worker took it
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=True):
        assert sweep(runtime, utcnow()).launching == 1
        assert sweep(runtime, utcnow()).launching == 0  # its job is waiting: not offered twice
    assert runtime.redis is not None
    worker = SimpleWorker(["default", "delivery"], connection=runtime.redis, serializer=JSONSerializer)
    worker.work(burst=True, logging_level="WARNING")
    assert sorted(m.to for m in twilio_api.messages) == sorted(row["phone"] for row in rows)
    with runtime.transaction() as session:
        assert session.get_one(Launch, launch_id).finished_at is not None


def test_rate_limits_are_kept_in_this_process_while_redis_is_down(private_redis: PrivateRedis) -> None:
    """Found by the campaign: with Redis down the shared limiter raised, and Telegram replies were dropped."""
    limiter = RedisRateLimiter(Redis.from_url(private_redis.url))
    rate = Rate(per_second=1, burst=2)
    assert limiter.try_acquire("telegram:chat:x", rate) == 0
    private_redis.stop()
    assert limiter.try_acquire("telegram:chat:x", rate) == 0  # paced here, not refused
    assert limiter.try_acquire("telegram:chat:x", rate) == 0
    assert limiter.try_acquire("telegram:chat:x", rate) > 0  # and still paced: burst 2, then one a second
    private_redis.start()
    assert limiter.try_acquire("telegram:chat:y", rate) == 0
