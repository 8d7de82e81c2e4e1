"""Trivial jobs for the baselines: what RQ and our workers cost when the job itself does nothing."""

from __future__ import annotations


def noop(number: int) -> int:
    """Return the number: the cheapest job RQ can run."""
    return number
