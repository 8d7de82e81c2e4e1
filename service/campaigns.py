"""Campaigns: creation, the status lifecycle, codes and keywords, and the links that invite people."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from questionnaires.folding import fold
from questionnaires.keywords import classify
from service.definitions import definition
from service.models import Campaign, CampaignStatus, Channel, Organization, QuestionnaireVersion, utcnow
from service.settings import Settings
from service.texts import N_

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
TRANSITIONS: dict[str, dict[CampaignStatus, set[CampaignStatus]]] = {
    "start": {CampaignStatus.RUNNING: {CampaignStatus.DRAFT, CampaignStatus.PAUSED}},
    "pause": {CampaignStatus.PAUSED: {CampaignStatus.RUNNING}},
    "close": {CampaignStatus.CLOSED: {CampaignStatus.DRAFT, CampaignStatus.RUNNING, CampaignStatus.PAUSED}},
}
_STATUS_WORDS = {  # as they read in "a … campaign cannot be started"
    CampaignStatus.DRAFT: N_("draft"),
    CampaignStatus.RUNNING: N_("running"),
    CampaignStatus.PAUSED: N_("paused"),
    CampaignStatus.CLOSED: N_("closed"),
}


class CampaignError(ValueError):
    """A campaign request that breaks a rule; safe to show to staff (an ``N_`` text, for their language)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def new_code() -> str:
    """A short public code, free of look-alike characters (no 0/O, 1/I/L)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_keyword(word: str) -> str:
    """The stored form of an SMS keyword: accents and case folded away, uppercase letters and digits."""
    folded = fold(word).upper().replace(" ", "")
    if not folded.isalnum() or not 2 <= len(folded) <= 20:
        raise CampaignError(N_("an SMS keyword is 2 to 20 letters or digits, without spaces"), "sms_keyword")
    if classify(folded) is not None:
        raise CampaignError(
            N_("%(word)s is a reserved word (STOP, HELP, a language…): choose another", word=folded),
            "sms_keyword",
        )
    return folded


def parse_channels(values: list[str] | str) -> list[str]:
    items = values.split(",") if isinstance(values, str) else values
    channels = [item.strip().lower() for item in items if item.strip()]
    known = {c.value for c in Channel}
    unknown = [c for c in channels if c not in known]
    if unknown or not channels:
        raise CampaignError(
            N_("channels are among %(channels)s", channels=", ".join(sorted(known))), "channels"
        )
    return list(dict.fromkeys(channels))


def create_campaign(
    session: Session,
    organization: Organization,
    version: QuestionnaireVersion,
    *,
    name: str,
    channels: list[str],
    sms_keyword: str | None = None,
    default_language: str | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    target_responses: int | None = None,
    reminder_policy: dict[str, Any] | None = None,
    idle_limit_hours: int = 72,
    allow_restart: bool = False,
    transliterate_sms: bool = False,
    baseline_campaign_id: int | None = None,
    created_by_id: int | None = None,
) -> Campaign:
    if version.organization_id != organization.id:
        raise CampaignError(N_("this questionnaire belongs to another organization"), "questionnaire")
    questionnaire = definition(version)
    name = name.strip()
    if not name:
        raise CampaignError(N_("a campaign needs a name"), "name")
    channels = parse_channels(channels)
    keyword = normalize_keyword(sms_keyword) if sms_keyword else None
    if keyword is None and ({"sms", "whatsapp"} & set(channels)):
        keyword = _free_keyword(session, questionnaire.id)
    if keyword is not None and session.scalar(select(Campaign.id).where(Campaign.sms_keyword == keyword)):
        raise CampaignError(
            N_("the SMS keyword %(word)s is already used by another campaign", word=keyword), "sms_keyword"
        )
    language = default_language or organization.default_language
    if language not in questionnaire.languages:
        language = questionnaire.default_language
    if opens_at and closes_at and closes_at <= opens_at:
        raise CampaignError(N_("the closing date must come after the opening date"), "closes_at")
    if target_responses is not None and target_responses < 1:
        raise CampaignError(N_("the target number of answers must be positive"), "target_responses")
    if not 1 <= idle_limit_hours <= 24 * 90:
        raise CampaignError(N_("conversations expire after 1 hour to 90 days of silence"), "idle_limit_hours")
    if baseline_campaign_id is not None:
        baseline = session.get(Campaign, baseline_campaign_id)
        if baseline is None or baseline.organization_id != organization.id:
            raise CampaignError(N_("the baseline campaign must be one of this organization's"), "baseline")
        check_baseline(session, baseline, version)
    campaign = Campaign(
        organization_id=organization.id,
        questionnaire_version_id=version.id,
        code=_free_code(session),
        name=name,
        channels=channels,
        default_language=language,
        sms_keyword=keyword,
        opens_at=opens_at,
        closes_at=closes_at,
        target_responses=target_responses,
        reminder_policy=reminder_policy or {},
        idle_limit_hours=idle_limit_hours,
        allow_restart=allow_restart,
        transliterate_sms=transliterate_sms,
        baseline_campaign_id=baseline_campaign_id,
        created_by_id=created_by_id,
    )
    session.add(campaign)
    session.flush()
    return campaign


def baseline_by_code(session: Session, organization_id: int, code: str) -> Campaign:
    """The organization's campaign with this code, to follow up; another organization's reads as unknown."""
    wanted = code.strip().upper()
    found = session.scalar(
        select(Campaign).where(Campaign.code == wanted, Campaign.organization_id == organization_id)
    )
    if found is None:
        raise CampaignError(
            N_("no campaign of this organization has the code %(code)s", code=wanted), "baseline"
        )
    return found


def check_baseline(
    session: Session, baseline: Campaign, version: QuestionnaireVersion, follow_up: Campaign | None = None
) -> None:
    """Refuse a baseline that the before/after comparison could not use: another questionnaire, or a loop."""
    if follow_up is not None and baseline.id == follow_up.id:
        raise CampaignError(N_("a campaign cannot be its own baseline"), "baseline")
    if baseline.questionnaire_version.questionnaire_key != version.questionnaire_key:
        raise CampaignError(
            N_(
                "the baseline campaign %(code)s asks another questionnaire (%(questionnaire)s): "
                "before and after are compared on the same questionnaire",
                code=baseline.code,
                questionnaire=baseline.questionnaire_version.questionnaire_key,
            ),
            "baseline",
        )
    if follow_up is None:
        return
    seen = {baseline.id}
    earlier = baseline.baseline_campaign_id
    while earlier is not None and earlier not in seen:
        if earlier == follow_up.id:
            raise CampaignError(
                N_(
                    "the campaign %(code)s already follows this one: a baseline comes before its follow-ups",
                    code=baseline.code,
                ),
                "baseline",
            )
        seen.add(earlier)
        earlier = session.scalar(select(Campaign.baseline_campaign_id).where(Campaign.id == earlier))


def set_baseline(session: Session, campaign: Campaign, baseline_code: str | None) -> Campaign | None:
    """Link ``campaign`` to the earlier campaign it follows up (or unlink it when ``baseline_code`` is empty)."""
    if not baseline_code:
        campaign.baseline_campaign_id = None
        session.flush()
        return None
    baseline = baseline_by_code(session, campaign.organization_id, baseline_code)
    check_baseline(session, baseline, campaign.questionnaire_version, campaign)
    campaign.baseline_campaign_id = baseline.id
    session.flush()
    return baseline


def _free_code(session: Session) -> str:
    while True:
        code = new_code()
        if session.scalar(select(Campaign.id).where(Campaign.code == code)) is None:
            return code


def _free_keyword(session: Session, questionnaire_id: str) -> str:
    stem = "".join(ch for ch in fold(questionnaire_id).upper() if ch.isalnum())[:12] or "ENQUETE"
    taken = set(session.scalars(select(Campaign.sms_keyword).where(Campaign.sms_keyword.startswith(stem))))
    if stem not in taken and classify(stem) is None:
        return stem
    n = 2
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def change_status(
    session: Session, campaign: Campaign, action: str, *, now: datetime | None = None
) -> Campaign:
    """Start, pause or close a campaign; anything else is a CampaignError saying why not."""
    now = now or utcnow()
    if action not in TRANSITIONS:
        raise CampaignError(N_("unknown action %(action)r", action=action))
    ((target, allowed),) = TRANSITIONS[action].items()
    if campaign.status == target:
        return campaign
    if campaign.status not in allowed:
        status = _STATUS_WORDS[CampaignStatus(campaign.status)]
        if action == "start":
            raise CampaignError(N_("a %(status)s campaign cannot be started", status=status))
        if action == "pause":
            raise CampaignError(N_("a %(status)s campaign cannot be paused", status=status))
        raise CampaignError(N_("a %(status)s campaign cannot be closed", status=status))
    campaign.status = target
    if target is CampaignStatus.RUNNING:
        campaign.started_at = campaign.started_at or now
        campaign.paused_at = None
    elif target is CampaignStatus.PAUSED:
        campaign.paused_at = now
    else:
        campaign.closed_at = now
    session.flush()
    return campaign


def campaign_by_code(session: Session, code: str) -> Campaign | None:
    return session.scalar(select(Campaign).where(Campaign.code == code.strip().upper()))


def campaign_by_keyword(session: Session, text: str) -> Campaign | None:
    """The campaign whose SMS keyword is ``text`` (case, accents and spacing ignored)."""
    folded = "".join(ch for ch in fold(text).upper() if ch.isalnum())
    if not folded:
        return None
    return session.scalar(select(Campaign).where(Campaign.sms_keyword == folded))


def is_accepting(campaign: Campaign, now: datetime) -> bool:
    """Running, and inside its opening dates."""
    if campaign.status != CampaignStatus.RUNNING:
        return False
    if campaign.opens_at and now < campaign.opens_at:
        return False
    return not (campaign.closes_at and now >= campaign.closes_at)


@dataclass(frozen=True)
class CampaignLinks:
    code: str
    web_url: str
    sms_keyword: str | None
    telegram_link: str | None
    sms_number: str | None


def links(settings: Settings, campaign: Campaign) -> CampaignLinks:
    telegram = None
    if settings.telegram and settings.telegram.bot_username and "telegram" in campaign.channels:
        telegram = f"https://t.me/{settings.telegram.bot_username}?start={campaign.code}"
    number = settings.twilio.from_number if settings.twilio else None
    return CampaignLinks(
        code=campaign.code,
        web_url=f"{settings.public_base_url}/s/{campaign.code}",
        sms_keyword=campaign.sms_keyword if {"sms", "whatsapp"} & set(campaign.channels) else None,
        telegram_link=telegram,
        sms_number=number,
    )


def count_campaigns(session: Session, organization_id: int) -> int:
    return int(
        session.scalar(select(func.count(Campaign.id)).where(Campaign.organization_id == organization_id))
        or 0
    )
