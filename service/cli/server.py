"""``vises serve``: the web service under gunicorn, migrations applied first."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask

from service.cli.base import get_runtime
from service.settings import ServerSettings, load_server_settings
from service.web import create_app


def run_gunicorn(app: Flask, server: ServerSettings) -> None:
    """Serve ``app`` with gunicorn, the Procfile's worker settings and ``server``'s checked values."""
    # Imported here, after the settings were checked: gunicorn parses WEB_CONCURRENCY with int()
    # when its config module is imported, and a bad value would end in its traceback.
    from gunicorn.app.base import BaseApplication

    options: dict[str, Any] = {
        "bind": server.bind,
        "workers": server.workers,
        "threads": server.threads,
        "worker_class": "gthread",
        "timeout": 60,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    }

    class Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    Gunicorn().run()


@click.command()
@click.option("--host", help="Address to bind.  [default: $HOST or 127.0.0.1]")
@click.option("--port", help="Port to bind.  [default: $PORT or 5000]")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: str | None) -> None:
    """Run the web service (migrations first)."""
    server = load_server_settings(host=host, port=port)
    runtime = get_runtime(ctx)
    app = create_app(runtime=runtime, migrate=True)
    runtime.engine.dispose()
    click.echo(
        f"vises on http://{server.bind}  (database: {runtime.engine.dialect.name}, "
        f"jobs: {'redis' if runtime.redis else 'inline'})"
    )
    run_gunicorn(app, server)
