"""Twilio's error 63016 (a free-form WhatsApp message outside the 24 hours after the person's last one).

The message can never go out as it is, so it fails at once and is not retried; nothing is wrong with the
person, so their contact is not marked failed (they may write again, and be answered).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service import contacts as contact_lists
from service.accounts import create_organization
from service.campaigns import change_status, create_campaign
from service.definitions import register_shipped
from service.delivery import Outcome, deliver
from service.models import Contact, MessageKind, OutboundMessage
from service.outbound import NewMessage, insert_messages
from service.runtime import Runtime
from tests.fakes.twilio_api import FakeTwilio

NUMBER = "+32470123456"
ADDRESS = f"whatsapp:{NUMBER}"


def reminder_for_a_whatsapp_contact(runtime: Runtime) -> int:
    """A WhatsApp contact invited before invitations were refused, and their first reminder, queued."""
    with runtime.transaction() as session:
        organization = create_organization(session, "atelier", name="Atelier Namur", short_name="Atelier")
        version = register_shipped(session, organization, "beneficiaries")
        campaign = create_campaign(
            session,
            organization,
            version,
            name="Avis 2026",
            channels=["whatsapp"],
            sms_keyword="avis",
            reminder_policy={"after_days": [1], "hours": [0, 24]},
        )
        change_status(session, campaign, "start", now=datetime.now(UTC) - timedelta(days=3))
        rows, problems = contact_lists._read([{"phone": NUMBER, "language": "fr"}], "BE", "fr")
        assert not problems
        contact_lists._store(session, runtime, campaign, rows, "whatsapp")
        session.flush()
        contact = session.scalars(select(Contact)).one()
        contact.status = "invited"
        (reminder_id,) = insert_messages(
            session,
            [
                NewMessage(
                    organization_id=organization.id,
                    campaign_id=campaign.id,
                    contact_id=contact.id,
                    channel="whatsapp",
                    kind=MessageKind.REMINDER,
                    sequence=1,
                    language="fr",
                    identity_id=contact.identity_id,
                )
            ],
            now=datetime.now(UTC),
        )
        return reminder_id


def test_63016_fails_the_message_without_retry_and_leaves_the_person_alone(
    runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    twilio_api.refuse(
        ADDRESS,
        code=63016,
        message="Failed to send freeform message because you are outside the allowed window",
    )
    reminder_id = reminder_for_a_whatsapp_contact(runtime)

    assert deliver(runtime, reminder_id).outcome is Outcome.FAILED
    assert deliver(runtime, reminder_id).outcome is Outcome.DONE  # nothing left to send, ever
    assert [(r.form["To"], r.form["From"]) for r in twilio_api.requests] == [
        (ADDRESS, "whatsapp:+32460000099")
    ]
    with runtime.transaction() as session:
        message = session.get_one(OutboundMessage, reminder_id)
        assert (message.status, message.error_code, message.attempts, message.next_attempt_at) == (
            "failed",
            "63016",
            1,
            None,
        )
        contact = session.scalars(select(Contact).where(Contact.channel == "whatsapp")).one()
        assert (contact.status, contact.error_code) == ("invited", None)
