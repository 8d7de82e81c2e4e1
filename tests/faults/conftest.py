"""Fixtures of the fault campaign: the app on a real HTTP server with SMS and Telegram configured, fake
providers, and a tally of what each test did (``tests/faults/tally.py``)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from service.runtime import Runtime
from service.settings import Settings
from service.web import create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_api import running as running_telegram
from tests.fakes.twilio_api import FakeTwilio
from tests.fakes.twilio_api import running as running_twilio
from tests.faults.live_server import serving
from tests.faults.respondents import TELEGRAM_TOKEN, TWILIO_SID, TWILIO_TOKEN, channel_env
from tests.faults.tally import Tally
from tests.support.databases import postgres_admin_url

os.environ.setdefault("VISES_FAULTS_SESSION", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


class GrantingLimiter:
    """The rate limiter's interface, granting every slot at once: Telegram's one message a second per chat
    would otherwise pace a burst of duplicates, and pacing is not what these tests are about."""

    def try_acquire(self, key: str, rate: Any) -> float:
        return 0.0


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" or report.failed:
        item.stash.setdefault(_outcomes, []).append(report.outcome)
    return report


_outcomes = pytest.StashKey[list[str]]()


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """This test's counts, written to ``tests/artifacts/faults/`` with its outcome when it ends."""
    record = Tally(
        area=getattr(request.module, "AREA", request.module.__name__),
        test=request.node.nodeid,
        database="postgresql" if postgres_admin_url() else "sqlite",
    )
    yield record
    outcomes = request.node.stash.get(_outcomes, [])
    outcome = "failed" if "failed" in outcomes else "passed" if outcomes else "skipped"
    record.write(outcome)


@pytest.fixture
def telegram_api() -> Iterator[FakeTelegram]:
    yield from running_telegram(TELEGRAM_TOKEN)


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    yield from running_twilio(TWILIO_SID, TWILIO_TOKEN)


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings],
    database_url: str,
    twilio_api: FakeTwilio,
    telegram_api: FakeTelegram,
) -> Settings:
    """The suite's database, SMS signed for a public URL, both providers faked; jobs inline."""
    return make_settings(DATABASE_URL=database_url, **channel_env(twilio_api.url, telegram_api.api_base))


@pytest.fixture(autouse=True)
def _granting_limiter_and_bot_closed(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every slot granted in the runtime's process; its Telegram Bot closed at the end, as at exit."""
    if "runtime" not in request.fixturenames:
        yield
        return
    runtime: Runtime = request.getfixturevalue("runtime")
    if not getattr(request.module, "REAL_LIMITER", False):
        runtime.cache["rate_limiter"] = GrantingLimiter()
    yield
    channel = runtime.cache.get("senders", {}).get("telegram")
    if channel is not None:
        channel.close()


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app on a threaded HTTP server of 127.0.0.1; its base URL."""
    with serving(app) as url:
        yield url


def served_app(runtime: Runtime) -> Flask:
    flask_app = create_app(runtime=runtime)
    flask_app.config.update(TESTING=True)
    return flask_app
