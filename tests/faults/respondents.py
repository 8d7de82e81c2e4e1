"""People answering a running campaign over real HTTP: a phone (signed Twilio webhooks), a Telegram chat
(updates with the webhook secret), a browser (the web form, with its cookies and CSRF token); and what the
database says they left behind.

Every channel answers the same small questionnaire, whose question texts are distinct enough to tell from
a reply which question was asked.
"""

from __future__ import annotations

import itertools
import re
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import requests
from sqlalchemy import func, select

from bots.sms import SIGNATURE_HEADER, sign
from questionnaires.loader import load_text
from service.accounts import create_organization
from service.campaigns import change_status, create_campaign
from service.definitions import register_version
from service.models import Answer, Campaign, Conversation, InboundMessage, Organization
from service.runtime import Runtime

DEFINITION = """
id: faults
version: 1
title: {fr: Pouls, nl: Pols, en: Pulse}
languages: [fr, nl, en]
default_language: fr
consent:
  version: "1"
  text: {fr: "On commence ?", nl: "Beginnen?", en: "Shall we start?"}
questions:
  - id: better
    type: single_choice
    text: {fr: "Votre vie a-t-elle change ?", nl: "Is uw leven veranderd?", en: "Has your life changed?"}
    choices:
      - {code: "1", label: {fr: Mieux, nl: Beter, en: Better}}
      - {code: "2", label: {fr: Pareil, nl: Gelijk, en: Same}}
      - {code: "3", label: {fr: Pire, nl: Slechter, en: Worse}}
      - {code: "9", label: {fr: Je ne sais pas, nl: Weet niet, en: "Don't know"}}
  - id: calm
    type: scale
    min: 1
    max: 5
    text: {fr: "Vous sentez-vous calme ?", nl: "Voelt u zich rustig?", en: "Do you feel calm?"}
  - id: member
    type: yes_no
    text: {fr: "Etes-vous membre ?", nl: "Bent u lid?", en: "Are you a member?"}
  - id: recommend
    type: scale
    min: 0
    max: 10
    text: {fr: "Recommanderiez-vous {org} ?", nl: "Beveelt u {org} aan?", en: "Would you recommend {org}?"}
indicators:
  - id: better_off
    title: {fr: Mieux, nl: Beter, en: Better off}
    dimension: individuals
    method: share
    question: better
    codes: ["1"]
    exclude: ["9"]
  - id: recommend
    title: {fr: Recommandation, nl: Aanbeveling, en: Recommendation}
    dimension: individuals
    method: recommend
    question: recommend
"""

QUESTIONS = ("better", "calm", "member", "recommend")
PROMPTS = {
    "better": "Votre vie a-t-elle change",
    "calm": "Vous sentez-vous calme",
    "member": "Etes-vous membre",
    "recommend": "Recommanderiez-vous",
}
"""A piece of each question's French text, to tell which question a reply asks."""
KEYWORD = "POULS"
PUBLIC_BASE_URL = "https://survey.example.org"
TWILIO_SID = "AC" + "5" * 32
TWILIO_TOKEN = "fault-campaign-twilio-token"
TWILIO_FROM = "+32460000000"
TELEGRAM_TOKEN = "123456789:AAHfakeTokenForTheFaultCampaign_0123"
TELEGRAM_SECRET = "fault-campaign-webhook-secret"
SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
TELEGRAM_PATH = "/webhooks/telegram"

_sids = itertools.count(1)
_update_ids = itertools.count(900_000_000)
_numbers = itertools.count(1)


def channel_env(twilio_api_base: str, telegram_api_base: str | None = None) -> dict[str, str]:
    """Settings for SMS through (fake) Twilio, signed for PUBLIC_BASE_URL, and Telegram given its fake."""
    env = {
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM_NUMBER": TWILIO_FROM,
        "TWILIO_API_BASE": twilio_api_base,
        "VISES_TWILIO_MPS": "100000",
    }
    if telegram_api_base is not None:
        env |= {
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_BOT_USERNAME": "vises_faults_bot",
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_BASE": telegram_api_base,
        }
    return env


def make_campaign(runtime: Runtime, *, channels: tuple[str, ...] = ("sms", "telegram", "web")) -> Campaign:
    """The fault questionnaire, running since yesterday for "Atelier", with the SMS keyword POULS."""
    with runtime.transaction() as session:
        organization = session.scalar(select(Organization).where(Organization.slug == "atelier"))
        if organization is None:
            organization = create_organization(session, "atelier", name="Atelier Namur", short_name="Atelier")
        version = register_version(session, organization, load_text(DEFINITION), source="yaml")
        campaign = create_campaign(
            session,
            organization,
            version,
            name="Pouls",
            channels=list(channels),
            sms_keyword=KEYWORD if "sms" in channels else None,
        )
        change_status(session, campaign, "start", now=datetime.now(UTC) - timedelta(days=1))
        return campaign


def new_phone_number() -> str:
    """A Belgian mobile number no other respondent of the session has."""
    return f"+32471{next(_numbers):06d}"


CONSENT_PROMPT = "On commence"


def asked(text: str) -> str | None:
    """Which question a reply asks ("consent", a question id; the last one asked), or None."""
    prompts = {"consent": CONSENT_PROMPT, **PROMPTS}
    found = [(text.rfind(prompt), question) for question, prompt in prompts.items() if prompt in text]
    return max(found)[1] if found else None


# --- SMS --------------------------------------------------------------------------------------------


def twiml_texts(body: bytes) -> list[str]:
    root = ET.fromstring(body)
    assert root.tag == "Response", body
    return [element.text or "" for element in root.findall("Message")]


@dataclass
class Phone:
    """A phone texting our Twilio number through a server at ``base_url``."""

    base_url: str
    number: str = field(default_factory=new_phone_number)

    def form(self, body: str, sid: str | None = None) -> dict[str, str]:
        sid = sid or f"SM{next(_sids):08d}{secrets.token_hex(12)}"
        return {
            "ToCountry": "BE",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "SmsSid": sid,
            "SmsStatus": "received",
            "Body": body,
            "FromCountry": "BE",
            "To": TWILIO_FROM,
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": TWILIO_SID,
            "From": self.number,
            "ApiVersion": "2010-04-01",
        }

    def post(self, http: requests.Session, form: dict[str, str], path: str = SMS_PATH) -> requests.Response:
        """Post a form as Twilio would: signed for the public URL of ``path``."""
        signature = sign(TWILIO_TOKEN, PUBLIC_BASE_URL + path, form.items())
        return http.post(self.base_url + path, data=form, headers={SIGNATURE_HEADER: signature}, timeout=60)

    def send(self, http: requests.Session, body: str) -> list[str]:
        response = self.post(http, self.form(body))
        assert response.status_code == 200, response.text
        return twiml_texts(response.content)


def status_form(sid: str, to: str, status: str, error_code: str | None = None) -> dict[str, str]:
    """The form Twilio posts to a message's StatusCallback."""
    form = {
        "AccountSid": TWILIO_SID,
        "ApiVersion": "2010-04-01",
        "From": TWILIO_FROM,
        "To": to,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
    }
    if error_code:
        form["ErrorCode"] = error_code
    return form


# --- Telegram -----------------------------------------------------------------------------------------


@dataclass
class Chat:
    """A private chat with the bot, posting updates to the webhook of a server at ``base_url``."""

    base_url: str
    chat_id: int
    first_name: str = "Amina"
    language_code: str = "fr"
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def user(self) -> dict[str, Any]:
        return {
            "id": self.chat_id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }

    def text_update(self, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self.user,
            "chat": {"id": self.chat_id, "first_name": self.first_name, "type": "private"},
            "date": int(datetime.now(UTC).timestamp()),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [
                {"offset": 0, "length": len(text.split(maxsplit=1)[0]), "type": "bot_command"}
            ]
        return {"update_id": next(_update_ids), "message": message}

    def tap_update(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        """Tapping the button ``label`` of ``message`` (as the bot sent it)."""
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == label:
                    return {
                        "update_id": next(_update_ids),
                        "callback_query": {
                            "id": str(secrets.randbelow(10**18) + 10**18),
                            "from": self.user,
                            "message": message,
                            "chat_instance": "-4793310255016848061",
                            "data": button["callback_data"],
                        },
                    }
        raise AssertionError(f"no button {label!r} on the message")

    def post(
        self, http: requests.Session, update: Any, *, secret: str | None = TELEGRAM_SECRET
    ) -> requests.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return http.post(self.base_url + TELEGRAM_PATH, json=update, headers=headers, timeout=60)


# --- the web form -------------------------------------------------------------------------------------

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
_ANSWER_BUTTON = re.compile(r'<button type="submit" name="answer" value="([^"]*)"')


@dataclass
class Browser:
    """A browser on the web survey of a server at ``base_url``: cookies kept, forms read from each page."""

    base_url: str
    code: str
    http: requests.Session = field(default_factory=requests.Session)
    page: str = ""

    @property
    def url(self) -> str:
        return f"{self.base_url}/s/{self.code}"

    def open(self) -> str:
        response = self.http.get(self.url, timeout=60)
        assert response.status_code == 200, response.status_code
        self.page = response.text
        return self.page

    def form(self, answer: str | None = None) -> dict[str, str]:
        """The current page's form, filled with ``answer`` (the first button's value for the consent)."""
        fields = {name: unescape(value) for name, value in _HIDDEN.findall(self.page)}
        if answer is None:
            buttons = _ANSWER_BUTTON.findall(self.page)
            assert buttons, "no answer button on the page"
            answer = unescape(buttons[0])
        fields["answer"] = answer
        return fields

    def post_with(self, http: requests.Session, form: dict[str, str]) -> requests.Response:
        """Post ``form`` with this browser's cookies through another connection (``http``)."""
        http.cookies.update(self.http.cookies)
        return http.post(self.url, data=form, allow_redirects=False, timeout=60)

    def close(self) -> None:
        self.http.close()


# --- what the database holds ---------------------------------------------------------------------------


def answers_by_message(runtime: Runtime, channel: str) -> dict[str, list[tuple[int, str, Any]]]:
    """For each inbound message of ``channel``: the answers it carried.

    Keyed by the provider's id: MessageSid, web submission id, Telegram update_id (whose ledger id is
    ``<update_id>/<kind>``)."""
    with runtime.transaction() as session:
        rows = session.execute(
            select(InboundMessage.external_id, Answer.conversation_id, Answer.question_id, Answer.value)
            .join(Answer, Answer.inbound_message_id == InboundMessage.id)
            .where(InboundMessage.channel == channel)
        ).all()
    found: dict[str, list[tuple[int, str, Any]]] = {}
    for external_id, conversation_id, question_id, value in rows:
        key = external_id.split("/", 1)[0]
        found.setdefault(key, []).append((conversation_id, question_id, value))
    return found


def answer_count(runtime: Runtime, **where: Any) -> int:
    with runtime.transaction() as session:
        query = select(func.count(Answer.id))
        for name, value in where.items():
            query = query.where(getattr(Answer, name) == value)
        return int(session.scalar(query) or 0)


def conversation_rows(runtime: Runtime) -> list[Conversation]:
    with runtime.transaction() as session:
        return list(session.scalars(select(Conversation).order_by(Conversation.id)))
