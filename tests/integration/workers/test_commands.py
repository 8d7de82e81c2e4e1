"""The worker-side commands: ``vises campaign invite``, ``vises jobs`` and ``vises jobs requeue``."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import func, select, update

from service.jobs import RedisJobs
from service.models import Contact, Conversation, OutboundMessage, Respondent
from service.runtime import Runtime
from tests.fakes.twilio_api import FakeTwilio
from tests.integration.workers.conftest import (
    add_contacts,
    create_invitations,
    drain,
    make_campaign,
    phone,
    queued_jobs,
    twilio_env,
)


def test_invite_imports_a_list_and_sends_its_invitations_once(
    runtime: Runtime, cli: Any, fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    campaign = make_campaign(runtime)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "phone;language;name\n0470 11 11 11;fr;Ana\n0470 22 22 22;nl;Bram\n+33612345678;en;\n"
    )
    env = twilio_env(fake_twilio)
    result = cli(
        "campaign", "invite", campaign.code, "--contacts", str(contacts), "--channel", "sms", env=env
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "imported 3 contacts",
        "invitations: 3 new; 3 sent, 0 queued, 0 failed, 0 not sent",
    ]
    contacts.write_text(contacts.read_text() + "0470 33 33 33;fr;Chris\n")
    result = cli(
        "campaign", "invite", campaign.code, "--contacts", str(contacts), "--channel", "sms", env=env
    )
    assert result.output.splitlines() == [
        "imported 1 contact, 3 already on the list",
        "invitations: 1 new; 4 sent, 0 queued, 0 failed, 0 not sent",
    ]
    assert Counter(m.to for m in fake_twilio.messages) == Counter(
        {"+32470111111": 1, "+32470222222": 1, "+33612345678": 1, "+32470333333": 1}
    )
    bodies = {m.to: m.body for m in fake_twilio.messages}
    assert bodies["+32470222222"].startswith("Atelier nodigt u uit voor een korte vragenlijst. Stuur PULSE")


def test_invite_with_a_bad_line_imports_nothing_and_says_where(
    runtime: Runtime, cli: Any, fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    campaign = make_campaign(runtime)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("phone,language\n+32470111111,fr\nnot a number,fr\n+32470111111,nl\n")
    result = cli(
        "campaign",
        "invite",
        campaign.code,
        "--contacts",
        str(contacts),
        "--channel",
        "sms",
        env=twilio_env(fake_twilio),
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "line 3, phone: not a phone number",
        "line 4, phone: the same phone number as line 2",
        "Error: nothing imported: 2 problems to fix first",
    ]
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Contact.id))) == 0
    assert fake_twilio.messages == []


def test_invite_on_a_paused_campaign_imports_and_waits(runtime: Runtime, cli: Any, tmp_path: Path) -> None:
    campaign = make_campaign(runtime)
    result = cli("campaign", "pause", campaign.code)
    assert result.exit_code == 0, result.output
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("phone\n+32470111111\n")
    result = cli("campaign", "invite", campaign.code, "--contacts", str(contacts), "--channel", "sms")
    assert result.exit_code == 0, result.output
    assert (
        result.output.splitlines()[-1]
        == "the campaign is paused: start it, then run this again to send the invitations"
    )


def test_failed_jobs_are_listed_with_their_error_and_requeued(
    redis_runtime: Runtime, redis_url: str, cli: Any
) -> None:
    assert isinstance(redis_runtime.jobs, RedisJobs)
    redis_runtime.jobs.enqueue("tests.integration.test_jobs.explode", queue="scoring")
    redis_runtime.jobs.enqueue("tests.integration.test_jobs.record", 1, queue="default")
    drain(redis_runtime)
    env = {"REDIS_URL": redis_url}
    result = cli("jobs", env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3 and lines[-1] == "1 failed job"
    job_id, queue = lines[0].split()[:2]
    assert queue == "scoring" and lines[0].endswith("tests.integration.test_jobs.explode()")
    assert lines[1].strip() == "RuntimeError: boom"
    assert "Traceback" in cli("jobs", "-v", env=env).output
    assert cli("jobs", "requeue", env=env).exit_code == 2
    missing = cli("jobs", "requeue", "no-such-job", env=env)
    assert missing.exit_code == 1 and "no-such-job: not a failed job" in missing.stderr
    result = cli("jobs", "requeue", job_id, env=env)
    assert result.output.strip() == "requeued 1 job"
    assert queued_jobs(Redis.from_url(redis_url)) == 1
    assert cli("jobs", env=env).output.strip() == "no failed jobs"
    assert cli("jobs").output.strip() == "no REDIS_URL: jobs run inline in the web process, and none are kept"


def test_without_redis_vises_worker_runs_the_periodic_jobs_inline(
    runtime: Runtime, cli: Any, fake_twilio: FakeTwilio
) -> None:
    campaign = make_campaign(runtime, idle_limit_hours=1)
    add_contacts(runtime, campaign, range(3))
    create_invitations(runtime, campaign)  # created, never enqueued (the web process died, say)
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    with runtime.transaction() as session:
        session.execute(update(OutboundMessage).values(created_at=long_ago, updated_at=long_ago))
        for status in ("completed", "in_progress"):
            respondent = Respondent(organization_id=campaign.organization_id, pseudonym=status)
            session.add(respondent)
            session.flush()
            session.add(
                Conversation(
                    campaign_id=campaign.id,
                    respondent_id=respondent.id,
                    channel="web",
                    language="fr",
                    status=status,
                    state={},
                    updated_at=long_ago,
                    completed_at=long_ago if status == "completed" else None,
                )
            )
    result = cli("worker", "--burst", env=twilio_env(fake_twilio))
    assert result.exit_code == 0, result.output
    assert sorted(m.to for m in fake_twilio.messages) == [phone(i) for i in range(3)]
    with runtime.transaction() as session:
        conversations = {c.status: c for c in session.scalars(select(Conversation))}
    assert set(conversations) == {"completed", "expired"}
    assert conversations["completed"].scored_at is not None
