"""Error pages: translated HTML for people, JSON for the API and webhooks; never a traceback.

A database outage (the server gone, a connection cut, the pool exhausted) is not a bug: it is answered
503 with ``Retry-After``, so that people try again in a moment and providers deliver again later, and
the pool's pre-ping replaces the dead connections once the database is back.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "30"


def _wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/webhooks/"))
        or request.accept_mimetypes.best == "application/json"
    )


def _handle_http(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    if _wants_json():
        return jsonify({"message": exc.description or exc.name}), code
    # Werkzeug's own names and descriptions are English: the page words the usual codes itself.
    own = exc.description if exc.description != type(exc).description else None
    return render_template("error.html", code=code, name=None, description=own), code


def _handle_unexpected(exc: Exception) -> ResponseReturnValue:  # noqa: ARG001 (handler signature)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _handle_http(InternalServerError())


def _handle_database(exc: Exception) -> ResponseReturnValue:
    outage = isinstance(exc, OperationalError | PoolTimeout) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )
    if not outage:
        return _handle_unexpected(exc)
    log.error("database unavailable for %s %s (%s)", request.method, request.path, type(exc).__name__)
    response = make_response(
        _handle_http(ServiceUnavailable("the database is unavailable for a moment; try again shortly"))
    )
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(DBAPIError, _handle_database)
    app.register_error_handler(PoolTimeout, _handle_database)
    app.register_error_handler(Exception, _handle_unexpected)
