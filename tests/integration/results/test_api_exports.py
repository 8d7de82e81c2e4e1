"""The API's XLSX and queued exports: 202 and a status URL, a worker builds the file, the download is audited;
and the sweep offers again exports whose job never ran."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from redis import Redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from service.api_tokens import create_token
from service.jobs import QUEUES, RedisJobs
from service.models import AuditEvent, Campaign, Export, Organization, User, utcnow
from service.results.export_jobs import build_export, exports_folder, request_export, sweep_exports
from service.runtime import Runtime, build_runtime, use_runtime
from service.settings import Settings
from service.web import create_app
from tests.conftest import TEST_DATA_KEY, TEST_SECRET
from tests.integration.results.reference import Reference, build_reference
from tests.integration.web.staff_support import csrf_token, signed_in
from tests.support.databases import empty_all_tables
from tests.support.processes import kill_hard, start_vises

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def reference(runtime: Runtime) -> Reference:
    return build_reference(runtime)


def _token(runtime: Runtime, organization_id: int, name: str = "exports") -> tuple[int, dict[str, str]]:
    with runtime.transaction() as session:
        token, raw = create_token(session, session.get_one(Organization, organization_id), name)
        return token.id, {"Authorization": f"Bearer {raw}"}


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.transaction() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        session.expunge_all()
        return events


def _user_id(runtime: Runtime, email: str) -> int:
    with runtime.transaction() as session:
        return session.scalars(select(User.id).where(User.email == email)).one()


def test_an_xlsx_by_the_api_is_queued_then_downloaded_once_done(
    app: Flask, runtime: Runtime, reference: Reference
) -> None:
    token_id, auth = _token(runtime, reference.organization_id)
    client = app.test_client()
    response = client.get(f"/api/v1/campaigns/{reference.code}/export?format=xlsx&language=nl", headers=auth)
    assert response.status_code == 202
    body = response.get_json()
    assert response.headers["Location"] == body["status_url"]
    assert body["status_url"].endswith(f"/api/v1/campaigns/{reference.code}/exports/{body['id']}")
    assert (body["format"], body["language"], body["codes"]) == ("xlsx", "nl", False)
    # without Redis the job runs inline: the export is done by the time the request answers
    status = client.get(body["status_url"], headers=auth)
    assert status.status_code == 200
    described = status.get_json()
    assert (described["status"], described["rows"]) == ("done", 13)
    assert described["download_url"].endswith(f"/exports/{body['id']}/download")
    download = client.get(described["download_url"], headers=auth)
    assert download.status_code == 200 and download.mimetype == XLSX
    assert download.headers["Cache-Control"] == "no-store"
    workbook = load_workbook(io.BytesIO(download.data))
    download.close()
    assert workbook.sheetnames == ["data", "codebook"]
    assert "Veel beter" in {cell for row in workbook["data"].iter_rows(values_only=True) for cell in row}

    requested = _events(runtime, "export")
    assert len(requested) == 1
    assert requested[0].organization_id == reference.organization_id and requested[0].user_id is None
    assert requested[0].details == {
        "format": "xlsx",
        "language": "nl",
        "codes": False,
        "via": "api",
        "token": token_id,
    }
    downloaded = _events(runtime, "export_download")
    assert len(downloaded) == 1
    event = downloaded[0]
    assert (event.organization_id, event.user_id, event.target_id) == (
        reference.organization_id,
        None,
        reference.code,
    )
    assert event.details == {
        "export": body["id"],
        "format": "xlsx",
        "rows": 13,
        "via": "api",
        "token": token_id,
    }


def test_a_post_queues_a_csv_or_an_xlsx_and_checks_its_body(
    app: Flask, runtime: Runtime, reference: Reference
) -> None:
    _, auth = _token(runtime, reference.organization_id)
    client = app.test_client()
    url = f"/api/v1/campaigns/{reference.code}/exports"
    empty = client.post(url, headers=auth)
    assert empty.status_code == 202
    assert (empty.get_json()["format"], empty.get_json()["language"]) == (
        "xlsx",
        "fr",
    )  # the campaign's default
    csv_export = client.post(url, headers=auth, json={"format": "csv", "language": "en", "codes": True})
    assert csv_export.status_code == 202
    described = client.get(csv_export.headers["Location"], headers=auth).get_json()
    assert (described["format"], described["codes"], described["status"]) == ("csv", True, "done")
    data = client.get(described["download_url"], headers=auth)
    assert data.mimetype == "text/csv"
    assert data.get_data(as_text=True).startswith("conversation,respondent,status")
    data.close()
    bad = client.post(url, headers=auth, json={"format": "pdf", "language": "de"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"format", "language"}
    assert client.post(url, headers=auth, data="format=csv", content_type="text/plain").status_code == 400
    with runtime.transaction() as session:
        assert session.query(Export).count() == 2  # the refused requests left nothing behind


def test_a_download_before_the_export_is_done_is_refused_and_not_audited(
    app: Flask, runtime: Runtime, reference: Reference
) -> None:
    _, auth = _token(runtime, reference.organization_id)
    with runtime.transaction() as session:  # as a worker would leave it before it starts
        campaign = session.get_one(Campaign, reference.campaign_id)
        export_id = request_export(session, campaign, fmt="xlsx", language="fr", codes=False, user_id=None).id
    client = app.test_client()
    base = f"/api/v1/campaigns/{reference.code}/exports/{export_id}"
    described = client.get(base, headers=auth).get_json()
    assert (described["status"], described["download_url"]) == ("queued", None)
    refused = client.get(base + "/download", headers=auth)
    assert refused.status_code == 409 and "queued" in refused.get_json()["message"]
    with runtime.transaction() as session:
        session.get_one(Export, export_id).status = "failed"
    assert client.get(base + "/download", headers=auth).status_code == 409
    assert (
        client.get(f"/api/v1/campaigns/{reference.code}/exports/{export_id + 99}", headers=auth).status_code
        == 404
    )
    assert _events(runtime, "export_download") == []


def test_another_organizations_token_reaches_no_export(
    app: Flask, runtime: Runtime, reference: Reference
) -> None:
    other = build_reference(runtime, "atelier-autre")
    _, auth = _token(runtime, reference.organization_id)
    _, theirs = _token(runtime, other.organization_id, "theirs")
    client = app.test_client()
    export_id = client.post(f"/api/v1/campaigns/{reference.code}/exports", headers=auth).get_json()["id"]
    for path in (
        f"/api/v1/campaigns/{reference.code}/exports/{export_id}",
        f"/api/v1/campaigns/{reference.code}/exports/{export_id}/download",
        # their own campaign's code with our export's id
        f"/api/v1/campaigns/{other.code}/exports/{export_id}",
        f"/api/v1/campaigns/{other.code}/exports/{export_id}/download",
    ):
        assert client.get(path, headers=theirs).status_code == 404, path
    assert _events(runtime, "export_download") == []


def test_a_staff_download_is_audited_once_with_its_editor(
    app: Flask, runtime: Runtime, reference: Reference
) -> None:
    client = signed_in(app, reference.editor)
    page = f"/campaigns/{reference.code}/exports"
    response = client.post(
        page, data={"csrf_token": csrf_token(client, page), "format": "csv", "language": "en"}
    )
    status_page = response.headers["Location"]
    assert _events(runtime, "export_download") == []  # requesting is "export", not a download
    download = client.get(status_page + "/download")
    assert download.status_code == 200
    download.close()
    events = _events(runtime, "export_download")
    assert len(events) == 1
    assert events[0].organization_id == reference.organization_id
    assert events[0].user_id == _user_id(runtime, reference.editor)
    assert events[0].details["via"] == "web" and events[0].details["rows"] == 13


# --- the sweep, and a build run twice ---------------------------------------------------------------------


def _queued_export(runtime: Runtime, reference: Reference, *, status: str = "queued", age: timedelta) -> int:
    """An export row as a failed enqueue or a lost job leaves it: queued (or running), no job anywhere."""
    with runtime.transaction() as session:
        campaign = session.get_one(Campaign, reference.campaign_id)
        export = request_export(session, campaign, fmt="csv", language="en", codes=False, user_id=None)
        export.status = status
        export.created_at = utcnow() - age
        return export.id


def _status(runtime: Runtime, export_id: int) -> tuple[str, int]:
    with runtime.transaction() as session:
        export = session.get_one(Export, export_id)
        return export.status, export.rows


def test_the_sweep_builds_exports_left_queued_or_running_and_leaves_fresh_ones(
    runtime: Runtime, reference: Reference
) -> None:
    stuck = _queued_export(runtime, reference, age=timedelta(hours=2))
    abandoned = _queued_export(runtime, reference, status="running", age=timedelta(hours=2))
    fresh = _queued_export(runtime, reference, age=timedelta(seconds=10))
    just_running = _queued_export(runtime, reference, status="running", age=timedelta(minutes=6))
    assert sweep_exports(runtime, utcnow()) == 2
    assert _status(runtime, stuck) == ("done", 13)
    assert _status(runtime, abandoned) == ("done", 13)
    assert _status(runtime, fresh) == ("queued", 0)
    assert _status(runtime, just_running) == ("running", 0)
    assert sweep_exports(runtime, utcnow()) == 0


def test_a_build_run_again_rewrites_the_same_file_and_leaves_no_partial_one(
    runtime: Runtime, reference: Reference
) -> None:
    export_id = _queued_export(runtime, reference, age=timedelta(hours=1))
    instance = runtime.settings.instance_path
    first = build_export(runtime.sessions, instance, export_id)
    assert first is not None and first.status == "done"
    folder = exports_folder(instance)
    written = (folder / f"{export_id}-{reference.code}.csv").read_bytes()
    with runtime.transaction() as session:  # as a lost job leaves it, though its file was renamed into place
        session.get_one(Export, export_id).status = "running"
    again = build_export(runtime.sessions, instance, export_id)
    assert again is not None and (again.status, again.rows) == ("done", 13)
    assert sorted(path.name for path in folder.iterdir()) == [f"{export_id}-{reference.code}.csv"]
    assert (folder / f"{export_id}-{reference.code}.csv").read_bytes() == written
    # a job that finds its export done does nothing
    assert build_export(runtime.sessions, instance, export_id) is not None
    assert _status(runtime, export_id) == ("done", 13)


# --- with Redis ---------------------------------------------------------------------------------------------


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


def _drain(runtime: Runtime) -> None:
    assert isinstance(runtime.jobs, RedisJobs) and runtime.redis is not None
    worker = SimpleWorker(
        [runtime.jobs.queue(name) for name in QUEUES], connection=runtime.redis, serializer=JSONSerializer
    )
    with use_runtime(runtime):
        worker.work(burst=True, logging_level="WARNING")


def test_with_redis_the_sweep_offers_a_lost_export_once(redis_runtime: Runtime, redis_url: str) -> None:
    reference = build_reference(redis_runtime)
    export_id = _queued_export(redis_runtime, reference, age=timedelta(hours=1))
    assert sweep_exports(redis_runtime, utcnow()) == 1
    assert sweep_exports(redis_runtime, utcnow()) == 0  # its job is waiting in RQ: not doubled
    Redis.from_url(redis_url).flushdb()  # Redis restarted empty: the job is gone, the row still queued
    assert sweep_exports(redis_runtime, utcnow()) == 1
    _drain(redis_runtime)
    assert _status(redis_runtime, export_id) == ("done", 13)
    assert sweep_exports(redis_runtime, utcnow()) == 0


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_with_redis_a_vises_worker_builds_the_api_xlsx(
    redis_runtime: Runtime, redis_url: str, database_url: str, tmp_path: Path
) -> None:
    reference = build_reference(redis_runtime)
    app = create_app(runtime=redis_runtime)
    app.config.update(TESTING=True)
    _, auth = _token(redis_runtime, reference.organization_id)
    client = app.test_client()
    response = client.get(f"/api/v1/campaigns/{reference.code}/export?format=xlsx", headers=auth)
    assert response.status_code == 202
    described: dict[str, Any] = response.get_json()
    assert (described["status"], described["download_url"]) == ("queued", None)
    assert client.get(response.headers["Location"] + "/download", headers=auth).status_code == 409

    log = tmp_path / "worker.log"
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TEST_SECRET,
        "DATA_KEY": TEST_DATA_KEY,
        "VISES_INSTANCE_PATH": str(redis_runtime.settings.instance_path),
    }
    worker = start_vises(["worker", "--burst"], env, log)
    try:
        assert worker.wait(180) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            kill_hard(worker)
    described = client.get(response.headers["Location"], headers=auth).get_json()
    assert (described["status"], described["rows"]) == ("done", 13)
    download = client.get(described["download_url"], headers=auth)
    assert download.status_code == 200
    assert load_workbook(io.BytesIO(download.data)).sheetnames == ["data", "codebook"]
    download.close()
    assert len(_events(redis_runtime, "export_download")) == 1
