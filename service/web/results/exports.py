"""Export pages: request a CSV or XLSX (built by a worker), follow its progress, download it when ready.

Everything works without JavaScript: the request is a POST form (with its CSRF token), and the status
page refreshes itself with a ``<meta http-equiv="refresh">`` while the export is being built. Each
download of a finished file is written to the audit trail, as the request was.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from service.models import Export
from service.results.export_jobs import enqueue_export, export_file, record_download, request_export
from service.results.exports import FORMATS, ExportError, count_rows
from service.results.phrases import LANGUAGES
from service.web.auth import requires, staff
from service.web.database import db, runtime
from service.web.results.campaign import FREE_TEXT_ROLE
from service.web.staff.campaigns import own_campaign

log = logging.getLogger(__name__)

bp = Blueprint("exports", __name__, url_prefix="/campaigns")

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _own_export(campaign_id: int, export_id: int) -> Export:
    export = db().scalar(select(Export).where(Export.id == export_id, Export.campaign_id == campaign_id))
    if export is None:
        abort(404)
    return export


@bp.get("/<code>/exports")
@requires(FREE_TEXT_ROLE)
def index(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    exports = db().scalars(
        select(Export)
        .where(Export.campaign_id == campaign.id)
        .order_by(Export.created_at.desc(), Export.id.desc())
        .limit(20)
    )
    return render_template(
        "results/exports.html",
        campaign=campaign,
        exports=list(exports),
        formats=FORMATS,
        languages=LANGUAGES,
        total=count_rows(db(), campaign.id),
    )


@bp.post("/<code>/exports")
@requires(FREE_TEXT_ROLE)
def create(code: str) -> ResponseReturnValue:
    campaign = own_campaign(code)
    session = db()
    try:
        export = request_export(
            session,
            campaign,
            fmt=request.form.get("format", ""),
            language=request.form.get("language", ""),
            codes=request.form.get("codes") == "1",
            user_id=staff().id,
            via="web",
        )
    except ExportError:
        session.rollback()
        flash(_("Choose a format and a language from the lists."), "error")
        return redirect(url_for("exports.index", code=campaign.code))
    session.commit()
    try:
        enqueue_export(runtime(), export.id)
    except Exception:
        log.exception("could not enqueue export %s", export.id)
        flash(_("The export could not be started; try again in a moment."), "error")
    return redirect(url_for("exports.status", code=campaign.code, export_id=export.id))


@bp.get("/<code>/exports/<int:export_id>")
@requires(FREE_TEXT_ROLE)
def status(code: str, export_id: int) -> ResponseReturnValue:
    campaign = own_campaign(code)
    export = _own_export(campaign.id, export_id)
    return render_template(
        "results/export.html",
        campaign=campaign,
        export=export,
        total=count_rows(db(), campaign.id),
        ready=export_file(runtime().settings.instance_path, export) is not None,
    )


@bp.get("/<code>/exports/<int:export_id>/download")
@requires(FREE_TEXT_ROLE)
def download(code: str, export_id: int) -> ResponseReturnValue:
    campaign = own_campaign(code)
    export = _own_export(campaign.id, export_id)
    path = export_file(runtime().settings.instance_path, export)
    if path is None:
        abort(404)
    session = db()
    record_download(session, export, campaign.code, via="web", user_id=staff().id)
    session.commit()
    name = f"{campaign.code}-{export.created_at:%Y%m%d-%H%M}.{export.format}"
    response = send_file(path, mimetype=MIME[export.format], as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"  # row-level data: kept by no cache, shared or private
    return response
