"""``/api/v1/campaigns/<code>/contacts``: add contacts from a CSV body or a JSON list, all or nothing."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue

from service.contacts import ContactListError, ImportReport, import_contacts
from service.web.api.base import api_organization, bp, dump, fail, json_body, load, token_campaign
from service.web.api.schemas import ContactsReportSchema, ContactsUploadSchema
from service.web.database import db, runtime

_CHANNELS = ("sms", "telegram", "whatsapp")
_REGIONS = ("FR", "BE", "NL", "LU")


def _report(report: ImportReport) -> dict[str, Any]:
    return {
        "imported": report.imported,
        "already_present": list(report.already_present),
        "opted_out": report.opted_out,
        "errors": [{"line": p.line, "field": p.column, "message": p.message} for p in report.problems],
    }


@bp.post("/campaigns/<code>/contacts")
def upload_contacts(code: str) -> ResponseReturnValue:
    campaign = token_campaign(code)
    default_region = api_organization().default_region
    rows: Any
    if request.mimetype == "text/csv":
        channel = request.args.get("channel", "")
        region = (request.args.get("region") or default_region).upper()
        errors = {}
        if channel not in _CHANNELS:
            errors["channel"] = [f"give ?channel= one of {', '.join(_CHANNELS)}"]
        if region not in _REGIONS:
            errors["region"] = [f"one of {', '.join(_REGIONS)}"]
        if errors:
            fail(422, "the request is not valid", errors)
        rows = request.get_data()
    else:
        data = load(ContactsUploadSchema(), json_body())
        channel = data["channel"]
        region = data["region"] or default_region
        rows = [
            {key: value for key, value in contact.items() if value is not None}
            for contact in data["contacts"]
        ]
    session = db()
    try:
        report = import_contacts(session, runtime(), campaign, rows, channel, region)
    except ContactListError as exc:
        session.rollback()
        fail(422, "the request is not valid", {"channel": [str(exc)]})
    if not report.ok:
        session.rollback()
        return dump(ContactsReportSchema(), _report(report), 422)
    session.commit()
    return dump(ContactsReportSchema(), _report(report))
