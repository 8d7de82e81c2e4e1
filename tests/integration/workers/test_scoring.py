"""Scoring: scores stored once per completion, aggregates kept incrementally equal to a recomputation."""

from __future__ import annotations

import random
import secrets
import threading
from datetime import UTC, datetime
from itertools import count
from typing import Any

from sqlalchemy import func, select, update

from bots.base import Inbound
from questionnaires.loader import load_text
from questionnaires.scoring import Tally, score_conversation
from service.aggregates import same_tally
from service.conversations import ConversationService
from service.models import Answer, Campaign, CampaignAggregate, Conversation, Respondent, Score
from service.runtime import Runtime, use_runtime
from service.scores import offer_for_scoring, rescore_campaign, score_batch, take_offers
from tests.integration.workers.conftest import DEFINITION, drain, make_campaign, queued_jobs
from workers.scoring import score_conversation as score_job

QUESTIONNAIRE = load_text(DEFINITION)
_sids = count(1)


def _answers(rng: random.Random) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "better": rng.choice(["1", "2", "3", "9"]),
        "calm": rng.randint(1, 5),
        "tired": rng.randint(1, 5),
        "recommend": rng.randint(0, 10),
    }
    if rng.random() < 0.1:
        del answers["calm"]  # an unanswered optional item: the mean can't be computed
    return answers


def _completed(
    runtime: Runtime, campaign: Campaign, rng: random.Random, n: int, *, status: str = "completed"
) -> list[int]:
    ids = []
    with runtime.transaction() as session:
        for _ in range(n):
            respondent = Respondent(organization_id=campaign.organization_id, pseudonym=secrets.token_hex(16))
            session.add(respondent)
            session.flush()
            conversation = Conversation(
                campaign_id=campaign.id,
                respondent_id=respondent.id,
                channel=rng.choice(["sms", "telegram", "web"]),
                language=rng.choice(["fr", "nl", "en"]),
                status=status,
                state={},
                completed_at=datetime.now(UTC) if status == "completed" else None,
            )
            session.add(conversation)
            session.flush()
            for question_id, value in _answers(rng).items():
                session.add(
                    Answer(
                        conversation_id=conversation.id,
                        question_id=question_id,
                        value=value,
                        channel=conversation.channel,
                    )
                )
            ids.append(conversation.id)
    return ids


def _from_scratch(runtime: Runtime, campaign: Campaign) -> dict[tuple[str, str], Tally]:
    """The campaign's tallies recomputed from its stored answers with the core's pure functions."""
    tallies: dict[tuple[str, str], Tally] = {}
    with runtime.transaction() as session:
        conversations = session.scalars(
            select(Conversation).where(
                Conversation.campaign_id == campaign.id, Conversation.status == "completed"
            )
        ).all()
        for conversation in conversations:
            answers = {
                a.question_id: tuple(a.value) if isinstance(a.value, list) else a.value
                for a in session.scalars(select(Answer).where(Answer.conversation_id == conversation.id))
            }
            for indicator_id, score in score_conversation(QUESTIONNAIRE, answers).items():
                for segment in (
                    "all",
                    f"channel:{conversation.channel}",
                    f"language:{conversation.language}",
                ):
                    tallies[(indicator_id, segment)] = tallies.get((indicator_id, segment), Tally()).add(
                        score
                    )
    return tallies


def _stored(runtime: Runtime, campaign: Campaign) -> dict[tuple[str, str], Tally]:
    with runtime.transaction() as session:
        rows = session.scalars(select(CampaignAggregate).where(CampaignAggregate.campaign_id == campaign.id))
        return {(row.indicator_id, row.segment): Tally.from_json(row.tally) for row in rows}


def _assert_same(stored: dict[tuple[str, str], Tally], fresh: dict[tuple[str, str], Tally]) -> None:
    assert set(stored) == set(fresh)
    for key, tally in fresh.items():
        assert same_tally(stored[key], tally), key


def test_incremental_aggregates_equal_a_recomputation_and_a_second_run_changes_nothing(
    runtime: Runtime,
) -> None:
    campaign = make_campaign(runtime)
    rng = random.Random(7)
    ids = _completed(runtime, campaign, rng, 120)
    _completed(runtime, campaign, rng, 10, status="expired")
    # The first completion's job scores the whole campaign's backlog; the jobs behind it find it done.
    assert [score_job(i) for i in ids] == [len(ids)] + [0] * (len(ids) - 1)
    assert [score_job(i) for i in ids[:5]] == [0] * 5  # retried jobs: no double counting
    stored = _stored(runtime, campaign)
    _assert_same(stored, _from_scratch(runtime, campaign))
    assert (
        stored[("better_off", "all")].n + stored[("better_off", "all")].categories.get("excluded", 0) == 120
    )
    assert {segment for _, segment in stored} >= {"all", "channel:sms", "channel:web", "language:nl"}
    with runtime.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Score)) == 120 * 3
        assert (
            session.scalar(select(func.count(Conversation.id)).where(Conversation.scored_at.is_(None))) == 10
        )


def test_concurrent_scoring_jobs_lose_no_update(runtime: Runtime) -> None:
    campaign = make_campaign(runtime)
    ids = _completed(runtime, campaign, random.Random(11), 80)
    chunks = [ids[i::4] for i in range(4)] + [ids[::3]]  # the last thread duplicates others' jobs
    errors: list[BaseException] = []

    def work(chunk: list[int]) -> None:
        try:
            with use_runtime(runtime):
                for conversation_id in chunk:
                    score_job(conversation_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    _assert_same(_stored(runtime, campaign), _from_scratch(runtime, campaign))


def test_a_completion_through_the_conversation_service_is_scored(runtime: Runtime) -> None:
    campaign = make_campaign(runtime)
    service = ConversationService(runtime)
    for reply in ("PULSE", "yes", "1", "5", "1", "10"):
        service.handle(
            Inbound(
                channel="sms",
                address="+32470999999",
                external_id=f"SM{next(_sids)}",
                received_at=datetime.now(UTC),
                text=reply,
            )
        )
    stored = _stored(runtime, campaign)
    assert stored[("recommend", "all")].categories == {"promoter": 1}
    assert stored[("wellbeing", "channel:sms")].total == 100.0
    assert stored[("better_off", "language:fr")].categories == {"hit": 1}


def test_rescore_recomputes_from_the_answers_and_says_what_changed(runtime: Runtime, cli: Any) -> None:
    campaign = make_campaign(runtime)
    ids = _completed(runtime, campaign, random.Random(3), 30)
    for conversation_id in ids:
        score_job(conversation_id)
    result = cli("rescore", campaign.code)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{campaign.code}: 30 completed conversations, 90 scores, {len(_stored(runtime, campaign))} aggregates",
        "aggregates unchanged: they matched the stored answers",
    ]
    with runtime.transaction() as session:  # lose one completion's contribution, and one score
        session.execute(
            update(CampaignAggregate)
            .where(CampaignAggregate.indicator_id == "recommend", CampaignAggregate.segment == "all")
            .values(tally=Tally().to_json())
        )
        session.execute(update(Conversation).where(Conversation.id == ids[0]).values(scored_at=None))
    result = cli("rescore", campaign.code.lower())
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "aggregates changed: recommend@all"
    _assert_same(_stored(runtime, campaign), _from_scratch(runtime, campaign))
    with runtime.transaction() as session:
        assert (
            session.scalar(select(func.count(Conversation.id)).where(Conversation.scored_at.is_(None))) == 0
        )
    assert cli("rescore", "NOPE").output.strip() == "Error: no campaign with the code 'NOPE'"


def test_concurrent_batches_score_each_conversation_once_and_match_a_rescore(runtime: Runtime) -> None:
    campaign = make_campaign(runtime)
    ids = _completed(runtime, campaign, random.Random(13), 300)
    scored: list[int] = []
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        # Every thread offers every conversation, in its own order, in small batches: the batches claimed
        # at the same time must be disjoint, and the aggregate rows must take all of them.
        order = ids[:]
        random.Random(seed).shuffle(order)
        try:
            for conversation_id in order:
                with runtime.transaction() as session:
                    scored.append(score_batch(session, conversation_id, datetime.now(UTC), limit=17))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(scored) == len(ids)
    stored = _stored(runtime, campaign)
    _assert_same(stored, _from_scratch(runtime, campaign))
    with runtime.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Score)) == len(ids) * 3
        assert (
            session.scalar(select(func.count(Conversation.id)).where(Conversation.scored_at.is_(None))) == 0
        )
        report = rescore_campaign(session, session.get_one(Campaign, campaign.id), datetime.now(UTC))
    assert report.conversations == len(ids) and report.changed == ()


def test_a_burst_of_completions_enqueues_one_job_and_none_is_missed(redis_runtime: Runtime) -> None:
    runtime = redis_runtime
    assert runtime.redis is not None
    campaign = make_campaign(runtime)
    burst = _completed(runtime, campaign, random.Random(17), 40)
    offered = [offer_for_scoring(runtime, i, campaign.id) for i in burst]
    assert offered == [True] + [False] * 39  # the waiting job will claim all of them
    assert queued_jobs(runtime.redis) == 1
    drain(runtime)

    # A job that has started (taken the offers) coalesces nothing more: the next completion enqueues.
    take_offers(runtime, campaign.id)
    late = _completed(runtime, campaign, random.Random(19), 3)
    assert [offer_for_scoring(runtime, i, campaign.id) for i in late] == [True, False, False]
    drain(runtime)
    with runtime.transaction() as session:
        assert (
            session.scalar(select(func.count(Conversation.id)).where(Conversation.scored_at.is_(None))) == 0
        )
    _assert_same(_stored(runtime, campaign), _from_scratch(runtime, campaign))
