"""The Twilio adapter's pure parts: signatures, inbound forms, status callbacks, rendering, error codes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from twilio.request_validator import RequestValidator

from bots.base import Outgoing
from bots.sms import (
    BODY_LIMIT,
    MalformedWebhook,
    RecipientFailure,
    TwilioSmsChannel,
    message_body,
    parse_inbound,
    parse_status_callback,
    recipient_failure,
    render_twiml,
    reply_bodies,
    sign,
    split_address,
    verify_signature,
)
from questionnaires.keywords import Command, Keyword
from questionnaires.segments import count_segments
from questionnaires.turns import Option, Prompt

TOKEN = "12345678901234567890123456789012"
URL = "https://survey.example.org/webhooks/twilio/sms"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
# A recorded incoming-message form, with every field Twilio posts (numbers are fictitious).
FORM = {
    "ToCountry": "BE",
    "ToState": "",
    "SmsMessageSid": "SM0123456789abcdef0123456789abcdef",
    "NumMedia": "0",
    "ToCity": "",
    "FromZip": "",
    "SmsSid": "SM0123456789abcdef0123456789abcdef",
    "FromState": "",
    "SmsStatus": "received",
    "FromCity": "",
    "Body": "2.",
    "FromCountry": "BE",
    "To": "+32460000000",
    "ToZip": "",
    "NumSegments": "1",
    "MessageSid": "SM0123456789abcdef0123456789abcdef",
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "From": "+32470123456",
    "ApiVersion": "2010-04-01",
}


def _sdk_signature(url: str, form: dict[str, str]) -> str:
    return str(RequestValidator(TOKEN).compute_signature(url, form))


# --- signatures ------------------------------------------------------------------------------------------


def test_a_signature_made_by_the_sdk_for_this_url_and_form_is_accepted() -> None:
    assert verify_signature(TOKEN, URL, FORM.items(), _sdk_signature(URL, FORM))
    assert sign(TOKEN, URL, FORM.items()) == _sdk_signature(URL, FORM)


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("http://survey.example.org/webhooks/twilio/sms", FORM),  # signed for https, seen as http
        ("https://survey.example.org/webhooks/twilio/status", FORM),  # another path
        (URL, {**FORM, "Body": "1."}),  # the body changed on the way
        (URL, {**FORM, "Extra": "x"}),  # a field added
        (URL, {k: v for k, v in FORM.items() if k != "FromCountry"}),  # a field removed
    ],
)
def test_any_change_to_url_or_fields_breaks_the_signature(url: str, form: dict[str, str]) -> None:
    assert not verify_signature(TOKEN, url, form.items(), _sdk_signature(URL, FORM))


def test_a_missing_signature_or_another_account_token_is_refused() -> None:
    assert not verify_signature(TOKEN, URL, FORM.items(), "")
    assert not verify_signature(
        "another-token-0000000000000000000", URL, FORM.items(), _sdk_signature(URL, FORM)
    )


def test_the_query_string_and_the_default_port_are_part_of_the_url_as_twilio_signs_it() -> None:
    with_query = URL + "?campaign=AVIS"
    assert verify_signature(TOKEN, with_query, FORM.items(), _sdk_signature(with_query, FORM))
    assert not verify_signature(TOKEN, URL, FORM.items(), _sdk_signature(with_query, FORM))
    with_port = "https://survey.example.org:443/webhooks/twilio/sms"
    assert verify_signature(TOKEN, URL, FORM.items(), _sdk_signature(with_port, FORM))


def test_repeated_fields_are_all_signed() -> None:
    pairs = [*FORM.items(), ("MediaUrl0", "https://a.example/1"), ("MediaUrl0", "https://a.example/2")]
    signature = sign(TOKEN, URL, pairs)
    assert verify_signature(TOKEN, URL, pairs, signature)
    assert not verify_signature(TOKEN, URL, pairs[:-1], signature)


# --- inbound -----------------------------------------------------------------------------------------------


def test_an_incoming_sms_becomes_a_channel_free_inbound() -> None:
    webhook = parse_inbound(FORM, received_at=NOW)
    inbound = webhook.inbound
    assert (inbound.channel, inbound.address, inbound.external_id, inbound.text) == (
        "sms",
        "+32470123456",
        "SM0123456789abcdef0123456789abcdef",
        "2.",
    )
    assert inbound.received_at == NOW and inbound.command is None and not webhook.provider_answered


def test_a_whatsapp_sender_is_the_whatsapp_channel_with_the_bare_number() -> None:
    inbound = parse_inbound({**FORM, "From": "whatsapp:+32470123456"}, received_at=NOW).inbound
    assert (inbound.channel, inbound.address) == ("whatsapp", "+32470123456")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+32470123456", ("sms", "+32470123456")),
        (" +32 470 12 34 56 ", ("sms", "+32470123456")),
        ("+33612345678", ("sms", "+33612345678")),
        ("WhatsApp:+31612345678", ("whatsapp", "+31612345678")),
    ],
)
def test_addresses_are_normalized_to_e164(raw: str, expected: tuple[str, str]) -> None:
    assert split_address(raw) == expected


@pytest.mark.parametrize("raw", ["", "ALPHASENDER", "+3", "whatsapp:"])
def test_a_sender_that_is_not_a_phone_number_is_malformed(raw: str) -> None:
    with pytest.raises(MalformedWebhook) as caught:
        split_address(raw)
    assert raw.strip() == "" or raw not in str(caught.value)


@pytest.mark.parametrize("missing", ["From", "MessageSid"])
def test_a_form_without_sender_or_message_id_is_malformed(missing: str) -> None:
    form = {k: v for k, v in FORM.items() if k not in (missing, "SmsMessageSid", "SmsSid")}
    with pytest.raises(MalformedWebhook):
        parse_inbound(form, received_at=NOW)


def test_the_legacy_sms_sid_is_enough() -> None:
    form = {k: v for k, v in FORM.items() if k not in ("MessageSid", "SmsMessageSid")}
    assert parse_inbound(form, received_at=NOW).inbound.external_id == FORM["SmsSid"]


@pytest.mark.parametrize(
    ("opt_out_type", "command"), [("STOP", Command.STOP), ("START", Command.START), ("HELP", Command.HELP)]
)
def test_twilio_advanced_opt_out_is_followed_and_marks_the_reply_as_already_sent(
    opt_out_type: str, command: Command
) -> None:
    webhook = parse_inbound({**FORM, "Body": "Arrete", "OptOutType": opt_out_type}, received_at=NOW)
    assert webhook.inbound.command == Keyword(command)
    assert webhook.provider_answered


def test_a_picture_without_text_is_answered_like_help_not_taken_as_an_empty_answer() -> None:
    form = {**FORM, "Body": "", "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/media/ME1"}
    inbound = parse_inbound(form, received_at=NOW).inbound
    assert inbound.command == Keyword(Command.HELP)
    with_text = parse_inbound({**form, "Body": "3"}, received_at=NOW).inbound
    assert with_text.command is None and with_text.text == "3"


# --- status callbacks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("twilio_status", "ours"),
    [
        ("queued", "queued"),
        ("accepted", "queued"),
        ("sending", "sending"),
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("read", "delivered"),
        ("undelivered", "undelivered"),
        ("failed", "failed"),
        ("canceled", "canceled"),
    ],
)
def test_twilio_statuses_map_onto_ours(twilio_status: str, ours: str) -> None:
    form = {"MessageSid": "SM1", "MessageStatus": twilio_status, "To": "+32470123456"}
    report = parse_status_callback(form)
    assert report is not None and (report.provider_id, report.status, report.provider_status) == (
        "SM1",
        ours,
        twilio_status,
    )


def test_a_failure_carries_its_error_code_and_whatsapp_is_recognised() -> None:
    form = {
        "MessageSid": "SM1",
        "MessageStatus": "undelivered",
        "ErrorCode": "30006",
        "To": "whatsapp:+32470123456",
    }
    report = parse_status_callback(form)
    assert report is not None and (report.error_code, report.channel) == ("30006", "whatsapp")


def test_inbound_statuses_are_not_ours_to_track_and_a_callback_without_sid_is_malformed() -> None:
    assert parse_status_callback({"MessageSid": "SM1", "SmsStatus": "received"}) is None
    with pytest.raises(MalformedWebhook):
        parse_status_callback({"MessageStatus": "delivered"})
    with pytest.raises(MalformedWebhook):
        parse_status_callback({"MessageSid": "SM1"})


@pytest.mark.parametrize(
    ("code", "failure"),
    [
        ("21610", RecipientFailure.OPTED_OUT),
        (21211, RecipientFailure.UNREACHABLE),
        ("21614", RecipientFailure.UNREACHABLE),
        ("30006", RecipientFailure.UNREACHABLE),
        ("63003", RecipientFailure.UNREACHABLE),
        ("30003", None),  # phone switched off: may work tomorrow
        ("30007", None),  # carrier filtering: about the message, not the person
        ("", None),
        (None, None),
        ("abc", None),
    ],
)
def test_error_codes_that_say_something_lasting_about_the_recipient(
    code: str | int | None, failure: RecipientFailure | None
) -> None:
    assert recipient_failure(code) is failure


# --- rendering ------------------------------------------------------------------------------------------------

QUESTION = Prompt(
    question_id="A3",
    kind="yes_no",
    text="Avant Atelier, aviez-vous accès à un service comme celui-ci ?",
    options=(Option("1", "yes", "Oui"), Option("2", "no", "Non")),
)
RENDERED = "Avant Atelier, aviez-vous accès à un service comme celui-ci ? 1 Oui 2 Non"


def _messages(twiml: str) -> list[str]:
    root = ET.fromstring(twiml)
    return [element.text or "" for element in root.findall("Message")]


def test_a_reask_and_its_question_travel_as_one_sms_when_that_costs_nothing_more() -> None:
    outgoing = Outgoing(language="fr", texts=("Répondez 1 (oui) ou 2 (non).",), prompt=QUESTION)
    assert _messages(render_twiml(outgoing)) == [f"Répondez 1 (oui) ou 2 (non).\n{RENDERED}"]


def test_pieces_stay_separate_when_joining_them_would_cost_more() -> None:
    # 155 GSM-7 characters each: one segment apiece, but three joined (311 septets > 2 x 153).
    first, second = "a" * 155, "b" * 155
    assert reply_bodies(Outgoing(language="fr", texts=(first, second))) == [first, second]
    # One lower-case ç turns a text into UCS-2: joined to a long GSM-7 text, the whole would cost more.
    gsm, ucs = "Merci " + "x" * 140, "ça va ?"
    assert count_segments(gsm + "\n" + ucs).segments > 2
    assert reply_bodies(Outgoing(language="fr", texts=(gsm, ucs))) == [gsm, ucs]


def test_transliteration_keeps_french_texts_in_gsm7_when_the_campaign_asks() -> None:
    outgoing = Outgoing(language="fr", texts=("Ça s’est bien passé, êtes-vous prêt ?",), transliterate=True)
    (body,) = reply_bodies(outgoing)
    assert body == "Ça s'est bien passé, etes-vous pret ?"  # Ç and é are GSM-7 already
    assert count_segments(body).encoding == "GSM-7"
    plain = reply_bodies(Outgoing(language="fr", texts=("Ça s’est bien passé",)))
    assert count_segments(plain[0]).encoding == "UCS-2"


def test_whatsapp_gets_one_message_and_no_transliteration() -> None:
    outgoing = Outgoing(language="fr", texts=("a" * 150, "Ça va ?"), prompt=QUESTION, transliterate=True)
    assert reply_bodies(outgoing, channel="whatsapp") == ["a" * 150 + "\nÇa va ?\n" + RENDERED]


def test_no_message_is_longer_than_twilio_accepts() -> None:
    words = " ".join(["mot"] * 900)  # 3599 characters
    bodies = reply_bodies(Outgoing(language="fr", texts=(words,)), channel="whatsapp")
    assert len(bodies) == 3 and all(len(body) <= BODY_LIMIT for body in bodies)
    assert " ".join(bodies) == words


def test_an_empty_reply_is_an_empty_response_and_text_is_escaped() -> None:
    assert _messages(render_twiml(Outgoing(language="fr"))) == []
    assert "<Response />" in render_twiml(Outgoing(language="fr"))
    assert _messages(render_twiml(Outgoing(language="fr", texts=("<b>&</b>",)))) == ["<b>&</b>"]


def test_an_outbound_message_is_texts_then_question_in_one_body() -> None:
    outgoing = Outgoing(language="fr", texts=("Bonjour !",), prompt=QUESTION)
    assert message_body(outgoing) == f"Bonjour !\n{RENDERED}"


def test_a_sender_needs_a_known_channel_and_a_sender_identity() -> None:
    with pytest.raises(ValueError, match="from_number"):
        TwilioSmsChannel(account_sid="AC1", auth_token="t")
    with pytest.raises(ValueError, match="telegram"):
        TwilioSmsChannel(channel="telegram", account_sid="AC1", auth_token="t", from_number="+32460000000")
