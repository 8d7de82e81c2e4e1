"""The Flask application: staff pages, the web survey, webhooks and the JSON API."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from service.migrate import upgrade
from service.runtime import Runtime, build_runtime
from service.settings import Settings, load_settings
from service.web import (
    api,
    auth,
    database,
    errors,
    headers,
    health,
    i18n,
    privacy,
    results,
    security,
    staff,
    survey,
    webhooks_telegram,
    webhooks_twilio,
)


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
    if settings.trusted_proxies:
        # Client addresses (login and resume-code throttles) come from the proxy's X-Forwarded-For;
        # webhook signatures are checked against PUBLIC_BASE_URL, never against forwarded headers.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    database.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    app.register_blueprint(health.bp)
    headers.init_app(app, production=settings.production)
    auth.init_app(app)
    staff.init_app(app)
    results.init_app(app)
    privacy.init_app(app)
    api.init_app(app)
    app.register_blueprint(webhooks_twilio.bp)
    app.register_blueprint(webhooks_telegram.bp)
    app.register_blueprint(survey.bp)
    return app
