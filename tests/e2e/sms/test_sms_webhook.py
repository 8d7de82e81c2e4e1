"""The incoming-message webhook itself: signatures behind a proxy, malformed forms, outages, Twilio's opt-out."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from bots.base import Outgoing, SendError
from questionnaires.messages import message
from service.channels import sender_for
from service.models import Campaign, Conversation, InboundMessage, OptOut
from service.runtime import Runtime, build_runtime
from service.settings import Settings
from service.web import create_app
from tests.e2e.sms.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    OUR_NUMBER,
    PUBLIC_BASE_URL,
    SMS_PATH,
    Phone,
    answers,
    conversations,
    signature,
    twiml_messages,
)
from tests.fakes.twilio_api import FakeTwilio


def test_a_missing_or_wrong_signature_is_refused_and_nothing_happens(
    phone: Phone, campaign: Campaign, runtime: Runtime, client: Any
) -> None:
    form = phone.form("AVIS")
    assert client.post(SMS_PATH, data=form).status_code == 403
    assert (
        client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}).status_code
        == 403
    )
    # Signed for another body: the text was changed on the way.
    signed = phone.form("AVIS")
    tampered = {**signed, "Body": "STOP"}
    headers = {"X-Twilio-Signature": signature(PUBLIC_BASE_URL + SMS_PATH, signed)}
    response = client.post(SMS_PATH, data=tampered, headers=headers)
    assert response.status_code == 403
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(InboundMessage.id))) == 0


def test_behind_a_proxy_the_public_url_is_what_counts(phone: Phone, campaign: Campaign) -> None:
    # The app is reached as http://localhost; Twilio signed https://survey.example.org/... .
    signed_as_seen = phone.post(phone.form("AVIS"), url="http://localhost" + SMS_PATH)
    assert signed_as_seen.status_code == 403
    signed_as_called = phone.post(phone.form("AVIS"))
    assert signed_as_called.status_code == 200
    assert twiml_messages(signed_as_called.data)[0].startswith("Bonjour !")


def test_a_query_string_on_the_webhook_url_is_part_of_what_is_signed(
    phone: Phone, campaign: Campaign
) -> None:
    path = SMS_PATH + "?source=console&v=2"
    ok = phone.post(phone.form("AVIS"), url=PUBLIC_BASE_URL + path, path=path)
    assert ok.status_code == 200
    wrong = phone.post(phone.form("AVIS"), url=PUBLIC_BASE_URL + SMS_PATH, path=path)
    assert wrong.status_code == 403


@pytest.fixture
def prefixed_client(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Any]:
    """The app published under a path (a proxy forwards https://example.org/vises/... to its root)."""
    settings = make_settings(
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL="https://example.org/vises/",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER=OUR_NUMBER,
    )
    runtime = build_runtime(settings)
    try:
        yield create_app(runtime=runtime).test_client()
    finally:
        runtime.dispose()


def test_a_public_url_with_a_path_prefix(prefixed_client: Any, runtime: Runtime) -> None:
    phone = Phone(prefixed_client, "+32470123456")
    assert phone.post(phone.form("bonjour"), url="https://example.org/vises" + SMS_PATH).status_code == 200
    assert phone.post(phone.form("bonjour")).status_code == 403


@pytest.mark.parametrize("missing", ["From", "MessageSid"])
def test_a_signed_form_without_sender_or_id_is_a_bad_request(
    phone: Phone, campaign: Campaign, missing: str
) -> None:
    form = {k: v for k, v in phone.form("AVIS").items() if k not in (missing, "SmsSid", "SmsMessageSid")}
    response = phone.post(form)
    assert response.status_code == 400
    assert response.is_json and "+32" not in response.get_data(as_text=True)


def test_a_sender_that_is_not_a_phone_number_is_a_bad_request(phone: Phone, campaign: Campaign) -> None:
    response = phone.post(phone.form("AVIS", From="VISES-INFO"))
    assert response.status_code == 400


def test_without_twilio_settings_the_webhook_does_not_exist(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    runtime = build_runtime(make_settings(DATABASE_URL=database_url))
    try:
        client = create_app(runtime=runtime).test_client()
        phone = Phone(client, "+32470123456")
        assert phone.post(phone.form("AVIS")).status_code == 404
    finally:
        runtime.dispose()


@pytest.fixture
def app_without_database(
    make_settings: Callable[..., Settings], tmp_path: Path, database_url: str
) -> Iterator[Flask]:
    """The app with its database out of reach (a PostgreSQL port nobody listens on, or an unopenable file)."""
    if database_url.startswith("postgresql"):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/vises?connect_timeout=2"
    else:
        url = f"sqlite:///{tmp_path / 'missing-folder' / 'vises.db'}"
    settings = make_settings(
        DATABASE_URL=url,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER=OUR_NUMBER,
    )
    runtime = build_runtime(settings)
    try:
        yield create_app(runtime=runtime)
    finally:
        runtime.dispose()


def test_a_database_outage_asks_twilio_to_come_back_later(app_without_database: Flask) -> None:
    phone = Phone(app_without_database.test_client(), "+32470123456")
    response = phone.post(phone.form("AVIS"))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    status = phone.post({"MessageSid": "SM1", "MessageStatus": "delivered"}, path="/webhooks/twilio/status")
    assert status.status_code == 503


def test_twilio_advanced_opt_out_is_recorded_without_a_second_confirmation(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    phone.send("AVIS")
    phone.send("oui")
    # Twilio recognised the word (its Advanced Opt-Out list may hold words ours doesn't) and replied itself.
    assert phone.send("REVOKE", OptOutType="STOP") == []
    assert conversations(runtime) == [("sms", "fr", "opted_out")]
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(OptOut.id)).where(OptOut.opted_in_at.is_(None))) == 1
    assert phone.send("2") == []
    assert phone.send("UNSTOP", OptOutType="START") == []
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(OptOut.id)).where(OptOut.opted_in_at.is_(None))) == 0


def test_help_without_a_conversation_and_an_unknown_word(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    assert phone.send("HULP") == [message("help", "nl")]
    assert phone.send("Bonjour") == [message("unknown_keyword", "fr")]
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Conversation.id))) == 0


def test_no_phone_number_and_no_answer_text_reaches_the_logs(
    phone: Phone,
    campaign: Campaign,
    runtime: Runtime,
    twilio_api: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    phone.send("AVIS")
    phone.send("oui")
    phone.send("1")
    phone.send("Mon voisin Jean m'a aidé")
    phone.post(phone.form("AVIS"), url="http://localhost" + SMS_PATH)  # refused: logged as a warning
    twilio_api.refuse("+32470999888", code=21211)
    with pytest.raises(SendError):
        sender_for(runtime, "sms").send("+32470999888", Outgoing(language="fr", texts=("Bonjour",)))
    sender_for(runtime, "sms").recent_messages("+32470999888")
    assert answers(runtime)["A2"] == "Mon voisin Jean m'a aidé"
    assert caplog.records, "the exchange logs what it does"
    logged = caplog.text
    for secret in ("470123456", "470999888", "Mon voisin", "Jean"):
        assert secret not in logged
