"""The web benchmark's app: vises itself, plus a bare Flask endpoint under ``/bench/`` as the baseline.

gunicorn serves this with the Procfile's config (``--config python:service.web.gunicorn_conf``), so the
baseline runs in the same workers, threads and process as the production app, which is mounted unchanged
at ``/`` (werkzeug's ``DispatcherMiddleware``). ``POST /bench/insert`` does one INSERT into PostgreSQL
(table ``bench_pings``, created by the benchmark) and returns, as the issue's baseline asks.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from sqlalchemy import text
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from service.db import make_engine
from service.settings import load_settings
from service.web.wsgi import load as load_vises

CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_pings "
    "(id BIGSERIAL PRIMARY KEY, external_id VARCHAR(128) NOT NULL, received_at TIMESTAMPTZ NOT NULL)"
)


def baseline_app(database_url: str) -> Flask:
    """A bare Flask app whose one endpoint inserts one row and answers an empty TwiML document."""
    app = Flask("bench_baseline")
    engine = make_engine(database_url)  # the same pool settings as vises's

    @app.post("/insert")
    def insert() -> Response:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO bench_pings (external_id, received_at) VALUES (:external_id, now())"),
                {"external_id": request.form.get("MessageSid", "")[:128]},
            )
        return Response("<Response/>", mimetype="application/xml")

    return app


def load() -> Any:
    """gunicorn's entry point: ``gunicorn --config python:service.web.gunicorn_conf 'bench.baseline_app:load()'``."""
    vises = load_vises()
    return DispatcherMiddleware(vises, {"/bench": baseline_app(load_settings().database_url)})
