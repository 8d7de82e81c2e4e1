"""Export requests: the audit trail, the worker's job that writes the file, and finding the file again.

Every export, whatever asked for it (the staff page, the API, ``vises export``), is written to the audit
trail as "export" with who and how, never with the data. The staff page's exports are built by
``workers.exports.build_export`` into the instance folder's ``exports/``, their status and progress
kept on their :class:`~service.models.Export` row; the file is written beside its final name and
renamed when complete, so a half-written file is never offered.

An export is enqueued under a stable job id (``export-<id>``), so the sweep (:func:`sweep_exports`) can
offer again an export whose enqueue failed or whose job was lost with Redis or a killed worker, without
doubling one whose job is still waiting or running. A build may still run twice (the sweep without
Redis, or a race): each run writes its own partial file and renames it into place, and a run that fails
after another finished leaves the finished export alone.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from service import audit
from service.audit import Action
from service.definitions import definition
from service.dispatch import JobSpec, enqueue_once, offer_in_pages
from service.models import AuditEvent, Campaign, Export, Organization, utcnow
from service.results import phrases
from service.results.codebook import codebook_rows
from service.results.exports import (
    FORMATS,
    PAGE_SIZE,
    ExportError,
    ExportPlan,
    counting,
    iter_records,
    plan_for,
    write_csv,
    write_xlsx,
)
from service.runtime import Runtime

BUILD = JobSpec("workers.exports.build_export", queue="default", timeout=3600, retry_intervals=())
"""An XLSX of 100,000 conversations takes a few minutes; a failed build is marked failed, not retried."""
QUEUED_STALE_AFTER = timedelta(minutes=5)
"""An export still queued after this was never enqueued, or its job was lost: the sweep offers it again."""
RUNNING_STALE_AFTER = timedelta(minutes=15)
"""An export still running after this is offered again unless its job is still live in RQ (without Redis,
where liveness can't be known, a slow build may be started twice: harmless, only wasted work)."""
SWEEP_BATCH = 500


def export_campaign(
    sessions: sessionmaker[Session],
    campaign_id: int,
    plan: ExportPlan,
    fmt: str,
    target: Path | IO[bytes],
    variables: dict[str, str],
    *,
    tick: Callable[[], None] | None = None,
    page_size: int = PAGE_SIZE,
) -> int:
    """Write one campaign's export to a file or binary stream; returns the number of rows."""
    records = iter_records(sessions, campaign_id, plan, page_size=page_size)
    if fmt == "xlsx":
        return write_xlsx(target, plan, records, codebook_rows(plan, variables), tick=tick)
    if isinstance(target, Path):
        with target.open("w", encoding="utf-8", newline="") as stream:
            return write_csv(stream, plan, counting(records, tick or (lambda: None)))
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")
    try:
        return write_csv(text, plan, counting(records, tick or (lambda: None)))
    finally:
        text.flush()
        text.detach()


def record_export(
    session: Session,
    campaign: Campaign,
    *,
    fmt: str,
    language: str,
    codes: bool,
    via: str,
    user_id: int | None = None,
    token_id: int | None = None,
) -> AuditEvent:
    """The audit trail's "export" event: who (staff member or API token) exported which campaign, how."""
    details: dict[str, Any] = {"format": fmt, "language": language, "codes": codes, "via": via}
    if token_id is not None:
        details["token"] = token_id
    return audit.record(
        session,
        campaign.organization_id,
        Action.EXPORT,
        user_id=user_id,
        target_type="campaign",
        target_id=campaign.code,
        details=details,
    )


def record_download(
    session: Session, export: Export, campaign_code: str, *, via: str, user_id: int | None = None, **more: Any
) -> AuditEvent:
    """The audit trail's "export_download" event: a finished export's file was handed out, to whom."""
    return audit.record(
        session,
        export.organization_id,
        Action.EXPORT_DOWNLOAD,
        user_id=user_id,
        target_type="campaign",
        target_id=campaign_code,
        details={"export": export.id, "format": export.format, "rows": export.rows, "via": via, **more},
    )


def request_export(
    session: Session,
    campaign: Campaign,
    *,
    fmt: str,
    language: str,
    codes: bool,
    user_id: int | None,
    via: str = "web",
    token_id: int | None = None,
) -> Export:
    """A queued export, recorded in the audit trail; enqueue ``workers.exports.build_export`` after commit."""
    if fmt not in FORMATS:
        raise ExportError(f"the format is one of {', '.join(FORMATS)}")
    if language not in phrases.LANGUAGES:
        raise ExportError(f"the language is one of {', '.join(phrases.LANGUAGES)}")
    export = Export(
        organization_id=campaign.organization_id,
        campaign_id=campaign.id,
        format=fmt,
        language=language,
        with_codes=codes,
        status="queued",
        requested_by_id=user_id,
    )
    session.add(export)
    session.flush()
    record_export(
        session,
        campaign,
        fmt=fmt,
        language=language,
        codes=codes,
        via=via,
        user_id=user_id,
        token_id=token_id,
    )
    return export


def export_job_id(export_id: int) -> str:
    return f"export-{export_id}"


def enqueue_export(runtime: Runtime, export_id: int) -> bool:
    """Enqueue the build of a committed export unless its job is live already; True when enqueued."""
    return enqueue_once(runtime, BUILD, [(export_job_id(export_id), (export_id,))]) > 0


def sweep_exports(
    runtime: Runtime,
    now: datetime,
    *,
    queued_after: timedelta = QUEUED_STALE_AFTER,
    running_after: timedelta = RUNNING_STALE_AFTER,
) -> int:
    """Offer again exports left queued or running too long (enqueue failed, job lost); returns how many."""
    return offer_in_pages(
        runtime,
        BUILD,
        export_job_id,
        lambda after: (
            select(Export.id)
            .where(
                or_(
                    and_(Export.status == "queued", Export.created_at <= now - queued_after),
                    and_(Export.status == "running", Export.created_at <= now - running_after),
                ),
                Export.id > after,
            )
            .order_by(Export.id)
            .limit(SWEEP_BATCH)
        ),
    )


def exports_folder(instance_path: Path) -> Path:
    return instance_path / "exports"


def export_file(instance_path: Path, export: Export) -> Path | None:
    """The finished file of an export, inside the exports folder (None when not ready or gone)."""
    if export.status != "done" or not export.path:
        return None
    folder = exports_folder(instance_path).resolve()
    path = (folder / Path(export.path).name).resolve()
    if path.parent != folder or not path.is_file():
        return None
    return path


def build_export(sessions: sessionmaker[Session], instance_path: Path, export_id: int) -> Export | None:
    """Run a queued export to a file in the instance folder, keeping its status and progress up to date."""
    with sessions.begin() as session:
        export = session.get(Export, export_id)
        if export is None or export.status == "done":
            return export
        campaign = session.get_one(Campaign, export.campaign_id)
        organization = session.get_one(Organization, campaign.organization_id)
        questionnaire = definition(campaign.questionnaire_version)
        export.status = "running"
        export.rows = 0
        export.error = None
        fmt, language, codes, code = export.format, export.language, export.with_codes, campaign.code
        campaign_id, variables = campaign.id, {"org": organization.short_name}
    folder = exports_folder(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{export_id}-{code}.{fmt}"
    # Each run its own partial file: two runs of one export (a sweep and a late job) never mix their rows.
    partial = folder / f".{export_id}-{code}.{fmt}.{secrets.token_hex(4)}.part"
    written = [0]

    def tick() -> None:
        written[0] += 1
        if written[0] % (PAGE_SIZE * 5) == 0:
            with sessions.begin() as progress:
                progress.get_one(Export, export_id).rows = written[0]

    try:
        rows = export_campaign(
            sessions,
            campaign_id,
            plan_for(questionnaire, language, codes=codes),
            fmt,
            partial,
            variables,
            tick=tick,
        )
        os.replace(partial, final)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        with sessions.begin() as session:
            failed = session.get_one(Export, export_id)
            if failed.status != "done":  # another run of the same export finished: its file stands
                failed.status = "failed"
                failed.error = type(exc).__name__  # never the message: it could quote an answer
                failed.finished_at = utcnow()
        raise
    with sessions.begin() as session:
        done = session.get_one(Export, export_id)
        done.status = "done"
        done.rows = rows
        done.path = final.name
        done.finished_at = utcnow()
        return done
