"""``vises serve``: the web service under gunicorn, migrations applied first."""

from __future__ import annotations

import os
from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication

from service.cli.base import get_runtime
from service.settings import check_port
from service.web import create_app


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


def run_gunicorn(app: Flask, host: str, port: int) -> None:
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": int(os.environ.get("WEB_THREADS", "4")),
        "worker_class": "gthread",
        "timeout": 60,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    }
    _Gunicorn(app, options).run()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=lambda: os.environ.get("PORT", "5000"), show_default="5000 or $PORT")
@click.pass_context
def serve(ctx: click.Context, host: str, port: str) -> None:
    """Run the web service (migrations first)."""
    port_number = check_port(port, "--port")
    runtime = get_runtime(ctx)
    app = create_app(runtime=runtime, migrate=True)
    runtime.engine.dispose()
    click.echo(
        f"vises on http://{host}:{port_number}  (database: {runtime.engine.dialect.name}, "
        f"jobs: {'redis' if runtime.redis else 'inline'})"
    )
    run_gunicorn(app, host, port_number)
