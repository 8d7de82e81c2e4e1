"""The sweep: finds work the database says is owed and RQ no longer holds, and enqueues it again.

Everything a job is about is in the database before the job is enqueued, so a job lost with a worker
or with Redis can be recomputed. Every few minutes the sweep offers:

* completed conversations without scores (their scoring job was lost or failed before committing);
* queued outbound messages of running campaigns that are due (never enqueued, lost, or a retry whose
  scheduled job vanished);
* messages left "sending" longer than the lease: their worker died during the provider call, and a
  check job reconciles them with the provider;
* launches never finished: their job was lost with Redis, or their worker died part way (the launch is
  idempotent: run again, it creates and queues only what is missing);
* exports left queued or running too long: their enqueue failed or their job was lost
  (:func:`service.results.export_jobs.sweep_exports`; a build run twice is harmless).

Messages are offered through stable job ids (:func:`service.outbound.send_job_id`), so those whose job is
still waiting in RQ are left alone: a long backlog is never doubled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.delivery_status import forget_stale_reports
from service.dispatch import JobSpec, enqueue_once, offer_in_pages
from service.launches import LAUNCH, launch_job_id
from service.models import (
    Campaign,
    CampaignStatus,
    Conversation,
    ConversationStatus,
    Launch,
    OutboundMessage,
    OutboundStatus,
)
from service.outbound import dispatch
from service.results.export_jobs import sweep_exports
from service.runtime import Runtime
from service.scores import SCORING_JOB
from service.tuning import tuning

SCORE = JobSpec(SCORING_JOB, queue="scoring", timeout=120)
GRACE = timedelta(minutes=1)
"""Rows younger than this are still being enqueued by whoever created them."""
BATCH = 1000


@dataclass(frozen=True)
class SweepReport:
    scoring: int
    sending: int
    checking: int
    launching: int = 0
    exporting: int = 0


def score_job_id(conversation_id: int) -> str:
    return f"score-{conversation_id}"


def sweep(runtime: Runtime, now: datetime) -> SweepReport:
    """Offer again every piece of lost work; returns how many jobs were enqueued, by kind."""
    lease = timedelta(seconds=tuning(runtime.settings).sending_lease_seconds)
    scoring = _unscored(runtime, now)
    launching = _unfinished_launches(runtime, now)
    sending = _pending(runtime, now, OutboundStatus.QUEUED, now - GRACE)
    checking = _pending(runtime, now, OutboundStatus.SENDING, now - lease)
    exporting = sweep_exports(runtime, now)
    with runtime.transaction() as session:
        forget_stale_reports(session, now=now)
    return SweepReport(
        scoring=scoring, sending=sending, checking=checking, launching=launching, exporting=exporting
    )


def _unfinished_launches(runtime: Runtime, now: datetime) -> int:
    with runtime.transaction() as session:
        ids = list(
            session.scalars(
                select(Launch.id)
                .where(Launch.finished_at.is_(None), Launch.requested_at <= now - GRACE)
                .order_by(Launch.id)
            )
        )
    return enqueue_once(runtime, LAUNCH, ((launch_job_id(i), (i,)) for i in ids))


def _unscored(runtime: Runtime, now: datetime) -> int:
    return offer_in_pages(
        runtime,
        SCORE,
        score_job_id,
        lambda after: (
            select(Conversation.id)
            .where(
                Conversation.status == ConversationStatus.COMPLETED,
                Conversation.scored_at.is_(None),
                Conversation.completed_at <= now - GRACE,
                Conversation.id > after,
            )
            .order_by(Conversation.id)
            .limit(BATCH)
        ),
    )


def _pending(runtime: Runtime, now: datetime, status: OutboundStatus, untouched_since: datetime) -> int:
    count, after = 0, 0
    while True:
        with runtime.transaction() as session:
            rows = _pending_rows(session, now, status, untouched_since, after)
        if not rows:
            return count
        after = rows[-1][0]
        count += dispatch(runtime, rows)


def _pending_rows(
    session: Session, now: datetime, status: OutboundStatus, untouched_since: datetime, after: int
) -> list[tuple[int, str, int, datetime | None]]:
    query = (
        select(
            OutboundMessage.id,
            OutboundMessage.status,
            OutboundMessage.attempts,
            OutboundMessage.next_attempt_at,
        )
        .join(Campaign, Campaign.id == OutboundMessage.campaign_id)
        .where(
            OutboundMessage.status == status,
            OutboundMessage.updated_at <= untouched_since,
            OutboundMessage.id > after,
        )
        .order_by(OutboundMessage.id)
        .limit(BATCH)
    )
    if status == OutboundStatus.QUEUED:
        query = query.where(
            # Closed campaigns' messages are offered too: their job cancels them.
            Campaign.status.in_((CampaignStatus.RUNNING, CampaignStatus.CLOSED)),
            or_(OutboundMessage.next_attempt_at.is_(None), OutboundMessage.next_attempt_at <= now),
        )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]
