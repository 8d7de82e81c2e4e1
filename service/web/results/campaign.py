"""A campaign's results page, its free-text answers, the before/after view and the printable report."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from sqlalchemy import select

from questionnaires.model import translate
from service.definitions import definition
from service.models import Campaign, Organization, utcnow
from service.results.change import change_report
from service.results.free_text import free_text_page, record_reading
from service.results.overview import campaign_results
from service.web.auth import requires, staff
from service.web.database import db
from service.web.staff.campaigns import own_campaign

bp = Blueprint("results", __name__, url_prefix="/campaigns")

FREE_TEXT_ROLE = "editor"
"""Who may read free-text answers and export rows: editors and owners (viewers see aggregates only)."""


def locale() -> str:
    return str(get_locale() or "en")


def _linked(campaign: Campaign) -> tuple[Campaign | None, list[Campaign]]:
    """The campaign's baseline and its follow-ups, within the same organization only."""
    session = db()
    baseline = None
    if campaign.baseline_campaign_id is not None:
        baseline = session.scalar(
            select(Campaign).where(
                Campaign.id == campaign.baseline_campaign_id,
                Campaign.organization_id == campaign.organization_id,
            )
        )
    follow_ups = list(
        session.scalars(
            select(Campaign)
            .where(
                Campaign.baseline_campaign_id == campaign.id,
                Campaign.organization_id == campaign.organization_id,
            )
            .order_by(Campaign.created_at)
        )
    )
    return baseline, follow_ups


@bp.get("/<code>/results")
@requires("viewer")
def campaign_page(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    results = campaign_results(db(), campaign, locale())
    baseline, follow_ups = _linked(campaign)
    return render_template(
        "results/campaign.html",
        campaign=campaign,
        results=results,
        baseline=baseline,
        follow_ups=follow_ups,
        can_read_rows=staff().can(FREE_TEXT_ROLE),
    )


@bp.get("/<code>/results/report")
@requires("viewer")
def report(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    results = campaign_results(db(), campaign, locale(), with_questions=False)
    return render_template("results/report.html", campaign=campaign, results=results, today=utcnow().date())


@bp.get("/<code>/results/free-text")
@requires(FREE_TEXT_ROLE)
def free_text(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    session = db()
    organization = session.get_one(Organization, campaign.organization_id)
    questionnaire = definition(campaign.questionnaire_version)
    question_id = request.args.get("question") or None
    page_number = request.args.get("page", "1")
    found = free_text_page(
        session,
        campaign.id,
        questionnaire,
        locale(),
        {"org": organization.short_name},
        question_id=question_id,
        page=int(page_number) if page_number.isdigit() else 1,
    )
    record_reading(
        session,
        campaign,
        staff().id,
        question_id=question_id if any(question_id == q for q, _ in found.questions) else None,
        page=found.page,
        shown=len(found.answers),
    )
    session.commit()
    return render_template("results/free_text.html", campaign=campaign, found=found, question_id=question_id)


@bp.get("/<code>/results/change")
@requires("viewer")
def change(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    baseline, _ = _linked(campaign)
    if baseline is None:
        abort(404)
    session = db()
    follow_up_definition = definition(campaign.questionnaire_version)
    baseline_definition = definition(baseline.questionnaire_version)
    report = change_report(
        session, baseline.id, campaign.id, baseline_definition, follow_up_definition, locale()
    )
    title = translate(follow_up_definition.title, locale(), follow_up_definition.default_language)
    return render_template(
        "results/change.html", campaign=campaign, baseline=baseline, report=report, questionnaire_title=title
    )
