"""Sending one message: exactly once, retried only when nothing went out, refusals recorded where they belong."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select, update

from bots.base import Outgoing, SendError
from questionnaires.messages import message as text
from service.delivery import MAX_ATTEMPTS, Outcome, deliver
from service.models import (
    Campaign,
    Contact,
    ContactStatus,
    Identity,
    OptOut,
    OutboundMessage,
    OutboundStatus,
)
from service.runtime import Runtime
from tests.integration.workers.conftest import (
    FakeSender,
    FakeSenderWithHistory,
    add_contacts,
    create_invitations,
    install_sender,
    make_campaign,
    phone,
    tune,
)


def _message(runtime: Runtime, message_id: int) -> OutboundMessage:
    with runtime.transaction() as session:
        return session.get_one(OutboundMessage, message_id)


def _contact(runtime: Runtime, message_id: int) -> Contact:
    with runtime.transaction() as session:
        message = session.get_one(OutboundMessage, message_id)
        return session.get_one(Contact, message.contact_id)


def _one_invitation(runtime: Runtime) -> int:
    campaign = make_campaign(runtime)
    add_contacts(runtime, campaign, [1])
    (message_id,) = create_invitations(runtime, campaign)
    return message_id


def test_an_accepted_invitation_is_recorded_with_the_provider_id(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    message_id = _one_invitation(runtime)
    assert deliver(runtime, message_id).outcome is Outcome.SENT
    assert deliver(runtime, message_id).outcome is Outcome.DONE
    (outgoing,) = sender.to(phone(1))
    assert outgoing.texts == (
        "Atelier vous invite à un court questionnaire. Envoyez PULSE pour commencer. STOP pour ne plus recevoir de messages.",
    )
    message = _message(runtime, message_id)
    assert (message.status, message.provider_id, message.attempts) == (OutboundStatus.SENT, "FAKE000001", 1)
    assert message.sent_at is not None and message.body == outgoing.texts[0]
    assert _contact(runtime, message_id).status == ContactStatus.INVITED


def test_a_permanent_refusal_is_recorded_on_the_contact_and_never_retried(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    message_id = _one_invitation(runtime)
    sender.refusals[phone(1)] = [SendError("invalid number", permanent=True, code="21211")]
    assert deliver(runtime, message_id).outcome is Outcome.FAILED
    assert deliver(runtime, message_id).outcome is Outcome.DONE
    assert sender.sent == []
    message, contact = _message(runtime, message_id), _contact(runtime, message_id)
    assert (message.status, message.error_code) == (OutboundStatus.FAILED, "21211")
    assert (contact.status, contact.error_code) == (ContactStatus.FAILED, "21211")


def test_an_unsubscribed_recipient_is_opted_out_of_the_organization(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    message_id = _one_invitation(runtime)
    sender.refusals[phone(1)] = [SendError("unsubscribed", permanent=True, code="21610", opted_out=True)]
    assert deliver(runtime, message_id).outcome is Outcome.FAILED
    with runtime.transaction() as session:
        opt_out = session.scalar(select(OptOut))
    assert opt_out is not None and opt_out.source == "provider"
    assert opt_out.digest == runtime.vault.digest("sms", phone(1))
    assert _contact(runtime, message_id).status == ContactStatus.OPTED_OUT


def test_someone_who_opted_out_is_never_messaged(runtime: Runtime, sender: FakeSenderWithHistory) -> None:
    message_id = _one_invitation(runtime)
    message = _message(runtime, message_id)
    with runtime.transaction() as session:
        session.add(
            OptOut(
                organization_id=message.organization_id,
                channel="sms",
                digest=runtime.vault.digest("sms", phone(1)),
                source="keyword",
            )
        )
    assert deliver(runtime, message_id).outcome is Outcome.CANCELED
    assert sender.sent == []
    assert (_message(runtime, message_id).error_code, _contact(runtime, message_id).status) == (
        "opted_out",
        ContactStatus.OPTED_OUT,
    )


def test_a_transient_refusal_is_retried_after_its_backoff_and_sent_once(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    message_id = _one_invitation(runtime)
    sender.refusals[phone(1)] = [
        SendError("too many requests", permanent=False, code="20429", retry_after=90)
    ]
    started = datetime.now(UTC)
    first = deliver(runtime, message_id)
    assert first.outcome is Outcome.RETRY and first.retry_at is not None
    assert first.retry_at >= started + timedelta(seconds=90)
    assert first.job_id == f"send-{message_id}-at{int(first.retry_at.timestamp())}"
    message = _message(runtime, message_id)
    assert (message.status, message.attempts, message.error_code) == (OutboundStatus.QUEUED, 1, "20429")
    assert deliver(runtime, message_id).outcome is Outcome.WAITING  # not due yet
    with time_machine.travel(first.retry_at + timedelta(seconds=1), tick=True):
        assert deliver(runtime, message_id).outcome is Outcome.SENT
    assert len(sender.to(phone(1))) == 1
    assert _message(runtime, message_id).attempts == 2


def test_an_answer_lost_after_the_provider_accepted_is_reconciled_not_resent(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    message_id = _one_invitation(runtime)
    sender.lose_answer.add(phone(1))
    first = deliver(runtime, message_id)
    assert first.outcome is Outcome.RETRY and first.retry_at is not None
    with time_machine.travel(first.retry_at + timedelta(seconds=1), tick=True):
        assert deliver(runtime, message_id).outcome is Outcome.RECONCILED
    assert len(sender.to(phone(1))) == 1
    message = _message(runtime, message_id)
    assert (message.status, message.provider_id) == (OutboundStatus.SENT, "FAKE000001")


def test_without_a_provider_listing_an_unknown_outcome_is_never_sent_twice(runtime: Runtime) -> None:
    blind = FakeSender()
    install_sender(runtime, blind)
    tune(runtime, VISES_TWILIO_MPS="1000")
    message_id = _one_invitation(runtime)
    blind.lose_answer.add(phone(1))
    assert deliver(runtime, message_id).outcome is Outcome.UNCONFIRMED
    assert deliver(runtime, message_id).outcome is Outcome.DONE
    assert len(blind.to(phone(1))) == 1
    message = _message(runtime, message_id)
    assert (message.status, message.error_code, message.provider_id) == (
        OutboundStatus.SENT,
        "unconfirmed",
        None,
    )


def test_a_retry_after_is_honoured_even_without_a_listing(runtime: Runtime) -> None:
    blind = FakeSender()
    install_sender(runtime, blind)
    tune(runtime, VISES_TWILIO_MPS="1000")
    message_id = _one_invitation(runtime)
    blind.refusals[phone(1)] = [SendError("slow down", permanent=False, code="retry_after", retry_after=5)]
    retry = deliver(runtime, message_id)
    assert retry.outcome is Outcome.RETRY and retry.retry_at is not None
    with time_machine.travel(retry.retry_at + timedelta(seconds=1), tick=True):
        assert deliver(runtime, message_id).outcome is Outcome.SENT
    assert len(blind.to(phone(1))) == 1


def test_transient_refusals_give_up_after_the_last_attempt(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    message_id = _one_invitation(runtime)
    sender.refusals[phone(1)] = [
        SendError("server error", permanent=False, code="20500") for _ in range(MAX_ATTEMPTS)
    ]
    outcomes = []
    for _ in range(MAX_ATTEMPTS):
        result = deliver(runtime, message_id)
        outcomes.append(result.outcome)
        if result.retry_at is not None:
            with runtime.transaction() as session:
                session.execute(update(OutboundMessage).values(next_attempt_at=datetime.now(UTC)))
    assert outcomes == [Outcome.RETRY] * (MAX_ATTEMPTS - 1) + [Outcome.FAILED]
    assert sender.sent == []
    assert (_contact(runtime, message_id).status, _message(runtime, message_id).attempts) == (
        ContactStatus.FAILED,
        MAX_ATTEMPTS,
    )


def _crash_after_sending(
    runtime: Runtime, message_id: int, *, provider_got_it: bool, sender: FakeSender
) -> None:
    """What a worker killed during the provider call leaves: the row "sending", the lease long gone."""
    if provider_got_it:
        sender.send(phone(1), _outgoing_of())
    with runtime.transaction() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id)
            .values(
                status=OutboundStatus.SENDING,
                status_rank=1,
                attempts=1,
                updated_at=datetime.now(UTC) - timedelta(hours=1),
            )
        )


def _outgoing_of() -> Outgoing:
    """The invitation as the delivery job composes it for the test campaign."""
    return Outgoing(language="fr", texts=(text("invitation.keyword", "fr", org="Atelier", keyword="PULSE"),))


def test_a_message_left_sending_by_a_dead_worker_is_found_at_the_provider(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    message_id = _one_invitation(runtime)
    _crash_after_sending(runtime, message_id, provider_got_it=True, sender=sender)
    assert deliver(runtime, message_id).outcome is Outcome.RECONCILED
    assert len(sender.to(phone(1))) == 1
    assert _message(runtime, message_id).provider_id == "FAKE000001"


def test_a_message_left_sending_that_never_reached_the_provider_is_sent(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    message_id = _one_invitation(runtime)
    _crash_after_sending(runtime, message_id, provider_got_it=False, sender=sender)
    assert deliver(runtime, message_id).outcome is Outcome.SENT
    assert len(sender.to(phone(1))) == 1
    assert _message(runtime, message_id).attempts == 2


def test_a_message_left_sending_on_a_channel_without_listing_is_not_sent_again(runtime: Runtime) -> None:
    blind = FakeSender()
    install_sender(runtime, blind)
    message_id = _one_invitation(runtime)
    _crash_after_sending(runtime, message_id, provider_got_it=True, sender=blind)
    assert deliver(runtime, message_id).outcome is Outcome.UNCONFIRMED
    assert len(blind.to(phone(1))) == 1


def test_a_message_another_worker_is_sending_right_now_is_left_alone(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    message_id = _one_invitation(runtime)
    with runtime.transaction() as session:
        session.execute(
            update(OutboundMessage).values(
                status=OutboundStatus.SENDING, attempts=1, updated_at=datetime.now(UTC)
            )
        )
    assert deliver(runtime, message_id).outcome is Outcome.WAITING
    assert sender.sent == []


def test_two_workers_delivering_the_same_message_at_once_send_it_once(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    campaign = make_campaign(runtime)
    add_contacts(runtime, campaign, range(1, 21))
    ids = create_invitations(runtime, campaign)
    barrier = threading.Barrier(2)
    outcomes: list[Outcome] = []

    def work() -> None:
        barrier.wait()
        for message_id in ids:
            outcomes.append(deliver(runtime, message_id).outcome)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(sender.addresses()) == sorted(phone(i) for i in range(1, 21))
    assert outcomes.count(Outcome.SENT) == 20


def test_closing_a_campaign_cancels_what_it_had_not_sent_and_pausing_holds_it(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    campaign = make_campaign(runtime)
    add_contacts(runtime, campaign, [1, 2])
    first, second = create_invitations(runtime, campaign)
    with runtime.transaction() as session:
        session.execute(update(Campaign).where(Campaign.id == campaign.id).values(status="paused"))
    assert deliver(runtime, first).outcome is Outcome.WAITING
    assert _message(runtime, first).status == OutboundStatus.QUEUED
    with runtime.transaction() as session:
        session.execute(update(Campaign).where(Campaign.id == campaign.id).values(status="running"))
    assert deliver(runtime, first).outcome is Outcome.SENT
    with runtime.transaction() as session:
        session.execute(update(Campaign).where(Campaign.id == campaign.id).values(status="closed"))
    assert deliver(runtime, second).outcome is Outcome.CANCELED
    assert _message(runtime, second).error_code == "campaign_closed"
    assert sender.addresses() == [phone(1)]


def test_a_telegram_invitation_waits_for_the_person_to_link_their_chat(runtime: Runtime) -> None:
    bot = FakeSender(channel="telegram")
    install_sender(runtime, bot, "telegram")
    campaign = make_campaign(runtime)
    add_contacts(runtime, campaign, [1], channel="telegram")
    (message_id,) = create_invitations(runtime, campaign, "telegram")
    assert deliver(runtime, message_id).outcome is Outcome.CANCELED
    assert _message(runtime, message_id).error_code == "not_linked"
    assert bot.sent == []
    with runtime.transaction() as session:
        contact = session.scalars(select(Contact)).one()
        session.add(
            Identity(
                organization_id=campaign.organization_id,
                respondent_id=contact.respondent_id,
                channel="telegram",
                digest=runtime.vault.digest("telegram", "555001"),
                ciphertext=runtime.vault.encrypt("555001"),
            )
        )
        session.execute(
            update(OutboundMessage).values(status=OutboundStatus.QUEUED, status_rank=0, error_code=None)
        )
    assert deliver(runtime, message_id).outcome is Outcome.SENT
    ((address, outgoing, _),) = bot.sent
    assert address == "555001"
    assert outgoing.texts[0].startswith("Atelier vous invite à un court questionnaire : ")
