"""Refusing consent on Telegram keeps the refusal for the consent ledger, and nothing that leads to the chat."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from questionnaires.messages import message
from service.models import Answer, Campaign, ConsentRecord, Conversation, Identity, Respondent
from service.privacy.consent_ledger import ledger_rows
from service.runtime import Runtime
from tests.e2e.telegram.conftest import Person, conversations


def count(runtime: Runtime, model: Any) -> int:
    with runtime.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def identities_of(runtime: Runtime, person: Person) -> list[Identity]:
    """Every identity that a keyed hash of the chat id, or an encryption of it, would give away."""
    address = str(person.chat_id)
    with runtime.transaction() as session:
        found = session.scalars(select(Identity)).all()
    digest = runtime.vault.digest("telegram", address)
    return [
        identity
        for identity in found
        if identity.digest == digest
        or (identity.ciphertext is not None and runtime.vault.decrypt(identity.ciphertext) == address)
    ]


def test_a_tapped_refusal_keeps_the_consent_record_and_forgets_the_chat(
    runtime: Runtime, beneficiaries: Campaign, amina: Person
) -> None:
    amina.send(f"/start {beneficiaries.code}")
    assert len(identities_of(runtime, amina)) == 1
    refusal = amina.tap_update("Non")
    calls = amina.deliver(refusal)
    assert ("sendMessage", message("refused", "fr"), None) in calls

    assert conversations(runtime) == [("telegram", "fr", "refused")]
    with runtime.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        consent = session.scalars(select(ConsentRecord)).one()
        pseudonym = session.get_one(Respondent, conversation.respondent_id).pseudonym
        ledger = list(ledger_rows(session, beneficiaries.id))
    assert (consent.given, consent.channel, consent.language) == (False, "telegram", "fr")
    assert [row[:6] for row in ledger] == [
        (pseudonym, consent.consent_version, consent.text_digest, "fr", "telegram", "false")
    ]
    assert count(runtime, Answer) == 0
    assert identities_of(runtime, amina) == [] and count(runtime, Identity) == 0
    assert conversation.identity_id is None

    # Telegram delivers the same update again: nothing is said or stored twice.
    assert amina.deliver(refusal) == []
    assert count(runtime, ConsentRecord) == 1 and count(runtime, Respondent) == 1
    assert count(runtime, Identity) == 0
    assert conversations(runtime) == [("telegram", "fr", "refused")]


def test_a_typed_refusal_forgets_the_chat_too(
    runtime: Runtime, beneficiaries: Campaign, amina: Person
) -> None:
    amina.send(f"/start {beneficiaries.code}")
    amina.send("non")
    assert conversations(runtime) == [("telegram", "fr", "refused")]
    assert count(runtime, ConsentRecord) == 1 and count(runtime, Identity) == 0


def test_the_same_chat_opening_the_campaign_again_is_asked_for_consent_as_a_new_person(
    runtime: Runtime, beneficiaries: Campaign, amina: Person
) -> None:
    amina.send(f"/start {beneficiaries.code}")
    amina.tap("Non")
    (consent,) = amina.send(f"/start {beneficiaries.code}")
    assert consent[1].endswith("Acceptez-vous de répondre ?")
    assert consent[2] == [[("Oui", "a:__consent__:yes"), ("Non", "a:__consent__:no")]]
    assert conversations(runtime) == [("telegram", "fr", "refused"), ("telegram", "fr", "in_progress")]
    (identity,) = identities_of(runtime, amina)
    with runtime.transaction() as session:
        refused, current = session.scalars(select(Conversation).order_by(Conversation.id)).all()
    assert (current.identity_id, current.respondent_id) == (identity.id, identity.respondent_id)
    assert refused.respondent_id != current.respondent_id
    amina.tap("Oui")
    with runtime.transaction() as session:
        assert session.scalars(select(ConsentRecord.given).order_by(ConsentRecord.id)).all() == [False, True]
