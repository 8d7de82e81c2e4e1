"""Gunicorn settings for the Procfile's ``web`` process (override with GUNICORN_CMD_ARGS)."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def on_starting(server: object) -> None:  # noqa: ARG001 (gunicorn hook signature)
    """Check the configuration once in the master, so a bad value stops start-up with one line."""
    import sys

    from service.settings import ConfigError, load_settings

    try:
        load_settings()
    except ConfigError as exc:
        print(f"vises: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
