"""Refusing consent by SMS keeps the refusal for the consent ledger, and nothing that leads to the number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from questionnaires.messages import message
from service.contacts import import_contacts
from service.launches import request_launch, run_launch
from service.models import (
    Answer,
    Campaign,
    ConsentRecord,
    Contact,
    Conversation,
    Identity,
    InboundMessage,
    OptOut,
    Respondent,
)
from service.privacy.consent_ledger import ledger_rows
from service.reminders import plan_reminders
from service.runtime import Runtime
from tests.e2e.sms.conftest import Phone, conversations

CONSENT_END = "Acceptez-vous de répondre ? 1 Oui 2 Non"
REFUSING_SID = "SM" + "0f" * 16


def count(runtime: Runtime, model: Any) -> int:
    with runtime.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def identities_of(runtime: Runtime, number: str) -> list[Identity]:
    """Every identity that a keyed hash of this number, or an encryption of it, would give away."""
    with runtime.transaction() as session:
        found = session.scalars(select(Identity)).all()
    digest = runtime.vault.digest("sms", number)
    return [
        identity
        for identity in found
        if identity.digest == digest
        or (identity.ciphertext is not None and runtime.vault.decrypt(identity.ciphertext) == number)
    ]


def test_a_refusal_keeps_the_consent_record_and_forgets_the_number(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    assert phone.send("Avis")[0].endswith(CONSENT_END)
    assert len(identities_of(runtime, phone.number)) == 1  # while the person is deciding, we know them
    assert phone.send("non", sid=REFUSING_SID) == [message("refused", "fr")]

    assert conversations(runtime) == [("sms", "fr", "refused")]
    with runtime.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        consent = session.scalars(select(ConsentRecord)).one()
        pseudonym = session.get_one(Respondent, conversation.respondent_id).pseudonym
        linked = session.scalar(
            select(func.count(InboundMessage.id)).where(InboundMessage.conversation_id.is_not(None))
        )
        ledger = list(ledger_rows(session, campaign.id))
    assert (consent.given, consent.channel, consent.language) == (False, "sms", "fr")
    assert consent.conversation_id == conversation.id and consent.campaign_id == campaign.id
    assert ledger == [
        (
            pseudonym,
            consent.consent_version,
            consent.text_digest,
            "fr",
            "sms",
            "false",
            consent.recorded_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    ]
    assert count(runtime, Answer) == 0
    # No keyed hash, no encrypted number, no identity row at all: the conversation no longer points to one,
    # and the operator's message ids no longer point to the conversation.
    assert identities_of(runtime, phone.number) == []
    assert count(runtime, Identity) == 0
    assert conversation.identity_id is None
    assert linked == 0


def test_the_refusing_message_delivered_twice_is_answered_once_and_changes_nothing(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    phone.send("Avis")
    assert phone.send("non", sid=REFUSING_SID) == [message("refused", "fr")]
    assert phone.send("non", sid=REFUSING_SID) == []
    assert conversations(runtime) == [("sms", "fr", "refused")]
    assert count(runtime, ConsentRecord) == 1
    assert count(runtime, Respondent) == 1
    assert count(runtime, Identity) == 0
    with runtime.transaction() as session:
        assert session.scalars(select(InboundMessage.external_id)).all().count(REFUSING_SID) == 1


def test_the_same_number_sending_the_keyword_again_is_asked_for_consent_again_as_a_new_person(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    phone.send("Avis")
    phone.send("2")
    assert phone.send("AVIS")[0].endswith(CONSENT_END)
    assert conversations(runtime) == [("sms", "fr", "refused"), ("sms", "fr", "in_progress")]
    assert count(runtime, Respondent) == 2  # nothing ties the new conversation to the refusal
    (identity,) = identities_of(runtime, phone.number)
    with runtime.transaction() as session:
        refused, current = session.scalars(select(Conversation).order_by(Conversation.id)).all()
    assert (current.identity_id, current.respondent_id) == (identity.id, identity.respondent_id)
    assert refused.respondent_id != current.respondent_id
    # This time they accept: the questionnaire goes on, and the ledger holds both answers.
    assert phone.send("oui")[0].startswith("Votre qualité de vie a-t-elle changé")
    with runtime.transaction() as session:
        given = session.scalars(select(ConsentRecord.given).order_by(ConsentRecord.id)).all()
    assert given == [False, True]


def test_a_refusal_after_an_invitation_keeps_the_contact_entry_and_its_number_and_stop_still_works(
    client: Any, runtime: Runtime, campaign: Campaign
) -> None:
    """The invitation list holds the number (through its identity) for the organization's own purposes,
    and it is what lets STOP reach the contact and keeps reminders counted: it stays as it was."""
    with runtime.transaction() as session:
        found = session.get_one(Campaign, campaign.id)
        found.reminder_policy = {"after_days": [1, 2], "hours": [0, 24]}
        report = import_contacts(
            session, runtime, found, [{"phone": "0470 11 11 11", "language": "fr"}], "sms", "BE"
        )
        assert report.imported == 1
        launch_id = request_launch(session, found, "sms").id
    run_launch(runtime, launch_id)
    phone = Phone(client, "+32470111111")
    assert phone.send("Bonjour")[0].endswith(CONSENT_END)
    assert phone.send("Non") == [message("refused", "fr")]

    assert conversations(runtime) == [("sms", "fr", "refused")]
    assert count(runtime, ConsentRecord) == 1 and count(runtime, Answer) == 0
    (identity,) = identities_of(runtime, phone.number)
    with runtime.transaction() as session:
        contact = session.scalars(select(Contact)).one()
        conversation = session.scalars(select(Conversation)).one()
        # No reminder for a person who said no, however late the worker plans them.
        later = datetime.now(UTC) + timedelta(days=3)
        planned = plan_reminders(session, session.get_one(Campaign, campaign.id), later)
    assert contact.identity_id == identity.id and contact.status == "invited"
    assert conversation.identity_id == identity.id
    assert identity.ciphertext is not None and runtime.vault.decrypt(identity.ciphertext) == phone.number
    assert planned == []

    assert phone.send("STOP") == [message("stopped", "fr", org="Atelier")]
    with runtime.transaction() as session:
        (opt_out,) = session.scalars(select(OptOut)).all()
        assert (opt_out.digest, opt_out.source) == (identity.digest, "keyword")
        assert session.scalar(select(Contact.status)) == "opted_out"


def test_stop_after_a_refusal_without_an_invitation_is_silent_and_starts_nothing(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    """Nothing is held about the number any more, so there is nothing left to stop: we can't write to it."""
    phone.send("Avis")
    phone.send("non")
    assert phone.send("STOP") == []
    assert conversations(runtime) == [("sms", "fr", "refused")]
    assert count(runtime, Identity) == 0
    assert count(runtime, OptOut) == 0
