"""The API blueprint: bearer-token authentication, JSON bodies checked by marshmallow, JSON errors."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError
from sqlalchemy import select

from service.api_tokens import authenticate
from service.models import ApiToken, Campaign, Organization, utcnow
from service.web.database import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})


class ApiError(Exception):
    """An error answered as ``{"message": …, "errors": {field: [...]}}`` with ``status``."""

    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def fail(status: int, message: str, errors: dict[str, list[str]] | None = None) -> NoReturn:
    raise ApiError(status, message, errors)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> ResponseReturnValue:
    body: dict[str, Any] = {"message": exc.message}
    if exc.errors is not None:
        body["errors"] = exc.errors
    response = jsonify(body)
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="vises"'
    return response


@bp.before_request
def _authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        fail(401, "send an API token as 'Authorization: Bearer <token>'")
    session = db()
    token = authenticate(session, value.strip(), utcnow())
    if token is None:
        session.rollback()
        fail(401, "this API token is unknown or revoked")
    session.commit()
    g.api_token = token


@bp.after_request
def _no_store(response: Response) -> Response:
    if request.endpoint not in PUBLIC_ENDPOINTS:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def api_token() -> ApiToken:
    return g.api_token  # type: ignore[no-any-return]


def api_organization() -> Organization:
    organization = db().get(Organization, api_token().organization_id)
    assert organization is not None
    return organization


def token_campaign(code: str) -> Campaign:
    """The token's organization's campaign with this code; 404 for any other."""
    campaign = db().scalar(
        select(Campaign).where(
            Campaign.code == code.upper(), Campaign.organization_id == api_token().organization_id
        )
    )
    if campaign is None:
        fail(404, "no campaign with this code in the token's organization")
    return campaign


def json_body() -> Any:
    data = request.get_json(silent=True)
    if data is None:
        fail(400, "the body must be JSON (Content-Type: application/json)")
    return data


def load(schema: Schema, data: Any) -> Any:
    """``data`` checked and loaded by ``schema``; a 422 naming each bad field otherwise."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        fail(422, "the request is not valid", _field_errors(exc.messages))


def _field_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                errors.update(_field_errors(value, name))
            elif isinstance(value, list):
                flat = [str(item) for item in value if not isinstance(item, dict)]
                if flat:
                    errors[name] = flat
                for item in value:
                    if isinstance(item, dict):
                        errors.update(_field_errors(item, name))
            else:
                errors[name] = [str(value)]
    elif isinstance(messages, list):
        errors[prefix or "_schema"] = [str(item) for item in messages]
    return errors


def dump(schema: Schema, obj: Any, status: int = 200) -> ResponseReturnValue:
    return jsonify(schema.dump(obj)), status
