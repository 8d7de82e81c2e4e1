"""Benchmark data: a running campaign of a shipped questionnaire, and bulk rows loaded with SQL.

Rows are loaded with ``INSERT ... SELECT generate_series`` and ``COPY`` on PostgreSQL, never through
the ORM: 100,000 contacts or conversations take seconds. Only what a benchmark measures goes through
vises's own code.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from questionnaires.model import Questionnaire, QuestionType
from service.accounts import create_organization
from service.campaigns import change_status, create_campaign
from service.definitions import definition, register_shipped
from service.runtime import Runtime

QUESTIONNAIRE = "beneficiaries"
CONTACT_PHONE = "+3247{:07d}"
"""The phone number of the n-th contact :func:`contacts` loads (the 0th is the one all share without distinct phones)."""
RESPONDENT_PHONE = "+3249{:07d}"
"""The phone number of simulated SMS respondent n (``bench.turns``)."""
FIRST_CHAT_ID = 5_000_000_000
"""The Telegram chat id of simulated respondent 0 (``bench.turns``); respondent n has this plus n."""
TURN_OFFSETS = (0, 1_000_000, 2_000_000)
"""Where ``bench.turns`` numbers each load of a round (baseline, SMS, Telegram); a round adds ``TURN_ROUND``."""
TURN_ROUND = 100_000
FREE_TEXT = "Réponse libre "
"""How every free-text answer :func:`completed_conversations` stores begins (the conversation id follows)."""


def personal_values(count: int, rounds: int = 1) -> list[str]:
    """The numbers, chat ids and free text the benchmarks store or send, for a log scan that must find none.

    ``count`` contacts (or respondents per load) and ``rounds`` concurrencies of ``bench.turns``. The free
    text is given by its stem, so a logged answer is found whatever its conversation.
    """
    values = [CONTACT_PHONE.format(index) for index in range(count)]
    for round_ in range(rounds):
        for offset in TURN_OFFSETS:
            start = round_ * TURN_ROUND + offset
            values += [RESPONDENT_PHONE.format(start + n) for n in range(count)]
            values += [str(FIRST_CHAT_ID + start + n) for n in range(count)]
    return [*values, FREE_TEXT.strip()]


@dataclass(frozen=True)
class BenchCampaign:
    id: int
    code: str
    keyword: str | None
    organization_id: int
    questionnaire: Questionnaire


def campaign(
    runtime: Runtime, slug: str, channels: list[str], *, keyword: str | None = None
) -> BenchCampaign:
    """A running campaign of the shipped beneficiaries questionnaire for a new organization."""
    with runtime.transaction() as session:
        organization = create_organization(session, slug, name=f"Bench {slug}", short_name="Atelier Bench")
        version = register_shipped(session, organization, QUESTIONNAIRE)
        created = create_campaign(
            session, organization, version, name=f"Bench {slug}", channels=channels, sms_keyword=keyword
        )
        change_status(session, created, "start")
        return BenchCampaign(
            created.id, created.code, created.sms_keyword, organization.id, definition(version)
        )


def _copy(runtime: Runtime, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    raw = runtime.engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        connection.commit()
    finally:
        raw.close()


def contacts(
    runtime: Runtime, target: BenchCampaign, count: int, *, channel: str = "sms", distinct_phones: bool = True
) -> None:
    """``count`` pending contacts of ``target`` on ``channel``: respondents, identities (hash and ciphertext)."""
    vault = runtime.vault
    shared = vault.encrypt(CONTACT_PHONE.format(0))
    identities = []
    now = datetime.now(UTC)
    with runtime.engine.begin() as connection:
        first = connection.execute(
            text(
                "INSERT INTO respondents (organization_id, pseudonym, created_at) "
                "SELECT :org, md5(random()::text || n::text), now() FROM generate_series(1, :count) AS n "
                "RETURNING id"
            ),
            {"org": target.organization_id, "count": count},
        ).scalars()
        respondent_ids = sorted(first)
    for index, respondent_id in enumerate(respondent_ids):
        phone = CONTACT_PHONE.format(index)
        identities.append(
            (
                target.organization_id,
                respondent_id,
                channel,
                secrets.token_hex(32),
                vault.encrypt(phone) if distinct_phones else shared,
                1,
                now,
            )
        )
    _copy(
        runtime,
        "identities",
        ["organization_id", "respondent_id", "channel", "digest", "ciphertext", "key_version", "created_at"],
        identities,
    )
    with runtime.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO contacts (campaign_id, respondent_id, identity_id, channel, language, status, "
                "created_at) SELECT :campaign, i.respondent_id, i.id, i.channel, 'fr', 'pending', now() "
                "FROM identities i WHERE i.organization_id = :org AND i.channel = :channel ORDER BY i.id"
            ),
            {"campaign": target.id, "org": target.organization_id, "channel": channel},
        )
        for table in ("respondents", "identities", "contacts"):
            connection.execute(text(f"ANALYZE {table}"))


def _answer_sql(questionnaire: Questionnaire) -> list[tuple[str, str, bool]]:
    """(question id, SQL producing a valid stored JSON value from conversation id ``c.id``, free text?)."""
    found = []
    for question in questionnaire.questions:
        if not question.answerable:
            continue
        kind = question.type
        if kind is QuestionType.TEXT:
            value, free = f"to_jsonb('{FREE_TEXT}' || c.id::text)", True
        elif kind is QuestionType.YES_NO:
            value, free = "to_jsonb(CASE WHEN c.id % 3 = 0 THEN 'no' ELSE 'yes' END)", False
        elif kind is QuestionType.MULTIPLE_CHOICE and question.choices:
            value, free = (
                f"jsonb_build_array(((c.id % {len(question.choices)}) + 1)::text)",
                False,
            )
        elif question.choices:
            codes = [choice.code for choice in question.choices]
            array = "ARRAY[" + ", ".join("'" + code.replace("'", "''") + "'" for code in codes) + "]"
            value, free = f"to_jsonb(({array})[(c.id * 7 % {len(codes)}) + 1])", False
        else:
            low = int(question.minimum if question.minimum is not None else 0)
            high = int(question.maximum if question.maximum is not None else 10)
            value, free = f"to_jsonb({low} + (c.id * 13 % {high - low + 1}))", False
        found.append((question.id, value, free))
    return found


def completed_conversations(
    runtime: Runtime, target: BenchCampaign, count: int, *, all_completed: bool = True
) -> None:
    """``count`` conversations of ``target`` with a valid answer to every question (unscored).

    With ``all_completed`` false, 80% are completed, 10% expired and 10% in progress (as a real campaign).
    """
    status = (
        "'completed'"
        if all_completed
        else "CASE WHEN r.id % 10 < 8 THEN 'completed' WHEN r.id % 10 = 8 THEN 'expired' ELSE 'in_progress' END"
    )
    with runtime.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO respondents (organization_id, pseudonym, created_at) "
                "SELECT :org, md5(random()::text || n::text), now() FROM generate_series(1, :count) AS n"
            ),
            {"org": target.organization_id, "count": count},
        )
        connection.execute(
            text(
                "INSERT INTO conversations (campaign_id, respondent_id, attempt, channel, language, status, "
                "state, partial, started_at, updated_at, completed_at, reminders_sent) "
                "SELECT :campaign, r.id, 1, "
                "CASE r.id % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'sms' ELSE 'telegram' END, "
                "CASE r.id % 2 WHEN 0 THEN 'fr' ELSE 'nl' END, "
                f"{status}, '{{}}'::jsonb, false, "
                "now() - (r.id % 30) * interval '1 day', now(), "
                f"CASE WHEN {status} = 'completed' THEN now() - (r.id % 30) * interval '1 day' END, 0 "
                "FROM respondents r WHERE r.organization_id = :org"
            ),
            {"campaign": target.id, "org": target.organization_id},
        )
        for question_id, value, free in _answer_sql(target.questionnaire):
            connection.execute(
                text(
                    "INSERT INTO answers (conversation_id, question_id, value, is_free_text, channel, revision, "
                    f"answered_at) SELECT c.id, :question, {value}, :free, c.channel, 1, now() "
                    "FROM conversations c WHERE c.campaign_id = :campaign AND c.status <> 'in_progress'"
                ),
                {"question": question_id, "free": free, "campaign": target.id},
            )
        for table in ("respondents", "conversations", "answers"):
            connection.execute(text(f"ANALYZE {table}"))
