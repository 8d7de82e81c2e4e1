"""CSRF on every form (Flask-WTF); webhooks and the bearer-token API opt out with ``csrf.exempt``."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("WTF_CSRF_SSL_STRICT", True)
    csrf.init_app(app)
