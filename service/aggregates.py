"""Campaign aggregates: one :class:`~questionnaires.scoring.Tally` per indicator and segment, kept current.

Segments are ``all``, ``channel:<channel>`` and ``language:<language>`` (the conversation's, at the end).
A batch of completions adds its scores to the tallies of their segments in the transaction that stores
the scores (one merged delta per row), so a tally is always the sum of the stored scores, and results
pages never rescan answers. Rows are locked in one fixed order (indicator, segment), so concurrent
scoring jobs never deadlock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from questionnaires.scoring import Tally
from service.models import CampaignAggregate, Conversation

ALL = "all"
_EMPTY: dict[str, Any] = Tally.empty().to_json()


def segments_of(conversation: Conversation) -> tuple[str, ...]:
    """The segments a conversation counts in."""
    return segments_for(conversation.channel, conversation.language)


def segments_for(channel: str, language: str) -> tuple[str, ...]:
    """The segments of a conversation on ``channel`` that ended in ``language``."""
    return (ALL, f"channel:{channel}", f"language:{language}")


def add_tallies(
    session: Session, campaign_id: int, deltas: Mapping[tuple[str, str], Tally], *, now: Any
) -> None:
    """Merge many respondents' tallies into the campaign's, one delta per (indicator, segment).

    Missing rows are created first, then every row concerned is locked in (indicator, segment) order and
    updated once: a batch of completions costs the same few statements as one.
    """
    keys = sorted(deltas)
    if not keys:
        return
    indicators = {key[0] for key in keys}
    segment_names = {key[1] for key in keys}
    present = {
        (indicator_id, segment)
        for indicator_id, segment in session.execute(
            select(CampaignAggregate.indicator_id, CampaignAggregate.segment).where(
                CampaignAggregate.campaign_id == campaign_id,
                CampaignAggregate.indicator_id.in_(indicators),
                CampaignAggregate.segment.in_(segment_names),
            )
        )
    }
    missing = [key for key in keys if key not in present]
    if missing:
        _ensure_rows(session, campaign_id, missing, now)
    rows = {
        (row.indicator_id, row.segment): row
        for row in session.scalars(
            select(CampaignAggregate)
            .where(
                CampaignAggregate.campaign_id == campaign_id,
                CampaignAggregate.indicator_id.in_(indicators),
                CampaignAggregate.segment.in_(segment_names),
            )
            .order_by(CampaignAggregate.indicator_id, CampaignAggregate.segment)
            .with_for_update()
        )
    }
    for key in keys:
        row = rows[key]
        row.tally = Tally.from_json(row.tally).merge(deltas[key]).to_json()
        row.updated_at = now


def _ensure_rows(session: Session, campaign_id: int, keys: list[tuple[str, str]], now: Any) -> None:
    """Create missing aggregate rows; two jobs racing to create one both carry on."""
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(CampaignAggregate)
        .values(
            [
                {
                    "campaign_id": campaign_id,
                    "indicator_id": indicator_id,
                    "segment": segment,
                    "tally": _EMPTY,
                    "updated_at": now,
                }
                for indicator_id, segment in keys
            ]
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "indicator_id", "segment"])
    )


def load_tallies(session: Session, campaign_id: int) -> dict[tuple[str, str], Tally]:
    """The campaign's stored tallies, keyed by (indicator id, segment)."""
    rows = session.execute(
        select(CampaignAggregate.indicator_id, CampaignAggregate.segment, CampaignAggregate.tally).where(
            CampaignAggregate.campaign_id == campaign_id
        )
    )
    return {(indicator_id, segment): Tally.from_json(tally) for indicator_id, segment, tally in rows}


def same_tally(left: Tally, right: Tally) -> bool:
    """Equal counts and categories, and sums equal up to floating-point rounding of the adding order."""
    return (
        left.n == right.n
        and dict(left.categories) == dict(right.categories)
        and math.isclose(left.total, right.total, rel_tol=1e-9, abs_tol=1e-6)
        and math.isclose(left.total_sq, right.total_sq, rel_tol=1e-9, abs_tol=1e-6)
    )


def differences(stored: Mapping[tuple[str, str], Tally], fresh: Mapping[tuple[str, str], Tally]) -> list[str]:
    """The (indicator, segment) tallies that differ between two sets, as ``indicator@segment`` labels."""
    empty = Tally.empty()
    return sorted(
        f"{indicator_id}@{segment}"
        for indicator_id, segment in set(stored) | set(fresh)
        if not same_tally(
            stored.get((indicator_id, segment), empty), fresh.get((indicator_id, segment), empty)
        )
    )
