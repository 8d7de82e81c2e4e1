"""``/api/v1/campaigns``: list, create, read, and start, pause or close a campaign."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.typing import ResponseReturnValue
from sqlalchemy import select

from questionnaires.loader import shipped_definitions
from questionnaires.validation import validate_document
from service.campaign_stats import CampaignCounts, campaign_counts
from service.campaigns import CampaignError, baseline_by_code, change_status, create_campaign, links
from service.definitions import VersionConflict, register_shipped, register_version
from service.models import Campaign
from service.reminders import PolicyError, validate_policy
from service.web.api.base import (
    api_organization,
    api_token,
    bp,
    dump,
    fail,
    json_body,
    load,
    token_campaign,
)
from service.web.api.schemas import CampaignCreateSchema, CampaignListSchema, CampaignSchema
from service.web.database import db, runtime


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def baseline_codes(campaigns: list[Campaign]) -> dict[int, str]:
    """Campaign id → the code of the baseline it follows up, for those that have one (same organization only)."""
    wanted = {c.baseline_campaign_id for c in campaigns if c.baseline_campaign_id is not None}
    if not wanted:
        return {}
    found = dict(
        db()
        .execute(
            select(Campaign.id, Campaign.code).where(
                Campaign.id.in_(wanted), Campaign.organization_id == campaigns[0].organization_id
            )
        )
        .all()
    )
    return {c.id: found[c.baseline_campaign_id] for c in campaigns if c.baseline_campaign_id in found}


def campaign_data(campaign: Campaign, counts: CampaignCounts, baseline: str | None = None) -> dict[str, Any]:
    version = campaign.questionnaire_version
    return {
        "code": campaign.code,
        "name": campaign.name,
        "status": campaign.status,
        "channels": list(campaign.channels),
        "default_language": campaign.default_language,
        "questionnaire": {
            "id": version.questionnaire_key,
            "version": version.version,
            "title": version.title,
        },
        "opens_at": _utc(campaign.opens_at),
        "closes_at": _utc(campaign.closes_at),
        "target_responses": campaign.target_responses,
        "sms_keyword": campaign.sms_keyword,
        "transliterate_sms": campaign.transliterate_sms,
        "reminder_policy": campaign.reminder_policy or {},
        "idle_limit_hours": campaign.idle_limit_hours,
        "created_at": _utc(campaign.created_at),
        "started_at": _utc(campaign.started_at),
        "closed_at": _utc(campaign.closed_at),
        "baseline": baseline,
        "links": links(runtime().settings, campaign),
        "counts": counts,
    }


def _one(campaign: Campaign, status: int = 200) -> ResponseReturnValue:
    counts = campaign_counts(db(), [campaign.id])[campaign.id]
    baseline = baseline_codes([campaign]).get(campaign.id)
    return dump(CampaignSchema(), campaign_data(campaign, counts, baseline), status)


@bp.get("/campaigns")
def list_campaigns() -> ResponseReturnValue:
    session = db()
    campaigns = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.organization_id == api_token().organization_id)
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
    )
    counts = campaign_counts(session, [c.id for c in campaigns])
    baselines = baseline_codes(campaigns)
    return dump(
        CampaignListSchema(),
        {"items": [campaign_data(c, counts[c.id], baselines.get(c.id)) for c in campaigns]},
    )


@bp.post("/campaigns")
def create() -> ResponseReturnValue:
    data = load(CampaignCreateSchema(), json_body())
    try:
        policy = validate_policy(data["reminder_policy"])
    except PolicyError as exc:
        fail(422, "the request is not valid", {"reminder_policy": [str(exc)]})
    session = db()
    organization = api_organization()
    baseline = None
    if data["baseline"] is not None:
        try:
            baseline = baseline_by_code(session, organization.id, data["baseline"])
        except CampaignError as exc:
            fail(422, "the request is not valid", {"baseline": [str(exc)]})
    if data["questionnaire"] is not None:
        if data["questionnaire"] not in shipped_definitions():
            fail(
                422,
                "the request is not valid",
                {"questionnaire": [f"shipped questionnaires are {', '.join(sorted(shipped_definitions()))}"]},
            )
        version = register_shipped(session, organization, data["questionnaire"])
    else:
        report = validate_document(
            data["definition"],
            "definition",
            org_name_length=len(organization.short_name),
            transliterate=data["transliterate_sms"],
        )
        if not report.ok or report.questionnaire is None:
            problems = [f"{p.location}: {p.message}" if p.location else p.message for p in report.errors]
            fail(422, "the questionnaire definition has errors", {"definition": problems})
        try:
            version = register_version(session, organization, report.questionnaire, source="api")
        except VersionConflict as exc:
            session.rollback()
            fail(409, str(exc), {"definition": [str(exc)]})
    try:
        campaign = create_campaign(
            session,
            organization,
            version,
            name=data["name"],
            channels=data["channels"],
            sms_keyword=data["sms_keyword"],
            default_language=data["default_language"],
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            target_responses=data["target_responses"],
            reminder_policy=policy,
            idle_limit_hours=data["idle_limit_hours"],
            transliterate_sms=data["transliterate_sms"],
            baseline_campaign_id=baseline.id if baseline is not None else None,
        )
    except CampaignError as exc:
        session.rollback()
        fail(422, "the request is not valid", {exc.field or "_schema": [str(exc)]})
    session.commit()
    return _one(campaign, 201)


@bp.get("/campaigns/<code>")
def read(code: str) -> ResponseReturnValue:
    return _one(token_campaign(code))


def _transition(code: str, action: str) -> ResponseReturnValue:
    campaign = token_campaign(code)
    session = db()
    try:
        change_status(session, campaign, action)
    except CampaignError as exc:
        session.rollback()
        fail(409, str(exc))
    session.commit()
    return _one(campaign)


@bp.post("/campaigns/<code>/start")
def start(code: str) -> ResponseReturnValue:
    return _transition(code, "start")


@bp.post("/campaigns/<code>/pause")
def pause(code: str) -> ResponseReturnValue:
    return _transition(code, "pause")


@bp.post("/campaigns/<code>/close")
def close(code: str) -> ResponseReturnValue:
    return _transition(code, "close")
