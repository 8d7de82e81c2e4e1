"""Scoring completed conversations into indicator scores and campaign aggregates, once each.

:func:`score_batch` is the scoring job's body: it claims up to a batch of a campaign's unscored completed
conversations (the one the job is about first) with ``FOR UPDATE SKIP LOCKED``, so concurrent jobs take
disjoint batches, scores their stored answers with the core's pure functions, stores one
:class:`~service.models.Score` per indicator in one insert, merges the batch into one tally delta per
aggregate row, applies them in one locked pass and sets ``scored_at``, all in one transaction: a batch
costs about the statements one conversation used to, and the aggregate rows are locked once per batch
instead of once per completion. ``scored_at`` makes a second run (a retried or duplicated job) do
nothing. :func:`score_conversation` scores one given conversation the same way (demo data).

:func:`offer_for_scoring` is how a completion asks for scoring, after its commit: on RQ it enqueues a job
only when no job of the campaign is waiting to start (a Redis flag, ``SET NX``, that the job deletes
before its first claim), so a burst of completions enqueues one job, not thousands. A completion that
finds the flag set is committed before the waiting job deletes it, so that job's claims see it; one that
comes while a job runs finds no flag and enqueues the next job. The flag expires after
:data:`OFFER_TTL`, should its job be lost with Redis; the sweep offers what was left.

:func:`rescore_campaign` recomputes a campaign from its stored answers (after a definition fix, or to
prove nothing was lost) and says what changed. Only completed conversations count; expired ones keep
their answers, flagged partial, unscored.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis import Redis
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from questionnaires.model import AnswerValue, Questionnaire
from questionnaires.scoring import Score as IndicatorScore
from questionnaires.scoring import Tally
from questionnaires.scoring import score_conversation as score_answers
from service.aggregates import add_tallies, differences, load_tallies, segments_for, segments_of
from service.definitions import definition
from service.jobs import RedisJobs
from service.models import (
    Answer,
    Campaign,
    CampaignAggregate,
    Conversation,
    ConversationStatus,
    QuestionnaireVersion,
    Score,
)
from service.runtime import Runtime

SCORING_JOB = "workers.scoring.score_conversation"
OFFER_TTL = 300
"""Seconds a campaign's "a scoring job is waiting" flag lives if its job never takes it."""
BATCH = 500
"""Conversations scored per transaction: big enough to make the per-batch statements cheap, small enough
to keep a transaction (and what a killed worker loses) short."""
_UNNEST_SCORES = text(
    "INSERT INTO scores (conversation_id, indicator_id, value, category, computed_at) "
    "SELECT s.conversation_id, s.indicator_id, s.value, s.category, :computed_at FROM unnest("
    "CAST(:conversation_ids AS bigint[]), CAST(:indicator_ids AS varchar[]), "
    "CAST(:scores AS double precision[]), CAST(:categories AS varchar[])"
    ") AS s(conversation_id, indicator_id, value, category)"
)
"""A batch's scores in one statement of four array parameters, on PostgreSQL: an executemany sends one
INSERT per row, and a multi-row VALUES costs more to compile than to run."""


@dataclass(frozen=True)
class RescoreReport:
    conversations: int
    scores: int
    aggregates: int
    changed: tuple[str, ...]
    """``indicator@segment`` tallies that differed from the stored ones before the rescore."""


def score_batch(session: Session, conversation_id: int, now: datetime, *, limit: int = BATCH) -> int:
    """Score up to ``limit`` unscored completed conversations of ``conversation_id``'s campaign, it first.

    Rows another transaction holds (another job's batch) are skipped, not waited for. Returns how many
    were scored: 0 when there is nothing left to do (a duplicate job).
    """
    claimed = _claim(session, Conversation.id == conversation_id, limit=1)
    if claimed:
        campaign_id = claimed[0][1]
    else:
        found = campaign_of(session, conversation_id)
        if found is None:
            return 0
        campaign_id = found
    if len(claimed) < limit:
        claimed += _claim(
            session,
            Conversation.campaign_id == campaign_id,
            Conversation.id != conversation_id,
            limit=limit - len(claimed),
        )
    if claimed:
        _score_claimed(
            session, campaign_id, [(i, channel, language) for i, _, channel, language in claimed], now
        )
    return len(claimed)


def offer_for_scoring(runtime: Runtime, conversation_id: int, campaign_id: int) -> bool:
    """Ask for a completed conversation to be scored; False when a waiting job of its campaign will do it."""
    redis = _queue_redis(runtime)
    key = _offer_key(campaign_id)
    if redis is not None and not redis.set(key, conversation_id, nx=True, ex=OFFER_TTL):
        return False
    try:
        runtime.jobs.enqueue(SCORING_JOB, conversation_id, queue="scoring")
    except Exception:
        if redis is not None:
            with contextlib.suppress(Exception):
                redis.delete(key)
        raise
    return True


def take_offers(runtime: Runtime, campaign_id: int) -> None:
    """A scoring job starting: completions from now on must enqueue a job of their own."""
    redis = _queue_redis(runtime)
    if redis is not None:
        redis.delete(_offer_key(campaign_id))


def campaign_of(session: Session, conversation_id: int) -> int | None:
    """The campaign of a conversation (None if it is gone)."""
    return session.scalar(select(Conversation.campaign_id).where(Conversation.id == conversation_id))


def _queue_redis(runtime: Runtime) -> Redis | None:
    """Redis when jobs go to RQ; without it jobs run inline, at once, and nothing is coalesced."""
    return runtime.redis if isinstance(runtime.jobs, RedisJobs) else None


def _offer_key(campaign_id: int) -> str:
    return f"vises:scoring-offered:{campaign_id}"


def score_conversation(session: Session, conversation_id: int, now: datetime) -> bool:
    """Score one completed conversation; False when there is nothing to do (not completed, or scored)."""
    conversation = session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None or conversation.status != ConversationStatus.COMPLETED:
        return False
    if conversation.scored_at is not None:
        return False
    _score_claimed(
        session,
        conversation.campaign_id,
        [(conversation.id, conversation.channel, conversation.language)],
        now,
    )
    return True


def rescore_campaign(session: Session, campaign: Campaign, now: datetime) -> RescoreReport:
    """Recompute every completed conversation's scores and the campaign's tallies from the stored answers."""
    questionnaire = definition(session.get_one(QuestionnaireVersion, campaign.questionnaire_version_id))
    before = load_tallies(session, campaign.id)
    # Lock the campaign's completed conversations first: a scoring job running now waits, then finds its
    # conversation scored.
    ids = list(
        session.scalars(
            select(Conversation.id)
            .where(
                Conversation.campaign_id == campaign.id, Conversation.status == ConversationStatus.COMPLETED
            )
            .order_by(Conversation.id)
            .with_for_update()
        )
    )
    session.execute(delete(CampaignAggregate).where(CampaignAggregate.campaign_id == campaign.id))
    fresh: dict[tuple[str, str], Tally] = {}
    scored = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        answers = _answers(session, chunk)
        conversations = session.scalars(select(Conversation).where(Conversation.id.in_(chunk)))
        for conversation in conversations:
            scores = score_answers(questionnaire, answers.get(conversation.id, {}))
            session.execute(delete(Score).where(Score.conversation_id == conversation.id))
            session.add_all(_score_rows(conversation.id, scores, now))
            conversation.scored_at = now
            for segment in segments_of(conversation):
                for indicator_id, score in scores.items():
                    key = (indicator_id, segment)
                    fresh[key] = fresh.get(key, Tally.empty()).add(score)
            scored += len(scores)
        session.flush()
    session.add_all(
        CampaignAggregate(
            campaign_id=campaign.id,
            indicator_id=indicator_id,
            segment=segment,
            tally=tally.to_json(),
            updated_at=now,
        )
        for (indicator_id, segment), tally in sorted(fresh.items())
    )
    session.flush()
    return RescoreReport(
        conversations=len(ids),
        scores=scored,
        aggregates=len(fresh),
        changed=tuple(differences(before, fresh)),
    )


def _questionnaire(session: Session, campaign_id: int) -> Questionnaire:
    version = session.scalar(
        select(QuestionnaireVersion)
        .join(Campaign, Campaign.questionnaire_version_id == QuestionnaireVersion.id)
        .where(Campaign.id == campaign_id)
    )
    if version is None:
        raise LookupError(f"campaign {campaign_id} has no questionnaire version")
    return definition(version)


def _answers(session: Session, conversation_ids: Sequence[int]) -> dict[int, dict[str, AnswerValue]]:
    found: dict[int, dict[str, AnswerValue]] = {}
    rows = session.execute(
        select(Answer.conversation_id, Answer.question_id, Answer.value).where(
            Answer.conversation_id.in_(conversation_ids)
        )
    )
    for conversation_id, question_id, value in rows:
        if value is None:
            continue
        found.setdefault(conversation_id, {})[question_id] = (
            tuple(value) if isinstance(value, list) else value
        )
    return found


def _claim(session: Session, *where: Any, limit: int) -> list[tuple[int, int, str, str]]:
    """Lock unscored completed conversations matching ``where``, by id, skipping rows others hold."""
    rows = session.execute(
        select(Conversation.id, Conversation.campaign_id, Conversation.channel, Conversation.language)
        .where(
            *where,
            Conversation.status == ConversationStatus.COMPLETED,
            Conversation.scored_at.is_(None),
        )
        .order_by(Conversation.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _score_claimed(
    session: Session, campaign_id: int, claimed: Sequence[tuple[int, str, str]], now: datetime
) -> None:
    """Score locked conversations ``(id, channel, language)`` of one campaign: scores, tallies, scored_at."""
    questionnaire = _questionnaire(session, campaign_id)
    ids = [conversation_id for conversation_id, _, _ in claimed]
    answers = _answers(session, ids)
    rows: list[dict[str, Any]] = []
    grouped: dict[tuple[str, str], list[IndicatorScore]] = {}
    for conversation_id, channel, language in claimed:
        scores = score_answers(questionnaire, answers.get(conversation_id, {}))
        rows.extend(
            {
                "conversation_id": conversation_id,
                "indicator_id": indicator_id,
                "value": score.value,
                "category": score.category,
                "computed_at": now,
            }
            for indicator_id, score in scores.items()
        )
        for segment in segments_for(channel, language):
            for indicator_id, score in scores.items():
                grouped.setdefault((indicator_id, segment), []).append(score)
    # A score row without scored_at is a leftover (of a rescore rolled back halfway): replaced.
    session.execute(delete(Score).where(Score.conversation_id.in_(ids)))
    _insert_scores(session, rows, now)
    add_tallies(session, campaign_id, {key: Tally.of(scores) for key, scores in grouped.items()}, now=now)
    session.execute(update(Conversation).where(Conversation.id.in_(ids)).values(scored_at=now))
    session.flush()


def _insert_scores(session: Session, rows: Sequence[Mapping[str, Any]], now: datetime) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(Score), list(rows))
        return
    session.execute(
        _UNNEST_SCORES,
        {
            "conversation_ids": [row["conversation_id"] for row in rows],
            "indicator_ids": [row["indicator_id"] for row in rows],
            "scores": [row["value"] for row in rows],
            "categories": [row["category"] for row in rows],
            "computed_at": now,
        },
    )


def _score_rows(conversation_id: int, scores: Mapping[str, IndicatorScore], now: datetime) -> list[Score]:
    return [
        Score(
            conversation_id=conversation_id,
            indicator_id=indicator_id,
            value=score.value,
            category=score.category,
            computed_at=now,
        )
        for indicator_id, score in scores.items()
    ]
