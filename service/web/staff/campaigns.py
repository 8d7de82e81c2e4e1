"""Campaign pages: the list with live counts, creating and editing, start/pause/close, the channel preview."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager
from wtforms import SelectChoice

from questionnaires.loader import load_shipped, shipped_definitions
from questionnaires.model import translate
from service.campaign_edits import CampaignChanges, keyword_taken, update_campaign
from service.campaign_preview import campaign_preview
from service.campaign_stats import campaign_counts
from service.campaigns import (
    CampaignError,
    baseline_by_code,
    change_status,
    create_campaign,
    links,
    normalize_keyword,
    set_baseline,
)
from service.definitions import VersionConflict, definition, register_shipped, register_version
from service.models import Campaign, CampaignStatus, Organization, QuestionnaireVersion
from service.questionnaire_uploads import check_upload
from service.reminders import DEFAULT_HOURS, MAX_DAYS, MAX_REMINDERS, PolicyError, validate_policy
from service.web.auth import login_required, requires, staff
from service.web.database import db, runtime
from service.web.i18n import sentence
from service.web.staff.campaign_forms import UPLOAD, CampaignForm, to_local, to_utc
from service.web.staff.definition_problems import problem_message, problem_place

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

_DELAYS = re.compile(r"^\s*\d{1,2}(\s*,\s*\d{1,2})*\s*$")


def own_campaign(code: str) -> Campaign:
    """The signed-in organization's campaign with this code; 404 for any other (never 403: no hint it exists)."""
    campaign = db().scalar(
        select(Campaign).where(
            Campaign.code == code.upper(), Campaign.organization_id == staff().organization_id
        )
    )
    if campaign is None:
        abort(404)
    return campaign


def _locale() -> str:
    return str(get_locale() or "en")


# --- questionnaire choices -----------------------------------------------------------------------------


def _questionnaire_choices(session: Session, organization: Organization) -> list[SelectChoice]:
    language = _locale()
    choices: list[SelectChoice] = []
    for qid in sorted(shipped_definitions()):
        shipped = load_shipped(qid)
        title = translate(shipped.title, language, shipped.default_language).replace(
            "{org}", organization.short_name
        )
        choices.append(SelectChoice(f"shipped:{qid}", _("%(title)s (shipped with vises)", title=title)))
    uploaded = session.scalars(
        select(QuestionnaireVersion)
        .where(
            QuestionnaireVersion.organization_id == organization.id, QuestionnaireVersion.source != "shipped"
        )
        .order_by(QuestionnaireVersion.created_at.desc(), QuestionnaireVersion.id.desc())
    )
    for version in uploaded:
        choices.append(
            SelectChoice(
                f"version:{version.id}",
                _(
                    "%(title)s (version %(version)d, uploaded on %(date)s)",
                    title=version.title.replace("{org}", organization.short_name),
                    version=version.version,
                    date=version.created_at.date().isoformat(),
                ),
            )
        )
    choices.append(SelectChoice(UPLOAD, _("Upload a questionnaire file…")))
    return choices


def _current_choice(campaign: Campaign) -> SelectChoice:
    version = campaign.questionnaire_version
    return SelectChoice(
        f"version:{version.id}",
        _("%(title)s (version %(version)d)", title=version.title, version=version.version),
    )


def _channel_choices() -> list[SelectChoice]:
    from service.web.staff.labels import CHANNEL_NAMES

    settings = runtime().settings
    channels = ["web", "telegram", "sms"]
    if settings.twilio and settings.twilio.whatsapp_from:
        channels.append("whatsapp")
    return [SelectChoice(channel, str(CHANNEL_NAMES[channel])) for channel in channels]


def _campaign_dates(campaign: Campaign) -> str:
    """When a campaign ran, as a baseline choice shows it: its first day, and its last when known."""
    start = to_local(campaign.opens_at or campaign.started_at or campaign.created_at)
    end = to_local(campaign.closes_at or campaign.closed_at)
    if start is None:  # created_at always has a value; this only reassures the type checker
        return ""
    if end is None:
        return str(_("from %(start)s", start=start.date().isoformat()))
    return str(_("%(start)s to %(end)s", start=start.date().isoformat(), end=end.date().isoformat()))


def _baseline_choices(
    session: Session, organization: Organization, campaign: Campaign | None, draft: bool
) -> list[SelectChoice]:
    """The organization's campaigns a campaign may follow up, grouped by questionnaire (only its own once fixed)."""
    query = (
        select(Campaign)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Campaign.questionnaire_version_id)
        .options(contains_eager(Campaign.questionnaire_version))
        .where(Campaign.organization_id == organization.id)
        .order_by(QuestionnaireVersion.questionnaire_key, Campaign.created_at, Campaign.id)
    )
    if campaign is not None:
        query = query.where(Campaign.id != campaign.id)
        if not draft:
            key = campaign.questionnaire_version.questionnaire_key
            query = query.where(QuestionnaireVersion.questionnaire_key == key)
    choices = [SelectChoice("", _("None"))]
    groups: dict[str, str] = {}
    for found in session.scalars(query):
        version = found.questionnaire_version
        group = groups.setdefault(
            version.questionnaire_key, version.title.replace("{org}", organization.short_name)
        )
        label = _("%(name)s (%(dates)s)", name=found.name, dates=_campaign_dates(found))
        choices.append(SelectChoice(found.code, label, optgroup=group))
    return choices


def _prepare(
    form: CampaignForm,
    session: Session,
    organization: Organization,
    campaign: Campaign | None = None,
    draft: bool = True,
) -> None:
    form.questionnaire.choices = _questionnaire_choices(session, organization)
    form.channels.choices = _channel_choices()
    form.baseline.choices = _baseline_choices(session, organization, campaign, draft)


def _chosen_baseline(form: CampaignForm, session: Session, organization: Organization) -> Campaign | None:
    """The campaign picked as baseline; an unknown code (or another organization's) is the field's error."""
    code = (form.baseline.data or "").strip()
    if not code:
        return None
    try:
        return baseline_by_code(session, organization.id, code)
    except CampaignError as exc:
        form.baseline.errors.append(sentence(exc))
        return None


def _resolve_version(
    form: CampaignForm, session: Session, organization: Organization
) -> tuple[QuestionnaireVersion | None, list[Any], list[Any]]:
    """The chosen (or uploaded and checked) version, or None with the upload's errors and warnings."""
    choice = form.questionnaire.data or ""
    if choice.startswith("shipped:"):
        try:
            return register_shipped(session, organization, choice.removeprefix("shipped:")), [], []
        except KeyError:
            form.questionnaire.errors.append(_("Choose a questionnaire from the list."))
            return None, [], []
    if choice.startswith("version:"):
        raw = choice.removeprefix("version:")
        version = session.get(QuestionnaireVersion, int(raw)) if raw.isdigit() else None
        if version is None or version.organization_id != organization.id:
            form.questionnaire.errors.append(_("Choose a questionnaire from the list."))
            return None, [], []
        return version, [], []
    upload = form.definition_file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.definition_file.errors.append(_("Choose the questionnaire file to upload."))
        return None, [], []
    check = check_upload(
        upload.filename,
        upload.read(),
        org_name_length=len(organization.short_name),
        transliterate=bool(form.transliterate_sms.data),
    )
    if not check.ok or check.questionnaire is None:
        form.definition_file.errors.append(
            _("The file has %(n)d error(s), listed below. Nothing was saved.", n=len(check.errors))
        )
        return None, check.errors, check.warnings
    try:
        version = register_version(
            session,
            organization,
            check.questionnaire,
            source="xlsform" if check.source_kind == "xlsform" else "upload",
            created_by_id=staff().id,
        )
    except VersionConflict:
        form.definition_file.errors.append(
            _(
                "Version %(version)d of “%(id)s” was already uploaded with other content: "
                "raise the version number in the file.",
                version=check.questionnaire.version,
                id=check.questionnaire.id,
            )
        )
        return None, [], check.warnings
    return version, [], check.warnings


def _reminder_policy(form: CampaignForm) -> dict[str, Any] | None:
    """The reminder policy the form describes (``service.reminders`` format), or None with the field's error."""
    if not form.reminders_enabled.data:
        return {}
    raw = form.reminder_delays.data or ""
    if not _DELAYS.match(raw):
        form.reminder_delays.errors.append(
            _("Give whole numbers of days separated by commas, such as “2, 5”.")
        )
        return None
    days = [int(part) for part in raw.split(",")]
    if any(day < 1 for day in days) or days != sorted(set(days)):
        form.reminder_delays.errors.append(_("Give increasing numbers of days, each at least 1."))
        return None
    if len(days) > MAX_REMINDERS or days[-1] > MAX_DAYS:
        form.reminder_delays.errors.append(
            _("At most %(n)d reminders, within %(days)d days.", n=MAX_REMINDERS, days=MAX_DAYS)
        )
        return None
    start = form.reminder_from_hour.data if form.reminder_from_hour.data is not None else DEFAULT_HOURS[0]
    end = form.reminder_until_hour.data if form.reminder_until_hour.data is not None else DEFAULT_HOURS[1]
    if end <= start:
        form.reminder_until_hour.errors.append(_("The end of the sending hours must come after their start."))
        return None
    try:
        return validate_policy({"after_days": days, "max": len(days), "hours": [start, end]})
    except PolicyError as exc:
        form.reminder_delays.errors.append(sentence(exc))
        return None


def _fill_reminders(form: CampaignForm, policy: dict[str, Any]) -> None:
    days = policy.get("after_days") or []
    form.reminders_enabled.data = bool(days) and policy.get("max", len(days)) > 0
    if days:
        form.reminder_delays.data = ", ".join(str(day) for day in days[: policy.get("max", len(days))])
        hours = policy.get("hours") or list(DEFAULT_HOURS)
        form.reminder_from_hour.data, form.reminder_until_hour.data = hours[0], hours[1]


def _check_keyword(form: CampaignForm, session: Session, campaign_id: int | None) -> str | None:
    raw = (form.sms_keyword.data or "").strip()
    if not raw:
        return None
    try:
        keyword = normalize_keyword(raw)
    except CampaignError as exc:
        form.sms_keyword.errors.append(sentence(exc))
        return None
    if keyword_taken(session, keyword, except_campaign_id=campaign_id):
        form.sms_keyword.errors.append(
            _("The keyword %(word)s is already used by another campaign.", word=keyword)
        )
        return None
    return keyword


def _check_dates(form: CampaignForm) -> bool:
    opens, closes = form.opens_at.data, form.closes_at.data
    if opens and closes and closes <= opens:
        form.closes_at.errors.append(_("The closing date must come after the opening date."))
        return False
    return True


def _service_error(form: CampaignForm, exc: CampaignError) -> None:
    """A rule the service enforces that the form did not catch first: shown on its field."""
    field = getattr(form, exc.field or "", None)
    text = sentence(exc)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, text]
    else:
        form.form_errors.append(text)


def _channel_warnings(channels: list[str]) -> None:
    settings = runtime().settings
    if {"sms", "whatsapp"} & set(channels) and settings.twilio is None:
        flash(
            _("SMS is not configured on this server: nothing will be sent or received by SMS until it is."),
            "warning",
        )
    if "telegram" in channels and settings.telegram is None:
        flash(_("Telegram is not configured on this server: the bot link appears once it is."), "warning")


# --- views ------------------------------------------------------------------------------------------


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    me = staff()
    session = db()
    campaigns = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.organization_id == me.organization_id)
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
    )
    counts = campaign_counts(session, [c.id for c in campaigns])
    return render_template("staff/campaigns/index.html", campaigns=campaigns, counts=counts)


@bp.route("/new", methods=["GET", "POST"])
@requires("editor")
def new() -> ResponseReturnValue:
    me = staff()
    session = db()
    organization = me.organization
    form = CampaignForm()
    _prepare(form, session, organization)
    if request.method == "GET":
        form.default_language.data = organization.default_language
        form.channels.data = ["web"]
    problems: list[Any] = []
    warnings: list[Any] = []
    status = 200
    if request.method == "POST":
        status = 400
        valid = form.validate()
        policy = _reminder_policy(form)
        keyword = _check_keyword(form, session, None)
        dates_ok = _check_dates(form)
        baseline = _chosen_baseline(form, session, organization)
        version = None
        if (
            valid
            and policy is not None
            and dates_ok
            and not form.sms_keyword.errors
            and not form.baseline.errors
        ):
            version, problems, warnings = _resolve_version(form, session, organization)
        if version is not None and policy is not None:
            try:
                campaign = create_campaign(
                    session,
                    organization,
                    version,
                    name=form.name.data,
                    channels=form.channels.data,
                    sms_keyword=keyword,
                    default_language=form.default_language.data,
                    opens_at=to_utc(form.opens_at.data),
                    closes_at=to_utc(form.closes_at.data),
                    target_responses=form.target_responses.data,
                    reminder_policy=policy,
                    idle_limit_hours=form.idle_limit_hours.data,
                    transliterate_sms=bool(form.transliterate_sms.data),
                    baseline_campaign_id=baseline.id if baseline is not None else None,
                    created_by_id=me.id,
                )
            except CampaignError as exc:
                session.rollback()
                _service_error(form, exc)
            else:
                session.commit()
                flash(_("The campaign is created as a draft. Check the preview, then start it."), "success")
                for warning in warnings:
                    flash(
                        _(
                            "Questionnaire warning: %(where)s: %(what)s",
                            where=problem_place(warning),
                            what=problem_message(warning),
                        ),
                        "warning",
                    )
                _channel_warnings(campaign.channels)
                return redirect(url_for("campaigns.detail", code=campaign.code))
        else:
            session.rollback()
    return (
        render_template(
            "staff/campaigns/form.html", form=form, campaign=None, problems=problems, warnings=warnings
        ),
        status,
    )


@bp.get("/<code>")
@login_required
def detail(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    session = db()
    counts = campaign_counts(session, [campaign.id])[campaign.id]
    questionnaire = definition(campaign.questionnaire_version)
    baseline = None
    if campaign.baseline_campaign_id is not None:
        baseline = session.scalar(
            select(Campaign).where(
                Campaign.id == campaign.baseline_campaign_id,
                Campaign.organization_id == campaign.organization_id,
            )
        )
    follow_ups = session.scalars(
        select(Campaign)
        .where(
            Campaign.baseline_campaign_id == campaign.id,
            Campaign.organization_id == campaign.organization_id,
        )
        .order_by(Campaign.created_at, Campaign.id)
    ).all()
    return render_template(
        "staff/campaigns/detail.html",
        campaign=campaign,
        baseline=baseline,
        follow_ups=follow_ups,
        counts=counts,
        questionnaire=questionnaire,
        links=links(runtime().settings, campaign),
        settings=runtime().settings,
        opens_at=to_local(campaign.opens_at),
        closes_at=to_local(campaign.closes_at),
        title=translate(questionnaire.title, _locale(), questionnaire.default_language).replace(
            "{org}", staff().organization.short_name
        ),
    )


def _fill_from(form: CampaignForm, campaign: Campaign) -> None:
    """The form as the campaign stands (for the first display of the edit page)."""
    form.name.data = campaign.name
    form.questionnaire.data = f"version:{campaign.questionnaire_version_id}"
    if not any(c.value == form.questionnaire.data for c in form.questionnaire.choices):
        form.questionnaire.choices.insert(0, _current_choice(campaign))
    form.channels.data = list(campaign.channels)
    form.default_language.data = campaign.default_language
    form.opens_at.data = to_local(campaign.opens_at)
    form.closes_at.data = to_local(campaign.closes_at)
    form.target_responses.data = campaign.target_responses
    form.idle_limit_hours.data = campaign.idle_limit_hours
    form.sms_keyword.data = campaign.sms_keyword or ""
    form.transliterate_sms.data = campaign.transliterate_sms
    baseline = db().get(Campaign, campaign.baseline_campaign_id) if campaign.baseline_campaign_id else None
    form.baseline.data = baseline.code if baseline is not None else ""
    _fill_reminders(form, campaign.reminder_policy or {})


@bp.route("/<code>/edit", methods=["GET", "POST"])
@requires("editor")
def edit(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    session = db()
    organization = staff().organization
    form = CampaignForm(obj=None)
    draft = campaign.status == CampaignStatus.DRAFT
    _prepare(form, session, organization, campaign, draft)
    if not draft:
        form.questionnaire.choices = [_current_choice(campaign)]
    if request.method == "GET":
        _fill_from(form, campaign)
    problems: list[Any] = []
    warnings: list[Any] = []
    status = 200
    if request.method == "POST":
        status = 400
        if not draft:
            form.questionnaire.data = f"version:{campaign.questionnaire_version_id}"
            form.sms_keyword.data = campaign.sms_keyword or ""
        elif not any(
            c.value == f"version:{campaign.questionnaire_version_id}" for c in form.questionnaire.choices
        ):
            form.questionnaire.choices.insert(0, _current_choice(campaign))
        valid = form.validate()
        policy = _reminder_policy(form)
        keyword = _check_keyword(form, session, campaign.id)
        dates_ok = _check_dates(form)
        version = None
        if valid and policy is not None and dates_ok and not form.sms_keyword.errors:
            version, problems, warnings = _resolve_version(form, session, organization)
        if version is not None and policy is not None:
            try:
                update_campaign(
                    session,
                    campaign,
                    CampaignChanges(
                        name=form.name.data,
                        channels=form.channels.data,
                        default_language=form.default_language.data,
                        opens_at=to_utc(form.opens_at.data),
                        closes_at=to_utc(form.closes_at.data),
                        target_responses=form.target_responses.data,
                        reminder_policy=policy,
                        idle_limit_hours=form.idle_limit_hours.data,
                        transliterate_sms=bool(form.transliterate_sms.data),
                        sms_keyword=keyword or campaign.sms_keyword,
                        version=version,
                    ),
                )
                set_baseline(session, campaign, form.baseline.data or None)
            except CampaignError as exc:
                session.rollback()
                _service_error(form, exc)
            else:
                session.commit()
                flash(_("The campaign is saved."), "success")
                _channel_warnings(campaign.channels)
                return redirect(url_for("campaigns.detail", code=campaign.code))
        else:
            session.rollback()
    return (
        render_template(
            "staff/campaigns/form.html",
            form=form,
            campaign=campaign,
            draft=draft,
            problems=problems,
            warnings=warnings,
        ),
        status,
    )


_ACTION_DONE = {
    "start": _l("The campaign is running."),
    "pause": _l("The campaign is paused: nobody can start or go on answering until you start it again."),
    "close": _l("The campaign is closed."),
}
_ACTION_REFUSED = {  # what to do instead, rather than the service's "a closed campaign cannot be started"
    "start": _l("Only a draft or paused campaign can be started."),
    "pause": _l("Only a running campaign can be paused."),
    "close": _l("This campaign can't be closed."),
}


@bp.post("/<code>/status")
@requires("editor")
def status(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    action = request.form.get("action", "")
    if action not in _ACTION_DONE:
        abort(400)
    session = db()
    try:
        change_status(session, campaign, action)
    except CampaignError:
        session.rollback()
        flash(str(_ACTION_REFUSED[action]), "error")
    else:
        session.commit()
        flash(str(_ACTION_DONE[action]), "success")
    return redirect(url_for("campaigns.detail", code=campaign.code))


@bp.get("/<code>/preview")
@login_required
def preview(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    organization = staff().organization
    questionnaire = definition(campaign.questionnaire_version)
    data = campaign_preview(db(), campaign, organization, questionnaire)
    language = request.args.get("language")
    shown = next((p for p in data.languages if p.language == language), None) or next(
        (p for p in data.languages if p.language == _locale()), data.languages[0]
    )
    return render_template(
        "staff/campaigns/preview.html",
        campaign=campaign,
        preview=data,
        shown=shown,
    )
