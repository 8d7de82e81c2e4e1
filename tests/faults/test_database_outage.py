"""PostgreSQL gone for a moment: requests fail cleanly, then everything works again without a restart.

The app reaches its database through a TCP proxy of the test's own (``tcp_proxy.py``), which the test
cuts (every connection dropped, new ones refused) and restores; or the test terminates the database's
backends from an admin connection (``pg_terminate_backend``, on this test database only). During the
outage a webhook is answered 503 with Retry-After, so that Twilio and Telegram deliver it again, and a
person gets a page saying the service is briefly unavailable (503), never a traceback. Afterwards the
pool replaces its dead connections (pre-ping) and the redelivered requests are handled: every answer
acknowledged before, during or after the outage is stored, once.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial

import pytest
import requests
from sqlalchemy import create_engine, make_url, text

from service.api_tokens import create_token
from service.models import Organization
from service.runtime import Runtime
from service.settings import Settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.faults.live_server import at_once
from tests.faults.respondents import (
    QUESTIONS,
    STATUS_PATH,
    Browser,
    Chat,
    Phone,
    answers_by_message,
    asked,
    channel_env,
    make_campaign,
    status_form,
    twiml_texts,
)
from tests.faults.tally import Tally
from tests.faults.tcp_proxy import CuttableProxy
from tests.support.databases import postgres_admin_url

AREA = "PostgreSQL outage"
SEED = 5432

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[CuttableProxy]:
    url = make_url(postgres_url)
    cuttable = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    yield cuttable
    cuttable.stop()


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings],
    postgres_url: str,
    proxy: CuttableProxy,
    twilio_api: FakeTwilio,
    telegram_api: FakeTelegram,
) -> Settings:
    """The test database, reached through the proxy."""
    through = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
    return make_settings(
        DATABASE_URL=through.render_as_string(hide_password=False),
        **channel_env(twilio_api.url, telegram_api.api_base),
    )


def _api_token(runtime: Runtime) -> str:
    with runtime.transaction() as session:
        organization = session.query(Organization).filter_by(slug="atelier").one()
        return create_token(session, organization, "faults")[1]


def _assert_unavailable(response: requests.Response, *, page: bool = False) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers.get("Retry-After"), "a 503 says when to come back"
    if page:
        assert response.headers["Content-Type"].startswith("text/html")
        assert "Traceback" not in response.text


def test_a_cut_database_is_answered_503_everywhere_then_recovers_without_a_restart(
    runtime: Runtime,
    server: str,
    proxy: CuttableProxy,
    telegram_api: FakeTelegram,
    tally: Tally,
) -> None:
    campaign = make_campaign(runtime)
    token = _api_token(runtime)
    phone, chat, browser = Phone(server), Chat(server, 6_124_538_790), Browser(server, campaign.code)
    telegram_api.add_chat(chat.chat_id, chat.first_name, chat.language_code)
    http = requests.Session()
    try:
        phone.send(http, "POULS")
        phone.send(http, "oui")
        assert chat.post(http, chat.text_update(f"/start {campaign.code}")).status_code == 200
        assert (
            chat.post(http, chat.tap_update(telegram_api.last_message(chat.chat_id), "Oui")).status_code
            == 200
        )
        browser.open()
        assert browser.post_with(http, browser.form()).status_code == 303
        browser.open()

        sms = phone.form("2")
        update = chat.text_update("2")
        web = browser.form("2")
        proxy.cut()
        tally.add(outages=1)
        unavailable = [
            phone.post(http, sms),
            phone.post(http, sms),  # Twilio's retry, still during the outage
            phone.post(http, status_form("SM" + "0" * 32, phone.number, "delivered"), path=STATUS_PATH),
            chat.post(http, update),
            http.get(f"{server}/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"}),
        ]
        for response in unavailable:
            _assert_unavailable(response)
        assert http.get(f"{server}/healthz").status_code == 503
        people = [browser.http.get(browser.url), browser.post_with(http, web)]
        for response in people:
            _assert_unavailable(response, page=True)
        tally.add(inputs=len(unavailable) + len(people) + 1, refused=len(unavailable) + len(people) + 1)

        proxy.restore()
        again = phone.post(http, sms)  # the provider's next retry
        assert again.status_code == 200
        assert asked("\n".join(twiml_texts(again.content))) == "calm"
        assert chat.post(http, update).status_code == 200
        assert browser.post_with(http, web).status_code == 303
        assert asked(browser.open()) == "calm"
        assert http.get(f"{server}/healthz").status_code == 200
        assert http.get(f"{server}/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"}).ok
        tally.add(inputs=6)
    finally:
        http.close()
        browser.close()
    for channel, external_id in (
        ("sms", sms["MessageSid"]),
        ("telegram", str(update["update_id"])),
        ("web", web["sid"]),
    ):
        carried = answers_by_message(runtime, channel)[external_id]
        assert [question for _, question, _ in carried] == ["better"], channel
    tally.add(answers_acknowledged=3, answers_stored=3, answers_lost=0)


def _answer_until_acknowledged(
    http: requests.Session, *, phone: Phone, body: str, refused: list[int]
) -> tuple[str, list[str]]:
    """Post one message the way Twilio does: again (same MessageSid) after each 503, until answered."""
    form = phone.form(body)
    for _ in range(200):
        response = phone.post(http, form)
        if response.status_code == 200:
            return form["MessageSid"], twiml_texts(response.content)
        assert response.status_code == 503, (response.status_code, response.text[:300])
        refused.append(1)
        time.sleep(0.05)
    raise AssertionError("never answered after the outage")


def test_cuts_during_bursts_of_answers_lose_no_acknowledged_answer(
    runtime: Runtime, server: str, proxy: CuttableProxy, tally: Tally
) -> None:
    make_campaign(runtime)
    rng = random.Random(SEED)
    phones = [Phone(server) for _ in range(12)]
    with requests.Session() as http:
        for phone in phones:
            phone.send(http, "POULS")
            phone.send(http, "oui")
    bodies = {"better": "2", "calm": "4", "member": "oui", "recommend": "9"}
    refused: list[int] = []
    empty_replies = 0
    for question in QUESTIONS:
        cutter = threading.Timer(rng.uniform(0.0, 0.15), proxy.cut)
        restorer = threading.Timer(rng.uniform(0.3, 0.6), proxy.restore)
        cutter.start()
        restorer.start()
        results = at_once(
            [
                partial(_answer_until_acknowledged, phone=phone, body=bodies[question], refused=refused)
                for phone in phones
            ]
        )
        cutter.join()
        restorer.join()
        proxy.restore()
        tally.add(outages=1, inputs=len(phones))
        carried = answers_by_message(runtime, "sms")
        for sid, texts in results:
            answers = carried.get(sid, [])
            assert [q for _, q, _ in answers] == [question], "an acknowledged message has no answer"
            if not texts:
                # Committed, but the connection broke before the app heard so: answered 503, and the
                # redelivery was a duplicate. Stored; the person's next message gets the question again.
                empty_replies += 1
    carried = answers_by_message(runtime, "sms")
    stored = sum(len(a) for a in carried.values())
    assert stored == len(phones) * len(QUESTIONS)
    tally.add(
        refused=len(refused),
        duplicates=len(refused),
        answers_acknowledged=len(phones) * len(QUESTIONS),
        answers_stored=stored,
        answers_lost=len(phones) * len(QUESTIONS) - stored,
    )
    tally.note(f"{len(refused)} webhooks answered 503 during the cuts and delivered again, all handled")
    if empty_replies:
        tally.note(f"{empty_replies} answers committed as the link broke: stored, the reply was not sent")


def _terminate_backends(database: str) -> int:
    """End every backend of ``database`` (this test's own; never another database's connections)."""
    admin_url = postgres_admin_url()
    assert admin_url is not None
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :database AND pid <> pg_backend_pid()"
                    ),
                    {"database": database},
                ).all()
            )
    finally:
        admin.dispose()


def test_terminated_connections_are_replaced_without_a_restart(
    runtime: Runtime, server: str, postgres_url: str, tally: Tally
) -> None:
    make_campaign(runtime)
    database = make_url(postgres_url).database
    assert database and database.startswith("vises_test_")
    phones = [Phone(server) for _ in range(8)]
    with requests.Session() as http:
        for phone in phones:
            phone.send(http, "POULS")
        terminated = _terminate_backends(database)
        assert terminated >= 1  # the pool's idle connections
        tally.add(outages=1)
        # Pre-ping finds the dead connections and opens new ones: nobody notices.
        for phone in phones:
            assert asked("\n".join(phone.send(http, "oui"))) == "better"
        tally.add(inputs=2 * len(phones))
    refused: list[int] = []
    killer = threading.Timer(0.05, _terminate_backends, args=(database,))
    killer.start()
    results = at_once(
        [partial(_answer_until_acknowledged, phone=phone, body="2", refused=refused) for phone in phones]
    )
    killer.join()
    carried = answers_by_message(runtime, "sms")
    for sid, _ in results:
        assert [q for _, q, _ in carried.get(sid, [])] == ["better"]
    tally.add(outages=1, inputs=len(phones) + len(refused), refused=len(refused), duplicates=len(refused))
    tally.add(answers_acknowledged=len(phones), answers_stored=len(phones), answers_lost=0)
