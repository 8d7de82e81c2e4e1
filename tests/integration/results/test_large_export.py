"""An export of 100,000 conversations, bulk-inserted with SQL, written in bounded memory (measured and reported)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import JSON, Boolean, bindparam, text
from sqlalchemy.orm import Session

from service.accounts import create_organization
from service.campaigns import create_campaign
from service.definitions import definition, register_shipped
from service.models.base import UTCDateTime, utcnow
from service.runtime import Runtime

COUNT = 100_000
MIB = 1024 * 1024
GROWTH_LIMIT = 64 * MIB
"""Generous: the export holds one page of 1,000 conversations at a time (a few MiB); 100,000 rows held at
once would take hundreds."""


def _series(count: int) -> str:
    """1..count as a subquery, on PostgreSQL and SQLite alike."""
    return (
        f"(WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {int(count)}) "
        "SELECT n FROM seq) AS s"
    )


def _json(dialect: str, expression: str, *, number: bool = False) -> str:
    """A JSON value built in SQL: a string (or a number) stored the way SQLAlchemy's JSON type reads it back."""
    if dialect == "postgresql":
        return f"to_jsonb({expression})"
    return f"CAST({expression} AS TEXT)" if number else f"json_quote(CAST({expression} AS TEXT))"


def _bulk_insert(session: Session, organization_id: int, campaign_id: int, questionnaire: Any) -> None:
    dialect = session.get_bind().dialect.name
    now = utcnow()
    at = bindparam("at", now, type_=UTCDateTime())
    session.execute(
        text(
            "INSERT INTO respondents (organization_id, pseudonym, created_at) "
            f"SELECT :org, 'bulk' || CAST(n AS TEXT), :at FROM {_series(COUNT)}"
        ).bindparams(at, org=organization_id)
    )
    session.execute(
        text(
            "INSERT INTO conversations (campaign_id, respondent_id, attempt, channel, language, status, state, "
            "partial, started_at, updated_at, completed_at, reminders_sent) "
            "SELECT :campaign, r.id, 1, "
            "CASE r.id % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'sms' ELSE 'telegram' END, "
            "CASE r.id % 2 WHEN 0 THEN 'fr' ELSE 'nl' END, "
            "CASE WHEN r.id % 10 < 8 THEN 'completed' WHEN r.id % 10 = 8 THEN 'expired' ELSE 'in_progress' END, "
            ":state, :partial, :at, :at, CASE WHEN r.id % 10 < 8 THEN :at END, 0 "
            "FROM respondents r WHERE r.organization_id = :org"
        ).bindparams(
            at,
            bindparam("state", {}, type_=JSON()),
            bindparam("partial", False, type_=Boolean()),
            campaign=campaign_id,
            org=organization_id,
        )
    )
    for question in questionnaire.questions:
        if not question.answerable:
            continue
        if question.type.value == "text":
            value = _json(dialect, "'Réponse libre ' || CAST(c.id AS TEXT)")
        elif question.type.value == "yes_no":
            value = _json(dialect, "CASE WHEN c.id % 3 = 0 THEN 'no' ELSE 'yes' END")
        elif question.choices:
            value = _json(dialect, f"CAST(c.id % {len(question.choices)} + 1 AS TEXT)")
        else:
            value = _json(dialect, "c.id % 11", number=True)
        session.execute(
            text(
                "INSERT INTO answers (conversation_id, question_id, value, is_free_text, channel, revision, answered_at) "
                f"SELECT c.id, :question, {value}, :free, c.channel, 1, :at FROM conversations c "
                "WHERE c.campaign_id = :campaign"
            ).bindparams(
                at,
                bindparam("free", question.type.value == "text", type_=Boolean()),
                question=question.id,
                campaign=campaign_id,
            )
        )
    for indicator in questionnaire.indicators:
        session.execute(
            text(
                "INSERT INTO scores (conversation_id, indicator_id, value, category, computed_at) "
                "SELECT c.id, :indicator, CASE WHEN c.id % 4 < 2 THEN 1.0 ELSE 0.0 END, "
                "CASE WHEN c.id % 4 < 2 THEN 'hit' ELSE 'miss' END, :at FROM conversations c "
                "WHERE c.campaign_id = :campaign AND c.status = 'completed'"
            ).bindparams(at, indicator=indicator.id, campaign=campaign_id)
        )


CHILD = """
import resource, sys, threading, time
from service.cli import main


def resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


start = resident()  # everything imported, nothing exported yet
peak = [start]
done = threading.Event()


def sample() -> None:
    while not done.is_set():
        peak[0] = max(peak[0], resident())
        time.sleep(0.02)


sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
try:
    main(sys.argv[1:])
except SystemExit as exit:
    if exit.code:
        raise
done.set()
sampler.join()
print("resident", start, max(peak[0], resident()))
"""


def _export_in_a_process(runtime: Runtime, tmp_path: Path, code: str, fmt: str) -> tuple[float, int, Path]:
    """Run ``vises export`` in a process of its own: (seconds, how much its resident memory grew while
    exporting, in bytes, the file). The child samples its own resident size every 20 ms."""
    target = tmp_path / f"{code}.{fmt}"
    env = {
        **os.environ,
        "DATABASE_URL": runtime.settings.database_url,
        "SECRET_KEY": runtime.settings.secret_key,
        "DATA_KEY": runtime.settings.data_key,
        "VISES_INSTANCE_PATH": str(tmp_path / "instance"),
        "REDIS_URL": "",
    }
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "export", code, "--format", fmt, "-o", str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=True,
    )
    seconds = time.monotonic() - began
    start, peak = (int(value) for value in done.stdout.split("resident")[1].split()[:2])
    return seconds, peak - start, target


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_an_export_of_100000_conversations_stays_in_bounded_memory(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    with runtime.transaction() as session:
        organization = create_organization(session, "grande-structure", name="Grande structure")
        version = register_shipped(session, organization, "beneficiaries")
        large = create_campaign(
            session, organization, version, name="Large", channels=["web", "sms", "telegram"]
        )
        empty = create_campaign(session, organization, version, name="Empty", channels=["web"])
        _bulk_insert(session, organization.id, large.id, definition(version))
        codes = {"large": large.code, "empty": empty.code}
    inserted = time.monotonic() - started
    measures = {}
    for fmt in ("csv", "xlsx"):
        # The same command on an empty campaign: what connecting, migrating and one empty page cost.
        _, baseline, _ = _export_in_a_process(runtime, tmp_path, codes["empty"], fmt)
        seconds, growth, target = _export_in_a_process(runtime, tmp_path, codes["large"], fmt)
        measures[fmt] = (seconds, baseline, growth, target)
    with capsys.disabled():
        print(
            f"\n[large export] {runtime.engine.dialect.name}: {COUNT} conversations inserted in {inserted:.1f}s"
        )
        for fmt, (seconds, baseline, growth, target) in measures.items():
            print(
                f"[large export] {fmt}: {COUNT} rows in {seconds:.1f}s; resident memory grew {growth / MIB:.1f} MiB "
                f"while exporting (an empty campaign: {baseline / MIB:.1f} MiB); file {target.stat().st_size / MIB:.1f} MiB"
            )
    for fmt, (_, baseline, growth, _) in measures.items():
        assert growth - baseline < GROWTH_LIMIT, (
            f"{fmt}: {COUNT} rows took {(growth - baseline) / MIB:.0f} MiB more"
        )
    with measures["csv"][3].open(encoding="utf-8") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        assert header[:7] == [
            "conversation",
            "respondent",
            "status",
            "channel",
            "language",
            "started_at",
            "completed_at",
        ]
        assert sum(1 for _ in reader) == COUNT
    workbook = load_workbook(measures["xlsx"][3], read_only=True)
    assert workbook.sheetnames == ["data", "codebook"]
    assert next(workbook["data"].iter_rows(max_row=1, values_only=True))[:3] == (
        "conversation",
        "respondent",
        "status",
    )
    workbook.close()
    with zipfile.ZipFile(measures["xlsx"][3]) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
        rows, carry = 0, b""
        while chunk := sheet.read(1 << 20):
            text = carry + chunk
            rows += text.count(b"<row ")
            carry = text[-4:]  # a "<row " cut in two by the chunk boundary is counted once, in the next text
        assert rows == COUNT + 1
