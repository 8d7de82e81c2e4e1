"""The conversation service: one inbound message in, one stored step and one reply out.

Every channel comes through :meth:`ConversationService.handle`: the message is
deduplicated on its provider id, the respondent's conversation is locked, the
engine advances, and the answer, the new state and the ledger row are written in
one transaction. An answer is acknowledged only after it is committed; jobs
(scoring) are enqueued after the commit, so a lost job can always be redone from
the database.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bots.base import Inbound, Outgoing, outgoing_for_turn
from questionnaires import engine
from questionnaires.keywords import Command, Keyword, classify
from questionnaires.messages import message
from questionnaires.model import AnswerValue, Questionnaire, QuestionType, translate
from questionnaires.turns import (
    BackReply,
    LanguageReply,
    Outcome,
    Reply,
    Stage,
    State,
    TextReply,
    Turn,
)
from service import campaigns as campaign_rules
from service import respondents
from service.definitions import definition
from service.models import (
    Answer,
    Campaign,
    ConsentRecord,
    Contact,
    Conversation,
    ConversationStatus,
    Identity,
    InboundMessage,
    Organization,
    QuestionnaireVersion,
)
from service.privacy import requests as privacy_requests
from service.runtime import Runtime
from service.scores import SCORING_JOB, offer_for_scoring

log = logging.getLogger(__name__)

ENDED = frozenset({ConversationStatus.COMPLETED, ConversationStatus.REFUSED, ConversationStatus.EXPIRED})
PAID_CHANNELS = frozenset({"sms", "whatsapp"})
"""Channels where every message we send is billed, and where a STOP must silence us."""
SILENT_AFTER_FAILURES = 6
"""On paid channels, unreadable replies from the sixth in a row get no answer (help was offered from the third):
an auto-responder can't keep a conversation going at our expense. HELP starts the count again."""


@dataclass(frozen=True)
class Handled:
    """The result of one inbound message: what to reply, and what happened."""

    outgoing: Outgoing
    duplicate: bool = False
    conversation_id: int | None = None
    status: str | None = None
    stored_answer: bool = False


@dataclass
class _Step:
    """What one transaction decided, plus the jobs to enqueue once it has committed."""

    handled: Handled
    jobs: list[tuple[str, tuple[Any, ...], str]] = field(default_factory=list)


@dataclass
class _Context:
    """The conversation being handled and everything loaded with it."""

    conversation: Conversation
    campaign: Campaign
    organization: Organization
    questionnaire: Questionnaire

    @property
    def variables(self) -> dict[str, str]:
        return {"org": self.organization.short_name}

    @property
    def state(self) -> State:
        return State.from_json(self.conversation.state)


def cached_definition(runtime: Runtime, session: Session, version_id: int) -> Questionnaire:
    """A questionnaire version's parsed definition, from the process's cache by version id (a version in
    use never changes): the stored document is read and parsed once per process, not on every turn."""
    cache = runtime.cache.setdefault("definitions", {})
    parsed = cache.get(version_id)
    if parsed is None:
        parsed = cache[version_id] = definition(session.get_one(QuestionnaireVersion, version_id))
    return parsed  # type: ignore[no-any-return]


class ConversationService:
    """Handles inbound messages of every channel against the database (no Flask, no channel SDK)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def handle(self, inbound: Inbound) -> Handled:
        """Process one inbound message exactly once; a redelivery returns ``duplicate=True`` and no reply."""
        for attempt in range(3):
            try:
                with self.runtime.transaction() as session:
                    step = _Handler(self.runtime, session, inbound).run()
                break
            except IntegrityError:
                # Two first messages from one person raced to create their identity or conversation:
                # the loser starts over and finds what the winner created.
                if attempt == 2:
                    raise
                log.info("retrying %s message after a concurrent insert", inbound.channel)
        for func, args, queue in step.jobs:
            try:
                if func == SCORING_JOB:
                    offer_for_scoring(self.runtime, *args)
                else:
                    self.runtime.jobs.enqueue(func, *args, queue=queue)
            except Exception:
                log.exception("could not enqueue %s; the sweep will redo it", func)
        return step.handled


class _Handler:
    """One message's handling inside one transaction."""

    def __init__(self, runtime: Runtime, session: Session, inbound: Inbound) -> None:
        self.runtime = runtime
        self.session = session
        self.inbound = inbound
        self.now = inbound.received_at
        self.digest = runtime.vault.digest(inbound.channel, inbound.address)
        self.dialect = session.get_bind().dialect.name
        self.jobs: list[tuple[str, tuple[Any, ...], str]] = []

    # -- entry ---------------------------------------------------------------------------------------

    def run(self) -> _Step:
        keyword = self.inbound.command or (classify(self.inbound.text) if self.inbound.text else None)
        explicit = self._explicit_campaign(keyword)
        context = self._active_context(explicit)
        claimed = self._claim(context.conversation.id if context else None)
        if claimed is None:
            return _Step(Handled(Outgoing(language=self._language(context)), duplicate=True))
        self.inbound_id, self.privacy_pending = claimed

        if keyword is not None and keyword.command in (Command.STOP, Command.START):
            handled = self._opt_command(keyword, context)
        elif (requested := self._privacy_request(keyword, context)) is not None:
            handled = requested
        elif explicit is not None and (context is None or context.campaign.id != explicit.id):
            handled = self._start(explicit, reply=self._reply_after_start(keyword), keyword=keyword)
        elif context is None:
            handled = self._without_conversation(keyword)
        elif explicit is None and self._names_a_campaign():
            # A deep link or invitation link we don't know (``/start WRONGCODE``) is not an answer.
            handled = self._continue(context, keyword, unknown_campaign=True)
        else:
            handled = self._continue(context, keyword)
        return _Step(handled, self.jobs)

    # -- finding things ------------------------------------------------------------------------------

    def _explicit_campaign(self, keyword: Keyword | None) -> Campaign | None:
        """The campaign this message opens: a code (deep link, web path), an invitation link, or an SMS keyword."""
        if self.inbound.link_token:
            contact = self.session.scalar(
                select(Contact).where(Contact.link_token == self.inbound.link_token)
            )
            if contact is not None:
                self._link_contact(contact)
                return self.session.get(Campaign, contact.campaign_id)
        if self.inbound.campaign_code:
            return campaign_rules.campaign_by_code(self.session, self.inbound.campaign_code)
        text = self.inbound.text
        if keyword is None and text and self.inbound.answer is None and _could_be_keyword(text):
            return campaign_rules.campaign_by_keyword(self.session, text)
        return None

    def _names_a_campaign(self) -> bool:
        """The message is only a campaign code or a personal link (no typed text that could be an answer)."""
        return bool(self.inbound.campaign_code or self.inbound.link_token) and self.inbound.text is None

    def _link_contact(self, contact: Contact) -> None:
        """A person opened their personal Telegram link: their chat becomes an identity of the contact's respondent.

        The link ties the contact to the first chat that opens it; opened from another chat later (a
        forwarded link), it only opens the campaign, and that chat answers as a person of its own.
        """
        organization_id = self._organization_id_of(contact.campaign_id)
        if contact.linked_at is not None:
            linked = self.session.scalar(
                select(Identity.id).where(
                    Identity.organization_id == organization_id,
                    Identity.channel == self.inbound.channel,
                    Identity.digest == self.digest,
                    Identity.respondent_id == contact.respondent_id,
                )
            )
            if linked is None:
                return
        respondents.identity_for(
            self.session,
            self.runtime.vault,
            organization_id,
            self.inbound.channel,
            self.inbound.address,
            respondent_id=contact.respondent_id,
        )
        if contact.linked_at is None:
            contact.linked_at = self.now

    def _organization_id_of(self, campaign_id: int) -> int:
        return int(
            self.session.scalar(select(Campaign.organization_id).where(Campaign.id == campaign_id)) or 0
        )

    def _active_context(self, explicit: Campaign | None) -> _Context | None:
        """The sender's conversation in progress (in ``explicit`` if given), locked for this transaction."""
        query = (
            select(Conversation, Campaign, Organization)
            # The respondent's condition is implied (a conversation's identity is one of its respondent's)
            # but lets PostgreSQL reach the conversations through their respondent_id index instead of
            # reading every conversation in progress: conversations.identity_id has no index.
            .join(
                Identity,
                (Identity.respondent_id == Conversation.respondent_id)
                & (Identity.id == Conversation.identity_id),
            )
            .join(Campaign, Campaign.id == Conversation.campaign_id)
            .join(Organization, Organization.id == Campaign.organization_id)
            .where(
                Identity.channel == self.inbound.channel,
                Identity.digest == self.digest,
                Conversation.status == ConversationStatus.IN_PROGRESS,
            )
            .order_by(Conversation.updated_at.desc())
            .limit(1)
            .with_for_update(of=Conversation)
        )
        if explicit is not None:
            query = query.where(Conversation.campaign_id == explicit.id)
        row = self.session.execute(query).first()
        if row is None:
            return None
        conversation, campaign, organization = row
        return _Context(
            conversation, campaign, organization, self._definition(campaign.questionnaire_version_id)
        )

    def _definition(self, version_id: int) -> Questionnaire:
        return cached_definition(self.runtime, self.session, version_id)

    def _claim(self, conversation_id: int | None) -> tuple[int, bool] | None:
        """Record the inbound message; ``None`` when it was already recorded (a redelivery).

        Also says whether the sender has a privacy request waiting for its confirmation: the statement
        runs after the conversation's lock is taken, so it sees what :meth:`ChannelRequests.pending`
        would see, without a round trip of its own on every turn.
        """
        asks_privacy = self.inbound.channel in privacy_requests.CHANNELS
        folded = asks_privacy and self.dialect == "postgresql"
        parameters = {
            "m_channel": self.inbound.channel,
            "m_external_id": self.inbound.external_id[:128],
            "m_conversation_id": conversation_id,
            "m_received_at": self.now,
            "p_digest": self.digest,
            "p_since": self.now - privacy_requests.CONFIRM_WINDOW,
        }
        row = self.session.execute(_claim_statement(self.dialect, with_privacy=folded), parameters).first()
        if row is None:
            return None
        if folded or not asks_privacy:
            return int(row[0]), bool(folded and row[1])
        # SQLite writes RETURNING's column names without their tables, which makes the subquery's ambiguous.
        waiting = self.session.scalar(_pending_statement(), parameters)
        return int(row[0]), bool(waiting)

    def _last_language(self) -> str | None:
        """The language of this sender's latest conversation, to answer them outside one in that language."""
        return self.session.scalar(
            select(Conversation.language)
            .join(Identity, Identity.id == Conversation.identity_id)
            .where(Identity.channel == self.inbound.channel, Identity.digest == self.digest)
            .order_by(Conversation.updated_at.desc())
            .limit(1)
        )

    def _language(self, context: _Context | None, fallback: str | None = None) -> str:
        if context is not None:
            return context.conversation.language
        hint = self.inbound.language_hint
        if hint in ("fr", "nl", "en"):
            return hint
        return fallback or "fr"

    # -- commands that concern every conversation ---------------------------------------------------

    def _opt_command(self, keyword: Keyword, context: _Context | None) -> Handled:
        channel, digest = self.inbound.channel, self.digest
        organizations = (
            [context.organization.id]
            if context
            else respondents.organizations_knowing(self.session, channel, digest)
        )
        language = self._language(context, keyword.language or self._last_language())
        names = self.session.scalars(
            select(Organization.short_name).where(Organization.id.in_(organizations))
        ).all()
        org = ", ".join(sorted(names)) or "vises"
        if keyword.command is Command.STOP:
            changed = respondents.opt_out(
                self.session, organizations, channel, digest, source="keyword", now=self.now
            )
            if not changed:
                return Handled(Outgoing(language=language))
            return Handled(
                Outgoing(language=language, texts=(message("stopped", language, org=org),), ended=True)
            )
        respondents.opt_in(self.session, organizations, channel, digest, now=self.now)
        return Handled(Outgoing(language=language, texts=(message("started", language, org=org),)))

    def _privacy_request(self, keyword: Keyword | None, context: _Context | None) -> Handled | None:
        """SUPPRIMER or MES DONNEES (and their confirmation), by :mod:`service.privacy.requests`; else None."""
        if self.inbound.channel not in privacy_requests.CHANNELS:
            return None
        kind = privacy_requests.kind_of(keyword)
        # Most turns: no request keyword, and none waiting for a confirmation (as the claim found).
        if kind is None and not self.privacy_pending:
            return None
        requests = privacy_requests.ChannelRequests(
            self.session,
            self.runtime.vault,
            self.inbound.channel,
            self.digest,
            self.now,
            instance_path=self.runtime.settings.instance_path,
        )
        if kind is None and not requests.pending():
            return None
        language = self._language(context, (keyword.language if keyword else None) or self._last_language())
        if kind is None:
            reply = requests.answer(self.inbound.text, language)
        else:
            organizations = (
                [context.organization.id]
                if context
                else respondents.organizations_knowing(self.session, self.inbound.channel, self.digest)
            )
            reply = requests.ask(kind, organizations, language)
        if reply is None:
            return None
        if reply.resume and context is not None:
            return self._resend(context, lead=reply.texts)
        return Handled(Outgoing(language=language, texts=reply.texts, ended=reply.erased, transliterate=True))

    def _without_conversation(self, keyword: Keyword | None) -> Handled:
        """No conversation in progress: a reply to an invitation starts one; anything else gets a hint."""
        language = self._language(None, (keyword.language if keyword else None) or self._last_language())
        invited = self._pending_invitation()
        if invited is not None:
            return self._start(invited, reply=None)
        asks_help = keyword is not None and keyword.command is Command.HELP
        if self.inbound.channel in PAID_CHANNELS and not asks_help and self._opted_out_everywhere():
            # After STOP we never write to this number again, whatever it sends, until START (HELP excepted).
            return Handled(Outgoing(language=language))
        if keyword is not None and keyword.command is Command.HELP:
            return Handled(Outgoing(language=language, texts=(message("help", language),)))
        if keyword is not None and keyword.command is Command.LANGUAGE and keyword.language:
            language = keyword.language
            return Handled(Outgoing(language=language, texts=(message("language_switched", language),)))
        return Handled(Outgoing(language=language, texts=(message("unknown_keyword", language),)))

    def _opted_out_everywhere(self) -> bool:
        channel, digest = self.inbound.channel, self.digest
        organizations = respondents.organizations_knowing(self.session, channel, digest)
        return bool(organizations) and all(
            respondents.is_opted_out(self.session, organization, channel, digest)
            for organization in organizations
        )

    def _pending_invitation(self) -> Campaign | None:
        """The newest running campaign that invited this address and has no conversation with it yet."""
        rows = self.session.execute(
            select(Campaign, Contact)
            .join(Contact, Contact.campaign_id == Campaign.id)
            .join(Identity, Identity.id == Contact.identity_id)
            .where(Identity.channel == self.inbound.channel, Identity.digest == self.digest)
            .order_by(Contact.created_at.desc())
        ).all()
        for campaign, contact in rows:
            if not campaign_rules.is_accepting(campaign, self.now):
                continue
            answered = self.session.scalar(
                select(Conversation.id).where(
                    Conversation.campaign_id == campaign.id,
                    Conversation.respondent_id == contact.respondent_id,
                )
            )
            if answered is None:
                return campaign
        return None

    # -- starting --------------------------------------------------------------------------------------

    def _reply_after_start(self, keyword: Keyword | None) -> Reply | None:
        """What in a campaign-opening message is also an answer (a web form posts the consent with the code)."""
        if self.inbound.answer is not None:
            return self.inbound.answer
        if keyword is not None and keyword.command is Command.LANGUAGE and keyword.language:
            return LanguageReply(keyword.language)
        return None

    def _start(
        self,
        campaign: Campaign | None,
        *,
        reply: Reply | None,
        keyword: Keyword | None = None,
        continuing_in: str | None = None,
    ) -> Handled:
        language = self._language(None)
        if campaign is None:
            return Handled(Outgoing(language=language, texts=(message("unknown_keyword", language),)))
        organization = self.session.get_one(Organization, campaign.organization_id)
        questionnaire = self._definition(campaign.questionnaire_version_id)
        language = (
            continuing_in
            if continuing_in in questionnaire.languages
            else self._starting_language(campaign, questionnaire)
        )
        if not campaign_rules.is_accepting(campaign, self.now):
            key = "campaign_closed" if campaign.status == "closed" else "campaign_not_open"
            return Handled(Outgoing(language=language, texts=(message(key, language),)))
        if respondents.is_opted_out(self.session, organization.id, self.inbound.channel, self.digest):
            if self.inbound.channel in ("sms", "whatsapp"):
                return Handled(Outgoing(language=language))
            return Handled(Outgoing(language=language, texts=(message("opted_out_hint", language),)))

        identity = respondents.identity_for(
            self.session, self.runtime.vault, organization.id, self.inbound.channel, self.inbound.address
        )
        previous = self.session.scalar(
            select(Conversation)
            .where(
                Conversation.campaign_id == campaign.id, Conversation.respondent_id == identity.respondent_id
            )
            .order_by(Conversation.attempt.desc())
            .limit(1)
            .with_for_update()
        )
        if previous is not None and previous.status == ConversationStatus.IN_PROGRESS:
            # The conversation of this person, reached through another identity (a web browser the
            # conversation moved away from): the message is read as in any conversation in progress,
            # "back" and language switches included.
            context = _Context(previous, campaign, organization, questionnaire)
            if reply is not None or self.inbound.back:
                return self._continue(context, keyword)
            return self._resend(context)
        # An expired conversation, or one left by STOP (the person has since sent START), may start again.
        if (
            previous is not None
            and previous.status not in (ConversationStatus.EXPIRED, ConversationStatus.OPTED_OUT)
            and not campaign.allow_restart
        ):
            language = previous.language
            return Handled(Outgoing(language=language, texts=(message("already_answered", language),)))

        variables = {"org": organization.short_name}
        turn = engine.start(questionnaire, language, self.now, variables=variables)
        conversation = Conversation(
            campaign_id=campaign.id,
            respondent_id=identity.respondent_id,
            identity_id=identity.id,
            attempt=(previous.attempt + 1) if previous else 1,
            channel=self.inbound.channel,
            language=turn.state.language,
            state=turn.state.to_json(),
            current_question=turn.state.current,
            started_at=self.now,
            updated_at=self.now,
        )
        self.session.add(conversation)
        self.session.flush()
        self.session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == self.inbound_id)
            .values(conversation_id=conversation.id)
        )
        context = _Context(conversation, campaign, organization, questionnaire)
        if reply is not None:
            # The opening texts (intro) were on the screen that carried this reply (the web consent page).
            return self._advance(context, reply)
        return self._handled(context, turn)

    def _starting_language(self, campaign: Campaign, questionnaire: Questionnaire) -> str:
        hint = self.inbound.language_hint
        if hint in questionnaire.languages:
            return str(hint)
        contact_language = self.session.scalar(
            select(Contact.language)
            .join(Identity, Identity.id == Contact.identity_id)
            .where(
                Contact.campaign_id == campaign.id,
                Identity.channel == self.inbound.channel,
                Identity.digest == self.digest,
            )
        )
        if contact_language in questionnaire.languages:
            return str(contact_language)
        return campaign.default_language

    # -- continuing --------------------------------------------------------------------------------------

    def _continue(
        self, context: _Context, keyword: Keyword | None, *, unknown_campaign: bool = False
    ) -> Handled:
        if not campaign_rules.is_accepting(context.campaign, self.now):
            language = context.conversation.language
            key = "campaign_closed" if context.campaign.status == "closed" else "campaign_paused"
            return Handled(
                Outgoing(language=language, texts=(message(key, language),)),
                conversation_id=context.conversation.id,
            )
        if unknown_campaign:
            return self._resend(context, lead=(message("unknown_keyword", context.conversation.language),))
        if keyword is not None:
            command = keyword.command
            if command is Command.HELP:
                self._reset_failures(context)
                return self._resend(context, lead=(message("help", context.conversation.language),))
            if command is Command.LANGUAGE:
                if keyword.language is None:
                    language = context.conversation.language
                    return self._resend(context, lead=(message("choose_language", language),))
                return self._advance(context, LanguageReply(keyword.language))
            if command is Command.BACK:
                return self._advance(context, BackReply())
            if command is Command.RESTART:
                return self._restart(context)
        if self.inbound.back:
            return self._advance(context, BackReply())
        if self.inbound.answer is not None:
            return self._advance(context, self.inbound.answer)
        return self._advance(context, TextReply(self.inbound.text or ""))

    def _restart(self, context: _Context) -> Handled:
        language = context.conversation.language
        if not context.campaign.allow_restart:
            return self._resend(context, lead=(message("restart_not_allowed", language),))
        context.conversation.status = ConversationStatus.EXPIRED
        context.conversation.expired_at = self.now
        context.conversation.partial = True
        self.session.flush()
        # The new attempt goes on in the language the person was answering in, not the campaign's default.
        return self._start(context.campaign, reply=None, continuing_in=language)

    def _resend(self, context: _Context, lead: tuple[str, ...] = ()) -> Handled:
        prompt = engine.current_prompt(context.questionnaire, context.state, variables=context.variables)
        language = context.conversation.language
        return Handled(
            Outgoing(
                language=language,
                texts=lead,
                prompt=prompt,
                transliterate=context.campaign.transliterate_sms,
            ),
            conversation_id=context.conversation.id,
            status=context.conversation.status,
        )

    def _advance(self, context: _Context, reply: Reply, *, lead: tuple[str, ...] = ()) -> Handled:
        before = context.state
        turn = engine.advance(
            context.questionnaire,
            before,
            reply,
            self.now,
            variables=context.variables,
            idle_limit=timedelta(hours=context.campaign.idle_limit_hours),
        )
        self._apply(context, before, turn)
        if (
            turn.outcome is Outcome.REASK
            and self.inbound.channel in PAID_CHANNELS
            and turn.state.failures >= SILENT_AFTER_FAILURES
        ):
            return Handled(
                Outgoing(language=turn.state.language),
                conversation_id=context.conversation.id,
                status=context.conversation.status,
            )
        return self._handled(context, turn, lead=lead)

    def _reset_failures(self, context: _Context) -> None:
        """Asking for help is a readable message: the count of unreadable replies starts again."""
        state = context.state
        if state.failures:
            context.conversation.state = replace(state, failures=0).to_json()

    # -- writing -----------------------------------------------------------------------------------------

    def _apply(self, context: _Context, before: State, turn: Turn) -> None:
        """Write the turn: the conversation's new state in one UPDATE, with the answer (one statement on
        PostgreSQL), as Core statements: the ORM's flush cost more than the statements themselves."""
        conversation = context.conversation
        state = turn.state
        values: dict[str, Any] = {
            "state": state.to_json(),
            "language": state.language,
            "current_question": state.current,
            "updated_at": self.now,
            "status": conversation.status,
            "completed_at": conversation.completed_at,
            "expired_at": conversation.expired_at,
            "partial": conversation.partial,
        }
        if turn.outcome is Outcome.COMPLETED:
            values.update(status=ConversationStatus.COMPLETED, completed_at=self.now)
            self.jobs.append((SCORING_JOB, (conversation.id, conversation.campaign_id), "scoring"))
        elif turn.outcome is Outcome.REFUSED:
            values.update(status=ConversationStatus.REFUSED)
        elif turn.outcome is Outcome.EXPIRED:
            values.update(status=ConversationStatus.EXPIRED, expired_at=self.now, partial=True)
        if before.stage is Stage.CONSENT and state.stage in (Stage.ASKING, Stage.COMPLETED, Stage.REFUSED):
            self._record_consent(context, given=state.stage is not Stage.REFUSED)
        parameters = {f"c_{name}": value for name, value in values.items()}
        parameters["c_id"] = conversation.id
        if turn.answer is not None:
            parameters.update(self._answer_parameters(context, *turn.answer))
        if turn.answer is not None and self.dialect != "postgresql":
            self.session.execute(_answer_upsert(self.dialect), parameters)
        self.session.execute(
            _conversation_update(self.dialect, with_answer=turn.answer is not None), parameters
        )
        if turn.removed:
            self.session.execute(
                delete(_ANSWERS).where(
                    _ANSWERS.c.conversation_id == conversation.id, _ANSWERS.c.question_id.in_(turn.removed)
                )
            )
        # The object in hand now matches the row: nothing for a later flush to write again.
        for name, value in values.items():
            set_committed_value(conversation, name, value)
        if turn.outcome is Outcome.REFUSED:
            # A refusal is kept alone: the consent record, the conversation's status, and no address.
            respondents.forget_refuser(self.session, conversation.id, conversation.identity_id, now=self.now)

    def _record_consent(self, context: _Context, *, given: bool) -> None:
        consent = context.questionnaire.consent
        language = context.conversation.language
        shown = translate(consent.text, language, context.questionnaire.default_language)
        self.session.add(
            ConsentRecord(
                conversation_id=context.conversation.id,
                campaign_id=context.campaign.id,
                consent_version=consent.version,
                text_digest=hashlib.sha256(shown.encode()).hexdigest(),
                language=language,
                channel=self.inbound.channel,
                given=given,
                recorded_at=self.now,
            )
        )
        self.session.flush()

    def _answer_parameters(self, context: _Context, question_id: str, value: AnswerValue) -> dict[str, Any]:
        """The parameters of :func:`_answer_upsert`."""
        question = context.questionnaire.question(question_id)
        return {
            "a_conversation_id": context.conversation.id,
            "a_question_id": question_id,
            "a_value": list(value) if isinstance(value, tuple) else value,
            "a_is_free_text": question.type is QuestionType.TEXT,
            "a_inbound_message_id": self.inbound_id,
            "a_channel": self.inbound.channel,
            "a_revision": 1,
            "a_answered_at": self.now,
        }

    def _handled(self, context: _Context, turn: Turn, *, lead: tuple[str, ...] = ()) -> Handled:
        return Handled(
            outgoing_for_turn(
                turn, context.questionnaire, lead=lead, transliterate=context.campaign.transliterate_sms
            ),
            conversation_id=context.conversation.id,
            status=context.conversation.status,
            stored_answer=turn.answer is not None,
        )


# The hot statements of a turn are Core statements on the tables, built once per dialect and run with
# parameters: building them (``excluded``, an EXISTS) on every turn, and the ORM's bulk paths, cost more
# CPU than the round trips they save.
_ANSWERS: Table = Answer.__table__  # type: ignore[assignment]
_CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]
_INBOUND: Table = InboundMessage.__table__  # type: ignore[assignment]
_TURN_COLUMNS = (
    "state",
    "language",
    "current_question",
    "updated_at",
    "status",
    "completed_at",
    "expired_at",
    "partial",
)
"""The conversation's columns a turn writes (all of them every time: one statement to cache)."""


def _insert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@functools.cache
def _claim_statement(dialect: str, *, with_privacy: bool) -> Any:
    """INSERT the inbound message unless it is already there, RETURNING its id (and, on the channels where
    one can ask by message, whether a privacy request waits for this sender's confirmation)."""
    statement = (
        _insert(dialect)(_INBOUND)
        .values(
            {
                name: bindparam(f"m_{name}")
                for name in ("channel", "external_id", "conversation_id", "received_at")
            }
        )
        .on_conflict_do_nothing()
    )
    if not with_privacy:
        return statement.returning(_INBOUND.c.id)
    waiting = privacy_requests.pending_exists(
        bindparam("m_channel"), bindparam("p_digest"), bindparam("p_since")
    )
    return statement.returning(_INBOUND.c.id, waiting)


@functools.cache
def _pending_statement() -> Any:
    return select(
        privacy_requests.pending_exists(bindparam("m_channel"), bindparam("p_digest"), bindparam("p_since"))
    )


@functools.cache
def _answer_upsert(dialect: str) -> Any:
    """INSERT an answer, or replace the current one (a correction, which counts a revision): one statement,
    not a SELECT then an INSERT or UPDATE."""
    names = (
        "conversation_id",
        "question_id",
        "value",
        "is_free_text",
        "inbound_message_id",
        "channel",
        "revision",
        "answered_at",
    )
    statement = _insert(dialect)(_ANSWERS).values({name: bindparam(f"a_{name}") for name in names})
    return statement.on_conflict_do_update(
        index_elements=[_ANSWERS.c.conversation_id, _ANSWERS.c.question_id],
        set_={
            "value": statement.excluded.value,
            "inbound_message_id": statement.excluded.inbound_message_id,
            "channel": statement.excluded.channel,
            "revision": _ANSWERS.c.revision + 1,
            "answered_at": statement.excluded.answered_at,
        },
    )


@functools.cache
def _conversation_update(dialect: str, *, with_answer: bool) -> Any:
    """UPDATE the conversation after a turn; on PostgreSQL the answer's upsert rides along as a
    data-modifying WITH (run once, whether or not the UPDATE reads it): one round trip for both."""
    statement = (
        update(_CONVERSATIONS)
        .where(_CONVERSATIONS.c.id == bindparam("c_id"))
        .values({name: bindparam(f"c_{name}") for name in _TURN_COLUMNS})
    )
    if with_answer and dialect == "postgresql":
        statement = statement.add_cte(_answer_upsert(dialect).cte("stored_answer"))
    return statement


def _could_be_keyword(text: str) -> bool:
    """Only a single word with a letter in it can be a campaign keyword (saves a query per numeric answer)."""
    stripped = text.strip()
    return 2 <= len(stripped) <= 24 and " " not in stripped and any(ch.isalpha() for ch in stripped)
