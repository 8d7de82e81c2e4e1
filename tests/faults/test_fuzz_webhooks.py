"""Fuzzing the doors from the internet: Twilio's two webhooks, Telegram's, and the web form's POST.

Random and malformed bodies (form fields, JSON, raw bytes in odd encodings, large ones), odd or missing
headers and signatures, sent through the app (in process, on the suite's database) while a phone, a chat
and a browser each have a conversation in progress, so that well-formed fuzz reaches the reply parser
in context. Whatever arrives:

* no 5xx, and no exception logged (the Telegram webhook answers 200 even when its handling fails, so
  the logs are where a crash would show);
* a rejected request (anything but 200, or a web form's 303) stores nothing: no ledger row, no answer;
* every answer in the database is one its question can hold: no garbage stored.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bots.sms import SIGNATURE_HEADER, sign
from questionnaires.loader import load_text
from questionnaires.model import Question, QuestionType
from service.models import Answer, InboundMessage
from service.runtime import Runtime
from tests.fakes.telegram_api import FakeTelegram
from tests.faults.respondents import (
    DEFINITION,
    PUBLIC_BASE_URL,
    SMS_PATH,
    STATUS_PATH,
    TELEGRAM_PATH,
    TELEGRAM_SECRET,
    TWILIO_FROM,
    TWILIO_SID,
    TWILIO_TOKEN,
    make_campaign,
    new_phone_number,
)
from tests.faults.tally import Tally

AREA = "Fuzzing the webhooks"
DEADLINE = timedelta(seconds=10)
SETTINGS = settings(
    max_examples=150,
    deadline=DEADLINE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
QUESTIONNAIRE = load_text(DEFINITION)
TELEGRAM_DATA = Path(__file__).parents[1] / "data" / "telegram"
RECORDED = [json.loads(path.read_text()) for path in sorted(TELEGRAM_DATA.glob("*.json"))]
CHAT_ID = 6_124_538_790

pytestmark = pytest.mark.timeout(240)

_fields = st.sampled_from(
    ["From", "Body", "MessageSid", "SmsSid", "SmsMessageSid", "NumMedia", "OptOutType", "To", "AccountSid",
     "MediaUrl0", "MessageStatus", "SmsStatus", "ErrorCode", "ApiVersion", "ButtonPayload", "x", ""]
)  # fmt: skip
_texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["oui", "non", "2", "9", "STOP", "stop", "HELP", "AIDE", "FR", "EN", "POULS", "arret",
                     "SUPPRIMER", "MES DONNEES", "1 2", "", " ", "whatsapp:+32470000001", "+32470000001",
                     "delivered", "undelivered", "21610", "30003", "read", "received", "-1", "1e400"]),
    st.builds(lambda unit, times: unit * times, st.text(min_size=1, max_size=4), st.integers(200, 5000)),
)  # fmt: skip
_OPTING_OUT = frozenset({"stop", "arret", "supprimer", "mes donnees"})
_replies = _texts.filter(lambda text: text.strip().lower() not in _OPTING_OUT)
"""Fuzzed replies that keep the conversation going (STOP and an erasure request would end it early)."""
_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=20)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)
_raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"%", b"%zz=%GG", b"Body=%FF%FE&From=%2B32", b"\xff\xfe\x00B\x00o", b"{", b"[]", b"null",
                     b"a=" + b"x" * 200_000, b"=" * 1000, b"&&&&", "Body=café".encode("latin-1")]),
)  # fmt: skip
_content_types = st.sampled_from(
    [None, "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=latin-1",
     "multipart/form-data; boundary=x", "multipart/form-data", "application/json", "text/plain",
     "application/json; charset=utf-16", "application/xml", "*/*", "garbage"]
)  # fmt: skip


def valid_answer(question: Question, value: Any) -> bool:
    """Whether ``value`` is an answer ``question`` can hold (its type, its choices, its bounds)."""
    codes = {choice.code for choice in question.choices}
    if question.type is QuestionType.SINGLE_CHOICE:
        return value in codes
    if question.type is QuestionType.MULTIPLE_CHOICE:
        return isinstance(value, list) and bool(value) and set(value) <= codes
    if question.type is QuestionType.YES_NO:
        return value in ("yes", "no")
    if question.type in (QuestionType.SCALE, QuestionType.INTEGER, QuestionType.NUMBER):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        low = question.minimum if question.minimum is not None else -float("inf")
        high = question.maximum if question.maximum is not None else float("inf")
        return number and low <= value <= high
    if question.type is QuestionType.TEXT:
        return isinstance(value, str)
    return False


class Ledger:
    """What the database holds that fuzz could have put there, checked around each request."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def counts(self) -> tuple[int, int]:
        with self.runtime.transaction() as session:
            messages = session.scalar(select(func.count(InboundMessage.id))) or 0
            answers = session.scalar(select(func.count(Answer.id))) or 0
        return int(messages), int(answers)

    def check_answers(self) -> int:
        with self.runtime.transaction() as session:
            rows = session.execute(select(Answer.question_id, Answer.value)).all()
        for question_id, value in rows:
            assert valid_answer(QUESTIONNAIRE.question(question_id), value), (question_id, value)
        return len(rows)


def _exceptions(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.exc_info is not None
    ]


HANDLED = {200, 303, 422}
"""Statuses of a request the conversation service handled: a message recorded in the deduplication ledger,
with an answer (200, 303) or with a question asked again (422)."""


def _send(
    client: FlaskClient,
    ledger: Ledger,
    seen: Counter[str],
    handled: set[int],
    call: Callable[[], Any],
) -> Any:
    """Make one fuzzed request: no 5xx; nothing stored unless it was handled; answers only when accepted."""
    before = ledger.counts()
    response = call()
    seen["inputs"] += 1
    status = response.status_code
    seen[f"HTTP {status}"] += 1
    assert status < 500, (status, response.get_data(as_text=True)[:300])
    after = ledger.counts()
    if status in handled:
        seen["handled"] += 1
        if status == 422:
            assert after[1] == before[1], "a reply asked again stored an answer"
    else:
        seen["rejected"] += 1
        assert after == before, f"a rejected request ({status}) stored something"
    return response


def _statuses(seen: Counter[str]) -> str:
    return ", ".join(f"{count} {key}" for key, count in sorted(seen.items()) if key.startswith("HTTP"))


def _in_progress(client: FlaskClient, phone: str) -> None:
    """A phone with a conversation at its first question."""
    for body in ("POULS", "oui"):
        form = {"From": phone, "To": TWILIO_FROM, "Body": body, "MessageSid": f"SM{secrets.token_hex(16)}"}
        form["AccountSid"] = TWILIO_SID
        headers = {SIGNATURE_HEADER: sign(TWILIO_TOKEN, PUBLIC_BASE_URL + SMS_PATH, form.items())}
        assert client.post(SMS_PATH, data=form, headers=headers).status_code == 200


@pytest.fixture
def client(app: Any) -> FlaskClient:
    """A browser-like client: the test client speaks https here (PUBLIC_BASE_URL), where CSRF wants a Referer."""
    test_client: FlaskClient = app.test_client()
    test_client.environ_base["HTTP_REFERER"] = "https://localhost/s/"
    return test_client


def test_fuzzed_twilio_webhooks_never_fail_and_store_no_garbage(
    client: FlaskClient, runtime: Runtime, caplog: pytest.LogCaptureFixture, tally: Tally
) -> None:
    make_campaign(runtime)
    phone = new_phone_number()
    _in_progress(client, phone)
    ledger, seen = Ledger(runtime), Counter[str]()

    @SETTINGS
    @given(
        st.dictionaries(_fields, _texts, max_size=8),
        st.sampled_from(
            [phone, phone, new_phone_number(), "whatsapp:" + phone, "", "+1", "abc", "+999999999999999999"]
        ),
        st.sampled_from(["signed", "signed", "signed", "unsigned", "wrong", "other url"]),
        st.sampled_from([SMS_PATH, SMS_PATH, STATUS_PATH]),
        st.sampled_from(["", "?x=1", "?%ff", "?" + "a" * 3000]),
    )
    def forms(fields: dict[str, str], sender: str, signing: str, path: str, query: str) -> None:
        form = {"From": sender, "To": TWILIO_FROM, "AccountSid": TWILIO_SID} | fields
        if "MessageSid" not in fields:
            form["MessageSid"] = f"SM{secrets.token_hex(16)}"
        url = PUBLIC_BASE_URL + path + (query if signing != "other url" else "?other")
        headers = {}
        if signing != "unsigned":
            token = TWILIO_TOKEN if signing != "wrong" else "not-the-token"
            headers[SIGNATURE_HEADER] = sign(token, url, form.items())
        _send(client, ledger, seen, {200}, lambda: client.post(path + query, data=form, headers=headers))

    @SETTINGS
    @given(_raw_bodies, _content_types, st.sampled_from([SMS_PATH, STATUS_PATH]), st.booleans())
    def raw(body: bytes, content_type: str | None, path: str, signed: bool) -> None:
        headers = {SIGNATURE_HEADER: "c2lnbmF0dXJl" if signed else ""}
        if content_type:
            headers["Content-Type"] = content_type
        _send(client, ledger, seen, {200}, lambda: client.post(path, data=body, headers=headers))

    @SETTINGS
    @given(_replies)
    def replies(body: str) -> None:
        form = {"From": phone, "To": TWILIO_FROM, "AccountSid": TWILIO_SID, "Body": body}
        form["MessageSid"] = f"SM{secrets.token_hex(16)}"
        headers = {SIGNATURE_HEADER: sign(TWILIO_TOKEN, PUBLIC_BASE_URL + SMS_PATH, form.items())}
        _send(client, ledger, seen, {200}, lambda: client.post(SMS_PATH, data=form, headers=headers))

    replies()
    stored = ledger.check_answers()  # before the fuzz below may erase them (an erasure request, confirmed)
    forms()
    raw()
    assert not _exceptions(caplog), _exceptions(caplog)[:5]
    ledger.check_answers()
    tally.add(inputs=seen["inputs"])
    tally.note(
        f"Twilio: {seen['handled']} handled, {seen['rejected']} rejected ({_statuses(seen)}); {stored} answers, all valid"
    )


def _mutated(update: Any, data: st.DataObject) -> Any:
    """A recorded update with one of its values replaced by random JSON (or a field removed)."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                paths.append((*path, key))
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                paths.append((*path, index))
                walk(value, (*path, index))

    walk(update, ())
    for _ in range(data.draw(st.integers(0, 3))):
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = update
        try:
            for step in path[:-1]:
                parent = parent[step]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent[path[-1]] = data.draw(_json)
        except (KeyError, IndexError, TypeError):
            continue
    return update


def test_fuzzed_telegram_updates_never_fail_and_store_no_garbage(
    client: FlaskClient,
    runtime: Runtime,
    telegram_api: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    tally: Tally,
) -> None:
    campaign = make_campaign(runtime)
    telegram_api.add_chat(CHAT_ID, "Amina", "fr")
    names = [path.stem for path in sorted(TELEGRAM_DATA.glob("*.json"))]
    start = json.loads(json.dumps(RECORDED[names.index("start_campaign")]))
    start["message"]["text"] = f"/start {campaign.code}"
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    assert client.post(TELEGRAM_PATH, json=start, headers=headers).status_code == 200
    ledger, seen = Ledger(runtime), Counter[str]()
    update_ids = iter(range(10**9, 2 * 10**9))

    def post(body: Any, secret: str | None, *, raw: bool = False, content_type: str | None = None) -> Any:
        sent = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        if raw:
            if content_type:
                sent["Content-Type"] = content_type
            return client.post(TELEGRAM_PATH, data=body, headers=sent)
        return client.post(TELEGRAM_PATH, json=body, headers=sent)

    @SETTINGS
    @given(st.sampled_from(RECORDED), st.data(), st.sampled_from([TELEGRAM_SECRET] * 5 + [None, "", "wrong"]))
    def mutated(recorded: Any, data: st.DataObject, secret: str | None) -> None:
        update = _mutated(json.loads(json.dumps(recorded)), data)
        if isinstance(update, dict) and data.draw(st.booleans()):
            update["update_id"] = next(update_ids)  # mostly fresh updates, sometimes redeliveries
        accepted = {200} if secret == TELEGRAM_SECRET else set()
        _send(client, ledger, seen, accepted, lambda: post(update, secret))

    @SETTINGS
    @given(
        st.one_of(_json, _raw_bodies),
        _content_types,
        st.sampled_from([TELEGRAM_SECRET, TELEGRAM_SECRET, None]),
    )
    def random_bodies(body: Any, content_type: str | None, secret: str | None) -> None:
        raw = isinstance(body, bytes)
        accepted = {200} if secret == TELEGRAM_SECRET else set()
        _send(client, ledger, seen, accepted, lambda: post(body, secret, raw=raw, content_type=content_type))

    @SETTINGS
    @given(_replies)
    def replies(text: str) -> None:
        update = json.loads(json.dumps(RECORDED[names.index("text")]))
        update["update_id"] = next(update_ids)
        update["message"]["text"] = text
        _send(client, ledger, seen, {200}, lambda: post(update, TELEGRAM_SECRET))

    replies()
    stored = ledger.check_answers()
    mutated()
    random_bodies()
    assert not _exceptions(caplog), _exceptions(caplog)[:5]
    ledger.check_answers()
    tally.add(inputs=seen["inputs"])
    tally.note(
        f"Telegram: {seen['handled']} handled, {seen['rejected']} rejected ({_statuses(seen)}); {stored} answers, all valid"
    )


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def test_fuzzed_web_form_posts_never_fail_and_store_no_garbage(
    client: FlaskClient, runtime: Runtime, caplog: pytest.LogCaptureFixture, tally: Tally
) -> None:
    campaign = make_campaign(runtime)
    url = f"/s/{campaign.code}"
    page = client.get(url).get_data(as_text=True)
    consent = dict(_HIDDEN.findall(page))
    assert client.post(url, data={**consent, "answer": "yes"}).status_code == 303
    ledger, seen = Ledger(runtime), Counter[str]()

    @SETTINGS
    @given(
        st.dictionaries(
            st.sampled_from(
                ["sid", "question", "answer", "lang", "back", "language", "csrf_token", "code", "x"]
            ),
            st.one_of(_texts, st.lists(_texts, max_size=3)),
            max_size=6,
        ),
        st.sampled_from(["valid csrf", "valid csrf", "valid csrf", "no csrf", "bad csrf"]),
        st.sampled_from(["valid sid", "valid sid", "fuzzed sid"]),
        st.sampled_from([url, url, url, f"{url}/resume", "/s/ZZZZZZZZ", "/s/" + "é" * 40]),
    )
    def forms(fields: dict[str, Any], csrf: str, sid: str, path: str) -> None:
        hidden = dict(_HIDDEN.findall(client.get(url).get_data(as_text=True)))
        form: dict[str, Any] = dict(fields)
        if csrf == "valid csrf":
            form["csrf_token"] = hidden.get("csrf_token", "")
        elif csrf == "no csrf":
            form.pop("csrf_token", None)
        if sid == "valid sid" and "sid" in hidden:
            form["sid"] = hidden["sid"]
            form.setdefault("question", hidden.get("question", ""))
        _send(client, ledger, seen, HANDLED, lambda: client.post(path, data=form))

    @SETTINGS
    @given(_raw_bodies, _content_types)
    def raw(body: bytes, content_type: str | None) -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        _send(client, ledger, seen, HANDLED, lambda: client.post(url, data=body, headers=headers))

    @SETTINGS
    @given(st.one_of(_replies, st.lists(_replies, max_size=3)))
    def replies(answer: str | list[str]) -> None:
        page = client.get(url).get_data(as_text=True)
        if 'name="question" value="__consent__"' in page or 'name="question"' not in page:
            # Finished (or never started): a new person on this browser.
            client.delete_cookie("vises_respondent", path="/s/")
            consent = dict(_HIDDEN.findall(client.get(url).get_data(as_text=True)))
            assert client.post(url, data={**consent, "answer": "yes"}).status_code == 303
            page = client.get(url).get_data(as_text=True)
        form = {**dict(_HIDDEN.findall(page)), "answer": answer}
        _send(client, ledger, seen, HANDLED, lambda: client.post(url, data=form))

    replies()
    stored = ledger.check_answers()  # before the fuzz below may erase them (an erasure request, confirmed)
    forms()
    raw()
    assert not _exceptions(caplog), _exceptions(caplog)[:5]
    ledger.check_answers()
    tally.add(inputs=seen["inputs"])
    tally.note(
        f"web form: {seen['handled']} handled, {seen['rejected']} rejected ({_statuses(seen)}); {stored} answers, all valid"
    )


@pytest.mark.parametrize("field", ["ErrorCode", "MessageSid"])
def test_a_status_callback_with_an_overlong_field_is_answered_200(
    client: FlaskClient, runtime: Runtime, field: str
) -> None:
    """Found by the fuzzer: an ErrorCode longer than its column (32), or a MessageSid longer than any
    provider id we store (64), failed the callback with 500 on PostgreSQL."""
    form = {"AccountSid": TWILIO_SID, "MessageSid": "SM" + "1" * 32, "MessageStatus": "undelivered"}
    form |= {"To": "+32470000001", "ErrorCode": "30003", field: "SM" + "3" * 200}
    headers = {SIGNATURE_HEADER: sign(TWILIO_TOKEN, PUBLIC_BASE_URL + STATUS_PATH, form.items())}
    assert client.post(STATUS_PATH, data=form, headers=headers).status_code == 200


def test_an_update_whose_chat_id_is_not_a_number_is_ignored(
    client: FlaskClient, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the fuzzer: a chat id that was not an integer became an identity, then failed the reply."""
    make_campaign(runtime)
    update = json.loads(
        json.dumps(RECORDED[[p.stem for p in sorted(TELEGRAM_DATA.glob("*.json"))].index("text")])
    )
    update["message"]["chat"]["id"] = {"not": "a number"}
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    assert client.post(TELEGRAM_PATH, json=update, headers=headers).status_code == 200
    assert not _exceptions(caplog)
    assert Ledger(runtime).counts() == (0, 0)
