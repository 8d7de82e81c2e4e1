"""Erasure and access asked on Telegram (/mydata, /delete), end to end: webhook updates in, the real PTB out
to the fake Bot API, the database after."""

from __future__ import annotations

from sqlalchemy import func, select

from questionnaires.messages import message
from service.models import Answer, AuditEvent, Campaign, Conversation, Identity, PrivacyRequest
from service.runtime import Runtime
from tests.e2e.telegram.conftest import (
    Person,
    _close_the_bot,
    amina,
    beneficiaries,
    limiter,
    settings,
    telegram_api,
)
from tests.support.log_scan import personal

__all__ = ["_close_the_bot", "amina", "beneficiaries", "limiter", "settings", "telegram_api"]

FREE_TEXT = "Je parle davantage avec mes voisins de palier"


def _texts(calls: list[tuple[object, ...]]) -> list[str]:
    return [str(call[1]) for call in calls if call[0] == "sendMessage"]


def _answer_two_questions(person: Person, campaign: Campaign) -> None:
    person.send(f"/start {campaign.code}")
    person.tap("Oui")
    person.tap("Un peu améliorée")
    person.send(FREE_TEXT)


def test_mydata_mid_conversation_sends_the_answers_then_the_question_again(
    runtime: Runtime, beneficiaries: Campaign, amina: Person
) -> None:
    personal(str(amina.chat_id), FREE_TEXT)
    _answer_two_questions(amina, beneficiaries)
    assert _texts(amina.send("/mydata")) == [message("privacy.confirm_access", "fr", org="Atelier")]
    calls = amina.send("oui")
    texts = _texts(calls)
    data = "\n".join(texts)
    assert data.startswith("Vos données chez Atelier :")
    assert "Un peu améliorée" in data and FREE_TEXT in data
    assert texts[-1].endswith("Avant Atelier, aviez-vous accès à un service comme celui-ci ?"), texts
    assert calls[-1][2] is not None, "the question comes back with its buttons"
    amina.tap("Non")
    with runtime.transaction() as session:
        answers = dict(session.execute(select(Answer.question_id, Answer.value)).all())
        request = session.scalars(select(PrivacyRequest)).one()
    assert answers["A3"] == "no", "the conversation goes on after the data was sent"
    assert (request.kind, request.channel, request.status) == ("access", "telegram", "done")


def test_delete_twice_erases_the_chat_and_the_unfinished_conversation(
    runtime: Runtime, beneficiaries: Campaign, amina: Person
) -> None:
    personal(str(amina.chat_id), FREE_TEXT)
    _answer_two_questions(amina, beneficiaries)
    assert _texts(amina.send("/delete")) == [message("privacy.confirm_delete", "fr", org="Atelier")]
    assert _texts(amina.send("/supprimer")) == [message("deleted", "fr", org="Atelier")]
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Conversation.id))) == 0
        assert session.scalar(select(func.count(Answer.id))) == 0
        identity = session.scalars(select(Identity)).one()
        assert identity.erased_at is not None and identity.ciphertext is None
        assert identity.digest != runtime.vault.digest("telegram", str(amina.chat_id))
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy_erasure")).one()
        assert event.details["channel"] == "telegram" and event.details["conversations_deleted"] == 1
    assert _texts(amina.send("/mydata")) == [message("privacy.nothing_held", "fr")]


def test_a_tapped_button_instead_of_the_confirmation_cancels_the_request(
    runtime: Runtime, beneficiaries: Campaign, amina: Person
) -> None:
    personal(str(amina.chat_id))
    amina.send(f"/start {beneficiaries.code}")
    amina.tap("Oui")
    assert _texts(amina.send("/delete")) == [message("privacy.confirm_delete", "fr", org="Atelier")]
    amina.tap("Inchangée")
    with runtime.transaction() as session:
        assert session.scalars(select(PrivacyRequest.status)).one() == "cancelled"
        assert dict(session.execute(select(Answer.question_id, Answer.value)).all()) == {"A1": "3"}
