"""Privacy pages for owners: retention and erasure settings, opt-out counts, requests, the audit trail;
and the consent ledger of a campaign for editors.

A request received by letter, e-mail or at the desk is entered in two steps. The owner types the
person's phone number: it is normalised and hashed at once (the number is never stored, logged or
shown again; the page shows only its masked form and counts: "found: N conversations in M
campaigns"). The digests travel to the second step inside a signed, short-lived token bound to the
organization and the user; confirming erases, stops messages, or downloads the person's file.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from service.audit import Action, events_page, record
from service.models import Campaign, ErasureMode, Organization, User, utcnow
from service.phones import SUPPORTED_REGIONS, InvalidPhoneNumber, masked, normalize_phone
from service.privacy.access import write_csv
from service.privacy.consent_ledger import record_ledger_export, write_ledger
from service.privacy.opt_outs import opt_out_counts, staff_opt_out
from service.privacy.requests import (
    RECEIVED_VIA,
    Kind,
    lookup,
    phone_addresses,
    recent_requests,
    staff_access,
    staff_erasure,
)
from service.privacy.retention import MAX_DAYS, RetentionDates, retention_dates
from service.web.auth import requires, staff
from service.web.database import db, runtime
from service.web.i18n import LANGUAGES
from service.web.staff.campaigns import own_campaign
from service.web.staff.labels import CHANNEL_NAMES, LANGUAGE_LABELS

bp = Blueprint("privacy", __name__)

LOOKUP_SALT = "vises-privacy-request"
LOOKUP_SECONDS = 15 * 60
LEDGER_ROLE = "editor"
OPT_OUT = Kind.OPT_OUT.value

MODE_NAMES = {
    ErasureMode.ANONYMIZE.value: _l("Keep the anonymous coded answers (published results stay true)"),
    ErasureMode.DELETE.value: _l("Delete everything, and recompute the campaign results"),
}
KIND_NAMES = {
    Kind.ACCESS.value: _l("Access: give the person their data"),
    Kind.ERASURE.value: _l("Erasure: delete the person's data"),
    OPT_OUT: _l("Stop all SMS and WhatsApp messages to this number"),
}
VIA_NAMES = {
    "email": _l("By e-mail"),
    "letter": _l("By letter"),
    "phone_call": _l("By phone call"),
    "in_person": _l("In person"),
    "other": _l("Other means"),
    "sms": _l("By SMS"),
    "whatsapp": _l("By WhatsApp"),
    "telegram": _l("On Telegram"),
}
STATUS_NAMES = {
    "unconfirmed": _l("Not confirmed"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
    "not_found": _l("Nothing held"),
    "pending": _l("Pending"),
}
REQUEST_KIND_NAMES = {
    Kind.ACCESS.value: _l("Access"),
    Kind.ERASURE.value: _l("Erasure"),
    OPT_OUT: _l("Opt-out"),
}
SOURCE_NAMES = {
    "keyword": _l("keyword (STOP)"),
    "command": _l("Telegram command"),
    "blocked": _l("bot blocked"),
    "web_link": _l("web form link"),
    "provider": _l("provider (SMS operator)"),
    "staff": _l("entered by staff"),
}
ACTION_NAMES = {
    Action.READ_FREE_TEXT.value: _l("Read free-text answers"),
    Action.EXPORT.value: _l("Exported answers"),
    Action.CONSENT_LEDGER_EXPORT.value: _l("Exported the consent ledger"),
    Action.ACCESS.value: _l("Gave a person their data"),
    Action.ERASURE.value: _l("Erased a person's data"),
    Action.LOOKUP.value: _l("Looked up a phone number"),
    Action.OPT_OUT.value: _l("Entered an opt-out"),
    Action.RETENTION.value: _l("Retention period applied"),
    Action.KEY_ROTATION.value: _l("Encryption key rotated"),
    Action.PRIVACY_SETTINGS.value: _l("Changed the privacy settings"),
    Action.EXPORT_DOWNLOAD.value: _l("Downloaded an export file"),
    Action.READ_RESPONSES.value: _l("Read answers through the API"),
    Action.TELEGRAM_LINKS_EXPORT.value: _l("Downloaded the Telegram links"),
    Action.FEDERATION_NAMING.value: _l("Changed whether federations see our name"),
}
TARGET_NAMES = {
    "organization": _l("organization"),
    "campaign": _l("campaign"),
    "privacy_request": _l("request"),
    "data_key": _l("encryption key"),
}


# --- forms -----------------------------------------------------------------------------------------------


class SettingsForm(FlaskForm):  # type: ignore[misc]
    retention_days = IntegerField(
        _l("Erase phone numbers and Telegram chats after (days)"),
        validators=[InputRequired(), NumberRange(min=0, max=MAX_DAYS)],
        description=_l(
            "Counted from the day a campaign ends. A person still on a running campaign keeps theirs."
        ),
    )
    free_text_retention_days = IntegerField(
        _l("Delete free-text answers after (days)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_DAYS)],
        description=_l(
            "Counted from the day a campaign ends. Leave empty to keep them as long as the other answers."
        ),
    )
    erasure_mode = RadioField(
        _l("When a person asks for erasure"),
        choices=[SelectChoice(mode, label) for mode, label in MODE_NAMES.items()],
        validators=[DataRequired()],
    )


class RequestForm(FlaskForm):  # type: ignore[misc]
    phone = StringField(
        _l("The person's phone number"),
        validators=[DataRequired()],
        description=_l("Used once to find the person, then forgotten: it is never stored or shown."),
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    region = SelectField(_l("Country, for numbers written without +"), choices=list(SUPPORTED_REGIONS))
    kind = RadioField(
        _l("Request"),
        choices=[SelectChoice(kind, label) for kind, label in KIND_NAMES.items()],
        validators=[DataRequired()],
    )
    received_via = SelectField(
        _l("Received"), choices=[SelectChoice(via, VIA_NAMES[via]) for via in RECEIVED_VIA]
    )
    language = SelectField(
        _l("Language of the file for the person"),
        choices=[SelectChoice(code, LANGUAGE_LABELS[code]) for code in LANGUAGES],
    )
    checked = BooleanField(
        _l("I have checked that the request comes from the person who uses this number."),
        validators=[DataRequired(message=_l("Check the person's identity first."))],
    )


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    token = HiddenField(validators=[DataRequired()])


# --- helpers ---------------------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime().settings.secret_key, salt=LOOKUP_SALT)


def _organization() -> Organization:
    return db().get_one(Organization, staff().organization_id)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


bp.after_request(_no_store)


def _overview(settings_form: SettingsForm, status: int = 200) -> ResponseReturnValue:
    session = db()
    organization = _organization()
    requests = recent_requests(session, organization.id, limit=20)
    requesters = {
        user.id: user.name or user.email
        for user in session.scalars(
            select(User).where(User.id.in_({r.requested_by_id for r in requests if r.requested_by_id}))
        )
    }
    return (
        render_template(
            "privacy/overview.html",
            organization=organization,
            form=settings_form,
            opt_outs=opt_out_counts(session, organization.id),
            requests=requests,
            requesters=requesters,
            **_names(),
        ),
        status,
    )


def _names() -> dict[str, Any]:
    return {
        "mode_names": MODE_NAMES,
        "kind_names": KIND_NAMES,
        "via_names": VIA_NAMES,
        "request_status_names": STATUS_NAMES,
        "request_kind_names": REQUEST_KIND_NAMES,
        "source_names": SOURCE_NAMES,
        "action_names": ACTION_NAMES,
        "target_names": TARGET_NAMES,
        "privacy_channel_names": CHANNEL_NAMES,
    }


# --- settings, opt-outs and the register -----------------------------------------------------------------


@bp.get("/organization/privacy")
@requires("owner")
def overview() -> ResponseReturnValue:
    organization = _organization()
    form = SettingsForm(
        formdata=None,
        retention_days=organization.retention_days,
        free_text_retention_days=organization.free_text_retention_days,
        erasure_mode=organization.erasure_mode,
    )
    return _overview(form)


@bp.post("/organization/privacy/settings")
@requires("owner")
def save_settings() -> ResponseReturnValue:
    form = SettingsForm()
    if not form.validate_on_submit():
        return _overview(form, 400)
    session = db()
    organization = _organization()
    before = {
        "retention_days": organization.retention_days,
        "free_text_retention_days": organization.free_text_retention_days,
        "erasure_mode": organization.erasure_mode,
    }
    organization.retention_days = form.retention_days.data
    organization.free_text_retention_days = form.free_text_retention_days.data
    organization.erasure_mode = form.erasure_mode.data
    after = {key: getattr(organization, key) for key in before}
    if after != before:
        record(
            session,
            organization.id,
            Action.PRIVACY_SETTINGS,
            user_id=staff().id,
            target_type="organization",
            target_id=organization.slug,
            details={"before": before, "after": after},
        )
    session.commit()
    flash(_("The privacy settings are saved."), "success")
    return redirect(url_for("privacy.overview"))


# --- requests received by other means --------------------------------------------------------------------


def _request_page(form: RequestForm, status: int = 200) -> ResponseReturnValue:
    return render_template("privacy/request.html", form=form, **_names()), status


@bp.get("/organization/privacy/requests/new")
@requires("owner")
def new_request() -> ResponseReturnValue:
    organization = _organization()
    form = RequestForm(
        formdata=None, region=organization.default_region, language=organization.default_language
    )
    return _request_page(form)


@bp.post("/organization/privacy/requests/new")
@requires("owner")
def find_person() -> ResponseReturnValue:
    form = RequestForm()
    if not form.validate_on_submit():
        return _request_page(form, 400)
    organization = _organization()
    try:
        number = normalize_phone(form.phone.data, form.region.data)
    except InvalidPhoneNumber:
        form.phone.errors.append(
            _("This is not a phone number we can read. Write it with its country code (+32…).")
        )
        return _request_page(form, 400)
    addresses = phone_addresses(runtime().vault, number, form.region.data)
    kind = form.kind.data
    session = db()
    found = lookup(
        session,
        organization,
        addresses,
        user_id=staff().id,
        kind=kind,
        now=utcnow(),
    )
    session.commit()
    token = _serializer().dumps(
        {
            "o": organization.id,
            "u": staff().id,
            "k": kind,
            "v": form.received_via.data,
            "l": form.language.data,
            "a": [list(pair) for pair in addresses],
            "m": masked(number),
        }
    )
    return render_template(
        "privacy/confirm.html",
        found=found.holdings,
        kind=kind,
        shown_number=masked(number),
        confirm=ConfirmForm(formdata=None, token=token),
        organization=organization,
        **_names(),
    )


def _read_token(raw: str) -> dict[str, Any]:
    try:
        data = _serializer().loads(raw, max_age=LOOKUP_SECONDS)
    except SignatureExpired:
        flash(_("This search is more than 15 minutes old: enter the number again."), "error")
        abort(redirect(url_for("privacy.new_request")))
    except BadSignature:
        abort(400)
    if not isinstance(data, dict) or data.get("o") != staff().organization_id or data.get("u") != staff().id:
        abort(400)
    return data


@bp.post("/organization/privacy/requests/confirm")
@requires("owner")
def carry_out() -> ResponseReturnValue:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    data = _read_token(form.token.data)
    addresses = [(str(channel), str(digest)) for channel, digest in data["a"]]
    kind, via, language = data["k"], data["v"], data["l"]
    session = db()
    organization = _organization()
    now = utcnow()
    if kind == OPT_OUT:
        added = staff_opt_out(session, organization, addresses, received_via=via, user_id=staff().id, now=now)
        session.commit()
        flash(
            _("Done: no more SMS or WhatsApp messages will go to %(number)s.", number=data["m"])
            if added
            else _("%(number)s was already opted out.", number=data["m"]),
            "success",
        )
        return redirect(url_for("privacy.overview"))
    if kind == Kind.ERASURE:
        _request, report = staff_erasure(
            session,
            organization,
            addresses,
            received_via=via,
            user_id=staff().id,
            now=now,
            instance_path=runtime().settings.instance_path,
        )
        session.commit()
        if report is None:
            flash(
                _("Nothing is held about %(number)s: the request is recorded as such.", number=data["m"]),
                "success",
            )
        else:
            flash(
                _(
                    "Erased: %(conversations)d conversation(s) deleted, %(kept)d kept as anonymous coded answers, "
                    "%(texts)d free-text answer(s) deleted.",
                    conversations=report.conversations_deleted,
                    kept=report.conversations_kept,
                    texts=report.free_text_answers,
                ),
                "success",
            )
        return redirect(url_for("privacy.overview"))
    if kind != Kind.ACCESS or language not in LANGUAGES:
        abort(400)
    request_row, personal = staff_access(
        session,
        runtime().vault,
        organization,
        addresses,
        received_via=via,
        language=language,
        user_id=staff().id,
        now=now,
    )
    session.commit()
    buffer = io.StringIO()
    buffer.write("\ufeff")
    write_csv(personal, buffer, language)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="data-request-{request_row.id}-{stamp}.csv"'},
    )


# --- the audit trail -------------------------------------------------------------------------------------


@bp.get("/organization/privacy/audit")
@requires("owner")
def audit() -> ResponseReturnValue:
    action = request.args.get("action") or None
    if action not in ACTION_NAMES:
        action = None
    page_number = request.args.get("page", "1")
    found = events_page(
        db(), staff().organization_id, action=action, page=int(page_number) if page_number.isdigit() else 1
    )
    return render_template("privacy/audit.html", found=found, action=action, **_names())


# --- a campaign's consent ledger and retention line ------------------------------------------------------


@bp.get("/campaigns/<code>/consent-ledger.csv")
@requires(LEDGER_ROLE)
def consent_ledger(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    session = db()
    record_ledger_export(session, campaign, user_id=staff().id, via="web")
    buffer = io.StringIO()
    write_ledger(session, campaign, buffer)
    session.commit()
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{campaign.code}-consent-ledger.csv"'},
    )


def campaign_retention(campaign: Campaign) -> RetentionDates:
    """For the campaign page (``privacy/_campaign_retention.html``): when its identities and free text go."""
    return retention_dates(campaign, db().get_one(Organization, campaign.organization_id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["privacy_retention"] = campaign_retention
