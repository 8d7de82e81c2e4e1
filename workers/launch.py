"""The launch job: create and queue a campaign's invitations on one channel."""

from __future__ import annotations

from service.launches import run_launch
from service.runtime import current_runtime


def launch_campaign(launch_id: int) -> int:
    """Run launch ``launch_id``; returns how many invitations it created."""
    return run_launch(current_runtime(), launch_id)
