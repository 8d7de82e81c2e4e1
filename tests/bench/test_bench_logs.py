"""A benchmark's process logs are kept for the scan, and one carrying a respondent's data fails it.

No benchmark runs here: a stack that was never entered stands in for one whose processes have stopped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import data, turns
from bench.stack import LOGS_ENV, TWILIO_FROM, Stack
from tests.bench.logs import scan_copies
from tests.support.log_scan import SCAN

CLEAN = "2026-11-26 13:04:21,123 INFO rq.worker: delivery: Job OK (4f2a-11), result 200 sent 40/40"


def _stopped_stack(tmp_path: Path, lines: list[str]) -> Stack:
    stack = Stack("turns", folder=tmp_path / "vises-bench-stopped")
    stack.folder.mkdir()
    (stack.folder / "web.log").write_text("\n".join([CLEAN, *lines, CLEAN]) + "\n", encoding="utf-8")
    (stack.folder / "fakes.log").write_text(CLEAN + "\n", encoding="utf-8")
    (stack.folder / "export.csv").write_text("code;answer\nA1;Réponse libre 12\n", encoding="utf-8")
    return stack


@pytest.mark.parametrize(
    ("line", "carries"),
    [
        ("INFO workers.delivery: sent to 0470000042", "0470000042"),  # a contact of bench.data.contacts
        (
            "WARNING twilio: 'To' number 491000017 is not valid",
            "491000017",
        ),  # an SMS respondent of bench.turns
        ("INFO bots.telegram: blocked by chat 5002000007", "5002000007"),  # a Telegram respondent
        ("ERROR workers.scoring: answer was 'Réponse libre 314'", "Réponse libre"),  # a stored free text
    ],
)
def test_a_copied_bench_log_with_a_respondents_data_fails_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, carries: str
) -> None:
    monkeypatch.setenv(LOGS_ENV, str(tmp_path / "kept"))
    copies = _stopped_stack(tmp_path, [f"2026-11-26 13:04:22,001 {line}"]).copy_logs()
    assert sorted(copy.name for copy in copies) == ["fakes.log", "web.log"]
    assert all(copy.parent.parent == tmp_path / "kept" for copy in copies)
    with pytest.raises(AssertionError, match="1 log line") as failure:
        scan_copies(tmp_path / "kept")
    assert repr([carries]) in str(failure.value)
    assert not any(entry.startswith(str(tmp_path)) for entry in SCAN.lines)


def test_a_clean_bench_log_passes_and_joins_the_session_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LOGS_ENV, str(tmp_path / "kept"))
    own = f"2026-11-26 13:04:22,001 INFO workers.delivery: from {TWILIO_FROM}, 40 sent in 1.25 s, chat count 5002"
    copies = _stopped_stack(tmp_path, [own]).copy_logs()
    assert scan_copies(tmp_path / "kept") == sorted(copies)
    assert sum(entry.startswith(str(tmp_path)) for entry in SCAN.lines) == 4


def test_nothing_is_copied_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOGS_ENV, raising=False)
    assert _stopped_stack(tmp_path, []).copy_logs() == []
    assert list(tmp_path.iterdir()) == [tmp_path / "vises-bench-stopped"]


def test_the_registered_values_are_those_the_benchmarks_send(tmp_path: Path) -> None:
    values = set(data.personal_values(3))
    stack = Stack("turns", folder=tmp_path)
    for offset in data.TURN_OFFSETS:
        sms = next(turns.sms_script(stack, "BENCH", offset)(2))
        telegram = next(turns.telegram_script("CODE", offset)(2))
        assert sms.data is not None and telegram.json is not None
        assert {sms.data["From"], str(telegram.json["message"]["chat"]["id"])} <= values
    assert {data.CONTACT_PHONE.format(0), data.CONTACT_PHONE.format(2), "Réponse libre"} <= values
