"""Exports by the command line, the staff page (built by a worker) and the API agree with the page's numbers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from statistics import mean
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from service.api_tokens import create_token
from service.jobs import QUEUES, RedisJobs
from service.models import AuditEvent, Export, Organization
from service.results.phrases import rounded
from service.runtime import Runtime, build_runtime, use_runtime
from service.settings import Settings
from service.web import create_app
from tests.integration.results.reference import LIFE_BETTER, RECOMMEND, WELLBEING, Reference, build_reference
from tests.integration.web.staff_support import csrf_token, signed_in
from tests.support.databases import empty_all_tables

CONTRACT = ["status", "channel", "language", "life", "why", "recommend", "calm", "rested"]
SCORES = ["score_life_better", "score_recommend", "score_wellbeing"]
STATUSES = {"in_progress", "completed", "expired", "opted_out"}


@pytest.fixture
def reference(runtime: Runtime) -> Reference:
    return build_reference(runtime)


def _read_csv(data: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data)))


def _check_rows(header: list[str], rows: list[dict[str, str]]) -> None:
    """The contract's columns, one row per conversation (the refused one left out), and the page's numbers."""
    assert all(column in header for column in CONTRACT + SCORES)
    assert header.index("status") < header.index("life") < header.index("score_life_better")
    assert (
        len(rows) == 13
    )  # 10 completed, 1 in progress, 1 expired, 1 opted out; the refusal is not a response
    assert {row["status"] for row in rows} == STATUSES
    completed = [row for row in rows if row["status"] == "completed"]
    assert len(completed) == 10 and all(row["completed_at"] for row in completed)
    life = [float(row["score_life_better"]) for row in completed if row["score_life_better"] != ""]
    assert len(life) == LIFE_BETTER["n"]
    assert f"{rounded(100 * mean(life), 0)}%" == LIFE_BETTER["value"]
    recommend = [float(row["score_recommend"]) for row in completed]
    assert f"+{rounded(mean(recommend), 0)}" == RECOMMEND["value"]
    wellbeing = [float(row["score_wellbeing"]) for row in completed]
    assert str(rounded(mean(wellbeing), 1)) == WELLBEING["value"]
    # scores belong to completed conversations only
    assert all(row["score_recommend"] == "" for row in rows if row["status"] != "completed")


def test_vises_export_writes_the_contract_csv(
    cli: Any, runtime: Runtime, reference: Reference, tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    result = cli("export", reference.code, "--format", "csv", "-o", str(target), "--language", "en")
    assert result.exit_code == 0, result.output
    data = target.read_text(encoding="utf-8")
    assert not data.startswith("\ufeff")
    header = next(csv.reader(io.StringIO(data)))
    rows = _read_csv(data)
    _check_rows(header, rows)
    lives = {row["life"] for row in rows}
    assert {"Much better", "Better", "The same", "Don't know"} <= lives
    # a respondent's formula is text, never run by a spreadsheet
    assert '\'=HYPERLINK("http://x")' in {row["why"] for row in rows}
    assert not re.search(r"\+\d{8,}", data)  # no phone number anywhere
    with runtime.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
        assert event.target_id == reference.code
        assert event.details == {"format": "csv", "language": "en", "codes": False, "via": "cli"}


def test_vises_export_with_codes(cli: Any, reference: Reference, tmp_path: Path) -> None:
    target = tmp_path / "codes.csv"
    assert cli("export", reference.code, "--format", "csv", "-o", str(target), "--codes").exit_code == 0
    rows = _read_csv(target.read_text(encoding="utf-8"))
    assert {row["life"] for row in rows} == {"1", "2", "3", "4", ""}


def test_vises_export_writes_an_xlsx_with_its_codebook(
    cli: Any, reference: Reference, tmp_path: Path
) -> None:
    target = tmp_path / "out.xlsx"
    result = cli("export", reference.code, "--format", "xlsx", "-o", str(target), "--language", "nl")
    assert result.exit_code == 0, result.output
    workbook = load_workbook(target)
    assert workbook.sheetnames == ["data", "codebook"]
    data = list(workbook["data"].iter_rows(values_only=True))
    header = [str(cell) for cell in data[0]]
    rows = [{h: "" if v is None else str(v) for h, v in zip(header, row, strict=True)} for row in data[1:]]
    _check_rows(header, rows)
    assert "Veel beter" in {row["life"] for row in rows}
    formula = next(
        cell for row in workbook["data"].iter_rows() for cell in row if str(cell.value).startswith("=HYPER")
    )
    assert formula.data_type == "s"
    codebook = list(workbook["codebook"].iter_rows(values_only=True))
    assert ("life", None, None, None, "4", "Weet niet") in codebook
    assert any(row[0] == "score_life_better" and "left out of the share" in str(row[5]) for row in codebook)


def test_standard_output_and_bad_requests(cli: Any, reference: Reference) -> None:
    result = cli("export", reference.code, "--format", "csv", "-o", "-")
    assert result.exit_code == 0
    assert result.stdout.startswith("conversation,respondent,status,channel,language")
    assert cli("export", reference.code, "--format", "xlsx", "-o", "-").exit_code != 0
    assert cli("export", "NOSUCHCODE", "-o", "x.csv").exit_code != 0


def test_an_editor_exports_from_the_staff_page(app: Flask, runtime: Runtime, reference: Reference) -> None:
    client = signed_in(app, reference.editor)
    page = f"/campaigns/{reference.code}/exports"
    token = csrf_token(client, page)
    response = client.post(page, data={"csrf_token": token, "format": "csv", "language": "en"})
    assert response.status_code == 302
    status_page = response.headers["Location"]
    html = client.get(status_page).get_data(as_text=True)
    assert "Ready" in html and 'http-equiv="refresh"' not in html
    download = client.get(status_page + "/download")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    data = download.get_data(as_text=True)
    download.close()
    _check_rows(next(csv.reader(io.StringIO(data))), _read_csv(data))
    with runtime.transaction() as session:
        export = session.scalars(select(Export)).one()
        assert (export.status, export.rows, export.format) == ("done", 13, "csv")
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
        assert event.user_id is not None and event.details["via"] == "web"


def test_the_export_form_needs_its_csrf_token_and_the_editor_role(app: Flask, reference: Reference) -> None:
    editor = signed_in(app, reference.editor)
    page = f"/campaigns/{reference.code}/exports"
    assert editor.post(page, data={"format": "csv", "language": "en"}).status_code == 400
    viewer = signed_in(app, reference.viewer)
    assert viewer.get(page).status_code == 403
    assert viewer.post(
        page, data={"csrf_token": csrf_token(editor, page), "format": "csv", "language": "en"}
    ).status_code in (400, 403)


def test_the_api_streams_a_csv_for_a_token(app: Flask, runtime: Runtime, reference: Reference) -> None:
    with runtime.transaction() as session:
        organization = session.get_one(Organization, reference.organization_id)
        token, raw = create_token(session, organization, "export")
        token_id = token.id
    client = app.test_client()
    response = client.get(
        f"/api/v1/campaigns/{reference.code}/export?format=csv&language=en",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 200
    assert response.is_streamed
    data = response.get_data(as_text=True)
    _check_rows(next(csv.reader(io.StringIO(data))), _read_csv(data))
    xlsx = client.get(
        f"/api/v1/campaigns/{reference.code}/export?format=xlsx", headers={"Authorization": f"Bearer {raw}"}
    )
    # an XLSX is built by the export job (inline here) and fetched from its status's download URL
    assert xlsx.status_code == 202
    status = client.get(xlsx.headers["Location"], headers={"Authorization": f"Bearer {raw}"}).get_json()
    assert status["status"] == "done" and status["rows"] == 13
    download = client.get(status["download_url"], headers={"Authorization": f"Bearer {raw}"})
    assert download.status_code == 200
    assert load_workbook(io.BytesIO(download.data)).sheetnames == ["data", "codebook"]
    download.close()
    bad = client.get(
        f"/api/v1/campaigns/{reference.code}/export?format=pdf", headers={"Authorization": f"Bearer {raw}"}
    )
    assert bad.status_code == 422 and "format" in bad.get_json()["errors"]
    assert client.get(f"/api/v1/campaigns/{reference.code}/export").status_code == 401
    with runtime.transaction() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
        assert [e.details["via"] for e in events] == ["api", "api"]
        assert all(e.details["token"] == token_id for e in events)


@pytest.fixture
def redis_runtime(
    make_settings: Callable[..., Settings], database_url: str, redis_url: str
) -> Iterator[Runtime]:
    runtime = build_runtime(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url))
    empty_all_tables(runtime.engine)
    try:
        with use_runtime(runtime):
            yield runtime
    finally:
        runtime.dispose()


def test_with_redis_a_worker_builds_the_export_while_the_page_waits(redis_runtime: Runtime) -> None:
    reference = build_reference(redis_runtime)
    app = create_app(runtime=redis_runtime)
    app.config.update(TESTING=True)
    client = signed_in(app, reference.editor)
    page = f"/campaigns/{reference.code}/exports"
    response = client.post(
        page, data={"csrf_token": csrf_token(client, page), "format": "xlsx", "language": "fr"}
    )
    status_page = response.headers["Location"]
    waiting = client.get(status_page).get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting and "<progress" in waiting
    assert client.get(status_page + "/download").status_code == 404
    assert isinstance(redis_runtime.jobs, RedisJobs) and redis_runtime.redis is not None
    worker = SimpleWorker(
        [redis_runtime.jobs.queue(name) for name in QUEUES],
        connection=redis_runtime.redis,
        serializer=JSONSerializer,
    )
    with use_runtime(redis_runtime):
        worker.work(burst=True, logging_level="WARNING")
    ready = client.get(status_page).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in ready
    download = client.get(status_page + "/download")
    assert download.status_code == 200
    assert load_workbook(io.BytesIO(download.data)).sheetnames == ["data", "codebook"]
    download.close()
