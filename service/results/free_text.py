"""Free-text answers for the staff allowed to read them: question, language and date, never who wrote it.

Only the answer, its question, the conversation's language and the day it was given are read: no
respondent id, no identity, no phone number. Every page read is written to the audit trail
("read_free_text": who, which campaign, which question, how many answers), never the text itself.
Answers erased on request (a null value) are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from questionnaires.model import Question, Questionnaire, QuestionType
from questionnaires.prompts import Texts
from service import audit
from service.audit import Action
from service.models import Answer, AuditEvent, Campaign, Conversation

PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class FreeTextAnswer:
    question_id: str
    question: str
    language: str
    day: date
    text: str


@dataclass(frozen=True, slots=True)
class FreeTextPage:
    answers: tuple[FreeTextAnswer, ...]
    total: int
    page: int
    pages: int
    questions: tuple[tuple[str, str], ...]
    """(question id, question text) of every free-text question, for the filter."""


def text_questions(questionnaire: Questionnaire) -> list[Question]:
    return [q for q in questionnaire.questions if q.type is QuestionType.TEXT]


def free_text_page(
    session: Session,
    campaign_id: int,
    questionnaire: Questionnaire,
    language: str,
    variables: dict[str, str],
    *,
    question_id: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> FreeTextPage:
    """One page of free-text answers, newest first, optionally for one question."""
    texts = Texts(questionnaire, language, variables)
    questions = {q.id: texts.required(q.text) for q in text_questions(questionnaire)}
    wanted = [question_id] if question_id in questions else list(questions)
    conditions = (
        Conversation.campaign_id == campaign_id,
        Answer.is_free_text.is_(True),
        Answer.question_id.in_(wanted),
        Answer.value.is_not(None),
    )
    total = int(
        session.scalar(
            select(func.count())
            .select_from(Answer)
            .join(Conversation, Conversation.id == Answer.conversation_id)
            .where(*conditions)
        )
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(Answer.question_id, Conversation.language, Answer.answered_at, Answer.value)
        .join(Conversation, Conversation.id == Answer.conversation_id)
        .where(*conditions)
        .order_by(Answer.answered_at.desc(), Answer.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    answers = tuple(
        FreeTextAnswer(qid, questions.get(qid, qid), answer_language, answered_at.date(), str(value))
        for qid, answer_language, answered_at, value in rows
        if value is not None and str(value).strip()
    )
    return FreeTextPage(answers, total, page, pages, tuple(questions.items()))


def record_reading(
    session: Session,
    campaign: Campaign,
    user_id: int | None,
    *,
    question_id: str | None,
    page: int,
    shown: int,
) -> AuditEvent:
    """The audit trail's "read_free_text" event for one page shown (what was read, not the text)."""
    return audit.record(
        session,
        campaign.organization_id,
        Action.READ_FREE_TEXT,
        user_id=user_id,
        target_type="campaign",
        target_id=campaign.code,
        details={"question": question_id or "all", "page": page, "answers": shown},
    )
