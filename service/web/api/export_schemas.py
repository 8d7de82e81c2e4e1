"""The API's export bodies: a request for a file built by a worker, and the export's status."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from service.results.exports import FORMATS
from service.results.phrases import LANGUAGES

EXPORT_STATUSES = ("queued", "running", "done", "failed")


class ExportRequestSchema(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(FORMATS))
    language = fields.String(
        load_default=None,
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "Language of the labels; the campaign's default language when left out."},
    )
    codes = fields.Boolean(load_default=False, metadata={"description": "Choice codes instead of labels."})


class ExportSchema(Schema):
    id = fields.Integer(required=True)
    campaign = fields.String(required=True, metadata={"description": "The campaign's code."})
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    codes = fields.Boolean(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(EXPORT_STATUSES),
        metadata={
            "description": "queued: waiting for a worker; running: being written; done: ready to download; "
            "failed: ask for a new one."
        },
    )
    rows = fields.Integer(
        required=True, metadata={"description": "Rows written so far (all of them when done)."}
    )
    created_at = fields.AwareDateTime(required=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    status_url = fields.String(required=True, metadata={"description": "Where to follow this export."})
    download_url = fields.String(
        allow_none=True, metadata={"description": "The file, once the export is done; null before."}
    )
