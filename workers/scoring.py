"""The scoring job: completed conversations' indicator scores and their campaign's aggregates, in batches.

One job scores the conversation it is about and every other unscored completion of its campaign it can
claim, a batch per transaction, until a batch comes back short: a burst of completions is scored by a
few jobs, however many were enqueued, and the jobs behind them find nothing left and return at once.
After a full batch it offers the campaign again (:func:`service.scores.offer_for_scoring`), so an idle
worker joins in on a disjoint batch. A worker killed mid-batch loses only its open transaction; the sweep
offers those conversations again.
"""

from __future__ import annotations

import logging

from service.jobs import RedisJobs
from service.models import utcnow
from service.runtime import current_runtime
from service.scores import BATCH, campaign_of, offer_for_scoring, score_batch, take_offers

log = logging.getLogger(__name__)


def score_conversation(conversation_id: int) -> int:
    """Score conversation ``conversation_id`` and its campaign's other unscored completions; how many."""
    runtime = current_runtime()
    with runtime.transaction() as session:
        campaign_id = campaign_of(session, conversation_id)
    if campaign_id is None:
        return 0
    # Before the first claim: a completion committed from now on enqueues a job of its own.
    take_offers(runtime, campaign_id)
    total = 0
    while True:
        with runtime.transaction() as session:
            scored = score_batch(session, conversation_id, utcnow(), limit=BATCH)
        total += scored
        if scored < BATCH:
            return total
        if isinstance(runtime.jobs, RedisJobs):  # inline, the offer would run here, nested
            try:
                offer_for_scoring(runtime, conversation_id, campaign_id)
            except Exception:  # only help that failed: this job goes on alone
                log.warning("could not offer campaign %s to another worker", campaign_id, exc_info=True)
