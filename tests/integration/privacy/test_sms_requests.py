"""Erasure and access asked by SMS, end to end: signed Twilio webhooks in, TwiML replies out, the database after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from questionnaires.messages import message
from service.contacts import import_contacts
from service.models import (
    Answer,
    AuditEvent,
    Campaign,
    CampaignAggregate,
    ConsentRecord,
    Contact,
    Conversation,
    ConversationStatus,
    Identity,
    InboundMessage,
    Organization,
    OutboundMessage,
    PrivacyRequest,
    Respondent,
    Score,
)
from service.runtime import Runtime
from tests.e2e.sms.conftest import Phone, campaign, settings, twilio_api
from tests.support.log_scan import personal

__all__ = ["campaign", "settings", "twilio_api"]

NUMBER = "+32470998877"
OTHER = "+32470998866"
FREE_TEXT = "Plus de contacts avec les voisins du quartier"
ANSWERS = ("oui", "2", FREE_TEXT, "non", "2", "8", "non", "2", "2", "7")


def _complete(phone: Phone) -> None:
    phone.send("AVIS")
    for answer in ANSWERS:
        phone.send(answer)


def _identity(runtime: Runtime, number: str = NUMBER) -> Identity | None:
    with runtime.transaction() as session:
        return session.scalar(select(Identity).where(Identity.digest == runtime.vault.digest("sms", number)))


def test_supprimer_asks_once_then_erases_identity_and_free_text_and_keeps_anonymous_coded_answers(
    client: Any, runtime: Runtime, campaign: Campaign
) -> None:
    personal(NUMBER, FREE_TEXT)
    phone = Phone(client, NUMBER)
    _complete(phone)
    with runtime.transaction() as session:
        pseudonym = session.scalars(select(Respondent.pseudonym)).one()
        aggregates_before = {
            (row.indicator_id, row.segment): row.tally for row in session.scalars(select(CampaignAggregate))
        }
    assert aggregates_before

    assert phone.send("SUPPRIMER") == [message("privacy.confirm_delete", "fr", org="Atelier")]
    assert _identity(runtime) is not None, "nothing is erased before the confirmation"
    assert phone.send("oui") == [message("deleted", "fr", org="Atelier")]

    assert _identity(runtime) is None
    with runtime.transaction() as session:
        identity = session.scalars(select(Identity)).one()
        assert identity.digest.startswith("erased:") and identity.ciphertext is None and identity.erased_at
        respondent = session.scalars(select(Respondent)).one()
        assert respondent.pseudonym != pseudonym and respondent.erased_at is not None
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.status == ConversationStatus.COMPLETED and conversation.identity_id is None
        stored = dict(session.execute(select(Answer.question_id, Answer.value)).all())
        assert "A2" not in stored and FREE_TEXT not in str(stored)
        assert stored["A1"] == "2" and stored["A5"] == 8
        assert FREE_TEXT not in str(conversation.state)
        assert (
            session.scalar(
                select(func.count()).select_from(Answer).where(Answer.inbound_message_id.is_not(None))
            )
            == 0
        )
        assert (
            session.scalar(
                select(func.count(InboundMessage.id)).where(InboundMessage.conversation_id.is_not(None))
            )
            == 0
        )
        assert session.scalar(select(func.count(ConsentRecord.id))) == 1
        aggregates_after = {
            (row.indicator_id, row.segment): row.tally for row in session.scalars(select(CampaignAggregate))
        }
        assert aggregates_after == aggregates_before, "published results stay true in anonymize mode"
        request = session.scalars(select(PrivacyRequest)).one()
        assert (request.kind, request.status, request.source, request.channel, request.scope) == (
            "erasure",
            "done",
            "respondent",
            "sms",
            "anonymize",
        )
        assert request.respondent_pseudonym == pseudonym
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy_erasure")).one()
        assert event.user_id is None and event.target_id == str(request.id)
        assert event.details["conversations_kept"] == 1 and event.details["free_text_answers"] == 1
        assert NUMBER not in str(event.details) and FREE_TEXT not in str(event.details)

    assert phone.send("SUPPRIMER") == [message("privacy.nothing_held", "fr")]


def test_in_delete_mode_everything_goes_and_the_aggregates_are_recomputed_without_the_person(
    client: Any, runtime: Runtime, campaign: Campaign
) -> None:
    personal(NUMBER, OTHER, FREE_TEXT)
    with runtime.transaction() as session:
        session.get_one(Organization, campaign.organization_id).erasure_mode = "delete"
    _complete(Phone(client, OTHER))
    with runtime.transaction() as session:
        alone = {
            (row.indicator_id, row.segment): row.tally for row in session.scalars(select(CampaignAggregate))
        }
    phone = Phone(client, NUMBER)
    phone.send("AVIS")
    for answer in (
        "oui",
        "5",
        "Plus rien ne va depuis le mois dernier",
        "oui",
        "3",
        "0",
        "non",
        "5",
        "3",
        "1",
    ):
        phone.send(answer)
    with runtime.transaction() as session:
        both = {
            (row.indicator_id, row.segment): row.tally for row in session.scalars(select(CampaignAggregate))
        }
    assert both != alone

    assert phone.send("verwijder") == [message("privacy.confirm_delete", "nl", org="Atelier")]
    assert phone.send("VERWIJDER") == [message("deleted", "nl", org="Atelier")]

    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Respondent.id))) == 1
        assert session.scalar(select(func.count(Identity.id))) == 1
        assert session.scalar(select(func.count(Conversation.id))) == 1
        assert session.scalar(select(func.count(ConsentRecord.id))) == 1
        assert (
            session.scalar(select(func.count()).select_from(Score).where(Score.conversation_id.is_(None)))
            == 0
        )
        after = {
            (row.indicator_id, row.segment): row.tally for row in session.scalars(select(CampaignAggregate))
        }
        request = session.scalars(select(PrivacyRequest)).one()
    assert after == alone, "the aggregates are those of the remaining respondent"
    assert request.scope == "delete"
    assert _identity(runtime, OTHER) is not None


def test_mes_donnees_sends_the_answers_back_by_sms_after_one_confirmation(
    client: Any, runtime: Runtime, campaign: Campaign
) -> None:
    personal(NUMBER, FREE_TEXT)
    phone = Phone(client, NUMBER)
    _complete(phone)
    assert phone.send("Mes données") == [message("privacy.confirm_access", "fr", org="Atelier")]
    reply = phone.send("MES DONNEES")
    text = "\n".join(reply)
    assert reply[0].startswith("Vos données chez Atelier :"), reply
    assert FREE_TEXT in text
    assert "Un peu améliorée" in text, "choices are shown by their label, in the person's language"
    assert text.rstrip().endswith(message("privacy.access_footer", "fr"))
    assert all(len(body) <= 1600 for body in reply)
    with runtime.transaction() as session:
        request = session.scalars(select(PrivacyRequest)).one()
        assert (request.kind, request.status, request.scope) == ("access", "done", "message")
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy_access")).one()
        assert event.details["answers"] == len(ANSWERS) - 1
        assert session.scalar(select(func.count(Identity.id)).where(Identity.erased_at.is_(None))) == 1


def test_any_other_reply_cancels_the_request_and_is_read_as_usual(
    client: Any, runtime: Runtime, campaign: Campaign
) -> None:
    personal(NUMBER)
    phone = Phone(client, NUMBER)
    phone.send("AVIS")
    phone.send("oui")
    assert phone.send("supprimer") == [message("privacy.confirm_delete", "fr", org="Atelier")]
    second_question = phone.send("2")
    assert second_question[0].startswith("Qu'est-ce qui a le plus changé"), second_question
    assert phone.send("oui") != [message("deleted", "fr", org="Atelier")]
    with runtime.transaction() as session:
        assert session.scalars(select(PrivacyRequest.status)).one() == "cancelled"
        assert session.scalar(select(func.count(Identity.id)).where(Identity.erased_at.is_(None))) == 1
        assert dict(session.execute(select(Answer.question_id, Answer.value)).all())["A1"] == "2"


def test_erasure_in_the_middle_of_a_conversation_removes_it_and_its_contact_entry(
    client: Any, runtime: Runtime, campaign: Campaign
) -> None:
    personal(NUMBER, "Jeanne Dupuis-Lambert", "dossier 4471")
    with runtime.transaction() as session:
        stored = session.get_one(Campaign, campaign.id)
        import_contacts(
            session,
            runtime,
            stored,
            [
                {
                    "phone": NUMBER,
                    "language": "fr",
                    "name": "Jeanne Dupuis-Lambert",
                    "reference": "dossier 4471",
                }
            ],
            "sms",
            "BE",
        )
    with runtime.transaction() as session:
        contact = session.scalars(select(Contact)).one()
        for sequence, (status, provider_id) in enumerate([("sent", "SM" + "ab" * 16), ("queued", None)]):
            session.add(
                OutboundMessage(
                    organization_id=campaign.organization_id,
                    campaign_id=campaign.id,
                    contact_id=contact.id,
                    identity_id=contact.identity_id,
                    channel="sms",
                    kind="reminder" if sequence else "invitation",
                    sequence=sequence,
                    language="fr",
                    body="Atelier vous invite a un court questionnaire.",
                    status=status,
                    provider_id=provider_id,
                )
            )
    phone = Phone(client, NUMBER)
    phone.send("AVIS")
    phone.send("oui")
    phone.send("1")
    # In a conversation the reply is in the conversation's language, whichever word was used.
    assert phone.send("DELETE") == [message("privacy.confirm_delete", "fr", org="Atelier")]
    assert phone.send("yes") == [message("deleted", "fr", org="Atelier")]
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Conversation.id))) == 0, (
            "an unfinished conversation is deleted"
        )
        assert session.scalar(select(func.count(Answer.id))) == 0
        contact = session.scalars(select(Contact)).one()
        assert (contact.name_ciphertext, contact.reference, contact.timezone) == (None, None, None)
        messages = {m.kind: m for m in session.scalars(select(OutboundMessage))}
        assert (messages["reminder"].status, messages["reminder"].error_code) == ("canceled", "erased")
        assert (messages["invitation"].status, messages["invitation"].provider_id) == ("sent", None)
        assert messages["invitation"].body == "" and messages["invitation"].identity_id is None
    assert phone.send("1") == [message("unknown_keyword", "fr")]


def test_an_unknown_number_is_told_nothing_is_held_without_any_request_recorded(
    client: Any, runtime: Runtime, campaign: Campaign
) -> None:
    personal(NUMBER)
    assert Phone(client, NUMBER).send("my data") == [message("privacy.nothing_held", "en")]
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(PrivacyRequest.id))) == 0
