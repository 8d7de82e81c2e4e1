"""``GET /api/v1/campaigns/<code>/export``: a campaign's rows as CSV (streamed) or XLSX, for a bearer token.

The route lives on the API blueprint, so the token check, JSON errors and ``Cache-Control: no-store``
apply. CSV is streamed page by page as it is read, so a large campaign starts downloading at once and
never sits in memory; XLSX (a zip) is written to a temporary file first. Each call is audited as
"export" with the token's id.
"""

from __future__ import annotations

import tempfile

from flask import Response, request, send_file, stream_with_context
from flask.typing import ResponseReturnValue

from service.definitions import definition
from service.models import Organization
from service.results.codebook import codebook_rows
from service.results.export_jobs import record_export
from service.results.exports import FORMATS, csv_chunks, iter_records, plan_for, write_xlsx
from service.results.phrases import LANGUAGES
from service.web.api.base import api_token, bp, fail, token_campaign
from service.web.database import db, runtime


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
    session = db()
    organization = session.get_one(Organization, campaign.organization_id)
    plan = plan_for(definition(campaign.questionnaire_version), language, codes=codes)
    variables = {"org": organization.short_name}
    event = record_export(session, campaign, fmt=fmt, language=plan.language, codes=codes, via="api")
    event.details = {**event.details, "token": api_token().id}
    session.commit()
    campaign_id, name = campaign.id, f"{campaign.code}.{fmt}"
    sessions = runtime().sessions
    if fmt == "csv":
        chunks = csv_chunks(plan.header, iter_records(sessions, campaign_id, plan))
        return Response(
            stream_with_context(chunks),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    spool = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by send_file when the response ends
    write_xlsx(spool, plan, iter_records(sessions, campaign_id, plan), codebook_rows(plan, variables))
    spool.seek(0)
    return send_file(
        spool,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=name,
    )
