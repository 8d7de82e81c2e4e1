"""The web survey's view of the database: which screen a browser is on, resume codes and the opt-out link.

Flask-free, like the conversation service, which keeps the only write path for answers. A browser is
known by a random token kept in a cookie; only its keyed hash (``IdentityVault.digest("web", token)``)
is stored or compared. A GET reads (:func:`current_screen`) and never creates anything: a conversation
starts when the consent screen is posted. The writes here are the web's own: a resume code shown to the
person, a resumed conversation attached to another browser, and the opt-out link.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from questionnaires import engine
from questionnaires.messages import message
from questionnaires.model import Questionnaire, QuestionType
from questionnaires.prompts import Texts
from questionnaires.replies import DEFAULT_MAX_LENGTH
from questionnaires.turns import Prompt, State
from service import respondents
from service.campaigns import CODE_ALPHABET, campaign_by_code
from service.definitions import definition
from service.identities import IdentityVault
from service.models import (
    Campaign,
    CampaignStatus,
    Conversation,
    ConversationStatus,
    Identity,
    Organization,
    QuestionnaireVersion,
)

CHANNEL: Final = "web"
RESUME_CODE_LENGTH: Final = 8
"""Characters of a resume code: 31 ** 8, about 8.5e11 codes, shown as ABCD-EFGH."""

_TOKEN: Final = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def new_browser_token() -> str:
    """The random token a browser keeps in its cookie (256 bits)."""
    return secrets.token_urlsafe(32)


def is_browser_token(value: str | None) -> bool:
    return bool(value) and _TOKEN.fullmatch(value or "") is not None


class Availability(enum.StrEnum):
    """Whether a campaign takes answers on the web form now, and if not, why."""

    OPEN = "open"
    UNKNOWN = "unknown"
    NOT_ON_WEB = "not_on_web"
    NOT_OPEN_YET = "not_open_yet"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True)
class Survey:
    """A campaign as its web form needs it."""

    campaign_id: int
    code: str
    organization_id: int
    organization_name: str
    questionnaire: Questionnaire
    default_language: str
    availability: Availability
    opens_at: datetime | None = None

    @property
    def variables(self) -> dict[str, str]:
        return {"org": self.organization_name}

    @property
    def languages(self) -> tuple[str, ...]:
        return self.questionnaire.languages

    def title(self, language: str) -> str:
        return Texts(self.questionnaire, language, self.variables).required(self.questionnaire.title)


def availability(campaign: Campaign, now: datetime) -> Availability:
    """Open when running, between its dates, and on the web channel."""
    if campaign.status == CampaignStatus.CLOSED or (campaign.closes_at and now >= campaign.closes_at):
        return Availability.CLOSED
    if "web" not in campaign.channels:
        return Availability.NOT_ON_WEB
    if campaign.status == CampaignStatus.PAUSED:
        return Availability.PAUSED
    if campaign.status == CampaignStatus.DRAFT or (campaign.opens_at and now < campaign.opens_at):
        return Availability.NOT_OPEN_YET
    return Availability.OPEN


def load_survey(session: Session, code: str, now: datetime) -> Survey | None:
    """The survey behind ``code``, or ``None`` when no campaign has that code."""
    if not code or len(code) > 32:
        return None
    campaign = campaign_by_code(session, code)
    if campaign is None:
        return None
    organization = session.get_one(Organization, campaign.organization_id)
    version = session.get_one(QuestionnaireVersion, campaign.questionnaire_version_id)
    return Survey(
        campaign_id=campaign.id,
        code=campaign.code,
        organization_id=organization.id,
        organization_name=organization.short_name,
        questionnaire=definition(version),
        default_language=campaign.default_language,
        availability=availability(campaign, now),
        opens_at=campaign.opens_at,
    )


class Stage(enum.StrEnum):
    """Where a browser stands in a survey."""

    CONSENT = "consent"
    QUESTION = "question"
    COMPLETED = "completed"
    REFUSED = "refused"
    OPTED_OUT = "opted_out"


@dataclass(frozen=True)
class Screen:
    """What to show a browser now: the consent, its current question, or how the survey ended."""

    stage: Stage
    language: str
    prompt: Prompt | None = None
    texts: tuple[str, ...] = ()
    """Consent: the introduction; an ending: what it says (thanks, goodbye)."""
    resume_code: str | None = None
    conversation_id: int | None = None
    restarted: bool = False
    """The consent is shown again because an earlier conversation timed out."""


def _identity(session: Session, vault: IdentityVault, survey: Survey, token: str) -> Identity | None:
    return session.scalar(
        select(Identity).where(
            Identity.organization_id == survey.organization_id,
            Identity.channel == CHANNEL,
            Identity.digest == vault.digest(CHANNEL, token),
        )
    )


def _latest_conversation(session: Session, survey: Survey, respondent_id: int) -> Conversation | None:
    return session.scalar(
        select(Conversation)
        .where(Conversation.campaign_id == survey.campaign_id, Conversation.respondent_id == respondent_id)
        .order_by(Conversation.attempt.desc())
        .limit(1)
    )


def browser_conversation(
    session: Session, vault: IdentityVault, survey: Survey, token: str | None
) -> Conversation | None:
    """The newest conversation of this browser's respondent in the survey (from any of their browsers)."""
    if not is_browser_token(token):
        return None
    identity = _identity(session, vault, survey, str(token))
    if identity is None:
        return None
    return _latest_conversation(session, survey, identity.respondent_id)


def consent_screen(survey: Survey, language: str, now: datetime, *, restarted: bool = False) -> Screen:
    """The first screen, built without storing anything: the introduction and the consent question."""
    turn = engine.start(survey.questionnaire, language, now, variables=survey.variables)
    return Screen(
        Stage.CONSENT, turn.state.language, prompt=turn.prompt, texts=turn.messages, restarted=restarted
    )


def current_screen(
    session: Session,
    vault: IdentityVault,
    survey: Survey,
    token: str | None,
    *,
    language: str,
    now: datetime,
) -> Screen:
    """The screen this browser is on; ``language`` is used only before a conversation exists."""
    if is_browser_token(token) and respondents.is_opted_out(
        session, survey.organization_id, CHANNEL, vault.digest(CHANNEL, str(token))
    ):
        return Screen(Stage.OPTED_OUT, language)
    conversation = browser_conversation(session, vault, survey, token)
    if conversation is None:
        return consent_screen(survey, language, now)
    spoken = conversation.language
    status = conversation.status
    if status == ConversationStatus.IN_PROGRESS:
        state = State.from_json(conversation.state)
        prompt = engine.current_prompt(survey.questionnaire, state, variables=survey.variables)
        if prompt is not None:
            stage = Stage.CONSENT if prompt.kind == "consent" else Stage.QUESTION
            return Screen(
                stage,
                state.language,
                prompt=prompt,
                resume_code=conversation.resume_code,
                conversation_id=conversation.id,
            )
    if status == ConversationStatus.COMPLETED:
        texts = Texts(survey.questionnaire, spoken, survey.variables)
        thanks = texts(survey.questionnaire.thanks) or message("thanks", spoken)
        return Screen(Stage.COMPLETED, spoken, texts=(thanks,), conversation_id=conversation.id)
    if status == ConversationStatus.REFUSED:
        return Screen(Stage.REFUSED, spoken, texts=(message("refused", spoken),))
    if status == ConversationStatus.OPTED_OUT:
        return Screen(Stage.OPTED_OUT, spoken)
    # Expired: the service lets the person start again. (In progress without a question to show can only
    # come from a definition changed under it; posting the consent lets the engine find the next question.)
    return consent_screen(survey, language, now, restarted=status == ConversationStatus.EXPIRED)


def text_limit(questionnaire: Questionnaire, question_id: str) -> int | None:
    """The longest answer a text question takes (the prompt does not say); ``None`` for other questions."""
    if not questionnaire.has_question(question_id):
        return None
    question = questionnaire.question(question_id)
    if question.type is not QuestionType.TEXT:
        return None
    return question.max_length or DEFAULT_MAX_LENGTH


def follow_browser(session: Session, vault: IdentityVault, survey: Survey, token: str) -> None:
    """Let the conversation continue on the browser that is answering now.

    After a resume code moved a conversation to another browser, the first browser still belongs to
    the same respondent; pointing the conversation at the identity that is posting lets the service
    find it (by identity) for every kind of step, "back" and language switches included.
    """
    identity = _identity(session, vault, survey, token)
    if identity is None:
        return
    conversation = _latest_conversation(session, survey, identity.respondent_id)
    if (
        conversation is not None
        and conversation.status == ConversationStatus.IN_PROGRESS
        and conversation.identity_id != identity.id
    ):
        conversation.identity_id = identity.id
        session.flush()


# --- resume codes ------------------------------------------------------------------------------------


def format_resume_code(code: str) -> str:
    """ABCDEFGH as the person reads and types it: ABCD-EFGH."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalize_resume_code(typed: str) -> str | None:
    """A typed code without spaces or dashes, upper-cased; ``None`` if it can't be one of ours."""
    cleaned = "".join(ch for ch in typed.upper() if ch.isalnum())
    if len(cleaned) != RESUME_CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def ensure_resume_code(session: Session, conversation_id: int) -> str | None:
    """The conversation's resume code, drawn once (for conversations in progress only)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.status != ConversationStatus.IN_PROGRESS:
        return None
    if conversation.resume_code:
        return conversation.resume_code
    for _ in range(5):
        candidate = "".join(secrets.choice(CODE_ALPHABET) for _ in range(RESUME_CODE_LENGTH))
        try:
            with session.begin_nested():
                conversation.resume_code = candidate
                session.flush()
        except IntegrityError:
            conversation.resume_code = None
            continue
        return candidate
    raise RuntimeError("could not draw a free resume code")


@dataclass(frozen=True)
class Resumed:
    """A resume code was accepted; ``token`` is the browser's token from now on."""

    conversation_id: int
    token: str


def resume(
    session: Session, vault: IdentityVault, survey: Survey, typed_code: str, token: str | None
) -> Resumed | None:
    """Attach the conversation in progress with this resume code to this browser, or ``None``.

    The browser becomes another identity of the conversation's respondent. A browser already known as
    another respondent of the organization gets a fresh token, so that nothing of the two people mixes.
    """
    code = normalize_resume_code(typed_code)
    if code is None:
        return None
    conversation = session.scalar(
        select(Conversation)
        .where(
            Conversation.resume_code == code,
            Conversation.campaign_id == survey.campaign_id,
            Conversation.status == ConversationStatus.IN_PROGRESS,
        )
        .with_for_update()
    )
    if conversation is None:
        return None
    identity = _identity(session, vault, survey, str(token)) if is_browser_token(token) else None
    if identity is None or identity.respondent_id != conversation.respondent_id:
        if identity is not None or not is_browser_token(token):
            token = new_browser_token()
        identity = respondents.identity_for(
            session,
            vault,
            survey.organization_id,
            CHANNEL,
            str(token),
            respondent_id=conversation.respondent_id,
        )
    conversation.identity_id = identity.id
    session.flush()
    return Resumed(conversation.id, str(token))


def opt_out(session: Session, vault: IdentityVault, survey: Survey, token: str, now: datetime) -> bool:
    """The "I don't want to answer" link: this browser opts out of the organization's web surveys."""
    return respondents.opt_out(
        session,
        [survey.organization_id],
        CHANNEL,
        vault.digest(CHANNEL, token),
        source="web_link",
        now=now,
    )
