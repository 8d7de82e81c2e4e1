"""One database session per request, closed at the end whatever happens."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from service.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["vises"]  # type: ignore[no-any-return]


def db() -> Session:
    """The request's session (created on first use)."""
    if "db" not in g:
        g.db = runtime().sessions()
    return g.db  # type: ignore[no-any-return]


def _close(exc: BaseException | None) -> None:  # noqa: ARG001 (teardown signature)
    session = g.pop("db", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
