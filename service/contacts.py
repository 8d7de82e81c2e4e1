"""A campaign's contact list: importing a CSV of phone numbers, all or nothing, with errors line by line.

The file has a header row with ``phone`` and ``language`` and optionally ``name`` and ``reference``
(any order, any case; comma, semicolon or tab separated, as spreadsheets in France and Belgium save
them; UTF-8, or Windows-1252 from older Excel). Each phone number is normalized to E.164 with the
organization's default region. A row that can't be used, and a number given twice, are reported with
their line number; if there is any, nothing is imported. People already on the campaign's list are
skipped and reported, so uploading a longer version of a file adds only the new lines.

Numbers are stored as a keyed hash plus, for the channel we write to (SMS), their encryption;
names are personal data and stored encrypted too. Telegram contacts are known by their number's hash
only (a bot can't write to a phone number): each gets a personal link token, and once they open
``https://t.me/<bot>?start=<token>`` their chat is linked to them and invitations can reach them.
Nobody is invited by WhatsApp (:func:`whatsapp_refusal`): people start WhatsApp conversations themselves.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import phonenumbers
from phonenumbers import timezone as phone_timezones
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from service.models import (
    Campaign,
    CampaignStatus,
    Contact,
    ContactStatus,
    Identity,
    OptOut,
    Respondent,
)
from service.phones import InvalidPhoneNumber, normalize_phone
from service.respondents import REACHABLE_CHANNELS
from service.runtime import Runtime
from service.telegram_links import TOKEN_BYTES
from service.texts import N_, Text

COLUMNS = ("phone", "language", "name", "reference")
LANGUAGES = ("fr", "nl", "en")
INVITABLE_CHANNELS = ("sms", "telegram")
"""Channels we may write to first. Not WhatsApp: see :func:`whatsapp_refusal`."""
PHONE_IDENTITY = "phone"
"""The identity channel of a Telegram contact's number: recognised by its hash, never written to."""
MAX_ROWS = 100_000
NAME_LENGTH = 200
REFERENCE_LENGTH = 100
_CHUNK = 1000

Rows = IO[str] | IO[bytes] | bytes | str | Path | Iterable[Mapping[str, Any]]
"""A file (text or binary), its content, a path, or rows already parsed (mappings of column to value)."""


class ContactListError(ValueError):
    """The list can't be imported into this campaign at all (wrong channel, closed campaign); an ``N_`` text."""


@dataclass(frozen=True)
class ImportProblem:
    """Why one line (1 is the header) can't be imported; never repeats the phone number.

    ``message`` is an ``N_`` text: English here and on the command line, translated on the staff page.
    """

    line: int
    message: str
    column: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ImportReport:
    """What an import did: contacts added, lines skipped as already on the list, or the problems found."""

    imported: int = 0
    already_present: tuple[int, ...] = ()
    """Lines whose person was already on the campaign's list (skipped, not an error)."""
    opted_out: int = 0
    """Imported people who had opted out on that channel: kept on the list, never messaged."""
    problems: tuple[ImportProblem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Row:
    line: int
    phone: str
    language: str
    name: str | None
    reference: str | None


def whatsapp_refusal() -> Text:
    """Why nobody is invited by WhatsApp, in one line for the CLI, the API and the staff pages.

    Twilio refuses a free-form WhatsApp message outside the 24 hours after the person's last message to us
    (error 63016) unless it is a template Meta approved, and vises sends no templates.
    """
    return N_(
        "invitations can't go out by WhatsApp: WhatsApp only lets us answer people who wrote in the last "
        "24 hours, so WhatsApp campaigns are answered by people who send the keyword first"
    )


def identity_channel(channel: str) -> str:
    """The identity a contact of ``channel`` is known by: their number on SMS/WhatsApp, its hash for Telegram."""
    return PHONE_IDENTITY if channel == "telegram" else channel


def import_contacts(
    session: Session,
    runtime: Runtime,
    campaign: Campaign,
    rows_or_file: Rows,
    channel: str,
    default_region: str,
) -> ImportReport:
    """Add the people of a CSV file (or of already parsed rows) to ``campaign``'s list for ``channel``.

    All or nothing: with any problem, the report lists them and nothing is written. Otherwise the
    contacts are added to ``session`` (flushed, not committed: the caller commits).
    """
    if channel == "whatsapp":
        raise ContactListError(whatsapp_refusal())
    if channel not in INVITABLE_CHANNELS:
        raise ContactListError(
            N_(
                "contacts are invited by %(channels)s, not %(channel)s",
                channels=", ".join(INVITABLE_CHANNELS),
                channel=channel,
            )
        )
    if channel not in campaign.channels:
        raise ContactListError(N_("this campaign does not use the %(channel)s channel", channel=channel))
    if campaign.status == CampaignStatus.CLOSED:
        raise ContactListError(N_("this campaign is closed"))
    rows, problems = _read(rows_or_file, default_region, campaign.default_language)
    if problems:
        return ImportReport(problems=tuple(problems))
    imported, present, opted_out = _store(session, runtime, campaign, rows, channel)
    return ImportReport(imported=imported, already_present=tuple(present), opted_out=opted_out)


# --- reading -------------------------------------------------------------------------------------------


def _read(source: Rows, region: str, default_language: str) -> tuple[list[_Row], list[ImportProblem]]:
    problems: list[ImportProblem] = []
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    try:
        records = list(_records(source))
    except _Unreadable as exc:
        return [], [ImportProblem(1, exc.args[0])]
    for line, record in records:
        if line == 1:
            problems.extend(_header_problems(record))
            if problems:
                return [], problems
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            problems.append(
                ImportProblem(line, N_("too many lines: at most %(n)d contacts per file", n=MAX_ROWS))
            )
            break
        row = _row(line, record, region, default_language, problems)
        if row is None:
            continue
        if row.phone in seen:
            problems.append(
                ImportProblem(
                    line, N_("the same phone number as line %(line)d", line=seen[row.phone]), "phone"
                )
            )
            continue
        seen[row.phone] = line
        rows.append(row)
    if not rows and not problems:
        problems.append(ImportProblem(2, N_("the file has no contacts")))
    return rows, problems


class _Unreadable(ValueError):
    pass


def _records(source: Rows) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """``(line, row)`` pairs; line 1 is the header (as a mapping of its own names)."""
    if isinstance(source, Path):
        source = source.read_bytes()
    if isinstance(source, bytes | str):
        yield from _csv(_decode(source) if isinstance(source, bytes) else source)
        return
    read = getattr(source, "read", None)
    if read is not None:
        data = read()
        yield from _csv(_decode(data) if isinstance(data, bytes) else str(data))
        return
    mappings: list[Mapping[str, Any]] = list(source)  # type: ignore[arg-type]
    names: dict[str, Any] = {}
    for mapping in mappings:
        names.update(dict.fromkeys(str(k) for k in mapping))
    yield 1, {name: name for name in names}
    for index, mapping in enumerate(mappings, start=2):
        yield index, {str(k).strip().lower(): ("" if v is None else str(v)) for k, v in mapping.items()}


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _csv(text: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise _Unreadable(N_("the file is empty: the first line names the columns (phone,language,...)"))
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise _Unreadable(N_("not a CSV file (%(reason)s)", reason=str(exc))) from None
    yield 1, {name: name for name in header}
    try:
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            record: dict[str, Any] = dict(zip(header, values, strict=False))
            if len(values) > len(header):
                record[""] = values[len(header) :]
            yield line, record
    except csv.Error as exc:
        raise _Unreadable(
            N_("line %(line)d: not valid CSV (%(reason)s)", line=reader.line_num, reason=str(exc))
        ) from None


def _header_problems(header: Mapping[str, Any]) -> list[ImportProblem]:
    names = [str(name).strip().lower() for name in header]
    problems = []
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        problems.append(
            ImportProblem(
                1,
                N_(
                    "unknown column %(column)r (the columns are %(columns)s)",
                    column=unknown[0],
                    columns=", ".join(COLUMNS),
                ),
            )
        )
    if "phone" not in names:
        problems.append(
            ImportProblem(1, N_("the header has no phone column (phone,language,name,reference)"))
        )
    return problems


def _row(
    line: int, record: Mapping[str, Any], region: str, default_language: str, problems: list[ImportProblem]
) -> _Row | None:
    found = len(problems)
    if record.get(""):
        problems.append(ImportProblem(line, N_("more values than columns")))
    raw_phone = str(record.get("phone") or "").strip()
    phone = ""
    if not raw_phone:
        problems.append(ImportProblem(line, N_("missing"), "phone"))
    else:
        try:
            phone = normalize_phone(raw_phone, region)
        except InvalidPhoneNumber as exc:
            problems.append(ImportProblem(line, exc.args[0], "phone"))
    language = str(record.get("language") or "").strip().lower() or default_language
    if language not in LANGUAGES:
        problems.append(
            ImportProblem(
                line,
                N_(
                    "%(language)r is not one of %(languages)s",
                    language=language,
                    languages=", ".join(LANGUAGES),
                ),
                "language",
            )
        )
    name = str(record.get("name") or "").strip() or None
    if name and len(name) > NAME_LENGTH:
        problems.append(ImportProblem(line, N_("longer than %(n)d characters", n=NAME_LENGTH), "name"))
    reference = str(record.get("reference") or "").strip() or None
    if reference and len(reference) > REFERENCE_LENGTH:
        problems.append(
            ImportProblem(line, N_("longer than %(n)d characters", n=REFERENCE_LENGTH), "reference")
        )
    if len(problems) > found:
        return None
    return _Row(line, phone, language, name, reference)


# --- storing -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Known:
    """An identity already stored: enough of it to list its person."""

    id: int
    respondent_id: int
    has_address: bool


def _store(
    session: Session, runtime: Runtime, campaign: Campaign, rows: Sequence[_Row], channel: str
) -> tuple[int, list[int], int]:
    """Everything is looked up first, then written in bulk (no ORM objects, no lookups between inserts:
    within one transaction the planner's statistics don't see the new rows, and 100,000 contacts must not
    fill the session)."""
    vault = runtime.vault
    id_channel = identity_channel(channel)
    keep_address = id_channel in REACHABLE_CHANNELS
    organization_id = campaign.organization_id
    digests = {row.line: vault.digest(id_channel, row.phone) for row in rows}
    phones = {digests[row.line]: row.phone for row in rows}
    all_digests = list(phones)
    known: dict[str, _Known] = {}
    stopped: set[str] = set()
    for start in range(0, len(all_digests), _CHUNK):
        chunk = all_digests[start : start + _CHUNK]
        known.update(_identities(session, organization_id, id_channel, chunk))
        if channel != "telegram":
            stopped |= _opted_out(session, organization_id, channel, chunk)
    known_ids = [identity.id for identity in known.values()]
    listed: set[int] = set()
    for start in range(0, len(known_ids), _CHUNK):
        listed.update(
            session.scalars(
                select(Contact.identity_id).where(
                    Contact.campaign_id == campaign.id,
                    Contact.identity_id.in_(known_ids[start : start + _CHUNK]),
                )
            )
        )

    if keep_address:
        for digest, identity in known.items():
            if not identity.has_address:
                session.execute(
                    update(Identity)
                    .where(Identity.id == identity.id)
                    .values(ciphertext=vault.encrypt(phones[digest]), erased_at=None)
                )
    fresh = [digest for digest in all_digests if digest not in known]
    for start in range(0, len(fresh), _CHUNK):
        chunk = fresh[start : start + _CHUNK]
        respondent_ids = session.scalars(
            insert(Respondent).returning(Respondent.id, sort_by_parameter_order=True),
            [{"organization_id": organization_id, "pseudonym": secrets.token_hex(16)} for _ in chunk],
        ).all()
        identity_ids = session.scalars(
            insert(Identity).returning(Identity.id, sort_by_parameter_order=True),
            [
                {
                    "organization_id": organization_id,
                    "respondent_id": respondent_id,
                    "channel": id_channel,
                    "digest": digest,
                    "ciphertext": vault.encrypt(phones[digest]) if keep_address else None,
                }
                for digest, respondent_id in zip(chunk, respondent_ids, strict=True)
            ],
        ).all()
        for digest, respondent_id, identity_id in zip(chunk, respondent_ids, identity_ids, strict=True):
            known[digest] = _Known(identity_id, respondent_id, keep_address)

    present: list[int] = []
    contacts: list[dict[str, Any]] = []
    for row in rows:
        identity = known[digests[row.line]]
        if identity.id in listed:
            present.append(row.line)
            continue
        is_stopped = digests[row.line] in stopped
        contacts.append(
            {
                "campaign_id": campaign.id,
                "respondent_id": identity.respondent_id,
                "identity_id": identity.id,
                "channel": channel,
                "language": row.language,
                "name_ciphertext": vault.encrypt(row.name) if row.name else None,
                "reference": row.reference,
                "status": ContactStatus.OPTED_OUT if is_stopped else ContactStatus.PENDING,
                "link_token": secrets.token_urlsafe(TOKEN_BYTES) if channel == "telegram" else None,
                "timezone": _timezone(row.phone),
            }
        )
    for start in range(0, len(contacts), _CHUNK):
        session.execute(insert(Contact), contacts[start : start + _CHUNK])
    opted_out = sum(1 for contact in contacts if contact["status"] == ContactStatus.OPTED_OUT)
    return len(contacts), present, opted_out


def _identities(
    session: Session, organization_id: int, channel: str, digests: list[str]
) -> dict[str, _Known]:
    found = session.execute(
        select(Identity.digest, Identity.id, Identity.respondent_id, Identity.ciphertext.is_not(None)).where(
            Identity.organization_id == organization_id,
            Identity.channel == channel,
            Identity.digest.in_(digests),
        )
    )
    return {
        digest: _Known(identity_id, respondent_id, bool(has))
        for digest, identity_id, respondent_id, has in found
    }


def _opted_out(session: Session, organization_id: int, channel: str, digests: list[str]) -> set[str]:
    return set(
        session.scalars(
            select(OptOut.digest).where(
                OptOut.organization_id == organization_id,
                OptOut.channel == channel,
                OptOut.digest.in_(digests),
                OptOut.opted_in_at.is_(None),
            )
        )
    )


def _timezone(e164: str) -> str | None:
    """The number's time zone when libphonenumber knows exactly one."""
    zones = phone_timezones.time_zones_for_number(phonenumbers.parse(e164))
    if len(zones) == 1 and zones[0] != phone_timezones.UNKNOWN_TIMEZONE:
        return str(zones[0])
    return None
