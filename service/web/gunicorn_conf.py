"""Gunicorn settings for the Procfile's ``web`` process (override with GUNICORN_CMD_ARGS).

The Procfile runs this module (``python -m service.web.gunicorn_conf``), which checks HOST, PORT,
WEB_CONCURRENCY and WEB_THREADS and then starts gunicorn with itself as the config: gunicorn
parses WEB_CONCURRENCY with ``int()`` as soon as it is imported, before it reads any config,
so started directly it would answer a bad value with a traceback instead of one line.
"""

import sys

from service.settings import ConfigError, load_server_settings

try:
    _server = load_server_settings()
except ConfigError as exc:
    print(f"vises: configuration error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None

bind = _server.bind
workers = _server.workers
threads = _server.threads
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def on_starting(server: object) -> None:  # noqa: ARG001 (gunicorn hook signature)
    """Check the configuration once in the master, so a bad value stops start-up with one line."""
    from service.settings import load_settings

    try:
        load_settings()
    except ConfigError as exc:
        print(f"vises: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


def main() -> None:
    """Start gunicorn on the app factory with this config (GUNICORN_CMD_ARGS still applies)."""
    from gunicorn.app.wsgiapp import run

    sys.argv = ["gunicorn", "--config", "python:service.web.gunicorn_conf", "service.web.wsgi:load()"]
    run()


if __name__ == "__main__":
    main()
