"""``vises worker --queue scoring`` SIGKILLed at random moments while it scores a campaign's backlog.

A campaign of the fault questionnaire with ``COMPLETED`` completed, unscored conversations (and a few
expired ones, which must stay unscored), loaded with SQL, each offered for scoring as a completion is
(:func:`service.scores.offer_for_scoring`: the burst coalesces into one waiting job, which scores the
campaign in batches and offers it again after each full batch). Each run (seeded):

1. a real worker is started, and killed once a random number of further conversations are scored, a
   random moment after (often in the middle of a batch's transaction); two or three times, with the
   periodic sweep offering again what the dead worker's job held before each restart;
2. a last worker runs, with the sweep, until every completion is scored.

In the end every completed conversation has ``scored_at`` and exactly one score per indicator, the
expired ones none, and the campaign's aggregates are what :func:`service.scores.rescore_campaign`
recomputes from the stored answers: no conversation lost, none counted twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select, text

from service.aggregates import load_tallies
from service.models import Campaign, Conversation, Score, utcnow
from service.runtime import Runtime
from service.scores import BATCH, offer_for_scoring, rescore_campaign
from service.settings import Settings
from service.sweep import sweep
from tests.conftest import TEST_DATA_KEY, TEST_SECRET
from tests.faults.respondents import make_campaign
from tests.faults.tally import Tally
from tests.support.log_scan import assert_no_personal_data_in
from tests.support.processes import kill_hard, start_vises, stop, wait_until
from tests.support.redis_servers import PrivateRedis

AREA = "Workers killed"
COMPLETED = 3000
EXPIRED = 60
INDICATORS = ("better_off", "recommend")

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], postgres_url: str, private_redis: PrivateRedis
) -> Settings:
    return make_settings(DATABASE_URL=postgres_url, REDIS_URL=private_redis.url)


def _worker_env(runtime: Runtime, instance: Path) -> dict[str, str]:
    settings = runtime.settings
    assert settings.redis_url is not None
    return {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SECRET_KEY": TEST_SECRET,
        "DATA_KEY": TEST_DATA_KEY,
        "VISES_INSTANCE_PATH": str(instance),
        "VISES_SWEEP_SECONDS": "2",
        "LOG_LEVEL": "INFO",
    }


def _load(runtime: Runtime, campaign: Campaign, seed: int) -> None:
    """``COMPLETED`` completed and ``EXPIRED`` expired conversations, every question answered, unscored.

    Answers vary with the conversation id and the seed: all four "better" codes (9 is excluded from the
    share), every "recommend" value, three channels and three languages (so three segments each).
    """
    total = COMPLETED + EXPIRED
    with runtime.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO respondents (organization_id, pseudonym, created_at) "
                "SELECT :org, md5(:seed || '-' || n::text), now() FROM generate_series(1, :total) AS n"
            ),
            {"org": campaign.organization_id, "seed": str(seed), "total": total},
        )
        connection.execute(
            text(
                "INSERT INTO conversations (campaign_id, respondent_id, attempt, channel, language, status, "
                "state, partial, started_at, updated_at, completed_at, reminders_sent) "
                "SELECT :campaign, r.id, 1, "
                "(ARRAY['sms', 'telegram', 'web'])[(r.id + :seed) % 3 + 1], "
                "(ARRAY['fr', 'nl', 'en'])[(r.id * 7 + :seed) % 3 + 1], "
                "CASE WHEN r.n <= :expired THEN 'expired' ELSE 'completed' END, "
                "'{}'::jsonb, r.n <= :expired, now() - interval '1 hour', now(), "
                "CASE WHEN r.n > :expired THEN now() END, 0 "
                "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM respondents "
                "WHERE organization_id = :org) AS r"
            ),
            {"campaign": campaign.id, "org": campaign.organization_id, "seed": seed, "expired": EXPIRED},
        )
        values = {
            "better": "to_jsonb((ARRAY['1', '2', '3', '9'])[(c.id * 5 + :seed) % 4 + 1])",
            "calm": "to_jsonb(1 + (c.id * 3 + :seed) % 5)",
            "member": "to_jsonb(CASE WHEN (c.id + :seed) % 2 = 0 THEN 'yes' ELSE 'no' END)",
            "recommend": "to_jsonb((c.id * 13 + :seed) % 11)",
        }
        for question_id, value in values.items():
            connection.execute(
                text(
                    "INSERT INTO answers (conversation_id, question_id, value, is_free_text, channel, "
                    f"revision, answered_at) SELECT c.id, :question, {value}, false, c.channel, 1, now() "
                    "FROM conversations c WHERE c.campaign_id = :campaign"
                ),
                {"question": question_id, "campaign": campaign.id, "seed": seed},
            )
        for table in ("respondents", "conversations", "answers"):
            connection.execute(text(f"ANALYZE {table}"))


def _scored(runtime: Runtime, campaign_id: int) -> int:
    with runtime.transaction() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.campaign_id == campaign_id, Conversation.scored_at.is_not(None))
            )
            or 0
        )


def _sweep_later(runtime: Runtime) -> int:
    """The periodic sweep, as it will run two minutes from now (past its grace period for completions)."""
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=True):
        return sweep(runtime, utcnow()).scoring


def _assert_each_completion_scored_once(runtime: Runtime, campaign_id: int) -> None:
    """Every completion scored, one score per indicator, and counted once in the aggregates; no expired one."""
    with runtime.transaction() as session:
        unscored = session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(
                Conversation.campaign_id == campaign_id,
                Conversation.status == "completed",
                Conversation.scored_at.is_(None),
            )
        )
        per_conversation = dict(
            session.execute(
                select(Conversation.status, func.count())
                .join(Score, Score.conversation_id == Conversation.id)
                .where(Conversation.campaign_id == campaign_id)
                .group_by(Conversation.status)
            ).all()
        )
        indicators = dict(
            session.execute(
                select(Score.indicator_id, func.count(func.distinct(Score.conversation_id)))
                .join(Conversation, Conversation.id == Score.conversation_id)
                .where(Conversation.campaign_id == campaign_id)
                .group_by(Score.indicator_id)
            ).all()
        )
        counted = {
            indicator_id: found.n + found.categories.get("excluded", 0)
            for (indicator_id, segment), found in load_tallies(session, campaign_id).items()
            if segment == "all"
        }
    assert unscored == 0
    assert per_conversation == {"completed": COMPLETED * len(INDICATORS)}  # expired ones: no scores
    assert indicators == dict.fromkeys(INDICATORS, COMPLETED)
    # Each completion counted once in the campaign's "all" tallies (an excluded score only as a category).
    assert counted == dict.fromkeys(INDICATORS, COMPLETED)
    with runtime.transaction() as session:
        report = rescore_campaign(session, session.get_one(Campaign, campaign_id), utcnow())
    assert report.changed == ()
    assert report.conversations == COMPLETED
    assert report.scores == COMPLETED * len(INDICATORS)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_scoring_worker_killed_mid_batch_loses_no_conversation_and_counts_none_twice(
    seed: int, runtime: Runtime, private_redis: PrivateRedis, tmp_path: Path, tally: Tally
) -> None:
    rng = random.Random(seed)
    fork = seed % 2 == 0  # RQ's forking Worker in some runs: its work horse dies with it
    campaign = make_campaign(runtime, channels=("web",))
    _load(runtime, campaign, seed)
    with runtime.engine.connect() as connection:
        completed = list(
            connection.execute(
                text(
                    "SELECT id FROM conversations WHERE campaign_id = :campaign AND status = 'completed' "
                    "ORDER BY id"
                ),
                {"campaign": campaign.id},
            ).scalars()
        )
    assert len(completed) == COMPLETED
    jobs = sum(offer_for_scoring(runtime, conversation_id, campaign.id) for conversation_id in completed)
    assert jobs == 1  # the burst coalesced into one waiting job
    env = _worker_env(runtime, tmp_path / "instance")
    command = ["worker", "--queue", "scoring", *(["--fork"] if fork else [])]
    logs: list[Path] = []

    def start() -> Any:
        logs.append(tmp_path / f"worker-{len(logs) + 1}.log")
        tally.add(restarts=1 if len(logs) > 1 else 0)
        return start_vises(command, env, logs[-1])

    # 1. Killed after a random number of further conversations were scored, a random moment later.
    offered = 0
    for kill in range(rng.randint(2, 3)):
        if kill:
            offered += _sweep_later(runtime)  # what the dead worker's job held, offered again
        worker = start()
        try:
            # Before the last batch, as a rule, so the next worker has a backlog to take up.
            target = min(_scored(runtime, campaign.id) + rng.randint(0, BATCH), COMPLETED - BATCH)
            deadline = time.monotonic() + 60
            while _scored(runtime, campaign.id) < target:
                assert time.monotonic() < deadline, f"no progress: {_scored(runtime, campaign.id)} scored"
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.5))  # starting, between batches, or in the middle of one
        finally:
            kill_hard(worker)
        tally.add(kills=1)
        tally.note(f"seed {seed}: scoring killed with {_scored(runtime, campaign.id)} of {COMPLETED} scored")

    # 2. A last worker, and the periodic sweep, until every completion is scored.
    worker = start()
    try:
        # Stopped only once it serves (a SIGTERM before RQ handles it would end it with -15).
        wait_until(lambda: "Listening on" in logs[-1].read_text(), 60, "the last worker to listen")
        deadline = time.monotonic() + 150
        while (scored := _scored(runtime, campaign.id)) < COMPLETED:
            assert time.monotonic() < deadline, f"not settled: {scored} of {COMPLETED} scored"
            offered += _sweep_later(runtime)
            time.sleep(1)
        assert stop(worker) == 0
    finally:
        if worker.poll() is None:
            kill_hard(worker)

    _assert_each_completion_scored_once(runtime, campaign.id)
    assert_no_personal_data_in(*logs, runtime=runtime)
    tally.add(conversations_scored=COMPLETED, scoring_jobs_offered_by_sweep=offered)
