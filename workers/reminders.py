"""The periodic reminder job: plan the reminders now due in every running campaign, and queue them."""

from __future__ import annotations

import logging

from service.models import Campaign, utcnow
from service.outbound import dispatch_new
from service.reminders import PolicyError, plan_reminders, running_campaigns_with_reminders
from service.runtime import current_runtime

log = logging.getLogger(__name__)


def send_due_reminders() -> int:
    """Create and enqueue every reminder due now; returns how many."""
    runtime = current_runtime()
    with runtime.transaction() as session:
        campaign_ids = [campaign.id for campaign in running_campaigns_with_reminders(session)]
    total = 0
    for campaign_id in campaign_ids:
        with runtime.transaction() as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                continue
            try:
                created = plan_reminders(session, campaign, utcnow())
            except PolicyError as exc:
                log.error("campaign %s: reminder policy not usable: %s", campaign_id, exc)
                continue
        dispatch_new(runtime, created)
        total += len(created)
    return total
