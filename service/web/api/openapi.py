"""``/api/v1/openapi.json``: the OpenAPI 3 document, its schemas generated from the marshmallow ones."""

from __future__ import annotations

from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify
from flask.typing import ResponseReturnValue

from service.web.api import schemas
from service.web.api.base import bp
from service.web.api.openapi_exports import add_export_paths
from service.web.api.openapi_parts import CODE, JSON, body, errors
from service.web.database import runtime

_ERRORS = {
    400: "The body is not JSON.",
    401: "No token, or an unknown or revoked one.",
    404: "No such campaign in the token's organization.",
    409: "The campaign's state does not allow this.",
    422: "The request breaks a rule; `errors` names each field.",
}


def _errors(*codes: int) -> dict[str, Any]:
    return errors(_ERRORS, *codes)


def _transition(action: str, summary: str) -> dict[str, Any]:
    return {
        "post": {
            "operationId": f"{action}Campaign",
            "summary": summary,
            "tags": ["campaigns"],
            "parameters": [CODE],
            "responses": {
                "200": body("Campaign", "The campaign after the change."),
                **_errors(401, 404, 409),
            },
        }
    }


@cache
def build_spec(server_url: str) -> dict[str, Any]:
    """The whole document (built once per server URL)."""
    spec = APISpec(
        title="vises API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "Campaigns, contacts and answers of one organization. Every request except this document "
                "needs a token made by an owner on the staff pages: `Authorization: Bearer <token>`. "
                'Errors are `{"message": …, "errors": {field: [problems]}}`.'
            )
        },
        servers=[{"url": f"{server_url}/api/v1"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name in (
        "Error",
        "Counts",
        "CampaignCounts",
        "Links",
        "QuestionnaireRef",
        "Campaign",
        "CampaignList",
        "CampaignCreate",
        "ContactIn",
        "ContactsUpload",
        "ContactLineError",
        "ContactsReport",
        "Response",
        "ResponsePage",
    ):
        spec.components.schema(name, schema=getattr(schemas, f"{name}Schema"))

    spec.path(
        path="/campaigns",
        operations={
            "get": {
                "operationId": "listCampaigns",
                "summary": "The organization's campaigns with their live counts",
                "tags": ["campaigns"],
                "responses": {"200": body("CampaignList", "Newest first."), **_errors(401)},
            },
            "post": {
                "operationId": "createCampaign",
                "summary": "Create a draft campaign from a shipped questionnaire or a definition",
                "description": (
                    "With `baseline`, the new campaign follows up an earlier one of the same organization "
                    "and questionnaire. An unknown code, a code of another organization, or a campaign "
                    "on another questionnaire is refused with 422 and `errors.baseline`."
                ),
                "tags": ["campaigns"],
                "requestBody": {"required": True, "content": {JSON: {"schema": "CampaignCreate"}}},
                "responses": {"201": body("Campaign", "The new draft."), **_errors(400, 401, 409, 422)},
            },
        },
    )
    spec.path(
        path="/campaigns/{code}",
        operations={
            "get": {
                "operationId": "getCampaign",
                "summary": "One campaign with its live counts",
                "tags": ["campaigns"],
                "parameters": [CODE],
                "responses": {"200": body("Campaign", "The campaign."), **_errors(401, 404)},
            }
        },
    )
    spec.path(path="/campaigns/{code}/start", operations=_transition("start", "Start (or resume) a campaign"))
    spec.path(path="/campaigns/{code}/pause", operations=_transition("pause", "Pause a running campaign"))
    spec.path(path="/campaigns/{code}/close", operations=_transition("close", "Close a campaign for good"))
    spec.path(
        path="/campaigns/{code}/contacts",
        operations={
            "post": {
                "operationId": "uploadContacts",
                "summary": "Add contacts: all or nothing, with every bad line reported",
                "description": (
                    "Either JSON (`ContactsUpload`) or a CSV body (`Content-Type: text/csv`, header "
                    "`phone,language` plus optional `name,reference`, with `?channel=sms|telegram` and "
                    "optionally `?region=FR|BE`). Phone numbers are normalised to E.164; nothing is stored "
                    "when any line is wrong."
                ),
                "tags": ["contacts"],
                "parameters": [
                    CODE,
                    {
                        "name": "channel",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["sms", "telegram", "whatsapp"]},
                    },
                    {
                        "name": "region",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["FR", "BE", "NL", "LU"]},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {"schema": "ContactsUpload"},
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
                "responses": {
                    "200": body("ContactsReport", "Every contact was imported."),
                    "422": {
                        "description": (
                            "Nothing was imported: `errors` lists each bad line (a contacts report), or names"
                            " each bad field of the request (channel, region, the body's shape)."
                        ),
                        "content": {
                            JSON: {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/ContactsReport"},
                                        {"$ref": "#/components/schemas/Error"},
                                    ]
                                }
                            }
                        },
                    },
                    **_errors(400, 401, 404),
                },
            }
        },
    )
    spec.path(
        path="/campaigns/{code}/responses",
        operations={
            "get": {
                "operationId": "listResponses",
                "summary": "Answers by question id, one conversation per item, oldest first",
                "tags": ["responses"],
                "parameters": [
                    CODE,
                    {
                        "name": "cursor",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "`next_cursor` of the previous page.",
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                    },
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": ["in_progress", "completed", "expired", "opted_out", "refused"],
                        },
                    },
                ],
                "responses": {"200": body("ResponsePage", "One page."), **_errors(401, 404, 422)},
            }
        },
    )
    add_export_paths(spec)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    document["paths"].setdefault("/openapi.json", {})["get"] = {
        "operationId": "getOpenApi",
        "summary": "This document",
        "security": [],
        "responses": {
            "200": {
                "description": "The OpenAPI document.",
                "content": {JSON: {"schema": {"type": "object"}}},
            }
        },
    }
    return document


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(build_spec(runtime().settings.public_base_url))
