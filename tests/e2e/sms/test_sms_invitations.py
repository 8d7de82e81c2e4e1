"""Invitations by SMS through the real launch and send job, out to the fake Twilio, and what comes back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from questionnaires.messages import message
from service.contacts import import_contacts
from service.launches import request_launch, run_launch
from service.models import Campaign, Contact, Identity, OptOut, OutboundMessage
from service.runtime import Runtime
from tests.e2e.sms.conftest import OUR_NUMBER, PUBLIC_BASE_URL, Phone, conversations
from tests.fakes.twilio_api import FakeTwilio

ANA, BRAM, CHLOE = "+32470111111", "+32470222222", "+32470333333"


def launch(runtime: Runtime, campaign: Campaign) -> None:
    """What `vises campaign invite` and the launch button do: import the list, launch, run the jobs (inline)."""
    rows = [
        {"phone": "0470 11 11 11", "language": "fr"},
        {"phone": "+32 470 22 22 22", "language": "nl"},
        {"phone": "0470/33.33.33", "language": "fr"},
    ]
    with runtime.transaction() as session:
        found = session.get_one(Campaign, campaign.id)
        report = import_contacts(session, runtime, found, rows, "sms", "BE")
        assert report.imported == 3 and not report.problems
        launch_id = request_launch(session, found, "sms").id
    run_launch(runtime, launch_id)


def contacts(runtime: Runtime) -> dict[str, tuple[str, str | None]]:
    """Each invited number's contact status and error code."""
    numbers = {runtime.vault.digest("sms", number): number for number in (ANA, BRAM, CHLOE)}
    with runtime.transaction() as session:
        rows = session.execute(
            select(Identity.digest, Contact.status, Contact.error_code).join(
                Identity, Identity.id == Contact.identity_id
            )
        ).all()
    return {numbers[digest]: (status, error_code) for digest, status, error_code in rows}


def test_invitations_go_out_an_unsubscribed_number_is_marked_and_the_others_can_answer(
    client: Any, runtime: Runtime, campaign: Campaign, twilio_api: FakeTwilio
) -> None:
    twilio_api.refuse(BRAM, code=21610)
    launch(runtime, campaign)

    invitation_fr = message("invitation.keyword", "fr", org="Atelier", keyword="AVIS")
    assert [(m.to, m.from_, m.body, m.status_callback) for m in twilio_api.messages] == [
        (ANA, OUR_NUMBER, invitation_fr, f"{PUBLIC_BASE_URL}/webhooks/twilio/status"),
        (CHLOE, OUR_NUMBER, invitation_fr, f"{PUBLIC_BASE_URL}/webhooks/twilio/status"),
    ]
    refused = [r for r in twilio_api.requests if r.form.get("To") == BRAM]
    assert len(refused) == 1  # a permanent refusal is never retried
    assert contacts(runtime) == {
        ANA: ("invited", None),
        BRAM: ("opted_out", "21610"),
        CHLOE: ("invited", None),
    }
    with runtime.transaction() as session:
        (opt_out,) = session.scalars(select(OptOut)).all()
        assert (opt_out.digest, opt_out.source) == (runtime.vault.digest("sms", BRAM), "provider")
        statuses = dict(session.execute(select(OutboundMessage.provider_id, OutboundMessage.status)).all())
    ana_sid, chloe_sid = (m.sid for m in twilio_api.messages)
    assert statuses == {ana_sid: "sent", chloe_sid: "sent", None: "failed"}

    # Twilio reports on the two accepted messages, out of order and twice.
    for sid, status, code in (
        (ana_sid, "delivered", None),
        (chloe_sid, "sent", None),
        (ana_sid, "sent", None),
        (chloe_sid, "undelivered", "30006"),
        (ana_sid, "delivered", None),
    ):
        assert twilio_api.post_status(sid, status, error_code=code, client=client) == 200
    with runtime.transaction() as session:
        statuses = dict(session.execute(select(OutboundMessage.provider_id, OutboundMessage.status)).all())
    assert statuses == {ana_sid: "delivered", chloe_sid: "undelivered", None: "failed"}
    assert contacts(runtime)[CHLOE] == ("failed", "30006")

    # Ana answers the invitation with anything: her conversation starts, in her language.
    ana = Phone(client, ANA)
    assert ana.send("Bonjour")[0].startswith("Bonjour ! Atelier aimerait votre avis")
    assert ana.send("1")[0].startswith("Votre qualité de vie")
    # Bram, opted out at Twilio, is never answered: not even his keyword starts anything.
    assert Phone(client, BRAM).send("AVIS") == []
    assert conversations(runtime) == [("sms", "fr", "in_progress")]
