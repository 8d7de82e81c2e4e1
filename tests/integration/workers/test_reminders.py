"""Reminders fire only for the right people, at the right time, in their own hours, never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import time_machine
from sqlalchemy import select, update

from bots.base import Inbound, SendError
from service.conversations import ConversationService
from service.launches import request_launch, run_launch
from service.models import Campaign, Contact, Conversation, ConversationStatus, MessageKind, OutboundMessage
from service.runtime import Runtime
from tests.integration.workers.conftest import FakeSenderWithHistory, add_contacts, make_campaign, phone
from workers.reminders import send_due_reminders

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Brussels
POLICY = {"after_days": [2, 5], "max": 2, "hours": [9, 19], "timezone": "Europe/Brussels"}
LOS_ANGELES = "+14155552671"
_sids = count(1)


def _sms(service: ConversationService, address: str, text: str, at: datetime) -> None:
    service.handle(
        Inbound(
            channel="sms", address=address, external_id=f"SM{next(_sids):032x}", received_at=at, text=text
        )
    )


def _reminded(sender: FakeSenderWithHistory, since: int) -> list[str]:
    return sorted(address for address, _, _ in sender.sent[since:])


def test_reminders_go_to_those_who_never_started_or_stalled_within_their_hours(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    with time_machine.travel(T0, tick=False):
        campaign = make_campaign(
            runtime, policy=POLICY, started_at=T0 - timedelta(days=1), idle_limit_hours=24 * 10
        )
        add_contacts(runtime, campaign, range(1, 8))
        with runtime.transaction() as session:
            from service.contacts import import_contacts

            import_contacts(
                session,
                runtime,
                session.get_one(Campaign, campaign.id),
                [{"phone": LOS_ANGELES, "language": "en"}],
                "sms",
                "BE",
            )
        sender.refusals[phone(6)] = [SendError("invalid", permanent=True, code="21211")]
        with runtime.transaction() as session:
            launch_id = request_launch(session, session.get_one(Campaign, campaign.id), "sms").id
        run_launch(runtime, launch_id)
    invited = len(sender.sent)
    assert invited == 7  # everyone but 6, whose number was refused

    service = ConversationService(runtime)
    _sms(service, phone(2), "PULSE", T0 + timedelta(minutes=30))  # started, then stalled
    _sms(service, phone(2), "oui", T0 + timedelta(hours=1))
    for reply in ("PULSE", "oui", "1", "3", "4", "9"):  # finished
        _sms(service, phone(3), reply, T0 + timedelta(hours=2))
    _sms(service, phone(4), "STOP", T0 + timedelta(hours=2))  # opted out
    _sms(service, phone(5), "PULSE", T0 + timedelta(hours=3))  # still answering two days later
    _sms(service, phone(5), "oui", T0 + timedelta(days=2))
    _sms(service, phone(7), "PULSE", T0 + timedelta(hours=3))  # started, then expired
    with runtime.transaction() as session:
        statuses = dict(session.execute(select(Conversation.id, Conversation.status)).all())
        assert sorted(statuses.values()) == ["completed", "in_progress", "in_progress", "in_progress"]
        session.execute(
            update(Conversation)
            .where(Conversation.updated_at == T0 + timedelta(hours=3), Conversation.status == "in_progress")
            .values(status=ConversationStatus.EXPIRED, partial=True)
        )

    def remind(at: datetime) -> list[str]:
        before = len(sender.sent)
        with time_machine.travel(at, tick=False):
            send_due_reminders()
        return _reminded(sender, before)

    assert remind(T0 + timedelta(days=1, hours=3)) == []  # too early for anyone
    assert remind(T0 + timedelta(days=2, hours=3)) == [phone(1), phone(2)]  # 13:00 in Brussels, 04:00 in LA
    assert remind(T0 + timedelta(days=2, hours=4)) == []  # planned once
    assert remind(T0 + timedelta(days=2, hours=8)) == [LOS_ANGELES]  # 09:00 in Los Angeles
    assert remind(T0 + timedelta(days=3, hours=20)) == []  # 06:00 in Brussels: nobody is due at night anyway
    assert remind(T0 + timedelta(days=4, hours=22)) == []  # reminder 2 is due, but it's 23:00 in Brussels
    # 11:00 the next morning: the first for 5, silent since day 2; the second for 1 and 2 three days after
    # their first (13:00)
    assert remind(T0 + timedelta(days=5, hours=1)) == [phone(5)]
    assert remind(T0 + timedelta(days=5, hours=4)) == [phone(1), phone(2)]
    assert remind(T0 + timedelta(days=5, hours=9)) == [LOS_ANGELES]
    assert remind(T0 + timedelta(days=6, hours=3)) == []  # 5's second waits three days after its first
    assert remind(T0 + timedelta(days=9, hours=3)) == [phone(5)]
    assert remind(T0 + timedelta(days=12, hours=3)) == []  # at most two
    assert remind(T0 + timedelta(days=12, hours=9)) == []

    first = sender.to(phone(1))[1]
    assert first.texts == (
        "Rappel de Atelier : votre avis compte. Envoyez PULSE pour répondre. STOP pour ne plus recevoir de messages.",
    )
    stalled = sender.to(phone(2))[1]
    assert stalled.texts[0].startswith("Rappel de Atelier : il reste quelques questions.")
    assert stalled.prompt is not None and stalled.prompt.question_id == "better"
    with runtime.transaction() as session:
        conversation = session.scalar(
            select(Conversation)
            .join(Contact, Contact.respondent_id == Conversation.respondent_id)
            .where(Conversation.status == "in_progress", Conversation.updated_at == T0 + timedelta(hours=1))
        )
        assert conversation is not None and conversation.reminders_sent == 2
        reminders = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == MessageKind.REMINDER)
        ).all()
    assert sorted(m.sequence for m in reminders) == [1, 1, 1, 1, 2, 2, 2, 2]
    assert {m.status for m in reminders} == {"sent"}


def test_a_reminder_caught_outside_its_hours_is_withdrawn_and_planned_again(
    runtime: Runtime, sender: FakeSenderWithHistory
) -> None:
    from service.delivery import Outcome, deliver
    from service.reminders import plan_reminders

    with time_machine.travel(T0, tick=False):
        campaign = make_campaign(runtime, policy=POLICY, started_at=T0 - timedelta(days=1))
        add_contacts(runtime, campaign, [1])
        with runtime.transaction() as session:
            launch_id = request_launch(session, session.get_one(Campaign, campaign.id), "sms").id
        run_launch(runtime, launch_id)
    with (
        time_machine.travel(T0 + timedelta(days=2, hours=8, minutes=59), tick=False),
        runtime.transaction() as session,
    ):
        (reminder_id,) = plan_reminders(session, session.get_one(Campaign, campaign.id), datetime.now(UTC))
    with time_machine.travel(T0 + timedelta(days=2, hours=9, minutes=5), tick=False):  # 19:05 in Brussels
        assert deliver(runtime, reminder_id).outcome is Outcome.WITHDRAWN
    with runtime.transaction() as session:
        assert session.get(OutboundMessage, reminder_id) is None
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        send_due_reminders()
    assert len(sender.to(phone(1))) == 2
