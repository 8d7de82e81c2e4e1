"""``GET /healthz``: is the database reachable and migrated, is Redis answering."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.migrate import current_revision, head_revision
from service.web.database import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    rt = runtime()
    database: dict[str, Any] = {"backend": rt.engine.dialect.name}
    try:
        with rt.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(rt.engine)
        database.update(ok=True, revision=revision, migrated=revision == head_revision())
    except SQLAlchemyError as exc:
        database.update(ok=False, error=type(exc).__name__)

    redis: dict[str, Any] = {"configured": rt.redis is not None}
    if rt.redis is not None:
        try:
            redis["ok"] = bool(rt.redis.ping())
        except RedisError as exc:
            redis.update(ok=False, error=type(exc).__name__)
    jobs = "rq" if rt.redis is not None else "inline"

    healthy = database["ok"] and database.get("migrated", False) and redis.get("ok", True)
    body = {"status": "ok" if healthy else "unavailable", "database": database, "redis": redis, "jobs": jobs}
    return jsonify(body), 200 if healthy else 503
