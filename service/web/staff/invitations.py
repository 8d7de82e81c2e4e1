"""Inviting people: QR codes, the printable poster, contact lists, launching invitations and their progress."""

from __future__ import annotations

import csv
import io
import logging

import segno
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import func, select
from wtforms import SelectChoice, SelectField

from questionnaires.model import translate
from service import audit
from service.audit import Action
from service.campaigns import links
from service.contacts import INVITABLE_CHANNELS, ContactListError, ImportReport, import_contacts
from service.definitions import definition
from service.identities import IdentityDecryptError
from service.launches import LaunchError, LaunchProgress, enqueue_launch, progress, request_launch
from service.models import Campaign, Contact, ContactStatus, Launch
from service.telegram_links import ensure_link_token, link_counts, personal_link
from service.web.auth import login_required, requires, staff
from service.web.database import db, runtime
from service.web.i18n import sentence
from service.web.staff.campaigns import own_campaign
from service.web.staff.labels import CHANNEL_NAMES

log = logging.getLogger(__name__)
bp = Blueprint("invitations", __name__, url_prefix="/campaigns")

POSTER_LANGUAGES = ("fr", "nl", "en")
TELEGRAM_PAGE = 500
"""Contacts listed on the Telegram links page; the CSV download has them all."""


def _qr(code: str) -> segno.QRCode:
    campaign = own_campaign(code)
    return segno.make(links(runtime().settings, campaign).web_url, error="m")


@bp.get("/<code>/qr.png")
@login_required
def qr_png(code: str) -> ResponseReturnValue:
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="png", scale=12, border=4)
    return Response(
        buffer.getvalue(),
        mimetype="image/png",
        headers={"Content-Disposition": f'attachment; filename="vises-{code.upper()}.png"'},
    )


@bp.get("/<code>/qr.svg")
@login_required
def qr_svg(code: str) -> ResponseReturnValue:
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="svg", scale=10, border=4, xmldecl=True, title=f"vises {code.upper()}")
    return Response(
        buffer.getvalue(),
        mimetype="image/svg+xml",
        headers={"Content-Disposition": f'inline; filename="vises-{code.upper()}.svg"'},
    )


@bp.get("/<code>/poster/<language>")
@login_required
def poster(code: str, language: str) -> ResponseReturnValue:
    if language not in POSTER_LANGUAGES:
        abort(404)
    campaign = own_campaign(code)
    organization = staff().organization
    questionnaire = definition(campaign.questionnaire_version)
    title = translate(questionnaire.title, language, questionnaire.default_language).replace(
        "{org}", organization.short_name
    )
    g.forced_language = language  # the poster is in its own language, whatever the page's
    with force_locale(language):
        return render_template(
            "staff/campaigns/poster.html",
            campaign=campaign,
            organization=organization,
            title=title,
            links=links(runtime().settings, campaign),
            poster_language=language,
        )


# --- contacts -------------------------------------------------------------------------------------------


class ContactsForm(FlaskForm):  # type: ignore[misc]
    channel = SelectField(_l("Invite them by"))
    region = SelectField(
        _l("Country of numbers written without a country code"),
        choices=[SelectChoice("BE", _l("Belgium (+32)")), SelectChoice("FR", _l("France (+33)"))],
    )
    file = FileField(
        _l("Contact list (CSV)"),
        description=_l(
            "A header line with phone and language (fr, nl or en), and optionally name and reference; "
            "comma or semicolon separated, as Excel saves it."
        ),
    )


def _invitable(campaign: Campaign) -> list[str]:
    return [channel for channel in INVITABLE_CHANNELS if channel in campaign.channels]


def _contacts_page(
    campaign: Campaign, form: ContactsForm, report: ImportReport | None, status: int
) -> ResponseReturnValue:
    session = db()
    counts = {
        (channel, state): int(count)
        for channel, state, count in session.execute(
            select(Contact.channel, Contact.status, func.count())
            .where(Contact.campaign_id == campaign.id)
            .group_by(Contact.channel, Contact.status)
        )
    }
    channels = sorted({channel for channel, _state in counts} | set(_invitable(campaign)))
    return (
        render_template(
            "staff/campaigns/contacts.html",
            campaign=campaign,
            form=form,
            report=report,
            counts=counts,
            channels=channels,
            statuses=[s.value for s in ContactStatus],
            launches=_launches(campaign),
            settings=runtime().settings,
        ),
        status,
    )


def _contacts_form(campaign: Campaign) -> ContactsForm:
    form = ContactsForm()
    form.channel.choices = [SelectChoice(channel, CHANNEL_NAMES[channel]) for channel in _invitable(campaign)]
    if request.method == "GET":
        form.region.data = (
            staff().organization.default_region
            if staff().organization.default_region in ("BE", "FR")
            else "BE"
        )
    return form


@bp.get("/<code>/contacts")
@login_required
def contacts(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    return _contacts_page(campaign, _contacts_form(campaign), None, 200)


@bp.post("/<code>/contacts")
@requires("editor")
def upload_contacts(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    form = _contacts_form(campaign)
    if not form.validate_on_submit():
        return _contacts_page(campaign, form, None, 400)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors.append(_("Choose the CSV file to upload."))
        return _contacts_page(campaign, form, None, 400)
    session = db()
    try:
        report = import_contacts(
            session, runtime(), campaign, upload.read(), form.channel.data, form.region.data
        )
    except ContactListError as exc:
        session.rollback()
        form.form_errors.append(sentence(exc))
        return _contacts_page(campaign, form, None, 400)
    if not report.ok:
        session.rollback()
        return _contacts_page(campaign, form, report, 422)
    session.commit()
    log.info("campaign %s: %d contacts imported for %s", campaign.code, report.imported, form.channel.data)
    return _contacts_page(campaign, _contacts_form(campaign), report, 200)


@bp.get("/<code>/telegram")
@requires("editor")
def telegram_links(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    session = db()
    settings = runtime().settings
    shown = list(
        session.scalars(
            select(Contact)
            .where(Contact.campaign_id == campaign.id, Contact.channel == "telegram")
            .order_by(Contact.linked_at.is_not(None), Contact.id)
            .limit(TELEGRAM_PAGE)
        )
    )
    people = []
    for contact in shown:
        token = ensure_link_token(session, contact) if contact.linked_at is None else None
        people.append(
            {
                "who": _who(contact),
                "language": contact.language,
                "linked_at": contact.linked_at,
                "link": personal_link(settings, token) if token else None,
            }
        )
    session.commit()
    return render_template(
        "staff/campaigns/telegram.html",
        campaign=campaign,
        people=people,
        counts=link_counts(session, campaign.id),
        configured=personal_link(settings, "x") is not None,
        page_size=TELEGRAM_PAGE,
    )


@bp.get("/<code>/telegram.csv")
@requires("editor")
def telegram_links_csv(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    session = db()
    settings = runtime().settings
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "reference", "language", "linked", "link"])
    rows = 0
    for contact in session.scalars(
        select(Contact)
        .where(Contact.campaign_id == campaign.id, Contact.channel == "telegram")
        .order_by(Contact.id)
    ):
        token = ensure_link_token(session, contact) if contact.linked_at is None else None
        writer.writerow(
            [
                _name(contact) or "",
                contact.reference or "",
                contact.language,
                "yes" if contact.linked_at else "no",
                (personal_link(settings, token) or "") if token else "",
            ]
        )
        rows += 1
    # The file names the contacts and carries links that identify them to the bot: audited like an export.
    audit.record(
        session,
        campaign.organization_id,
        Action.TELEGRAM_LINKS_EXPORT,
        user_id=staff().id,
        target_type="campaign",
        target_id=campaign.code,
        details={"rows": rows},
    )
    session.commit()
    return Response(
        out.getvalue().encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="telegram-links-{campaign.code}.csv"'},
    )


def _name(contact: Contact) -> str | None:
    if contact.name_ciphertext is None:
        return None
    try:
        return runtime().vault.decrypt(contact.name_ciphertext)
    except IdentityDecryptError:
        return None


def _who(contact: Contact) -> str:
    """How staff recognise a contact: the name and reference they uploaded, never the phone number."""
    parts = [part for part in (_name(contact), contact.reference) if part]
    return " · ".join(parts) or _("contact no. %(id)d", id=contact.id)


# --- launching invitations ------------------------------------------------------------------------------

REFRESH_SECONDS = 5


@bp.post("/<code>/launches")
@requires("editor")
def launch(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    channel = request.form.get("channel", "")
    session = db()
    try:
        recorded = request_launch(session, campaign, channel, requested_by_id=staff().id)
    except LaunchError as exc:
        session.rollback()
        flash(sentence(exc), "error")
        return redirect(url_for("invitations.contacts", code=campaign.code))
    session.commit()
    launch_id = recorded.id
    try:
        enqueue_launch(runtime(), launch_id)
    except Exception:
        # The launch is recorded: the periodic sweep picks it up even if the queue is down right now.
        log.exception("could not enqueue launch %s", launch_id)
    return redirect(url_for("invitations.launch_progress", code=campaign.code, launch_id=launch_id))


@bp.get("/<code>/launches/<int:launch_id>")
@login_required
def launch_progress(code: str, launch_id: int) -> ResponseReturnValue:
    campaign = own_campaign(code)
    session = db()
    recorded = session.get(Launch, launch_id)
    if recorded is None or recorded.campaign_id != campaign.id:
        abort(404)
    state = progress(session, recorded)
    busy = not state.finished or state.queued + state.sending > 0
    return render_template(
        "staff/campaigns/launch.html",
        campaign=campaign,
        launch=recorded,
        progress=state,
        busy=busy,
        refresh=REFRESH_SECONDS,
    )


def _launches(campaign: Campaign) -> list[tuple[Launch, LaunchProgress]]:
    session = db()
    recent = session.scalars(
        select(Launch)
        .where(Launch.campaign_id == campaign.id)
        .order_by(Launch.requested_at.desc(), Launch.id.desc())
        .limit(5)
    )
    return [(item, progress(session, item)) for item in recent]
