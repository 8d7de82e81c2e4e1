"""What every command shares: settings and runtime loading, and one-line errors."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.exc import OperationalError

from service.runtime import Runtime, build_runtime
from service.settings import ConfigError, load_settings


class VisesGroup(click.Group):
    """Turns configuration and connection problems into one clear line and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise click.ClickException(f"configuration error: {exc}") from None
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise click.ClickException(f"database unavailable: {reason}") from None


def get_runtime(ctx: click.Context) -> Runtime:
    """The runtime for this invocation, built once and disposed when the command ends."""
    obj = ctx.find_root().ensure_object(dict)
    if "runtime" not in obj:
        runtime = build_runtime(load_settings())
        obj["runtime"] = runtime
        ctx.find_root().call_on_close(runtime.dispose)
    return obj["runtime"]  # type: ignore[no-any-return]
