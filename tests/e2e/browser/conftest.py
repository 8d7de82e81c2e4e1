"""Real-browser fixtures: Debian's Chromium driven by Playwright, the app served by a real HTTP server.

Chromium comes from the system (``apt-get install chromium``; ``.ci/run`` installs it and sets
``VISES_CHROMIUM``); Playwright never downloads a browser here. Without Chromium the browser tests are
skipped with the reason, unless ``VISES_TEST_REQUIRE_SERVICES=1``, which makes that a failure.
Screenshots of the key pages go to ``tests/artifacts/`` (not committed).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from service.runtime import Runtime
from tests.support.databases import services_required

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def chromium_path() -> str:
    return os.environ.get("VISES_CHROMIUM") or "/usr/bin/chromium"


def _unavailable(reason: str) -> None:
    if services_required():
        pytest.fail(f"{reason} (VISES_TEST_REQUIRE_SERVICES=1 makes the browser tests mandatory)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session (a fresh context per test keeps tests apart)."""
    executable = chromium_path()
    if not os.access(executable, os.X_OK):
        _unavailable(f"Chromium not found at {executable} (apt-get install chromium, or set VISES_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class LiveServer:
    """The app on 127.0.0.1 and a free port, served by werkzeug in a thread."""

    def __init__(self, app: Flask) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app: Flask, runtime: Runtime) -> Iterator[LiveServer]:
    """The test app served for real; its public URL (web links, QR codes) is the server's address."""
    with LiveServer(app) as server:
        runtime.settings = runtime.settings.with_overrides(public_base_url=server.url)
        yield server


@pytest.fixture
def new_page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """Open pages in fresh browser contexts: ``new_page(locale="nl-BE", java_script_enabled=False)``."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("locale", "fr-BE")
        options.setdefault("viewport", {"width": 390, "height": 844})  # a phone
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artifact (``tests/artifacts/<name>.png``)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
