"""Status callbacks, posted and signed by the fake Twilio for messages really sent through it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from bots.base import Outgoing
from service import respondents
from service.channels import sender_for
from service.models import (
    Campaign,
    Contact,
    ContactStatus,
    MessageKind,
    OptOut,
    OutboundMessage,
    OutboundStatus,
)
from service.runtime import Runtime, build_runtime
from service.settings import Settings
from service.web import create_app
from tests.e2e.sms.conftest import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, STATUS_PATH, Phone, signature
from tests.fakes.twilio_api import FakeTwilio
from tests.support.redis_servers import free_port

NUMBER = "+32470555001"


@dataclass
class Sent:
    message_id: int
    contact_id: int
    sid: str


def invite(runtime: Runtime, campaign: Campaign, number: str = NUMBER, sequence: int = 0) -> Sent:
    """What a delivery job does: a contact, an outbound message, sent through Twilio, its sid recorded."""
    with runtime.transaction() as session:
        identity = respondents.identity_for(session, runtime.vault, campaign.organization_id, "sms", number)
        contact = session.scalar(
            select(Contact).where(Contact.campaign_id == campaign.id, Contact.identity_id == identity.id)
        )
        if contact is None:
            contact = Contact(
                campaign_id=campaign.id,
                respondent_id=identity.respondent_id,
                identity_id=identity.id,
                channel="sms",
                language="fr",
                status=ContactStatus.INVITED,
            )
            session.add(contact)
            session.flush()
        message = OutboundMessage(
            organization_id=campaign.organization_id,
            campaign_id=campaign.id,
            contact_id=contact.id,
            identity_id=identity.id,
            channel="sms",
            kind=MessageKind.INVITATION,
            sequence=sequence,
            language="fr",
            body="",
        )
        session.add(message)
        session.flush()
        ids = (message.id, contact.id)
    result = sender_for(runtime, "sms").send(
        number, Outgoing(language="fr", texts=("Bonjour, envoyez AVIS",))
    )
    with runtime.transaction() as session:
        stored = session.get_one(OutboundMessage, ids[0])
        stored.provider_id, stored.status, stored.status_rank = result.provider_id, OutboundStatus.SENT, 2
    return Sent(ids[0], ids[1], result.provider_id)


def stored(runtime: Runtime, sent: Sent) -> tuple[str, int, str | None, str, str | None]:
    with runtime.transaction() as session:
        message = session.get_one(OutboundMessage, sent.message_id)
        contact = session.get_one(Contact, sent.contact_id)
        return message.status, message.status_rank, message.error_code, contact.status, contact.error_code


def test_callbacks_in_order_move_the_message_to_delivered(
    client: Any, runtime: Runtime, campaign: Campaign, twilio_api: FakeTwilio
) -> None:
    sent = invite(runtime, campaign)
    for status in ("queued", "sending", "sent", "delivered"):
        assert twilio_api.post_status(sent.sid, status, client=client) == 200
    assert stored(runtime, sent) == ("delivered", 4, None, "invited", None)


def test_late_duplicate_and_out_of_order_callbacks_never_move_a_message_back(
    client: Any, runtime: Runtime, campaign: Campaign, twilio_api: FakeTwilio
) -> None:
    sent = invite(runtime, campaign)
    assert twilio_api.post_status(sent.sid, "delivered", client=client) == 200
    for status in ("sent", "sending", "delivered", "queued", "sent", "delivered"):
        assert twilio_api.post_status(sent.sid, status, client=client) == 200
    assert stored(runtime, sent) == ("delivered", 4, None, "invited", None)


def test_a_failure_then_a_late_delivery_report_ends_delivered(
    client: Any, runtime: Runtime, campaign: Campaign, twilio_api: FakeTwilio
) -> None:
    sent = invite(runtime, campaign)
    twilio_api.post_status(sent.sid, "undelivered", error_code="30003", client=client)
    assert stored(runtime, sent) == ("undelivered", 3, "30003", "invited", None)  # phone off: not lasting
    twilio_api.post_status(sent.sid, "undelivered", error_code="30003", client=client)
    twilio_api.post_status(sent.sid, "sent", client=client)
    assert stored(runtime, sent)[:3] == ("undelivered", 3, "30003")
    twilio_api.post_status(sent.sid, "delivered", client=client)
    assert stored(runtime, sent) == ("delivered", 4, None, "invited", None)


def test_a_landline_is_recorded_on_the_contact(
    client: Any, runtime: Runtime, campaign: Campaign, twilio_api: FakeTwilio
) -> None:
    sent = invite(runtime, campaign)
    twilio_api.post_status(sent.sid, "sending", client=client)
    assert twilio_api.post_status(sent.sid, "undelivered", error_code="30006", client=client) == 200
    assert stored(runtime, sent) == ("undelivered", 3, "30006", "failed", "30006")


def test_an_unsubscribed_recipient_is_opted_out_of_the_organization(
    client: Any, runtime: Runtime, campaign: Campaign, twilio_api: FakeTwilio
) -> None:
    sent = invite(runtime, campaign)
    assert twilio_api.post_status(sent.sid, "failed", error_code="21610", client=client) == 200
    assert stored(runtime, sent) == ("failed", 3, "21610", "opted_out", "21610")
    with runtime.transaction() as session:
        (opt_out,) = session.scalars(select(OptOut)).all()
        assert (opt_out.organization_id, opt_out.channel, opt_out.source) == (
            campaign.organization_id,
            "sms",
            "provider",
        )
        assert opt_out.digest == runtime.vault.digest("sms", NUMBER)
    # The person is then silent to us like after a STOP of their own: the keyword starts nothing.
    assert Phone(client, NUMBER).send("AVIS") == []


def test_a_later_failure_never_turns_an_opted_out_contact_into_a_failed_one(
    client: Any, runtime: Runtime, campaign: Campaign, twilio_api: FakeTwilio
) -> None:
    first = invite(runtime, campaign)
    second = invite(runtime, campaign, sequence=1)
    twilio_api.post_status(first.sid, "failed", error_code="21610", client=client)
    twilio_api.post_status(second.sid, "undelivered", error_code="30005", client=client)
    assert stored(runtime, second) == ("undelivered", 3, "30005", "opted_out", "30005")


def test_a_callback_for_a_message_we_do_not_know_is_accepted_and_ignored(
    client: Any, runtime: Runtime, campaign: Campaign, twilio_api: FakeTwilio
) -> None:
    # Sent by someone else on the account (or not recorded yet): nothing of ours changes.
    sent = invite(runtime, campaign)
    result = sender_for(runtime, "sms").send("+32470555999", Outgoing(language="fr", texts=("x",)))
    assert twilio_api.post_status(result.provider_id, "failed", error_code="30006", client=client) == 200
    assert stored(runtime, sent) == ("sent", 2, None, "invited", None)


def test_status_callbacks_must_be_signed_and_well_formed(
    client: Any, runtime: Runtime, campaign: Campaign, twilio_api: FakeTwilio
) -> None:
    sent = invite(runtime, campaign)
    form = twilio_api.status_form(sent.sid, "delivered")
    url = twilio_api.message(sent.sid).status_callback
    assert url is not None
    assert client.post(STATUS_PATH, data=form).status_code == 403
    forged = {**form, "MessageStatus": "failed", "ErrorCode": "30006"}
    assert (
        client.post(
            STATUS_PATH, data=forged, headers={"X-Twilio-Signature": signature(url, form)}
        ).status_code
        == 403
    )
    assert stored(runtime, sent) == ("sent", 2, None, "invited", None)
    no_status = {k: v for k, v in form.items() if k not in ("MessageStatus", "SmsStatus")}
    response = client.post(
        STATUS_PATH, data=no_status, headers={"X-Twilio-Signature": signature(url, no_status)}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("status", ["receiving", "received"])
def test_inbound_statuses_are_not_tracked(
    client: Any, runtime: Runtime, campaign: Campaign, twilio_api: FakeTwilio, status: str
) -> None:
    sent = invite(runtime, campaign)
    assert twilio_api.post_status(sent.sid, status, client=client) == 200
    assert stored(runtime, sent)[:2] == ("sent", 2)


@pytest.fixture
def served(
    make_settings: Callable[..., Settings], database_url: str, twilio_api: FakeTwilio
) -> Iterator[Runtime]:
    """The app on a real HTTP server on 127.0.0.1, its PUBLIC_BASE_URL being that server's address."""
    port = free_port()
    settings = make_settings(
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER=OUR_NUMBER,
        TWILIO_API_BASE=twilio_api.url,
    )
    runtime = build_runtime(settings)
    server = make_server("127.0.0.1", port, create_app(runtime=runtime), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield runtime
    finally:
        server.shutdown()
        thread.join(timeout=10)
        runtime.dispose()


def test_status_callbacks_over_http_to_the_running_app(
    served: Runtime, runtime: Runtime, campaign: Campaign, twilio_api: FakeTwilio
) -> None:
    sent = invite(served, campaign)
    callback = twilio_api.message(sent.sid).status_callback
    assert callback == f"{served.settings.public_base_url}/webhooks/twilio/status"
    assert twilio_api.post_status(sent.sid, "delivered") == 200
    assert twilio_api.post_status(sent.sid, "sent") == 200
    assert stored(runtime, sent) == ("delivered", 4, None, "invited", None)


def test_a_report_that_beats_the_sending_job_is_applied_when_the_id_is_recorded(
    client: Any, runtime: Runtime, campaign: Campaign, twilio_api: FakeTwilio
) -> None:
    from datetime import timedelta

    from service.delivery_status import forget_stale_reports
    from service.models import EarlyDeliveryReport, utcnow
    from service.outbound import mark_sent

    with runtime.transaction() as session:
        identity = respondents.identity_for(session, runtime.vault, campaign.organization_id, "sms", NUMBER)
        contact = Contact(
            campaign_id=campaign.id,
            respondent_id=identity.respondent_id,
            identity_id=identity.id,
            channel="sms",
            language="fr",
        )
        session.add(contact)
        session.flush()
        message = OutboundMessage(
            organization_id=campaign.organization_id,
            campaign_id=campaign.id,
            contact_id=contact.id,
            identity_id=identity.id,
            channel="sms",
            kind=MessageKind.INVITATION,
            language="fr",
            status=OutboundStatus.SENDING,
            status_rank=1,
        )
        session.add(message)
        session.flush()
        sent = Sent(message.id, contact.id, "")
    result = sender_for(runtime, "sms").send(NUMBER, Outgoing(language="fr", texts=("Bonjour",)))
    # The landline report arrives while the job is still between Twilio's answer and its commit.
    assert twilio_api.post_status(result.provider_id, "undelivered", error_code="30006", client=client) == 200
    assert stored(runtime, sent)[0] == "sending"
    with runtime.transaction() as session:
        mark_sent(
            session,
            session.get_one(OutboundMessage, sent.message_id),
            provider_id=result.provider_id,
            now=utcnow(),
        )
    assert stored(runtime, sent) == ("undelivered", 3, "30006", "failed", "30006")
    with runtime.transaction() as session:
        assert session.get(EarlyDeliveryReport, result.provider_id) is None
        # A report nobody claims (another application's message on the account) is forgotten after a while.
        other = sender_for(runtime, "sms").send("+32470555999", Outgoing(language="fr", texts=("x",)))
    twilio_api.post_status(other.provider_id, "delivered", client=client)
    with runtime.transaction() as session:
        assert forget_stale_reports(session, now=utcnow()) == 0
        assert forget_stale_reports(session, now=utcnow() + timedelta(days=3)) == 1
