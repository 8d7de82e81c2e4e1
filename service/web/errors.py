"""Error pages: translated HTML for people, JSON for the API and webhooks; never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/webhooks/"))
        or request.accept_mimetypes.best == "application/json"
    )


def _handle_http(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    if _wants_json():
        return jsonify({"message": exc.description or exc.name}), code
    return render_template("error.html", code=code, name=exc.name, description=exc.description), code


def _handle_unexpected(exc: Exception) -> ResponseReturnValue:  # noqa: ARG001 (handler signature)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _handle_http(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
