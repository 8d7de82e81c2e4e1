"""Scoring completed conversations into indicator scores and campaign aggregates, once each.

:func:`score_conversation` is the scoring job's body: under a lock on the conversation it scores the
stored answers with the core's pure functions, stores one :class:`~service.models.Score` per indicator,
adds them to the campaign's tallies and sets ``scored_at``, all in one transaction; ``scored_at`` makes a
second run (a retried or duplicated job) do nothing. :func:`rescore_campaign` recomputes a campaign from
its stored answers (after a definition fix, or to prove nothing was lost) and says what changed.
Only completed conversations count; expired ones keep their answers, flagged partial, unscored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from questionnaires.model import AnswerValue, Questionnaire
from questionnaires.scoring import Score as IndicatorScore
from questionnaires.scoring import Tally
from questionnaires.scoring import score_conversation as score_answers
from service.aggregates import add_scores, differences, load_tallies, segments_of
from service.definitions import definition
from service.models import (
    Answer,
    Campaign,
    CampaignAggregate,
    Conversation,
    ConversationStatus,
    QuestionnaireVersion,
    Score,
)

_BATCH = 500


@dataclass(frozen=True)
class RescoreReport:
    conversations: int
    scores: int
    aggregates: int
    changed: tuple[str, ...]
    """``indicator@segment`` tallies that differed from the stored ones before the rescore."""


def score_conversation(session: Session, conversation_id: int, now: datetime) -> bool:
    """Score one completed conversation; False when there is nothing to do (not completed, or scored)."""
    conversation = session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None or conversation.status != ConversationStatus.COMPLETED:
        return False
    if conversation.scored_at is not None:
        return False
    questionnaire = _questionnaire(session, conversation.campaign_id)
    scores = score_answers(questionnaire, _answers(session, [conversation.id]).get(conversation.id, {}))
    _store(session, conversation, scores, now)
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
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
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


def _store(
    session: Session, conversation: Conversation, scores: Mapping[str, IndicatorScore], now: datetime
) -> None:
    session.execute(delete(Score).where(Score.conversation_id == conversation.id))
    session.add_all(_score_rows(conversation.id, scores, now))
    add_scores(session, conversation.campaign_id, segments_of(conversation), scores, now=now)
    conversation.scored_at = now
    session.flush()
