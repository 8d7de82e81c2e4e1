"""The JSON API under ``/api/v1``: bearer tokens per organization, CSRF-exempt, JSON errors."""

from __future__ import annotations

from flask import Flask

from service.web.api import campaigns, contacts, openapi, responses
from service.web.api.base import bp
from service.web.security import csrf

__all__ = ["campaigns", "contacts", "init_app", "openapi", "responses"]


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
