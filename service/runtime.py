"""The running service's shared objects, built once per process from the settings.

Two composition roots build a :class:`Runtime`: the Flask app factory and the
worker start-up. Jobs find theirs with :func:`current_runtime`: the worker
installs one for the whole process; inline jobs run inside ``use_runtime`` of the
app that enqueued them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.db import make_engine, make_session_factory, transaction
from service.identities import IdentityVault
from service.jobs import InlineJobs, JobQueue, RedisJobs
from service.privacy.keys import vault_for
from service.settings import Settings

_current: ContextVar[Runtime | None] = ContextVar("vises_runtime", default=None)
_process_default: list[Runtime] = []


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    vault: IdentityVault
    jobs: JobQueue
    redis: Redis | None
    cache: dict[str, Any] = field(default_factory=dict)
    """Per-process objects built lazily (channel clients, parsed definitions)."""

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.redis is not None:
            self.redis.close()


def build_runtime(settings: Settings, *, engine: Engine | None = None) -> Runtime:
    """Everything a process needs, from the settings; nothing connects until first used."""
    engine = engine or make_engine(settings.database_url)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        vault=vault_for(settings),
        jobs=InlineJobs(),
        redis=redis,
    )
    if redis is not None:
        runtime.jobs = RedisJobs(redis)
    else:
        runtime.jobs = InlineJobs(runner=lambda call: _run_with(runtime, call))
    return runtime


def _run_with(runtime: Runtime, call: Any) -> Any:
    token = _current.set(runtime)
    try:
        return call()
    finally:
        _current.reset(token)


def install_runtime(runtime: Runtime) -> None:
    """Make ``runtime`` the process-wide default (the worker start-up does this)."""
    _process_default[:] = [runtime]


@contextmanager
def use_runtime(runtime: Runtime) -> Iterator[Runtime]:
    token = _current.set(runtime)
    try:
        yield runtime
    finally:
        _current.reset(token)


def current_runtime() -> Runtime:
    runtime = _current.get()
    if runtime is not None:
        return runtime
    if _process_default:
        return _process_default[0]
    raise RuntimeError("no vises runtime: jobs run inside a worker (vises worker) or the web app")
