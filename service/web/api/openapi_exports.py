"""The OpenAPI paths and schemas of the API's exports (``service.web.results.api``), added to the document
by :func:`service.web.api.openapi.build_spec`."""

from __future__ import annotations

from typing import Any

from apispec import APISpec

from service.web.api.export_schemas import ExportRequestSchema, ExportSchema
from service.web.api.openapi_parts import CODE, JSON, errors

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ERRORS = {
    400: "The body is neither JSON nor empty.",
    401: "No token, or an unknown or revoked one.",
    404: "No such campaign in the token's organization, or no such export of it.",
    409: "The export is not done yet (queued or running), or it failed.",
    422: "The request breaks a rule; `errors` names each field.",
}
_EXPORT_ID = {
    "name": "export_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
    "description": "The export's id, as answered when it was requested.",
}


def _errors(*codes: int) -> dict[str, Any]:
    return errors(_ERRORS, *codes)


def _accepted() -> dict[str, Any]:
    return {
        "description": (
            "The export is queued for a worker (or already built): follow `status_url` until its status is "
            "`done`, then fetch `download_url`."
        ),
        "headers": {"Location": {"description": "The export's status URL.", "schema": {"type": "string"}}},
        "content": {JSON: {"schema": "Export"}},
    }


def add_export_paths(spec: APISpec) -> None:
    """Register the export schemas and the paths ``/campaigns/{code}/export`` and ``…/exports…``."""
    spec.components.schema("ExportRequest", schema=ExportRequestSchema)
    spec.components.schema("Export", schema=ExportSchema)
    spec.path(
        path="/campaigns/{code}/export",
        operations={
            "get": {
                "operationId": "exportCampaign",
                "summary": "All answers as a file: CSV streamed at once, or XLSX (with a codebook) built by a worker",
                "description": (
                    "`format=csv` answers 200 and streams the rows as they are read. `format=xlsx` answers 202 "
                    "like `POST /campaigns/{code}/exports`: the file is built by a worker, and downloaded from "
                    "the export's `download_url` when its status is `done`."
                ),
                "tags": ["responses"],
                "parameters": [
                    CODE,
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["csv", "xlsx"], "default": "csv"},
                    },
                    {
                        "name": "language",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["fr", "nl", "en"]},
                    },
                    {
                        "name": "codes",
                        "in": "query",
                        "schema": {"type": "boolean", "default": False},
                        "description": "Choice codes instead of labels.",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "CSV: one row per conversation, streamed.",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    "202": _accepted(),
                    **_errors(401, 404, 422),
                },
            }
        },
    )
    spec.path(
        path="/campaigns/{code}/exports",
        operations={
            "post": {
                "operationId": "requestExport",
                "summary": "Ask a worker to build a CSV or XLSX of all answers (one row per conversation)",
                "tags": ["responses"],
                "parameters": [CODE],
                "requestBody": {
                    "required": False,
                    "description": "Left out: an XLSX with labels in the campaign's default language.",
                    "content": {JSON: {"schema": "ExportRequest"}},
                },
                "responses": {"202": _accepted(), **_errors(400, 401, 404, 422)},
            }
        },
    )
    spec.path(
        path="/campaigns/{code}/exports/{export_id}",
        operations={
            "get": {
                "operationId": "getExport",
                "summary": "An export's status: queued, running, done (with its download URL) or failed",
                "tags": ["responses"],
                "parameters": [CODE, _EXPORT_ID],
                "responses": {
                    "200": {"description": "The export.", "content": {JSON: {"schema": "Export"}}},
                    **_errors(401, 404),
                },
            }
        },
    )
    spec.path(
        path="/campaigns/{code}/exports/{export_id}/download",
        operations={
            "get": {
                "operationId": "downloadExport",
                "summary": "The file of a finished export",
                "tags": ["responses"],
                "parameters": [CODE, _EXPORT_ID],
                "responses": {
                    "200": {
                        "description": "One row per conversation (XLSX: the data sheet, then the codebook).",
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            _XLSX: {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    **_errors(401, 404, 409),
                },
            }
        },
    )
