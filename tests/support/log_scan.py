"""A pytest plugin: every log line of the test session, scanned for phone numbers, chat ids and free text.

Loaded for the whole suite by ``tests/conftest.py`` (``pytest_plugins``). From the start of the session a
handler on the root logger (and on any logger that doesn't propagate) keeps every record at INFO and
above, the level production runs at, with the same libraries quietened as ``configure_logging`` does;
the phone-number scrubbing filter of production is *not* applied: code must not log personal data in
the first place.

What counts as personal data is gathered as the suite runs:

* after every test that used a database (any :class:`~service.runtime.Runtime` among its fixtures),
  the addresses in every identity's ciphertext (phone numbers, Telegram chat ids), decrypted with the
  test's own keys, and every free-text answer stored;
* values a test registers with :func:`personal` (what it erased before the end, say);
* any E.164-looking number (``+32470123456``) in a log line, except the service's own sender numbers.

The test marked ``log_scan`` (``tests/integration/privacy/test_log_scan.py``) is moved to the very end
of the run and fails, naming the logger and the value, if any line carries any of it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from service.logging_setup import QUIET_LOGGERS

MARKER = "log_scan"
MIN_TEXT = 8
"""Shorter free-text answers ("non", "rien") are too common to point at anyone."""
E164 = re.compile(r"(?<![\w+])(?:whatsapp:)?\+[1-9]\d{7,14}(?!\d)")
WORD_START = re.compile(r"(?<!\w)\S")
"""Where a free-text answer can begin in a log line (answers are stored stripped)."""
DIGITS = re.compile(r"(?<![\d+])(\+?)(\d{5,15})(?!\d)")
"""A run of digits (with its "+"): a chat id or a number is looked up whole, never inside a longer run."""


@dataclass
class LogScan:
    """What the session logged, and the personal values that must not be in it."""

    lines: list[str] = field(default_factory=list)
    addresses: set[str] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)
    service_numbers: set[str] = field(default_factory=set)
    unreadable: int = 0
    """Test databases that could not be read after their test (a fault-injection test broke its own)."""

    def leaks(self) -> list[str]:
        """Each log line that carries personal data, with what it carries.

        Linear in the size of the logs whatever the number of values (a test may store 100,000 answers):
        numbers are looked up digit run by digit run, texts by their first characters wherever a word starts.
        """
        numbers = {value.removeprefix("+") for value in self.addresses if value.removeprefix("+").isdigit()}
        by_start: dict[str, list[str]] = {}
        for text in self.texts:
            if len(text) >= MIN_TEXT and any(c.isalpha() for c in text):
                by_start.setdefault(text[:MIN_TEXT], []).append(text)
        found: list[str] = []
        for line in self.lines:
            hits = {
                number
                for number in (match.group(0).removeprefix("whatsapp:") for match in E164.finditer(line))
                if number not in self.service_numbers
            }
            for match in DIGITS.finditer(line):
                if match.group(2) in numbers:
                    hits.add(match.group(0))
            for word in WORD_START.finditer(line):
                start = word.start()
                for text in by_start.get(line[start : start + MIN_TEXT], ()):
                    if line.startswith(text, start):
                        hits.add(text)
            if hits:
                found.append(f"{line!r} carries {sorted(hits)}")
        return found


SCAN = LogScan()


def personal(*values: str) -> None:
    """Register values that must never appear in a log line (a number or text the test erases before its end)."""
    for value in values:
        if value.startswith("+") or value.isdigit():
            SCAN.addresses.add(value)
        else:
            SCAN.texts.add(value)


class _Collector(logging.Handler):
    def __init__(self, scan: LogScan) -> None:
        super().__init__(level=logging.INFO)
        self.scan = scan
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record still shows what it holds
            text = f"{record.msg!r} {record.args!r}"
        if record.exc_info:
            text += "\n" + self._formatter.formatException(record.exc_info)
        self.scan.lines.append(f"{record.name}: {text}")


_COLLECTOR = _Collector(SCAN)


def _attach_to_silent_loggers() -> None:
    """Loggers that don't propagate never reach the root: the collector listens to them directly."""
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and not logger.propagate and _COLLECTOR not in logger.handlers:
            logger.addHandler(_COLLECTOR)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: scans the whole session's logs; runs last")
    root = logging.getLogger()
    root.addHandler(_COLLECTOR)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def pytest_unconfigure(config: pytest.Config) -> None:
    logging.getLogger().removeHandler(_COLLECTOR)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The scan runs after everything else, whatever the order of collection."""
    scans = [item for item in items if item.get_closest_marker(MARKER)]
    items[:] = [item for item in items if not item.get_closest_marker(MARKER)] + scans


def harvest(runtime: Any) -> None:
    """Read the personal data a test left in its database: decrypted addresses and free-text answers."""
    from service.identities import IdentityDecryptError
    from service.models import Answer, Identity

    settings = runtime.settings
    if settings.twilio is not None:
        SCAN.service_numbers.update(
            n for n in (settings.twilio.from_number, settings.twilio.whatsapp_from) if n
        )
    try:
        with runtime.sessions() as session:
            for (token,) in session.execute(
                select(Identity.ciphertext).where(Identity.ciphertext.is_not(None))
            ):
                try:
                    SCAN.addresses.add(runtime.vault.decrypt(token))
                except IdentityDecryptError:
                    continue
            for (value,) in session.execute(
                select(Answer.value).where(Answer.is_free_text.is_(True), Answer.value.is_not(None))
            ):
                if isinstance(value, str) and value.strip():
                    SCAN.texts.add(value.strip())
    finally:
        runtime.engine.dispose()


def _runtimes(values: Iterable[Any]) -> Iterator[Any]:
    from service.runtime import Runtime

    seen: set[int] = set()
    for value in values:
        if isinstance(value, Runtime) and id(value) not in seen:
            seen.add(id(value))
            yield value


@pytest.fixture(autouse=True)
def _personal_data_of_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test (its database fixtures are torn down by then, the data is still there): harvest."""
    _attach_to_silent_loggers()
    yield
    for runtime in _runtimes(getattr(request.node, "funcargs", {}).values()):
        try:
            harvest(runtime)
        except Exception:  # a test that broke its own database leaves nothing to read
            SCAN.unreadable += 1
