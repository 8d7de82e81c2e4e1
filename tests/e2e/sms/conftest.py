"""SMS end to end: Twilio-signed webhooks into the app, the real twilio SDK out to a fake Twilio on 127.0.0.1.

The app runs behind an imagined proxy: Twilio calls ``https://survey.example.org`` (PUBLIC_BASE_URL) while
the test client reaches the app as ``http://localhost``. Every webhook is signed with the SDK's
RequestValidator for the public URL, as Twilio signs it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from service.accounts import create_organization
from service.campaigns import change_status, create_campaign
from service.definitions import register_shipped
from service.models import Answer, Campaign, Conversation
from service.runtime import Runtime
from service.settings import Settings
from tests.fakes.twilio_api import FakeTwilio, running

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-for-tests-0123"
PUBLIC_BASE_URL = "https://survey.example.org"
OUR_NUMBER = "+32460000000"
WHATSAPP_NUMBER = "+32460000099"
SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
_sids = count(1)


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    yield from running(ACCOUNT_SID, AUTH_TOKEN)


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str, twilio_api: FakeTwilio) -> Settings:
    """The suite's database, plus Twilio pointed at the fake and a public https URL."""
    return make_settings(
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER=OUR_NUMBER,
        TWILIO_WHATSAPP_FROM=WHATSAPP_NUMBER,
        TWILIO_API_BASE=twilio_api.url,
        VISES_TWILIO_MPS="100",  # the fake has no sending rate to respect
    )


@pytest.fixture
def campaign(runtime: Runtime) -> Campaign:
    """The shipped beneficiaries questionnaire, running for "Atelier" with the SMS keyword AVIS."""
    with runtime.transaction() as session:
        organization = create_organization(session, "atelier", name="Atelier Namur", short_name="Atelier")
        version = register_shipped(session, organization, "beneficiaries")
        created = create_campaign(
            session,
            organization,
            version,
            name="Avis 2026",
            channels=["sms", "whatsapp", "web"],
            sms_keyword="avis",
        )
        change_status(session, created, "start", now=datetime.now(UTC) - timedelta(days=1))
        return created


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


def signature(url: str, form: dict[str, str]) -> str:
    return str(RequestValidator(AUTH_TOKEN).compute_signature(url, form))


def twiml_messages(data: bytes) -> list[str]:
    """The bodies of the ``<Message>`` elements of a TwiML answer, in order."""
    root = ET.fromstring(data)
    assert root.tag == "Response"
    return [element.text or "" for element in root.findall("Message")]


@dataclass
class Phone:
    """A respondent's phone texting our Twilio number; ``send`` returns what they receive back."""

    client: Any
    number: str
    channel: str = "sms"
    responses: list[Any] = field(default_factory=list)

    @property
    def sender(self) -> str:
        return f"whatsapp:{self.number}" if self.channel == "whatsapp" else self.number

    def form(self, body: str, sid: str | None = None, **extra: str) -> dict[str, str]:
        """The form Twilio posts for an incoming message (the fields Twilio sends today)."""
        sid = sid or new_sid()
        to = f"whatsapp:{WHATSAPP_NUMBER}" if self.channel == "whatsapp" else OUR_NUMBER
        form = {
            "ToCountry": "BE",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": "BE",
            "To": to,
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": self.sender,
            "ApiVersion": "2010-04-01",
        }
        form.update(extra)
        return form

    def post(self, form: dict[str, str], *, url: str | None = None, path: str = SMS_PATH) -> Any:
        signed_for = url or PUBLIC_BASE_URL + path
        response = self.client.post(
            path, data=form, headers={"X-Twilio-Signature": signature(signed_for, form)}
        )
        self.responses.append(response)
        return response

    def send(self, body: str, sid: str | None = None, **extra: str) -> list[str]:
        response = self.post(self.form(body, sid, **extra))
        assert response.status_code == 200, response.data
        assert response.mimetype == "application/xml"
        return twiml_messages(response.data)


@pytest.fixture
def phone(client: Any) -> Phone:
    return Phone(client, "+32470123456")


def answers(runtime: Runtime, conversation_id: int | None = None) -> dict[str, Any]:
    """Stored answers by question id (of one conversation, or of all when there is one)."""
    with runtime.transaction() as session:
        query = select(Answer.question_id, Answer.value)
        if conversation_id is not None:
            query = query.where(Answer.conversation_id == conversation_id)
        return dict(session.execute(query).all())


def conversations(runtime: Runtime) -> list[tuple[str, str, str]]:
    """(channel, language, status) of every conversation, oldest first."""
    with runtime.transaction() as session:
        rows = session.execute(
            select(Conversation.channel, Conversation.language, Conversation.status).order_by(Conversation.id)
        ).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]
