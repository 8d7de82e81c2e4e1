"""A campaign's consent ledger as CSV: which consent text each respondent was shown, and their answer.

One row per consent answer recorded by the conversation service: the consent version and the SHA-256
of the exact text shown (in the language shown), the language, the channel, whether consent was given,
when, and the respondent's random pseudonym. No identity, no answer: it proves consent, nothing more.
A respondent who refused appears with ``given`` false and nothing else of theirs exists.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit import Action, record
from service.models import AuditEvent, Campaign, ConsentRecord, Conversation, Respondent

COLUMNS = ("respondent", "consent_version", "text_digest", "language", "channel", "given", "recorded_at")
_PAGE = 1000


def ledger_rows(session: Session, campaign_id: int) -> Iterator[tuple[str, ...]]:
    """The campaign's consent records, oldest first, as CSV rows."""
    query = (
        select(
            Respondent.pseudonym,
            ConsentRecord.consent_version,
            ConsentRecord.text_digest,
            ConsentRecord.language,
            ConsentRecord.channel,
            ConsentRecord.given,
            ConsentRecord.recorded_at,
        )
        .join(Conversation, Conversation.id == ConsentRecord.conversation_id)
        .join(Respondent, Respondent.id == Conversation.respondent_id)
        .where(ConsentRecord.campaign_id == campaign_id)
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
        .execution_options(yield_per=_PAGE)
    )
    for pseudonym, version, digest, language, channel, given, recorded_at in session.execute(query):
        yield (
            pseudonym,
            version,
            digest,
            language,
            channel,
            "true" if given else "false",
            recorded_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )


def write_ledger(session: Session, campaign: Campaign, stream: IO[str]) -> int:
    """Write the ledger with its header row; returns the number of records."""
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    count = 0
    for row in ledger_rows(session, campaign.id):
        writer.writerow(row)
        count += 1
    return count


def record_ledger_export(
    session: Session, campaign: Campaign, *, user_id: int | None, via: str
) -> AuditEvent:
    """The audit trail's event for one ledger export (who, which campaign, from where)."""
    return record(
        session,
        campaign.organization_id,
        Action.CONSENT_LEDGER_EXPORT,
        user_id=user_id,
        target_type="campaign",
        target_id=campaign.code,
        details={"via": via},
    )
