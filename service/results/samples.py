"""Generated answers for the demo: plausible, reproducible conversations, scored like real ones.

A seeded :class:`random.Random` draws each conversation's channel, language, status and answers, so the
same seed gives the same distributions on every run. Answers lean positive, as satisfaction surveys do;
SMS respondents lean a little less, so the mode-effects section has something to say. Skip logic is
respected, free-text answers are short harmless phrases, and nobody gets a phone number.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires.model import AnswerValue, Question, Questionnaire, QuestionType
from questionnaires.visibility import is_visible
from service.accounts import create_organization, create_user, join_federation
from service.campaigns import change_status, create_campaign
from service.definitions import definition, register_shipped
from service.models import (
    STATUS_RANK,
    Answer,
    Campaign,
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    Identity,
    MessageKind,
    Organization,
    OutboundMessage,
    OutboundStatus,
    Respondent,
    Role,
    User,
)
from service.scores import rescore_campaign, score_conversation

STATUS_WEIGHTS: Mapping[str, float] = {
    ConversationStatus.COMPLETED: 0.78,
    ConversationStatus.IN_PROGRESS: 0.05,
    ConversationStatus.EXPIRED: 0.10,
    ConversationStatus.OPTED_OUT: 0.03,
    ConversationStatus.REFUSED: 0.04,
}
LANGUAGE_WEIGHTS: Mapping[str, float] = {"fr": 0.55, "nl": 0.35, "en": 0.10}
CHANNEL_WEIGHTS: Mapping[str, float] = {"web": 0.35, "sms": 0.40, "whatsapp": 0.05, "telegram": 0.20}

CHANGES: Mapping[str, Sequence[str]] = {
    "fr": (
        "Je vois plus de monde",
        "J'ai repris confiance",
        "Des horaires plus souples",
        "J'ai appris un métier",
    ),
    "nl": ("Ik zie meer mensen", "Meer zelfvertrouwen", "Flexibelere uren", "Ik heb een vak geleerd"),
    "en": ("I meet more people", "More self-confidence", "More flexible hours", "I learned a trade"),
}
PROBLEMS: Mapping[str, Sequence[str]] = {
    "fr": ("Le trajet est long", "Trop d'attente", "Horaires peu pratiques"),
    "nl": ("De verplaatsing is lang", "Te lang wachten", "Onhandige uren"),
    "en": ("The journey is long", "Too much waiting", "Awkward opening hours"),
}
CONTRIBUTIONS: Mapping[str, Sequence[str]] = {
    "fr": ("Des emplois locaux", "Un lieu de rencontre", "Moins de déchets"),
    "nl": ("Lokale jobs", "Een ontmoetingsplek", "Minder afval"),
    "en": ("Local jobs", "A place to meet", "Less waste"),
}
PHRASES: Mapping[str, Mapping[str, Sequence[str]]] = {"A6b": PROBLEMS, "C9": CONTRIBUTIONS}
"""Short free-text answers by question id of the shipped questionnaires; others get :data:`CHANGES`."""


@dataclass(frozen=True)
class Profile:
    """How a group of respondents leans: ``positive`` from 0 (indifferent) to 1 (enthusiastic)."""

    positive: float = 0.65


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def draw_answer(
    question: Question, rng: random.Random, language: str, profile: Profile
) -> AnswerValue | None:
    """One plausible answer to a question (None for a skipped optional question)."""
    lean = profile.positive
    if not question.required and rng.random() < 0.25:
        return None
    if question.type is QuestionType.SINGLE_CHOICE:
        # The first choices are the positive ones in the shipped questionnaires: weigh them more.
        weights = [(1 - lean / 1.6) ** i for i in range(len(question.choices))]
        return rng.choices([c.code for c in question.choices], weights=weights)[0]
    if question.type is QuestionType.MULTIPLE_CHOICE:
        chosen = tuple(c.code for c in question.choices if rng.random() < 0.35)
        return chosen or (question.choices[0].code,)
    if question.type is QuestionType.YES_NO:
        return "yes" if rng.random() < 0.35 + lean / 3 else "no"
    if question.type in (QuestionType.SCALE, QuestionType.INTEGER, QuestionType.NUMBER):
        low = question.minimum if question.minimum is not None else 0.0
        high = question.maximum if question.maximum is not None else 10.0
        # Skewed towards the top of the scale, more so for a positive group (mean about 78% of the range).
        value = high - (high - low) * rng.betavariate(1.3, 1.5 + 5 * lean)
        if question.type is QuestionType.NUMBER:
            return round(value, 1)
        return round(value)
    if question.type is QuestionType.TEXT:
        phrases = PHRASES.get(question.id, CHANGES)
        return rng.choice(phrases.get(language, phrases["en"]))
    return None


def draw_answers(
    questionnaire: Questionnaire, rng: random.Random, language: str, profile: Profile
) -> dict[str, AnswerValue]:
    """A full set of answers, following the questionnaire's skip logic."""
    answers: dict[str, AnswerValue] = {}
    for question in questionnaire.questions:
        if not question.answerable or not is_visible(question, answers):
            continue
        value = draw_answer(question, rng, language, profile)
        if value is not None:
            answers[question.id] = value
    return answers


def store_conversation(
    session: Session,
    campaign: Campaign,
    questionnaire: Questionnaire,
    *,
    respondent_id: int,
    channel: str,
    language: str,
    status: str,
    answers: Mapping[str, AnswerValue],
    started_at: datetime,
    completed_at: datetime | None = None,
    score: bool = True,
    attempt: int = 1,
) -> Conversation:
    """Store one conversation with its answers; a completed one is scored like the scoring job does."""
    ended = completed_at or started_at + timedelta(minutes=6)
    conversation = Conversation(
        campaign_id=campaign.id,
        respondent_id=respondent_id,
        attempt=attempt,
        channel=channel,
        language=language,
        status=status,
        state={},
        partial=status == ConversationStatus.EXPIRED,
        started_at=started_at,
        updated_at=ended,
        completed_at=ended if status == ConversationStatus.COMPLETED else None,
        expired_at=ended if status == ConversationStatus.EXPIRED else None,
    )
    session.add(conversation)
    session.flush()
    for index, (question_id, value) in enumerate(answers.items()):
        question = questionnaire.question(question_id)
        session.add(
            Answer(
                conversation_id=conversation.id,
                question_id=question_id,
                value=list(value) if isinstance(value, tuple) else value,
                is_free_text=question.type is QuestionType.TEXT,
                channel=channel,
                answered_at=started_at + timedelta(seconds=30 * (index + 1)),
            )
        )
    session.flush()
    if score and status == ConversationStatus.COMPLETED:
        # Scored by the same code as the scoring job, so demo aggregates are real aggregates.
        score_conversation(session, conversation.id, ended)
    session.flush()
    return conversation


INVITED_CHANNELS = ("sms", "telegram")
"""Channels on which the demo's respondents were invited (web respondents came through a link, WhatsApp
respondents by sending the keyword: WhatsApp lets a business write first only with approved templates)."""


def invite(
    session: Session,
    campaign: Campaign,
    respondent_id: int,
    channel: str,
    language: str,
    *,
    reached: bool,
    at: datetime,
) -> None:
    """A contact invited on ``channel``, with its invitation delivered (or failed): no real address, only a
    made-up keyed hash, so the demo holds no phone number."""
    identity = Identity(
        organization_id=campaign.organization_id,
        respondent_id=respondent_id,
        channel=channel,
        digest=hashlib.sha256(f"demo:{campaign.id}:{respondent_id}:{channel}".encode()).hexdigest(),
    )
    session.add(identity)
    session.flush()
    contact = Contact(
        campaign_id=campaign.id,
        respondent_id=respondent_id,
        identity_id=identity.id,
        channel=channel,
        language=language,
        status=ContactStatus.INVITED if reached else ContactStatus.FAILED,
        created_at=at,
    )
    session.add(contact)
    session.flush()
    status = OutboundStatus.DELIVERED if reached else OutboundStatus.FAILED
    session.add(
        OutboundMessage(
            organization_id=campaign.organization_id,
            campaign_id=campaign.id,
            contact_id=contact.id,
            identity_id=identity.id,
            channel=channel,
            kind=MessageKind.INVITATION,
            language=language,
            status=status,
            status_rank=STATUS_RANK[status],
            created_at=at,
            updated_at=at,
            sent_at=at if reached else None,
        )
    )


def new_respondent(session: Session, organization_id: int) -> int:
    respondent = Respondent(organization_id=organization_id, pseudonym=secrets.token_hex(16))
    session.add(respondent)
    session.flush()
    return respondent.id


def seed_answers(
    session: Session,
    campaign: Campaign,
    questionnaire: Questionnaire,
    *,
    count: int,
    seed: int,
    now: datetime,
    days: int = 30,
    profile: Profile | None = None,
    respondent_ids: Sequence[int] | None = None,
    invitations: bool = False,
) -> list[Conversation]:
    """``count`` generated conversations spread over the last ``days`` days (reusing respondents if given).

    With ``invitations``, people answering by SMS, Telegram or WhatsApp were invited there first, and as
    many again were invited without answering (a few invitations failed), so the funnel has a response rate.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    profile = profile or Profile()
    channels = {c: w for c, w in CHANNEL_WEIGHTS.items() if c in campaign.channels} or {"web": 1.0}
    languages = {lang: w for lang, w in LANGUAGE_WEIGHTS.items() if lang in questionnaire.languages}
    stored = []
    for index in range(count):
        channel = _weighted(rng, channels)
        language = _weighted(rng, languages)
        status = _weighted(rng, STATUS_WEIGHTS)
        # SMS respondents lean a little less positive: a visible, plausible mode effect for the demo.
        leaning = Profile(max(0.0, profile.positive - (0.25 if channel == "sms" else 0.0)))
        answers = draw_answers(questionnaire, rng, language, leaning)
        if status == ConversationStatus.REFUSED:
            answers = {}
        elif status != ConversationStatus.COMPLETED:
            kept = rng.randint(0, max(0, len(answers) - 1))
            answers = dict(list(answers.items())[:kept])
        started_at = now - timedelta(days=rng.uniform(0, days))
        respondent_id = (
            respondent_ids[index]
            if respondent_ids is not None and index < len(respondent_ids)
            else new_respondent(session, campaign.organization_id)
        )
        stored.append(
            store_conversation(
                session,
                campaign,
                questionnaire,
                respondent_id=respondent_id,
                channel=channel,
                language=language,
                status=status,
                answers=answers,
                started_at=started_at,
                completed_at=started_at + timedelta(minutes=rng.uniform(2, 15)),
                score=False,
            )
        )
        if invitations and channel in INVITED_CHANNELS:
            invite(
                session,
                campaign,
                respondent_id,
                channel,
                language,
                reached=True,
                at=started_at - timedelta(hours=2),
            )
    if invitations:
        invited_channels = [c for c in channels if c in INVITED_CHANNELS]
        for _ in range(count // 2 if invited_channels else 0):
            channel = rng.choice(invited_channels)
            respondent_id = new_respondent(session, campaign.organization_id)
            at = now - timedelta(days=rng.uniform(days / 2, days))
            invite(
                session,
                campaign,
                respondent_id,
                channel,
                _weighted(rng, languages),
                reached=rng.random() > 0.06,
                at=at,
            )
    # One pass over the campaign, as ``vises rescore`` does: far faster than one scoring job each.
    rescore_campaign(session, campaign, now)
    return stored


@dataclass(frozen=True)
class DemoResults:
    campaigns: list[Campaign]
    """The organization's closed campaigns with generated answers, the richest first."""
    federation_email: str | None


RESULTS_PREFIX = "Demo results"
MEMBERS = (
    # slug, name, shares its name with the federation, conversations, seed
    ("ressourcerie-du-parc", "Ressourcerie du Parc", True, 70, 21),
    ("epicerie-nord", "Épicerie solidaire Nord", False, 55, 22),
    ("petit-atelier", "Petit Atelier", False, 4, 23),
)


def seed_demo_results(
    session: Session,
    organization: Organization,
    *,
    federation: Organization | None,
    now: datetime,
    federation_email: str | None = None,
    password: str | None = None,
) -> DemoResults:
    """Closed campaigns with generated answers (a beneficiaries survey, insertion workers at entry and at
    exit, linked for before/after), and, in the federation, three more members using the same survey."""
    existing = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.organization_id == organization.id, Campaign.name.startswith(RESULTS_PREFIX))
            .order_by(Campaign.id)
        )
    )
    if existing:
        return DemoResults(existing, federation_email)
    channels = ["web", "sms", "telegram"]

    def closed_campaign(owner: Organization, questionnaire_id: str, name: str, **options: Any) -> Campaign:
        version = register_shipped(session, owner, questionnaire_id)
        campaign = create_campaign(session, owner, version, name=name, channels=channels, **options)
        change_status(session, campaign, "start", now=now - timedelta(days=60))
        change_status(session, campaign, "close", now=now - timedelta(days=1))
        return campaign

    beneficiaries = closed_campaign(organization, "beneficiaries", f"{RESULTS_PREFIX}: beneficiaries 2026")
    seed_answers(
        session,
        beneficiaries,
        definition(beneficiaries.questionnaire_version),
        count=320,
        seed=11,
        now=now,
        days=45,
    )

    entry = closed_campaign(
        organization, "insertion-workers", f"{RESULTS_PREFIX}: insertion workers at entry"
    )
    workers = definition(entry.questionnaire_version)
    at_entry = seed_answers(
        session,
        entry,
        workers,
        count=110,
        seed=12,
        now=now - timedelta(days=120),
        days=20,
        profile=Profile(0.35),
    )
    exit_ = closed_campaign(
        organization,
        "insertion-workers",
        f"{RESULTS_PREFIX}: insertion workers at exit",
        baseline_campaign_id=entry.id,
    )
    returning = [c.respondent_id for c in at_entry if c.status == ConversationStatus.COMPLETED][:75]
    seed_answers(
        session,
        exit_,
        workers,
        count=90,
        seed=13,
        now=now,
        days=20,
        profile=Profile(0.7),
        respondent_ids=returning,
    )

    if federation is not None:
        for slug, name, named, count, seed in MEMBERS:
            member = session.scalar(select(Organization).where(Organization.slug == slug))
            if member is None:
                member = create_organization(session, slug, name=name, short_name=name[:20])
                member.share_name_with_federations = named
                join_federation(session, member, federation.slug)
            campaign = closed_campaign(member, "beneficiaries", f"{RESULTS_PREFIX}: beneficiaries ({name})")
            seed_answers(
                session,
                campaign,
                definition(campaign.questionnaire_version),
                count=count,
                seed=seed,
                now=now,
                days=40,
            )
        if federation_email and password:
            exists = session.scalar(select(User.id).where(User.email == federation_email))
            if exists is None:
                create_user(
                    session, federation, federation_email, password, name="Demo federation", role=Role.OWNER
                )
    return DemoResults([beneficiaries, exit_, entry], federation_email)
