"""The real TwilioSmsChannel, through the real twilio SDK, against the fake Twilio REST API on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from bots.base import Outgoing, SendError
from bots.sms import TwilioSmsChannel
from questionnaires.turns import Option, Prompt
from service.channels import sender_for
from service.runtime import Runtime
from tests.e2e.sms.conftest import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, PUBLIC_BASE_URL, WHATSAPP_NUMBER
from tests.fakes.twilio_api import FakeTwilio

TO = "+32470123456"
CALLBACK = f"{PUBLIC_BASE_URL}/webhooks/twilio/status"
SERVICE_SID = "MG" + "fedcba9876543210" * 2
INVITATION = Outgoing(
    language="fr",
    texts=("Bonjour ! Atelier aimerait votre avis.",),
    prompt=Prompt(
        question_id="__consent__",
        kind="consent",
        text="Acceptez-vous de répondre ?",
        options=(Option("1", "yes", "Oui"), Option("2", "no", "Non")),
    ),
)
BODY = "Bonjour ! Atelier aimerait votre avis.\nAcceptez-vous de répondre ? 1 Oui 2 Non"


def channel(twilio_api: FakeTwilio, **overrides: str) -> TwilioSmsChannel:
    options = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": OUR_NUMBER,
        "api_base": twilio_api.url,
        "status_callback": CALLBACK,
        **overrides,
    }
    return TwilioSmsChannel(**options)


def test_the_sender_built_from_the_settings_sends_through_the_sdk(
    runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    sender = sender_for(runtime, "sms")
    result = sender.send(TO, INVITATION)
    (sent,) = twilio_api.messages
    assert sent.form == {"To": TO, "From": OUR_NUMBER, "Body": BODY, "StatusCallback": CALLBACK}
    assert result.provider_id == sent.sid and len(sent.sid) == 34 and sent.sid.startswith("SM")
    assert (result.status, result.segments, result.encoding) == ("sent", 1, "GSM-7")
    (request,) = twilio_api.requests
    assert request.authorized and request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def test_the_rest_client_is_built_once_and_reuses_its_connection(twilio_api: FakeTwilio) -> None:
    sms = channel(twilio_api)
    for number in ("+32470000001", "+32470000002", "+32470000003"):
        sms.send(number, INVITATION)
    assert [m.to for m in twilio_api.messages] == ["+32470000001", "+32470000002", "+32470000003"]
    # One client, one pooled keep-alive connection: every request came from the same client port.
    assert len({request.peer for request in twilio_api.requests}) == 1


def test_a_messaging_service_is_used_when_configured(twilio_api: FakeTwilio) -> None:
    channel(twilio_api, messaging_service_sid=SERVICE_SID).send(TO, INVITATION)
    (sent,) = twilio_api.messages
    assert sent.form == {
        "To": TO,
        "MessagingServiceSid": SERVICE_SID,
        "Body": BODY,
        "StatusCallback": CALLBACK,
    }


def test_whatsapp_goes_through_the_same_adapter_with_whatsapp_addresses(
    runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    result = sender_for(runtime, "whatsapp").send(TO, INVITATION)
    (sent,) = twilio_api.messages
    assert sent.form == {
        "To": f"whatsapp:{TO}",
        "From": f"whatsapp:{WHATSAPP_NUMBER}",
        "Body": BODY,
        "StatusCallback": CALLBACK,
    }
    assert (result.provider_id, result.segments, result.encoding) == (sent.sid, None, None)


def test_the_cost_of_a_message_is_known_and_reported(twilio_api: FakeTwilio) -> None:
    text = "Êtes-vous prêt ? " + "Merci de répondre à ces questions sur votre expérience chez nous. " * 2
    result = channel(twilio_api).send(TO, Outgoing(language="fr", texts=(text,)))
    assert (result.encoding, result.segments) == ("UCS-2", 3)
    transliterated = channel(twilio_api).send(TO, Outgoing(language="fr", texts=(text,), transliterate=True))
    assert (transliterated.encoding, transliterated.segments) == ("GSM-7", 1)
    assert twilio_api.messages[-1].body.startswith("Etes-vous pret ? Merci de répondre à ces questions")


def test_an_unsubscribed_recipient_is_a_permanent_opt_out(twilio_api: FakeTwilio) -> None:
    twilio_api.refuse(TO, code=21610)
    with pytest.raises(SendError) as caught:
        channel(twilio_api).send(TO, INVITATION)
    error = caught.value
    assert (error.permanent, error.opted_out, error.code, error.retry_after) == (True, True, "21610", None)
    assert TO not in str(error)
    assert twilio_api.messages == []


@pytest.mark.parametrize("code", [21211, 21614])
def test_an_invalid_number_is_permanent(twilio_api: FakeTwilio, code: int) -> None:
    twilio_api.refuse(TO, code=code)
    with pytest.raises(SendError) as caught:
        channel(twilio_api).send(TO, INVITATION)
    assert (caught.value.permanent, caught.value.opted_out, caught.value.code) == (True, False, str(code))
    assert TO not in str(caught.value)


def test_too_many_requests_is_transient_with_the_wait_twilio_asks_for(twilio_api: FakeTwilio) -> None:
    twilio_api.refuse(TO, code=20429, status=429, retry_after="12", times=1)
    sms = channel(twilio_api)
    with pytest.raises(SendError) as caught:
        sms.send(TO, INVITATION)
    assert (caught.value.permanent, caught.value.code, caught.value.retry_after) == (False, "20429", 12.0)
    # The sender never retries on its own: the delivery job does, and then it goes through.
    assert twilio_api.messages == []
    assert sms.send(TO, INVITATION).provider_id == twilio_api.messages[0].sid


def test_a_server_error_is_transient(twilio_api: FakeTwilio) -> None:
    twilio_api.refuse(TO, code=20500, status=500)
    with pytest.raises(SendError) as caught:
        channel(twilio_api).send(TO, INVITATION)
    assert (caught.value.permanent, caught.value.code, caught.value.retry_after) == (False, "20500", None)


def test_wrong_credentials_are_not_blamed_on_the_recipient(twilio_api: FakeTwilio) -> None:
    with pytest.raises(SendError) as caught:
        channel(twilio_api, auth_token="not-the-token").send(TO, INVITATION)
    assert (caught.value.permanent, caught.value.opted_out, caught.value.code) == (False, False, "20003")


def test_twilio_out_of_reach_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sms = TwilioSmsChannel(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_number=OUR_NUMBER, api_base=closed
    )
    with pytest.raises(SendError) as caught:
        sms.send(TO, INVITATION)
    assert caught.value.permanent is False and caught.value.code in ("network", "connect_timeout")


def test_a_body_twilio_would_refuse_is_not_sent(twilio_api: FakeTwilio) -> None:
    with pytest.raises(SendError) as caught:
        channel(twilio_api).send(TO, Outgoing(language="fr", texts=("x" * 1601,)))
    assert caught.value.permanent and caught.value.code == "21617"
    assert twilio_api.requests == []


def test_recent_messages_tell_whether_a_send_whose_answer_was_lost_went_out(twilio_api: FakeTwilio) -> None:
    sms = channel(twilio_api)
    first = sms.send(TO, INVITATION)
    sms.send("+32470999999", INVITATION)
    second = sms.send(TO, Outgoing(language="fr", texts=("Rappel",)))
    found = sms.recent_messages(TO)
    assert [(m.provider_id, m.body, m.status) for m in found] == [
        (second.provider_id, "Rappel", "queued"),
        (first.provider_id, BODY, "queued"),
    ]
    assert all(m.created_at is not None and m.created_at.tzinfo is not None for m in found)
    listing = twilio_api.requests[-1]
    assert (listing.method, listing.query["To"]) == ("GET", [TO])


def test_when_twilio_cannot_be_asked_the_listing_says_so(twilio_api: FakeTwilio) -> None:
    with pytest.raises(SendError) as caught:
        channel(twilio_api, auth_token="not-the-token").recent_messages(TO)
    # The SDK reports a page it could not fetch without Twilio's error code: the HTTP status stands in.
    assert (caught.value.permanent, caught.value.code) == (False, "401")
