"""Requests to see or erase one's data: asked on a channel and confirmed once, or entered by staff.

On a channel (``SUPPRIMER``/``VERWIJDER``/``DELETE``, ``MES DONNEES``/``MIJN GEGEVENS``/``MY DATA``, or
Telegram's ``/delete`` and ``/mydata``), the first message records an *unconfirmed* request per
organization that knows the sender (the one of the conversation in progress, if any) and asks to
confirm: the same word again, or a yes (OUI/JA/YES), within :data:`CONFIRM_WINDOW`. Anything else
cancels it and is read as usual. Once confirmed, erasure runs at once
(:mod:`service.privacy.erasure`) and access sends the answers back on the same channel
(:mod:`service.privacy.access`).

Staff enter requests received by other means (letter, e-mail, at the desk) by typing the person's
phone number: it is normalised, hashed for each channel a number can be known on, and never stored or
shown; only counts are shown before anything is done.

Each request is a :class:`~service.models.PrivacyRequest` row (kind, channel or means, who asked for
it, status, times) and each lookup, access and erasure an audit event with counts, never content.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import BindParameter, ColumnElement, Exists, exists, select
from sqlalchemy.orm import Session

from questionnaires.keywords import Command, Keyword
from questionnaires.messages import message
from questionnaires.replies import parse_yes_no
from service.audit import Action, record
from service.identities import IdentityVault
from service.models import Identity, Organization, PrivacyRequest, Respondent
from service.phones import normalize_phone
from service.privacy.access import PersonalData, channel_texts, collect
from service.privacy.erasure import ErasureReport, Holdings, erase_respondents, holdings, respondents_for

CHANNELS = frozenset({"sms", "whatsapp", "telegram"})
"""Where a person can ask by message (the web form has its own pages)."""
PHONE_CHANNELS = ("sms", "whatsapp", "phone")
"""The identity channels a phone number can be known on (``phone``: a Telegram invitation's number)."""
CONFIRM_WINDOW = timedelta(minutes=15)
RECEIVED_VIA = ("email", "letter", "phone_call", "in_person", "other")


class Kind(enum.StrEnum):
    ACCESS = "access"
    ERASURE = "erasure"
    OPT_OUT = "opt_out"
    """An objection to any further message (art. 21), entered by staff; by message it is STOP."""


class Status(enum.StrEnum):
    UNCONFIRMED = "unconfirmed"
    """Asked on a channel, waiting for the confirmation (lapses after the window)."""
    DONE = "done"
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"
    """Entered by staff for a number we hold nothing about."""


KIND_OF_COMMAND = {Command.DELETE: Kind.ERASURE, Command.ACCESS: Kind.ACCESS}


def kind_of(keyword: Keyword | None) -> Kind | None:
    """The request a keyword makes, if any."""
    return KIND_OF_COMMAND.get(keyword.command) if keyword is not None else None


def _pending_criteria(
    channel: str | BindParameter[str],
    digest: str | BindParameter[str],
    since: datetime | BindParameter[datetime],
) -> tuple[ColumnElement[bool], ...]:
    pseudonyms = (
        select(Respondent.pseudonym)
        .join(Identity, Identity.respondent_id == Respondent.id)
        .where(Identity.channel == channel, Identity.digest == digest)
    )
    return (
        PrivacyRequest.status == Status.UNCONFIRMED,
        PrivacyRequest.source == "respondent",
        PrivacyRequest.channel == channel,
        PrivacyRequest.created_at >= since,
        PrivacyRequest.respondent_pseudonym.in_(pseudonyms),
    )


def pending_exists(
    channel: BindParameter[str], digest: BindParameter[str], since: BindParameter[datetime]
) -> Exists:
    """Whether :meth:`ChannelRequests.pending` would find anything (``since``: now minus :data:`CONFIRM_WINDOW`).

    For the conversation service to fold into a statement it sends anyway, so that the turns of the
    great majority of senders, who have no request waiting, don't pay a round trip for it.
    """
    return exists().where(*_pending_criteria(channel, digest, since))


@dataclass(frozen=True, slots=True)
class ChannelReply:
    """What to send back on the channel; ``resume``: the conversation in progress goes on after it."""

    language: str
    texts: tuple[str, ...]
    erased: bool = False
    resume: bool = False


@dataclass
class ChannelRequests:
    """One inbound message's view of its sender's requests (in the conversation service's transaction)."""

    session: Session
    vault: IdentityVault
    channel: str
    digest: str
    now: datetime
    instance_path: Path | None = None
    """Where export files are (erasure deletes those that hold the person's answers)."""
    _pending: list[PrivacyRequest] | None = field(default=None, init=False)

    def pending(self) -> list[PrivacyRequest]:
        """Unconfirmed requests of this sender still inside the window, newest first."""
        if self._pending is None:
            self._pending = list(
                self.session.scalars(
                    select(PrivacyRequest)
                    .where(*_pending_criteria(self.channel, self.digest, self.now - CONFIRM_WINDOW))
                    .order_by(PrivacyRequest.created_at.desc(), PrivacyRequest.id.desc())
                    .with_for_update()
                )
            )
        return self._pending

    def ask(self, kind: Kind, organization_ids: Sequence[int], language: str) -> ChannelReply:
        """A request keyword: confirms a pending request of that kind, or records one and asks to confirm."""
        waiting = [request for request in self.pending() if request.kind == kind]
        if waiting:
            return self._carry_out(kind, waiting, language)
        self._cancel(self.pending())
        found = respondents_for(self.session, organization_ids, [(self.channel, self.digest)])
        if not found:
            return ChannelReply(language, (message("privacy.nothing_held", language),))
        names = []
        for organization_id, respondent_ids in sorted(found.items()):
            organization = self.session.get_one(Organization, organization_id)
            names.append(organization.short_name)
            respondent = self.session.get_one(Respondent, respondent_ids[0])
            self.session.add(
                PrivacyRequest(
                    organization_id=organization_id,
                    kind=kind,
                    channel=self.channel,
                    source="respondent",
                    respondent_pseudonym=respondent.pseudonym,
                    status=Status.UNCONFIRMED,
                    created_at=self.now,
                )
            )
        self.session.flush()
        key = "privacy.confirm_delete" if kind is Kind.ERASURE else "privacy.confirm_access"
        return ChannelReply(language, (message(key, language, org=", ".join(names)),))

    def answer(self, text: str | None, language: str) -> ChannelReply | None:
        """Any other message: a yes confirms the newest pending request; anything else cancels them."""
        pending = self.pending()
        if not pending:
            return None
        typed = (text or "").strip()
        if typed and not any(ch.isdigit() for ch in typed) and parse_yes_no(typed, language) is True:
            kind = Kind(pending[0].kind)
            return self._carry_out(kind, [request for request in pending if request.kind == kind], language)
        self._cancel(pending)
        return None

    def _cancel(self, requests: Sequence[PrivacyRequest]) -> None:
        for request in requests:
            request.status = Status.CANCELLED
            request.completed_at = self.now
        self.session.flush()

    def _carry_out(self, kind: Kind, requests: Sequence[PrivacyRequest], language: str) -> ChannelReply:
        self._cancel([request for request in self.pending() if request not in requests])
        names: list[str] = []
        held: list[PersonalData] = []
        for request in sorted(requests, key=lambda r: r.organization_id):
            organization = self.session.get_one(Organization, request.organization_id)
            names.append(organization.short_name)
            found = respondents_for(self.session, [organization.id], [(self.channel, self.digest)])
            respondent_ids = found.get(organization.id, [])
            request.status = Status.DONE
            request.completed_at = self.now
            details: dict[str, object] = {"source": "respondent", "channel": self.channel}
            if kind is Kind.ERASURE:
                report = erase_respondents(
                    self.session, organization, respondent_ids, now=self.now, instance_path=self.instance_path
                )
                request.scope = report.mode
                details.update(report.as_details())
                action = Action.ERASURE
            else:
                data = collect(self.session, self.vault, organization, respondent_ids, language)
                held.append(data)
                request.scope = "message"
                details.update(conversations=len(data.conversations), answers=data.answer_count)
                action = Action.ACCESS
            record(
                self.session,
                organization.id,
                action,
                target_type="privacy_request",
                target_id=request.id,
                details=details,
                at=self.now,
            )
        self.session.flush()
        if kind is Kind.ERASURE:
            return ChannelReply(language, (message("deleted", language, org=", ".join(names)),), erased=True)
        return ChannelReply(language, channel_texts(held, language, self.channel), resume=True)


# --- requests entered by staff --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lookup:
    """A typed phone number's digests (one per channel a number is known on) and what they lead to."""

    addresses: tuple[tuple[str, str], ...]
    holdings: Holdings


def phone_addresses(vault: IdentityVault, phone: str, region: str) -> tuple[tuple[str, str], ...]:
    """(channel, digest) pairs of a phone number typed by staff (InvalidPhoneNumber when it isn't one)."""
    number = normalize_phone(phone, region)
    return tuple((channel, vault.digest(channel, number)) for channel in PHONE_CHANNELS)


def lookup(
    session: Session,
    organization: Organization,
    addresses: Sequence[tuple[str, str]],
    *,
    user_id: int | None,
    kind: str,
    now: datetime,
) -> Lookup:
    """What the organization holds for these digests (counts), recorded in the audit trail."""
    found = respondents_for(session, [organization.id], addresses)
    held = holdings(session, organization.id, found.get(organization.id, []))
    record(
        session,
        organization.id,
        Action.LOOKUP,
        user_id=user_id,
        target_type="privacy_request",
        details={"kind": str(kind), "conversations": held.conversations, "campaigns": held.campaigns},
        at=now,
    )
    return Lookup(tuple(addresses), held)


def staff_request(
    session: Session,
    organization: Organization,
    kind: Kind,
    received_via: str,
    user_id: int | None,
    now: datetime,
) -> PrivacyRequest:
    """The register's row for a request entered by staff (done at once; its status says if nothing was held)."""
    if received_via not in RECEIVED_VIA:
        raise ValueError(f"received_via is one of {', '.join(RECEIVED_VIA)}")
    request = PrivacyRequest(
        organization_id=organization.id,
        kind=kind,
        channel=received_via,
        source="staff",
        requested_by_id=user_id,
        status=Status.DONE,
        created_at=now,
        completed_at=now,
    )
    session.add(request)
    session.flush()
    return request


def staff_erasure(
    session: Session,
    organization: Organization,
    addresses: Sequence[tuple[str, str]],
    *,
    received_via: str,
    user_id: int | None,
    now: datetime,
    instance_path: Path | None = None,
) -> tuple[PrivacyRequest, ErasureReport | None]:
    """Erase what the organization holds for these digests; the request is recorded either way."""
    request = staff_request(session, organization, Kind.ERASURE, received_via, user_id, now)
    respondent_ids = respondents_for(session, [organization.id], addresses).get(organization.id, [])
    report = None
    details: dict[str, object] = {"source": "staff", "received_via": received_via}
    if respondent_ids:
        report = erase_respondents(
            session, organization, respondent_ids, now=now, instance_path=instance_path
        )
        request.scope = report.mode
        details.update(report.as_details())
    else:
        request.status = Status.NOT_FOUND
        details["found"] = 0
    record(
        session,
        organization.id,
        Action.ERASURE,
        user_id=user_id,
        target_type="privacy_request",
        target_id=request.id,
        details=details,
        at=now,
    )
    return request, report


def staff_access(
    session: Session,
    vault: IdentityVault,
    organization: Organization,
    addresses: Sequence[tuple[str, str]],
    *,
    received_via: str,
    language: str,
    user_id: int | None,
    now: datetime,
) -> tuple[PrivacyRequest, PersonalData]:
    """Everything the organization holds for these digests, for staff to hand over as a file."""
    request = staff_request(session, organization, Kind.ACCESS, received_via, user_id, now)
    respondent_ids = respondents_for(session, [organization.id], addresses).get(organization.id, [])
    data = collect(session, vault, organization, respondent_ids, language)
    request.scope = "file"
    if not respondent_ids:
        request.status = Status.NOT_FOUND
    record(
        session,
        organization.id,
        Action.ACCESS,
        user_id=user_id,
        target_type="privacy_request",
        target_id=request.id,
        details={
            "source": "staff",
            "received_via": received_via,
            "conversations": len(data.conversations),
            "answers": data.answer_count,
        },
        at=now,
    )
    return request, data


def recent_requests(session: Session, organization_id: int, *, limit: int = 50) -> list[PrivacyRequest]:
    """The organization's latest requests, newest first (the register's view)."""
    return list(
        session.scalars(
            select(PrivacyRequest)
            .where(PrivacyRequest.organization_id == organization_id)
            .order_by(PrivacyRequest.created_at.desc(), PrivacyRequest.id.desc())
            .limit(limit)
        )
    )
