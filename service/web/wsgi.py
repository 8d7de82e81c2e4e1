"""Gunicorn's entry point (Procfile ``web``): ``gunicorn 'service.web.wsgi:load()'``."""

from __future__ import annotations

import sys

from flask import Flask

from service.logging_setup import configure_logging
from service.settings import ConfigError, load_settings
from service.web import create_app


def load() -> Flask:
    """Build the app for one gunicorn worker; bad configuration ends start-up with one line."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"vises: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level)
    return create_app(settings, migrate=True)
