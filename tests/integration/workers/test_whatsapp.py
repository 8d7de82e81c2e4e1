"""WhatsApp through Twilio: nobody is invited, and reminders stay within the 24 hours after the person wrote.

Twilio refuses a free-form WhatsApp message written more than 24 hours after the person's last one
(error 63016) unless it is a template Meta approved; vises sends no templates. So invitations by
WhatsApp are refused everywhere (the service, hence the CLI, the API and the staff pages), and a
WhatsApp reminder is planned only for someone who wrote less than 24 hours ago, else skipped.

WhatsApp contacts can no longer be imported; the reminder tests make them as an import did before
(``service.contacts``'s own reading and storing), for lists invited before the refusal.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from bots.base import Inbound
from service import contacts as contact_lists
from service.contacts import ContactListError, import_contacts
from service.conversations import ConversationService
from service.delivery import Outcome, deliver
from service.launches import LaunchError, request_launch
from service.models import Campaign, Contact, Identity, MessageKind, OutboundMessage
from service.reminders import OUTSIDE_WHATSAPP_WINDOW
from service.runtime import Runtime
from tests.fakes.twilio_api import FakeTwilio
from tests.integration.workers.conftest import (
    FakeSender,
    create_invitations,
    install_sender,
    make_campaign,
    phone,
    twilio_env,
)
from workers.reminders import send_due_reminders

REFUSAL = (
    "invitations can't go out by WhatsApp: WhatsApp only lets us answer people who wrote in the last "
    "24 hours, so WhatsApp campaigns are answered by people who send the keyword first"
)
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# Reminder 1 half a day after the invitation, reminder 2 a day later; at any hour.
POLICY = {"after_days": [0.5, 1.5], "max": 2, "hours": [0, 24], "timezone": "Europe/Brussels"}
_sids = count(1)


def whatsapp_campaign(runtime: Runtime, **options: Any) -> Campaign:
    return make_campaign(runtime, channels=("sms", "whatsapp", "web"), **options)


# --- invitations ---------------------------------------------------------------------------------------


def test_a_whatsapp_contact_list_is_refused_with_the_reason(runtime: Runtime) -> None:
    campaign = whatsapp_campaign(runtime)
    with runtime.transaction() as session, pytest.raises(ContactListError) as refused:
        import_contacts(
            session,
            runtime,
            session.get_one(Campaign, campaign.id),
            [{"phone": phone(1), "language": "fr"}],
            "whatsapp",
            "BE",
        )
    assert str(refused.value) == REFUSAL
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Contact.id))) == 0


def test_a_whatsapp_launch_is_refused_with_the_reason(runtime: Runtime) -> None:
    campaign = whatsapp_campaign(runtime)
    with runtime.transaction() as session, pytest.raises(LaunchError) as refused:
        request_launch(session, session.get_one(Campaign, campaign.id), "whatsapp")
    assert str(refused.value) == REFUSAL


def test_vises_campaign_invite_by_whatsapp_says_why_in_one_line_and_sends_nothing(
    runtime: Runtime, cli: Any, fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    campaign = whatsapp_campaign(runtime)
    people = tmp_path / "contacts.csv"
    people.write_text("phone,language\n0470 11 11 11,fr\n")
    result = cli(
        "campaign",
        "invite",
        campaign.code,
        "--contacts",
        str(people),
        "--channel",
        "whatsapp",
        env=twilio_env(fake_twilio),
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"Error: {REFUSAL}"]
    assert fake_twilio.requests == []
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Contact.id))) == 0


# --- reminders -----------------------------------------------------------------------------------------


def invited_on_whatsapp(runtime: Runtime, campaign: Campaign, numbers: list[int], sender: FakeSender) -> None:
    """WhatsApp contacts stored as an import made them, then invited (before invitations were refused)."""
    rows, problems = contact_lists._read([{"phone": phone(n), "language": "fr"} for n in numbers], "BE", "fr")
    assert not problems
    with runtime.transaction() as session:
        contact_lists._store(session, runtime, session.get_one(Campaign, campaign.id), rows, "whatsapp")
    for message_id in create_invitations(runtime, campaign, "whatsapp"):
        assert deliver(runtime, message_id).outcome is Outcome.SENT
    assert sorted(sender.addresses()) == [phone(n) for n in numbers]


def writes(runtime: Runtime, number: int, text: str, at: datetime) -> None:
    ConversationService(runtime).handle(
        Inbound(
            channel="whatsapp",
            address=phone(number),
            external_id=f"SM{next(_sids):032x}",
            received_at=at,
            text=text,
        )
    )


def reminders(runtime: Runtime) -> list[tuple[str, int, str, str | None]]:
    """(address, number, status, error code) of every reminder, by contact then number."""
    numbers = {runtime.vault.digest("whatsapp", phone(n)): phone(n) for n in range(1, 10)}
    with runtime.transaction() as session:
        rows = session.execute(
            select(
                Identity.digest, OutboundMessage.sequence, OutboundMessage.status, OutboundMessage.error_code
            )
            .join(Contact, Contact.id == OutboundMessage.contact_id)
            .join(Identity, Identity.id == Contact.identity_id)
            .where(OutboundMessage.kind == MessageKind.REMINDER)
            .order_by(Contact.id, OutboundMessage.sequence)
        ).all()
    return [(numbers[digest], sequence, status, code) for digest, sequence, status, code in rows]


def test_a_whatsapp_reminder_goes_only_to_someone_who_wrote_in_the_last_24_hours(runtime: Runtime) -> None:
    sender = FakeSender(channel="whatsapp")
    install_sender(runtime, sender, "whatsapp")
    with time_machine.travel(T0, tick=False):
        campaign = whatsapp_campaign(runtime, policy=POLICY, started_at=T0 - timedelta(days=1))
        invited_on_whatsapp(runtime, campaign, [1, 2], sender)
    # 1 answers the invitation and stops after the consent; 2 never writes.
    writes(runtime, 1, "PULSE", T0 + timedelta(hours=1))
    writes(runtime, 1, "oui", T0 + timedelta(hours=1, minutes=2))

    def remind(at: datetime) -> list[str]:
        before = len(sender.sent)
        with time_machine.travel(at, tick=False):
            send_due_reminders()
        return [address for address, _, _ in sender.sent[before:]]

    # Half a day after 1's last message: inside the window for 1; 2 never wrote, so never inside it.
    assert remind(T0 + timedelta(hours=13, minutes=2)) == [phone(1)]
    assert reminders(runtime) == [
        (phone(1), 1, "sent", None),
        (phone(2), 1, "canceled", OUTSIDE_WHATSAPP_WINDOW),
    ]
    # Reminder 2 falls due a day after the first: 1's last message is now 37 hours old.
    assert remind(T0 + timedelta(hours=38)) == []
    assert reminders(runtime) == [
        (phone(1), 1, "sent", None),
        (phone(1), 2, "canceled", OUTSIDE_WHATSAPP_WINDOW),
        (phone(2), 1, "canceled", OUTSIDE_WHATSAPP_WINDOW),
        (phone(2), 2, "canceled", OUTSIDE_WHATSAPP_WINDOW),
    ]
    # A skipped reminder counts: nothing is planned again.
    assert remind(T0 + timedelta(days=4)) == []
    assert len(reminders(runtime)) == 4
