"""The API's exports: a campaign's rows as a CSV streamed at once, or as a file built by a worker.

``GET /api/v1/campaigns/<code>/export?format=csv`` streams page by page as it is read, so a large campaign
starts downloading at once and never sits in memory. An XLSX (a zip, written whole before the first byte
can go) is built by the same worker job as the staff page's exports, on an
:class:`~service.models.Export` row: ``GET …/export?format=xlsx`` or ``POST …/exports`` answers 202 with
the export's status and its URL (also in ``Location``); ``GET …/exports/<id>`` says queued, running, done
or failed; ``GET …/exports/<id>/download`` hands the file out once done. So no request waits for a file
of 100,000 rows and no proxy times out.

The routes live on the API blueprint, so the token check, JSON errors and ``Cache-Control: no-store``
apply; a token reaches the exports of its own organization's campaigns only. Each request is audited as
"export" and each download as "export_download", with the token's id.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, request, send_file, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from service.definitions import definition
from service.models import Campaign, Export
from service.results.export_jobs import (
    enqueue_export,
    export_file,
    record_download,
    record_export,
    request_export,
)
from service.results.exports import FORMATS, csv_chunks, iter_records, plan_for
from service.results.phrases import LANGUAGES
from service.web.api.base import api_token, bp, dump, fail, load, token_campaign
from service.web.api.export_schemas import ExportRequestSchema, ExportSchema
from service.web.database import db, runtime

log = logging.getLogger(__name__)

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.get("/campaigns/<code>/export")
def export_campaign(code: str) -> ResponseReturnValue:
    campaign = token_campaign(code)
    fmt = request.args.get("format", "csv")
    language = request.args.get("language") or campaign.default_language
    codes = request.args.get("codes", "").lower() in ("1", "true", "yes")
    errors = {}
    if fmt not in FORMATS:
        errors["format"] = [f"one of {', '.join(FORMATS)}"]
    if language not in LANGUAGES:
        errors["language"] = [f"one of {', '.join(LANGUAGES)}"]
    if errors:
        fail(422, "the request is not valid", errors)
    if fmt != "csv":
        return _queue(campaign, fmt=fmt, language=language, codes=codes)
    session = db()
    plan = plan_for(definition(campaign.questionnaire_version), language, codes=codes)
    record_export(
        session, campaign, fmt=fmt, language=plan.language, codes=codes, via="api", token_id=api_token().id
    )
    session.commit()
    chunks = csv_chunks(plan.header, iter_records(runtime().sessions, campaign.id, plan))
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{campaign.code}.{fmt}"'},
    )


@bp.post("/campaigns/<code>/exports")
def request_campaign_export(code: str) -> ResponseReturnValue:
    campaign = token_campaign(code)
    body = request.get_json(silent=True) if request.content_length else {}
    if body is None:
        fail(400, "the body must be JSON (Content-Type: application/json), or empty")
    query = load(ExportRequestSchema(), body)
    return _queue(
        campaign,
        fmt=query["format"],
        language=query["language"] or campaign.default_language,
        codes=query["codes"],
    )


@bp.get("/campaigns/<code>/exports/<export_id>")
def export_status(code: str, export_id: str) -> ResponseReturnValue:
    campaign = token_campaign(code)
    return dump(ExportSchema(), _describe(campaign, _token_export(campaign, export_id)))


@bp.get("/campaigns/<code>/exports/<export_id>/download")
def download_export(code: str, export_id: str) -> ResponseReturnValue:
    campaign = token_campaign(code)
    export = _token_export(campaign, export_id)
    if export.status != "done":
        fail(409, f"the export is {export.status}, not done: follow its status URL")
    path = export_file(runtime().settings.instance_path, export)
    if path is None:
        fail(404, "the export's file is gone: ask for a new export")
    session = db()
    record_download(session, export, campaign.code, via="api", token=api_token().id)
    session.commit()
    name = f"{campaign.code}-{export.created_at:%Y%m%d-%H%M}.{export.format}"
    response = send_file(path, mimetype=MIME[export.format], as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"  # row-level data: kept by no cache, shared or private
    return response


def _queue(campaign: Campaign, *, fmt: str, language: str, codes: bool) -> ResponseReturnValue:
    """An export row for a worker to build, audited with the token; 202 with its status and URL."""
    session = db()
    export = request_export(
        session,
        campaign,
        fmt=fmt,
        language=language,
        codes=codes,
        user_id=None,
        via="api",
        token_id=api_token().id,
    )
    session.commit()
    try:
        enqueue_export(runtime(), export.id)
    except Exception:
        # The row stays queued; the sweep offers it again, so the client only has to keep polling.
        log.exception("could not enqueue export %s", export.id)
    session.refresh(export)
    described = _describe(campaign, export)
    return ExportSchema().dump(described), 202, {"Location": described["status_url"]}


def _token_export(campaign: Campaign, export_id: str) -> Export:
    # The id is read here, not by a route converter, so that the path is the documented "{export_id}"; an id
    # no database integer can hold is simply not found.
    known = export_id.isascii() and export_id.isdigit() and len(export_id) <= 18
    export = (
        db().scalar(select(Export).where(Export.id == int(export_id), Export.campaign_id == campaign.id))
        if known
        else None
    )
    if export is None:
        fail(404, "no export with this id for this campaign")
    return export


def _describe(campaign: Campaign, export: Export) -> dict[str, Any]:
    status_url = url_for("api.export_status", code=campaign.code, export_id=export.id, _external=True)
    download = (
        url_for("api.download_export", code=campaign.code, export_id=export.id, _external=True)
        if export.status == "done"
        else None
    )
    return {
        "id": export.id,
        "campaign": campaign.code,
        "format": export.format,
        "language": export.language,
        "codes": export.with_codes,
        "status": export.status,
        "rows": export.rows,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
        "status_url": status_url,
        "download_url": download,
    }
