"""The log scan reads the log files of the processes tests start, with the rules of in-process records.

A worker or server started by ``tests.support.processes.start_vises`` logs through production's set-up
to a file: these tests prove such a file is read into the scan and fails it when it carries a phone
number (in any usual form), a chat id, a free-text answer, or a number production's filter scrubbed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.log_scan import SCAN, LogScan, assert_no_personal_data_in, personal
from tests.support.processes import start_vises, stop

NUMBER = "+32470123456"
CHAT = "6124538790"
FREE_TEXT = "Mon voisin Jules m'aide beaucoup"
OURS = "+32460000000"
CLEAN = "2026-11-26 13:04:21,123 INFO rq.worker: delivery: Job OK (4f2a-11), result 200 sent 40/40"


def _scan(log: Path) -> LogScan:
    scan = LogScan(addresses={NUMBER, CHAT}, texts={FREE_TEXT}, service_numbers={OURS})
    scan.follow(log)
    return scan


@pytest.mark.parametrize(
    ("line", "carries"),
    [
        ("INFO workers.delivery: sent to +32470123456", "+32470123456"),
        ("INFO workers.delivery: sent to whatsapp:+32470123456", "+32470123456"),
        ("WARNING twilio: 'To' number 32470123456 is not valid", "32470123456"),
        ("WARNING twilio: 'To' number 0032470123456 is not valid", "0032470123456"),
        ("INFO service.contacts: row 3 has 0470123456", "0470123456"),
        ("INFO service.contacts: row 3 has 0470 12 34 56", "0470 12 34 56"),
        ("INFO service.contacts: row 3 has 0470.12.34.56", "0470.12.34.56"),
        ("INFO service.contacts: national number 470123456", "470123456"),
        ("INFO service.contacts: row 3 has +32 470 12 34 56", "+32 470 12 34 56"),
        ("INFO service.contacts: someone else at +33 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("INFO bots.telegram: update 734600001 for chat 6124538790", "6124538790"),
        ('ERROR workers.scoring: answer was "Mon voisin Jules m\'aide beaucoup"', FREE_TEXT),
        ("ERROR twilio.base: unable to create record: [phone] is unsubscribed", "[phone]"),
    ],
)
def test_a_process_log_line_with_personal_data_fails_the_scan(
    tmp_path: Path, line: str, carries: str
) -> None:
    log = tmp_path / "worker.log"
    scan = _scan(log)
    log.write_text(f"{CLEAN}\n2026-11-26 13:04:22,001 {line}\n{CLEAN}\n", encoding="utf-8")
    scan.collect(final=True)
    assert len(scan.lines) == 3 and all(entry.startswith(f"{log}: ") for entry in scan.lines)
    (leak,) = scan.leaks()
    assert leak.split(" carries ")[1] == repr([carries])
    personal(NUMBER, CHAT, FREE_TEXT)
    with pytest.raises(AssertionError, match="1 log line"):
        assert_no_personal_data_in(log)  # what the worker tests call, with the session's values


def test_our_own_numbers_timestamps_counts_and_ids_are_no_leak(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    scan = _scan(log)
    log.write_text(
        f"{CLEAN}\n"
        "2026-11-26 13:04:22,001 INFO workers.delivery: from +32460000000, 40 sent in 1.25 s, id 61245387901\n"
        "2026-11-26 13:04:22,002 INFO bots.telegram: update 6124538790123 handled; short answer 'non'\n",
        encoding="utf-8",
    )
    scan.collect(final=True)
    assert len(scan.lines) == 3
    assert scan.leaks() == []


def test_a_line_still_being_written_is_read_whole_once_its_process_stopped(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    log.write_text("written before the process started: not its own +32470999999\n", encoding="utf-8")
    scan = _scan(log)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"{CLEAN}\nsending to 0470 12")
    scan.collect()
    assert scan.lines == [f"{log}: {CLEAN}"]
    with log.open("a", encoding="utf-8") as handle:
        handle.write(" 34 56")
    scan.collect(final=True)
    assert scan.lines[1:] == [f"{log}: sending to 0470 12 34 56"]
    assert [leak.split(" carries ")[1] for leak in scan.leaks()] == ["['0470 12 34 56']"]


def test_the_log_of_a_process_started_by_the_tests_joins_the_session_scan(tmp_path: Path) -> None:
    log = tmp_path / "vises.log"
    process = start_vises(["--help"], {}, log)
    assert process.wait(60) == 0
    stop(process)
    read = [line for line in SCAN.lines if line.startswith(f"{log}: ")]
    assert read and any("Usage" in line for line in read), read
