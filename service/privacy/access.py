"""What we hold about a person, for them to see: on their own channel, or as a file staff hand over.

:func:`collect` reads everything one organization holds about some respondents (their identities as
"how stored", never the address; their contact-list entries, names decrypted; each conversation with
its consent and answers, labelled in the person's language; their opt-outs). :func:`channel_texts`
turns it into a few short messages for SMS or Telegram, cut between answers; :func:`write_csv` into
a CSV file (UTF-8 with a byte-order mark, so spreadsheet programs read the accents).
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires.messages import message
from questionnaires.model import Questionnaire, translate
from service.definitions import definition
from service.identities import IdentityDecryptError, IdentityVault
from service.models import (
    Answer,
    Campaign,
    ConsentRecord,
    Contact,
    Conversation,
    Identity,
    OptOut,
    Organization,
    QuestionnaireVersion,
)

TEXT_LIMITS = {"sms": 600, "whatsapp": 1200, "telegram": 3500}
"""Characters per message: a few SMS segments, well under Telegram's 4096."""
MAX_MESSAGES = {"sms": 6, "whatsapp": 6, "telegram": 10}
QUESTION_LIMIT = {"sms": 60, "whatsapp": 90}
"""Question texts are shortened on paid channels; the answer is always given whole."""
IDENTITY_KINDS = {
    "sms": "phone number (SMS)",
    "whatsapp": "phone number (WhatsApp)",
    "phone": "phone number (Telegram invitation)",
    "telegram": "Telegram chat",
    "web": "web browser",
}


@dataclass(frozen=True, slots=True)
class AnswerItem:
    question_id: str
    question: str
    answer: str
    is_free_text: bool
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class ConversationItem:
    campaign_code: str
    title: str
    channel: str
    language: str
    status: str
    started_at: datetime
    completed_at: datetime | None
    consent: tuple[str, bool, datetime] | None
    """(consent version, given, when)"""
    answers: tuple[AnswerItem, ...]


@dataclass(frozen=True, slots=True)
class ContactItem:
    campaign_code: str
    title: str
    channel: str
    language: str
    status: str
    name: str | None
    reference: str | None
    added_at: datetime


@dataclass(frozen=True, slots=True)
class IdentityItem:
    channel: str
    encrypted: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OptOutItem:
    channel: str
    source: str
    opted_out_at: datetime
    opted_in_at: datetime | None


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Everything one organization holds about a request's respondents."""

    organization: str
    identities: tuple[IdentityItem, ...]
    contacts: tuple[ContactItem, ...]
    conversations: tuple[ConversationItem, ...]
    opt_outs: tuple[OptOutItem, ...]

    @property
    def answer_count(self) -> int:
        return sum(len(item.answers) for item in self.conversations)


def collect(
    session: Session,
    vault: IdentityVault,
    organization: Organization,
    respondent_ids: Collection[int],
    language: str,
) -> PersonalData:
    """Read what ``organization`` holds about these respondents, labelled in ``language``."""
    from questionnaires.prompts import describe_answer

    ids = sorted(set(respondent_ids))
    org = organization.short_name
    versions: dict[int, Questionnaire] = {}

    def questionnaire_of(campaign: Campaign) -> Questionnaire:
        if campaign.questionnaire_version_id not in versions:
            version = session.get_one(QuestionnaireVersion, campaign.questionnaire_version_id)
            versions[campaign.questionnaire_version_id] = definition(version)
        return versions[campaign.questionnaire_version_id]

    def title_of(campaign: Campaign) -> str:
        questionnaire = questionnaire_of(campaign)
        return translate(questionnaire.title, language, questionnaire.default_language).replace("{org}", org)

    identities = tuple(
        IdentityItem(identity.channel, identity.ciphertext is not None, identity.created_at)
        for identity in session.scalars(
            select(Identity)
            .where(Identity.respondent_id.in_(ids), Identity.erased_at.is_(None))
            .order_by(Identity.id)
        )
    )
    digests = list(
        session.execute(
            select(Identity.channel, Identity.digest).where(
                Identity.respondent_id.in_(ids), Identity.erased_at.is_(None)
            )
        ).all()
    )

    contacts = []
    for contact, campaign in session.execute(
        select(Contact, Campaign)
        .join(Campaign, Campaign.id == Contact.campaign_id)
        .where(Contact.respondent_id.in_(ids))
        .order_by(Contact.id)
    ):
        name = None
        if contact.name_ciphertext is not None:
            try:
                name = vault.decrypt(contact.name_ciphertext)
            except IdentityDecryptError:
                name = None
        contacts.append(
            ContactItem(
                campaign.code,
                title_of(campaign),
                contact.channel,
                contact.language,
                contact.status,
                name,
                contact.reference,
                contact.created_at,
            )
        )

    conversations = []
    for conversation, campaign in session.execute(
        select(Conversation, Campaign)
        .join(Campaign, Campaign.id == Conversation.campaign_id)
        .where(Conversation.respondent_id.in_(ids))
        .order_by(Conversation.started_at, Conversation.id)
    ):
        questionnaire = questionnaire_of(campaign)
        consent = session.execute(
            select(ConsentRecord.consent_version, ConsentRecord.given, ConsentRecord.recorded_at)
            .where(ConsentRecord.conversation_id == conversation.id)
            .order_by(ConsentRecord.recorded_at.desc())
            .limit(1)
        ).first()
        answers = []
        for answer in session.scalars(
            select(Answer)
            .where(Answer.conversation_id == conversation.id)
            .order_by(Answer.answered_at, Answer.id)
        ):
            answers.append(_answer_item(questionnaire, answer, language, org, describe_answer))
        conversations.append(
            ConversationItem(
                campaign.code,
                title_of(campaign),
                conversation.channel,
                conversation.language,
                conversation.status,
                conversation.started_at,
                conversation.completed_at,
                (consent[0], bool(consent[1]), consent[2]) if consent else None,
                tuple(answers),
            )
        )

    opt_outs: list[OptOutItem] = []
    if digests:
        for pair_channel, pair_digest in digests:
            opt_outs.extend(
                OptOutItem(row.channel, row.source, row.opted_out_at, row.opted_in_at)
                for row in session.scalars(
                    select(OptOut)
                    .where(
                        OptOut.organization_id == organization.id,
                        OptOut.channel == pair_channel,
                        OptOut.digest == pair_digest,
                    )
                    .order_by(OptOut.opted_out_at)
                )
            )
    return PersonalData(
        organization.short_name, identities, tuple(contacts), tuple(conversations), tuple(opt_outs)
    )


def _answer_item(
    questionnaire: Questionnaire, answer: Answer, language: str, org: str, describe: Any
) -> AnswerItem:
    if questionnaire.has_question(answer.question_id):
        question = questionnaire.question(answer.question_id)
        text = translate(question.text, language, questionnaire.default_language).replace("{org}", org)
        if answer.value is None:
            shown = "-"
        else:
            value = tuple(answer.value) if isinstance(answer.value, list) else answer.value
            shown = str(describe(questionnaire, question, value, language))
    else:
        text, shown = answer.question_id, "-" if answer.value is None else str(answer.value)
    return AnswerItem(answer.question_id, text, shown, answer.is_free_text, answer.answered_at)


# --- on the person's channel ---------------------------------------------------------------------------


def _shorten(text: str, limit: int | None) -> str:
    text = " ".join(text.split())
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - 3].rstrip() + "..."


def channel_texts(data: Sequence[PersonalData], language: str, channel: str) -> tuple[str, ...]:
    """A few messages with every answer, one block per questionnaire, cut between answers."""
    limit = TEXT_LIMITS.get(channel, TEXT_LIMITS["telegram"])
    question_limit = QUESTION_LIMIT.get(channel)
    lines: list[str] = []
    for held in data:
        lines.append(message("privacy.access_header", language, org=held.organization))
        if not held.conversations:
            lines.append(message("privacy.no_answers", language))
        for item in held.conversations:
            lines.append(f"{_shorten(item.title, question_limit)} ({item.started_at.date().isoformat()})")
            if not item.answers:
                lines.append(message("privacy.no_answers", language))
            lines.extend(
                f"- {_shorten(answer.question, question_limit)}: {answer.answer}" for answer in item.answers
            )
    lines.append(message("privacy.access_footer", language))
    texts: list[str] = []
    for line in lines:
        for piece in _pieces(line, limit):
            if texts and len(texts[-1]) + 1 + len(piece) <= limit:
                texts[-1] = f"{texts[-1]}\n{piece}"
            else:
                texts.append(piece)
    cap = MAX_MESSAGES.get(channel, MAX_MESSAGES["telegram"])
    if len(texts) > cap:
        org = ", ".join(dict.fromkeys(held.organization for held in data))
        texts = [*texts[: cap - 1], message("privacy.access_more", language, org=org)]
    return tuple(texts)


def _pieces(line: str, limit: int) -> list[str]:
    """A line longer than a message (a long free text) cut at spaces."""
    pieces = []
    rest = line
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return pieces


# --- as a file -------------------------------------------------------------------------------------------

HEADERS = {
    "en": ("section", "campaign", "questionnaire", "channel", "language", "status", "item", "value", "when"),
    "fr": ("rubrique", "campagne", "questionnaire", "canal", "langue", "statut", "élément", "valeur", "date"),
    "nl": ("rubriek", "campagne", "vragenlijst", "kanaal", "taal", "status", "onderdeel", "waarde", "datum"),
}


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def write_csv(data: PersonalData, stream: IO[str], language: str) -> int:
    """The person's data as CSV rows (one per fact); returns the number of rows after the header."""
    writer = csv.writer(stream)
    writer.writerow(HEADERS.get(language, HEADERS["en"]))
    rows: list[tuple[str, ...]] = []
    for identity in data.identities:
        stored = "encrypted and keyed hash" if identity.encrypted else "keyed hash only"
        rows.append(
            (
                "identity",
                "",
                "",
                identity.channel,
                "",
                "",
                IDENTITY_KINDS.get(identity.channel, identity.channel),
                stored,
                _when(identity.created_at),
            )
        )
    for contact in data.contacts:
        base = (
            "contact",
            contact.campaign_code,
            contact.title,
            contact.channel,
            contact.language,
            contact.status,
        )
        rows.append((*base, "added to the invitation list", "", _when(contact.added_at)))
        if contact.name:
            rows.append((*base, "name", contact.name, ""))
        if contact.reference:
            rows.append((*base, "reference", contact.reference, ""))
    for item in data.conversations:
        base = ("conversation", item.campaign_code, item.title, item.channel, item.language, item.status)
        rows.append((*base, "started", "", _when(item.started_at)))
        if item.completed_at:
            rows.append((*base, "completed", "", _when(item.completed_at)))
        if item.consent:
            version, given, at = item.consent
            rows.append((*base, f"consent (version {version})", "given" if given else "refused", _when(at)))
        for answer in item.answers:
            rows.append(("answer", *base[1:], answer.question, answer.answer, _when(answer.answered_at)))
    for opt_out in data.opt_outs:
        state = "ended" if opt_out.opted_in_at else "active"
        rows.append(
            ("opt_out", "", "", opt_out.channel, "", state, opt_out.source, "", _when(opt_out.opted_out_at))
        )
    writer.writerows(rows)
    return len(rows)
