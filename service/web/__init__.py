"""The Flask application: staff pages, the web survey, webhooks and the JSON API."""

from __future__ import annotations

from flask import Flask

from service.migrate import upgrade
from service.runtime import Runtime, build_runtime
from service.settings import Settings, load_settings
from service.web import database, errors, health, i18n, security


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, migrate: bool = False
) -> Flask:
    """Build the app; ``migrate`` applies pending migrations first (``vises serve`` and ``demo`` do)."""
    settings = settings or (runtime.settings if runtime else load_settings())
    runtime = runtime or build_runtime(settings)
    if migrate:
        upgrade(runtime.engine)

    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        PREFERRED_URL_SCHEME="https" if settings.public_base_url.startswith("https") else "http",
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.extensions["vises"] = runtime

    database.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    app.register_blueprint(health.bp)
    return app
