"""No log line of the whole test session carries a phone number, a Telegram chat id or a free-text answer.

The scan itself is ``tests/support/log_scan.py`` (a plugin loaded by ``tests/conftest.py``); the test
marked ``log_scan`` runs after every other test of the session, whatever was collected.
"""

from __future__ import annotations

import logging

import pytest

from tests.support.log_scan import _COLLECTOR, SCAN, LogScan, _Collector


def test_the_scan_finds_numbers_chat_ids_and_free_text_and_spares_our_own_numbers() -> None:
    scan = LogScan(
        addresses={"+32470123456", "6124538790"},
        texts={"Mon voisin Jules m'aide beaucoup", "non"},
        service_numbers={"+32460000000"},
    )
    collector = _Collector(scan)
    logger = logging.getLogger("tests.log_scan.sample")
    logger.addHandler(collector)
    logger.propagate = False
    try:
        logger.info("sent to %s", "+32470123456")
        logger.info("telegram update 734600001 for chat 6124538790")
        logger.warning("answer was %r", "Mon voisin Jules m'aide beaucoup")
        logger.info("from our number +32460000000 to whatsapp:+33612345678")
        logger.info("non-personal: 32 answers, update 6124538790123")
        logger.debug("below INFO, as in production: %s", "+32470123456")
        try:
            raise ValueError("number 32470123456 refused")
        except ValueError:
            logger.exception("provider error")
    finally:
        logger.removeHandler(collector)
        logger.propagate = True
    leaks = scan.leaks()
    assert len(scan.lines) == 6
    assert [leak.split(" carries ")[1] for leak in leaks] == [
        "['+32470123456']",
        "['6124538790']",
        '["Mon voisin Jules m\'aide beaucoup"]',
        "['+33612345678']",
        "['32470123456']",
    ]


@pytest.mark.log_scan
def test_no_log_line_of_the_session_carries_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    assert _COLLECTOR in root.handlers and root.getEffectiveLevel() <= logging.INFO
    logging.getLogger("tests.log_scan").info("the log scan sees the session's INFO lines")
    assert SCAN.lines[-1] == "tests.log_scan: the log scan sees the session's INFO lines"
    leaks = SCAN.leaks()
    with capsys.disabled():
        print(
            f"\n[log scan] {len(SCAN.lines)} log lines against {len(SCAN.addresses)} numbers and chat ids and "
            f"{len(SCAN.texts)} free-text answers; {SCAN.unreadable} test database(s) unreadable"
        )
    assert not leaks, f"{len(leaks)} log line(s) carry personal data:\n" + "\n".join(leaks[:50])
