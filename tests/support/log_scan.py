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
* after every test, the chat ids of the fake Telegram and the numbers the fake Twilio sent to, for
  any fake among its fixtures;
* values a test registers with :func:`personal` (what it erased before the end, say);
* any E.164-looking number (``+32470123456``, ``+32 470 12 34 56``) in a log line, except the service's
  own sender numbers.

A known number is looked for in every form it may be written in: E.164, without its "+", with "00",
national (``0470123456``, ``0470 12 34 56``) and as its bare national significant number.

Processes a test starts (``tests.support.processes.start_vises``) log to files, through production's
logging set-up: each file is :func:`follow`-ed, read when its process stops and after every test, and
its lines are scanned like the in-process records. Production scrubs ``+``/``00`` numbers there into
``[phone]``: a scrubbed number is a leak too, since code logged it. Logs copied once their processes
ended (the benchmarks': their stack deletes its own folder) are added whole with :func:`include`.

The test marked ``log_scan`` (``tests/integration/privacy/test_log_scan.py``) is moved to the very end
of the run and fails, naming the logger and the value, if any line carries any of it.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from sqlalchemy import select

from service.logging_setup import QUIET_LOGGERS

MARKER = "log_scan"
MIN_TEXT = 8
"""Shorter free-text answers ("non", "rien") are too common to point at anyone."""
E164 = re.compile(r"(?<![\w+])(?:whatsapp:)?\+[1-9]\d{7,14}(?!\d)")
WORD_START = re.compile(r"(?<!\w)\S")
"""Where a free-text answer can begin in a log line (answers are stored stripped)."""
NUMBER = re.compile(r"(?<![\d+])(\+?)\d+(?:[ .\-]\d+)*(?!\d)")
"""Digit groups, perhaps with a "+", joined by single spaces, dots or hyphens (``0470 12 34 56``)."""
GROUP = re.compile(r"\d+")
LONGEST = 17
"""Digits in the longest form of a number (``00`` and 15 digits): no longer run of groups is looked up."""
SCRUBBED = "[phone]"
"""What production's ``RedactPhoneNumbers`` leaves of a number in a process's log."""


@functools.cache  # parsing is slow (~0.2 ms): each of thousands of registered numbers is parsed once a session
def number_forms(address: str) -> frozenset[str]:
    """The digits of every way ``address`` may be written: E.164 without "+", with "00", national, bare."""
    digits = address.removeprefix("whatsapp:").removeprefix("+")
    if not digits.isdigit():
        return frozenset()
    forms = {digits}
    if address.removeprefix("whatsapp:").startswith("+"):
        forms.add("00" + digits)
        try:
            parsed = phonenumbers.parse("+" + digits)
        except phonenumbers.NumberParseException:
            return frozenset(forms)
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        forms |= {"".join(GROUP.findall(national)), phonenumbers.national_significant_number(parsed)}
    return frozenset(form for form in forms if len(form) >= 5)


@dataclass
class LogScan:
    """What the session logged, and the personal values that must not be in it."""

    lines: list[str] = field(default_factory=list)
    addresses: set[str] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)
    service_numbers: set[str] = field(default_factory=set)
    unreadable: int = 0
    """Test databases that could not be read after their test (a fault-injection test broke its own)."""
    followed: dict[Path, int] = field(default_factory=dict)
    """Log files of processes the tests started, and how far each has been read."""

    def follow(self, path: Path) -> None:
        """Scan the log file ``path`` of a process: read from where it ends now, whenever it is collected."""
        size = path.stat().st_size if path.exists() else 0
        self.followed.setdefault(path, size)

    def collect(self, *paths: Path, final: bool = False) -> None:
        """Add the new lines of followed log files (all of them by default) to the scan.

        Only whole lines are taken while a process may still be writing; ``final`` takes the rest too.
        """
        for path in paths or tuple(self.followed):
            offset = self.followed.get(path)
            if offset is None or not path.exists():
                continue
            with path.open("rb") as handle:
                handle.seek(offset)
                data = handle.read()
            if not final:
                data = data[: data.rfind(b"\n") + 1]
            self.followed[path] = offset + len(data)
            for line in data.decode("utf-8", errors="replace").splitlines():
                if line.strip():
                    self.lines.append(f"{path}: {line}")

    def leaks(self) -> list[str]:
        """Each log line that carries personal data, with what it carries.

        Linear in the size of the logs whatever the number of values (a test may store 100,000 answers):
        numbers are looked up digit run by digit run, texts by their first characters wherever a word starts.
        """
        numbers = {form for value in self.addresses for form in number_forms(value)}
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
            for match in NUMBER.finditer(line):
                hits |= self._numbers_in(line, match, numbers)
            for word in WORD_START.finditer(line):
                start = word.start()
                for text in by_start.get(line[start : start + MIN_TEXT], ()):
                    if line.startswith(text, start):
                        hits.add(text)
            if SCRUBBED in line:
                hits.add(SCRUBBED)
            if hits:
                found.append(f"{line!r} carries {sorted(hits)}")
        return found

    def _numbers_in(self, line: str, match: re.Match[str], numbers: set[str]) -> set[str]:
        """Known numbers written as whole digit groups of ``match``, and any "+" number in it not ours."""
        signed = bool(match.group(1))
        groups = list(GROUP.finditer(line, match.start(), match.end()))
        hits: set[str] = set()
        i = 0
        while i < len(groups):
            digits, end = "", None
            for j in range(i, len(groups)):
                digits += groups[j].group(0)
                if len(digits) > LONGEST:
                    break
                if digits in numbers:
                    end = j
            if end is None:
                i += 1
                continue
            hits.add(("+" if signed and i == 0 else "") + line[groups[i].start() : groups[end].end()])
            i = end + 1  # the longest form found: its own groups are not looked up again
        if signed and len(groups) > 1:  # unbroken "+" numbers are E164's
            digits = ""
            for group in groups:
                if len(digits + group.group(0)) > 15:
                    break
                digits += group.group(0)
            if len(digits) >= 8 and digits[0] != "0" and "+" + digits not in self.service_numbers:
                hits.add(match.group(0))
        return hits


SCAN = LogScan()


def personal(*values: str) -> None:
    """Register values that must never appear in a log line (a number or text the test erases before its end)."""
    for value in values:
        if value.startswith("+") or value.isdigit():
            SCAN.addresses.add(value)
        else:
            SCAN.texts.add(value)


def follow(path: Path) -> None:
    """Scan the log file of a process the test started (read when it stops, after the test, at the end)."""
    SCAN.follow(path)


def collect(path: Path) -> None:
    """Read what a stopped process wrote to its followed log file, up to its last byte."""
    SCAN.collect(path, final=True)


def include(*paths: Path) -> None:
    """Add whole log files of processes that ended before the test could follow them (a benchmark's copies)."""
    for path in paths:
        SCAN.followed.setdefault(path, 0)
    SCAN.collect(*paths, final=True)


def ours(*numbers: str) -> None:
    """Register sender numbers of the service a test configured itself (no settings of a runtime tell them)."""
    SCAN.service_numbers.update(numbers)


def assert_no_personal_data_in(*logs: Path, runtime: Any = None, fakes: Iterable[Any] = ()) -> None:
    """Fail now, naming the line, if one of these process logs carries personal data.

    Known so far: the session's values, plus what ``runtime``'s database and the ``fakes`` hold now.
    The same lines are scanned again with the whole session at the end.
    """
    if runtime is not None:
        harvest(runtime)
    harvest_fakes(fakes)
    scan = LogScan(
        addresses=SCAN.addresses,
        texts=SCAN.texts,
        service_numbers=SCAN.service_numbers,
        followed=dict.fromkeys(logs, 0),
    )
    scan.collect(final=True)
    leaks = scan.leaks()
    assert not leaks, f"{len(leaks)} log line(s) carry personal data:\n" + "\n".join(leaks[:20])


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


def harvest_fakes(values: Iterable[Any]) -> None:
    """The chat ids the fake Telegram knows and the numbers the fake Twilio sent to are personal too."""
    from tests.fakes.telegram_api import FakeTelegram
    from tests.fakes.twilio_api import FakeTwilio

    for value in values:
        if isinstance(value, FakeTelegram):
            SCAN.addresses.update(str(chat_id) for chat_id in list(value.chats))
        elif isinstance(value, FakeTwilio):
            SCAN.addresses.update(m.to.removeprefix("whatsapp:") for m in list(value.messages))


def _runtimes(values: Iterable[Any]) -> Iterator[Any]:
    from service.runtime import Runtime

    seen: set[int] = set()
    for value in values:
        if isinstance(value, Runtime) and id(value) not in seen:
            seen.add(id(value))
            yield value


@pytest.fixture(autouse=True)
def _personal_data_of_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test (its database fixtures are torn down by then, the data is still there): harvest.

    The scan itself first reads every followed log file to its end.
    """
    _attach_to_silent_loggers()
    if request.node.get_closest_marker(MARKER):
        SCAN.collect(final=True)
    yield
    SCAN.collect()
    harvest_fakes(getattr(request.node, "funcargs", {}).values())
    for runtime in _runtimes(getattr(request.node, "funcargs", {}).values()):
        try:
            harvest(runtime)
        except Exception:  # a test that broke its own database leaves nothing to read
            SCAN.unreadable += 1
