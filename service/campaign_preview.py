"""What respondents will receive, question by question and channel by channel, and what SMS will cost.

The SMS text is the core's own rendering (``plaintext.render_text``) with ``{org}`` filled with
the organization's short name and, when the campaign asks for it, transliterated to GSM-7; its
encoding and segment count come from ``segments.count_segments``. Telegram shows the same prompt
with one button per answer; the web form shows it as one form field. The estimate multiplies,
language by language, the SMS contacts by the segments of a complete conversation (intro,
consent, every question, thanks; reminders and the respondent's own replies are not counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from questionnaires.messages import message
from questionnaires.model import Questionnaire, QuestionType
from questionnaires.plaintext import render_text
from questionnaires.prompts import Texts, consent_prompt, question_prompt
from questionnaires.segments import count_segments, non_gsm_characters, transliterate
from questionnaires.turns import Prompt
from service.models import Campaign, Contact, Organization

TELEGRAM_SCALE_BUTTONS = 11
"""A scale with at most this many whole values is offered as buttons on Telegram (0-10 fits)."""


@dataclass(frozen=True)
class SmsText:
    text: str
    encoding: str
    segments: int
    characters: int
    non_gsm: tuple[str, ...]


@dataclass(frozen=True)
class PreviewItem:
    """One thing a respondent receives: the intro, the consent, a question, or the thanks."""

    item_id: str
    kind: str
    """``intro``, ``consent``, ``thanks``, or the question type."""
    sms: SmsText
    prompt: Prompt | None = None
    text: str = ""
    telegram_buttons: tuple[str, ...] = ()
    telegram_typed: bool = False
    shown_if: str | None = None


@dataclass
class LanguagePreview:
    language: str
    items: list[PreviewItem] = field(default_factory=list)

    @property
    def sms_messages(self) -> int:
        return len(self.items)

    @property
    def sms_segments(self) -> int:
        return sum(item.sms.segments for item in self.items)

    @property
    def ucs2_items(self) -> int:
        return sum(1 for item in self.items if item.sms.encoding == "UCS-2")


@dataclass(frozen=True)
class EstimateLine:
    language: str
    contacts: int
    messages: int
    segments_per_respondent: int

    @property
    def segments(self) -> int:
        return self.contacts * self.segments_per_respondent


@dataclass(frozen=True)
class SmsEstimate:
    lines: tuple[EstimateLine, ...]
    based_on_target: bool
    """True when there are no SMS contacts yet and the target number of answers stands in for them."""

    @property
    def total_segments(self) -> int:
        return sum(line.segments for line in self.lines)

    @property
    def total_contacts(self) -> int:
        return sum(line.contacts for line in self.lines)


@dataclass(frozen=True)
class CampaignPreview:
    languages: list[LanguagePreview]
    estimate: SmsEstimate | None


def _sms(text: str, transliterated: bool) -> SmsText:
    sent = transliterate(text) if transliterated else text
    count = count_segments(sent)
    return SmsText(sent, count.encoding, count.segments, count.characters, tuple(non_gsm_characters(sent)))


def _telegram_buttons(prompt: Prompt) -> tuple[tuple[str, ...], bool]:
    if prompt.options:
        return tuple(option.label for option in prompt.options), False
    if prompt.kind == QuestionType.SCALE and prompt.minimum is not None and prompt.maximum is not None:
        low, high = prompt.minimum, prompt.maximum
        if low == int(low) and high == int(high) and 0 < high - low + 1 <= TELEGRAM_SCALE_BUTTONS:
            return tuple(str(value) for value in range(int(low), int(high) + 1)), False
    return (), True


def language_preview(
    questionnaire: Questionnaire, language: str, org_name: str, *, transliterated: bool = False
) -> LanguagePreview:
    """Every text of the questionnaire in one language, as each channel shows it."""
    variables = {"org": org_name}
    texts = Texts(questionnaire, language, variables)
    preview = LanguagePreview(language)
    intro = texts(questionnaire.intro)
    if intro:
        preview.items.append(PreviewItem("intro", "intro", _sms(intro, transliterated), text=intro))
    consent = consent_prompt(questionnaire, language, variables)
    buttons, typed = _telegram_buttons(consent)
    preview.items.append(
        PreviewItem(
            "consent",
            "consent",
            _sms(render_text(consent, language), transliterated),
            prompt=consent,
            text=consent.text,
            telegram_buttons=buttons,
            telegram_typed=typed,
        )
    )
    total = questionnaire.answerable_count
    number = 0
    for question in questionnaire.questions:
        if not question.answerable:
            note = texts.required(question.text)
            preview.items.append(
                PreviewItem(
                    question.id,
                    question.type.value,
                    _sms(note, transliterated),
                    text=note,
                    shown_if=question.show_if_source,
                )
            )
            continue
        number += 1
        prompt = question_prompt(questionnaire, question, language, variables, number=number, total=total)
        buttons, typed = _telegram_buttons(prompt)
        preview.items.append(
            PreviewItem(
                question.id,
                question.type.value,
                _sms(render_text(prompt, language), transliterated),
                prompt=prompt,
                text=prompt.text,
                telegram_buttons=buttons,
                telegram_typed=typed,
                shown_if=question.show_if_source,
            )
        )
    thanks = texts(questionnaire.thanks) or message("thanks", language)
    preview.items.append(PreviewItem("thanks", "thanks", _sms(thanks, transliterated), text=thanks))
    return preview


def sms_estimate(session: Session, campaign: Campaign, languages: list[LanguagePreview]) -> SmsEstimate:
    """SMS segments for the campaign's SMS contacts (or, before any upload, for its target)."""
    by_language = dict(
        session.execute(
            select(Contact.language, func.count())
            .where(Contact.campaign_id == campaign.id, Contact.channel == "sms")
            .group_by(Contact.language)
        ).all()
    )
    known = {preview.language: preview for preview in languages}
    based_on_target = not by_language
    if based_on_target:
        fallback = campaign.default_language if campaign.default_language in known else languages[0].language
        by_language = {fallback: campaign.target_responses or 0}
    lines = []
    for language, contacts in sorted(by_language.items()):
        preview = known.get(language) or known.get(campaign.default_language) or languages[0]
        lines.append(EstimateLine(language, int(contacts), preview.sms_messages, preview.sms_segments))
    return SmsEstimate(tuple(lines), based_on_target)


def campaign_preview(
    session: Session, campaign: Campaign, organization: Organization, questionnaire: Questionnaire
) -> CampaignPreview:
    languages = [
        language_preview(
            questionnaire, language, organization.short_name, transliterated=campaign.transliterate_sms
        )
        for language in questionnaire.languages
    ]
    estimate = sms_estimate(session, campaign, languages) if "sms" in campaign.channels else None
    return CampaignPreview(languages, estimate)
