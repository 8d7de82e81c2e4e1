"""Changing a campaign's settings after creation, under the same rules as creating it.

The questionnaire version and the SMS keyword can change only while the campaign is a draft: once
it has run, answers and printed posters depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.campaigns import CampaignError, normalize_keyword, parse_channels
from service.definitions import definition
from service.models import Campaign, CampaignStatus, QuestionnaireVersion
from service.texts import N_


@dataclass(frozen=True)
class CampaignChanges:
    name: str
    channels: list[str]
    default_language: str
    opens_at: datetime | None
    closes_at: datetime | None
    target_responses: int | None
    reminder_policy: dict[str, Any]
    idle_limit_hours: int
    transliterate_sms: bool
    sms_keyword: str | None = None
    version: QuestionnaireVersion | None = None


def keyword_taken(session: Session, keyword: str, *, except_campaign_id: int | None = None) -> bool:
    query = select(Campaign.id).where(Campaign.sms_keyword == keyword)
    if except_campaign_id is not None:
        query = query.where(Campaign.id != except_campaign_id)
    return session.scalar(query) is not None


def update_campaign(session: Session, campaign: Campaign, changes: CampaignChanges) -> Campaign:
    """Apply ``changes``; a CampaignError (naming the field) leaves the campaign as it was."""
    draft = campaign.status == CampaignStatus.DRAFT
    version = campaign.questionnaire_version
    if changes.version is not None and changes.version.id != campaign.questionnaire_version_id:
        if not draft:
            raise CampaignError(
                N_("the questionnaire of a campaign that has started can't change"), "questionnaire"
            )
        if changes.version.organization_id != campaign.organization_id:
            raise CampaignError(N_("this questionnaire belongs to another organization"), "questionnaire")
        version = changes.version
    name = changes.name.strip()
    if not name:
        raise CampaignError(N_("a campaign needs a name"), "name")
    channels = parse_channels(changes.channels)
    keyword = campaign.sms_keyword
    wanted = normalize_keyword(changes.sms_keyword) if changes.sms_keyword else None
    if wanted != keyword and wanted is not None:
        if not draft:
            raise CampaignError(
                N_("the SMS keyword of a campaign that has started can't change"), "sms_keyword"
            )
        if keyword_taken(session, wanted, except_campaign_id=campaign.id):
            raise CampaignError(
                N_("the SMS keyword %(word)s is already used by another campaign", word=wanted), "sms_keyword"
            )
        keyword = wanted
    if {"sms", "whatsapp"} & set(channels) and keyword is None:
        raise CampaignError(N_("an SMS campaign needs a keyword"), "sms_keyword")
    questionnaire = definition(version)
    language = changes.default_language
    if language not in questionnaire.languages:
        raise CampaignError(N_("the questionnaire is not written in this language"), "default_language")
    if changes.opens_at and changes.closes_at and changes.closes_at <= changes.opens_at:
        raise CampaignError(N_("the closing date must come after the opening date"), "closes_at")
    if changes.target_responses is not None and changes.target_responses < 1:
        raise CampaignError(N_("the target number of answers must be positive"), "target_responses")
    if not 1 <= changes.idle_limit_hours <= 24 * 90:
        raise CampaignError(N_("conversations expire after 1 hour to 90 days of silence"), "idle_limit_hours")

    campaign.questionnaire_version_id = version.id
    campaign.questionnaire_version = version
    campaign.name = name
    campaign.channels = channels
    campaign.sms_keyword = keyword
    campaign.default_language = language
    campaign.opens_at = changes.opens_at
    campaign.closes_at = changes.closes_at
    campaign.target_responses = changes.target_responses
    campaign.reminder_policy = changes.reminder_policy
    campaign.idle_limit_hours = changes.idle_limit_hours
    campaign.transliterate_sms = changes.transliterate_sms
    session.flush()
    return campaign
