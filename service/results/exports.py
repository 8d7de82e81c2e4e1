"""Exports: one row per conversation, as CSV or XLSX, written in constant memory.

The columns are fixed by the contract: ``conversation``, ``respondent`` (the pseudonym, never a phone
number), ``status`` (in_progress, completed, expired or opted_out; conversations whose consent was
refused hold no answers and are left out), ``channel``, ``language``, ``started_at`` and
``completed_at`` (UTC), one column per question (named by its id; labels in the chosen language, or
codes) and one ``score_<indicator>`` column per indicator. The XLSX has the data sheet first and a
``codebook`` sheet that says what every column and code means.

Rows are read in keyset pages (``id > last`` ordered by id), each page in its own short transaction:
memory stays flat however large the campaign is, and no transaction is held open for minutes (on
SQLite every transaction takes the write lock, so a long one would stall the survey). XLSX goes through
openpyxl's write-only mode, which streams rows to disk.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from questionnaires.model import (
    Indicator,
    Question,
    Questionnaire,
)
from service.models import (
    Answer,
    Conversation,
    ConversationStatus,
    Respondent,
    Score,
)
from service.results.answers import cell_formatter

FORMATS = ("csv", "xlsx")
FIXED_COLUMNS = ("conversation", "respondent", "status", "channel", "language", "started_at", "completed_at")
EXPORTED_STATUSES = (
    ConversationStatus.IN_PROGRESS,
    ConversationStatus.COMPLETED,
    ConversationStatus.EXPIRED,
    ConversationStatus.OPTED_OUT,
)
PAGE_SIZE = 1000
DATA_SHEET, CODEBOOK_SHEET = "data", "codebook"
SCORE_PREFIX = "score_"

_SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class ExportError(ValueError):
    """An export request that can't be honoured; the message is safe to show."""


@dataclass(frozen=True)
class ExportPlan:
    """What an export of one questionnaire holds, in which language, as labels or codes."""

    questionnaire: Questionnaire
    language: str
    codes: bool
    questions: tuple[Question, ...]
    indicators: tuple[Indicator, ...]

    @property
    def header(self) -> list[str]:
        return [
            *FIXED_COLUMNS,
            *(q.id for q in self.questions),
            *(SCORE_PREFIX + i.id for i in self.indicators),
        ]


def plan_for(questionnaire: Questionnaire, language: str | None = None, *, codes: bool = False) -> ExportPlan:
    """The export plan: every answerable question and every indicator, labels in ``language``."""
    chosen = language if language in questionnaire.languages else questionnaire.default_language
    return ExportPlan(
        questionnaire=questionnaire,
        language=chosen,
        codes=codes,
        questions=tuple(q for q in questionnaire.questions if q.answerable),
        indicators=questionnaire.indicators,
    )


def count_rows(session: Session, campaign_id: int) -> int:
    """How many conversations an export of the campaign holds."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.campaign_id == campaign_id, Conversation.status.in_(EXPORTED_STATUSES))
        )
        or 0
    )


# --- reading -----------------------------------------------------------------------------------------


def iter_records(
    sessions: sessionmaker[Session], campaign_id: int, plan: ExportPlan, *, page_size: int = PAGE_SIZE
) -> Iterator[list[Any]]:
    """Typed cells of each exported conversation, in id order, one short transaction per page."""
    last_id = 0
    default = plan.questionnaire.default_language
    formatters = [(q.id, cell_formatter(q, plan.language, default, codes=plan.codes)) for q in plan.questions]
    indicator_ids = [indicator.id for indicator in plan.indicators]
    # Core columns, not ORM attributes: the rows are plain tuples, read without the ORM's per-row work.
    conversations, respondents = Conversation.__table__.c, Respondent.__table__.c
    answers_table, scores_table = Answer.__table__.c, Score.__table__.c
    while True:
        with sessions() as session:
            page = session.execute(
                select(
                    conversations.id,
                    respondents.pseudonym,
                    conversations.status,
                    conversations.channel,
                    conversations.language,
                    conversations.started_at,
                    conversations.completed_at,
                )
                .join_from(
                    Conversation.__table__,
                    Respondent.__table__,
                    respondents.id == conversations.respondent_id,
                )
                # (campaign, id) is an index: each page is one range scan, whatever the campaign's size.
                .where(conversations.campaign_id == campaign_id, conversations.id > last_id)
                .order_by(conversations.id)
                .limit(page_size)
            ).all()
            if not page:
                return
            last_id = page[-1][0]
            page = [row for row in page if row[2] in EXPORTED_STATUSES]
            ids = [row[0] for row in page]
            answers: dict[int, dict[str, Any]] = {}
            for conversation_id, question_id, value in session.execute(
                select(answers_table.conversation_id, answers_table.question_id, answers_table.value).where(
                    answers_table.conversation_id.in_(ids)
                )
            ):
                answers.setdefault(conversation_id, {})[question_id] = value
            scores: dict[int, dict[str, float | None]] = {}
            for conversation_id, indicator_id, value in session.execute(
                select(scores_table.conversation_id, scores_table.indicator_id, scores_table.value).where(
                    scores_table.conversation_id.in_(ids)
                )
            ):
                scores.setdefault(conversation_id, {})[indicator_id] = value
        for conversation_id, pseudonym, status, channel, language, started_at, completed_at in page:
            given = answers.get(conversation_id, {})
            scored = scores.get(conversation_id, {})
            record: list[Any] = [
                conversation_id,
                pseudonym,
                status,
                channel,
                language,
                started_at,
                completed_at,
            ]
            record.extend(format_cell(given.get(question_id)) for question_id, format_cell in formatters)
            record.extend(_score(scored.get(indicator_id)) for indicator_id in indicator_ids)
            yield record


def _score(value: float | None) -> float | int | None:
    if value is None:
        return None
    value = round(value, 6)
    return int(value) if value.is_integer() else value


# --- writing -----------------------------------------------------------------------------------------


def csv_cell(value: Any) -> str:
    """A cell as CSV text: ISO 8601 UTC times, plain numbers, and text that can't start a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        # A spreadsheet would run "=HYPERLINK(...)" typed by a respondent: defuse it (OWASP CSV injection).
        return "'" + value if value.startswith(_SPREADSHEET_TRIGGERS) else value
    return str(value)


def csv_chunks(
    header: Sequence[str], records: Iterator[list[Any]], *, rows_per_chunk: int = 500
) -> Iterator[str]:
    """CSV text in chunks (a header, then rows), for writing to a file or streaming an HTTP response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    pending = 1
    for record in records:
        writer.writerow([csv_cell(value) for value in record])
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if buffer.getvalue():
        yield buffer.getvalue()


def write_csv(stream: IO[str], plan: ExportPlan, records: Iterator[list[Any]]) -> int:
    """Write the CSV (UTF-8, no byte-order mark, CRLF line ends) to a text stream; returns the rows written."""
    rows = [0]

    def counted() -> Iterator[list[Any]]:
        for record in records:
            rows[0] += 1
            yield record

    for chunk in csv_chunks(plan.header, counted()):
        stream.write(chunk)
    return rows[0]


def counting(records: Iterator[list[Any]], tick: Callable[[], None]) -> Iterator[list[Any]]:
    """The same records, calling ``tick`` for each (progress reports)."""
    for record in records:
        tick()
        yield record


def _xlsx_value(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(
            tzinfo=None
        )  # Excel has no time zones: UTC, as the codebook says
    if isinstance(value, str):
        value = _ILLEGAL_XLSX.sub("", value)
        if value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text, never a formula
            return cell
    return value


def write_xlsx(
    target: str | Path | IO[bytes],
    plan: ExportPlan,
    records: Iterator[list[Any]],
    codebook: list[list[Any]],
    *,
    tick: Callable[[], None] | None = None,
) -> int:
    """Write the XLSX (data sheet first, then the codebook) in openpyxl's write-only mode; returns rows."""
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet(DATA_SHEET)
    data.append(plan.header)
    rows = 0
    for record in records:
        data.append([_xlsx_value(data, value) for value in record])
        rows += 1
        if tick is not None:
            tick()
    sheet = workbook.create_sheet(CODEBOOK_SHEET)
    for line in codebook:
        sheet.append([_xlsx_value(sheet, value) for value in line])
    workbook.save(target)
    return rows
