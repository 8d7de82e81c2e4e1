"""The webhook: the secret token, updates we can't use, commands, and taps that come too late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bots.telegram.callbacks import DATA_LIMIT
from questionnaires.loader import load_text
from service.accounts import create_organization
from service.campaigns import change_status, create_campaign
from service.definitions import register_version
from service.models import Campaign, Conversation, InboundMessage, OptOut
from service.runtime import Runtime
from tests.e2e.telegram.conftest import (
    SECRET,
    Person,
    answers,
    conversations,
    recorded,
)
from tests.fakes.telegram_api import FakeTelegram

HELP_FR = (
    "Répondez par le numéro ou le texte demandé. RETOUR : question précédente. "
    "FR, NL, EN : langue. STOP : ne plus recevoir de messages."
)


def ledger_size(runtime: Runtime) -> int:
    with runtime.transaction() as session:
        return int(session.scalar(select(func.count(InboundMessage.id))) or 0)


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET.upper()])
def test_a_wrong_or_missing_secret_token_is_refused(
    runtime: Runtime, beneficiaries: Campaign, amina: Person, secret: str | None
) -> None:
    response = amina.post(amina.message_update(f"/start {beneficiaries.code}"), secret=secret)
    assert response.status_code == 403
    assert amina.api.calls == []
    assert ledger_size(runtime) == 0 and conversations(runtime) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b"[1, 2, 3]",
        b"{}",
        b'{"update_id": "734590120"}',
        b'{"update_id": 734590120, "message": {"text": "hello"}}',
        b'{"update_id": 734590121, "message": "hello"}',
    ],
)
def test_a_malformed_body_is_answered_200_and_nothing_else(
    runtime: Runtime, client: Any, body: bytes
) -> None:
    response = client.post(
        "/webhooks/telegram",
        data=body,
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert response.status_code == 200
    assert ledger_size(runtime) == 0


@pytest.mark.parametrize("name", ["group_message", "channel_post", "inline_query", "my_chat_member_restored"])
def test_updates_we_do_not_use_are_answered_200_and_left_alone(
    runtime: Runtime, beneficiaries: Campaign, amina: Person, name: str
) -> None:
    assert amina.deliver(recorded(name)) == []
    assert ledger_size(runtime) == 0 and conversations(runtime) == []


def test_a_sticker_is_answered_like_help_and_an_edit_with_a_short_note_once(
    runtime: Runtime, beneficiaries: Campaign, amina: Person
) -> None:
    sticker = recorded("sticker")
    sticker["message"]["chat"], sticker["message"]["from"] = amina.chat, amina.user
    assert amina.deliver(sticker) == [("sendMessage", HELP_FR, None)]

    amina.send(f"/start {beneficiaries.code}")
    amina.tap("Oui")
    voice = recorded("voice")
    voice["message"]["chat"], voice["message"]["from"] = amina.chat, amina.user
    (reply,) = amina.deliver(voice)
    assert reply[1] == f"{HELP_FR}\n\n(1/10) Votre qualité de vie a-t-elle changé en raison de Atelier ?"

    edited = recorded("edited_message")
    edited["edited_message"]["chat"], edited["edited_message"]["from"] = amina.chat, amina.user
    note = ("sendMessage", "Je ne relis pas les messages modifiés : envoyez un nouveau message.", None)
    assert amina.deliver(edited) == [note]
    assert amina.deliver(edited) == []
    assert answers(runtime) == {}


def test_a_bare_start_asks_for_the_code_and_a_typed_code_opens_the_campaign(
    runtime: Runtime, beneficiaries: Campaign, client: Any, telegram_api: FakeTelegram, amina: Person
) -> None:
    joost = Person(client, telegram_api, 5873310452, "Joost", "nl")
    assert joost.send("/start") == [
        (
            "sendMessage",
            "Hallo! Open uw uitnodigingslink of stuur de code van de vragenlijst om te antwoorden.",
            None,
        )
    ]
    (opened,) = joost.send(beneficiaries.code.lower())
    assert opened[1].startswith("Hallo! Atelier wil graag uw mening in een paar korte vragen.")
    assert opened[2] == [[("Ja", "a:__consent__:yes"), ("Nee", "a:__consent__:no")]]
    # Mid-conversation, /start shows how to answer and the question again.
    (again,) = joost.send("/start")
    assert again[1].startswith("Antwoord met het nummer of de gevraagde tekst.")
    assert again[1].endswith("Wilt u antwoorden?")
    assert conversations(runtime) == [("telegram", "nl", "in_progress")]


def test_stop_opts_out_and_start_opts_back_in(
    runtime: Runtime, beneficiaries: Campaign, amina: Person
) -> None:
    amina.send(f"/start {beneficiaries.code}")
    amina.tap("Oui")
    assert amina.send("/stop") == [
        (
            "sendMessage",
            "C'est noté, vous ne recevrez plus de messages de Atelier. Envoyez START pour revenir.",
            None,
        )
    ]
    assert conversations(runtime) == [("telegram", "fr", "opted_out")]
    with runtime.transaction() as session:
        assert session.scalars(select(OptOut.source).where(OptOut.opted_in_at.is_(None))).all() == ["keyword"]
    # Telegram's own "Start" button sends a bare /start: it opts back in.
    assert amina.send("/start") == [
        ("sendMessage", "C'est noté, vous pouvez à nouveau recevoir les messages de Atelier.", None)
    ]
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(OptOut.id)).where(OptOut.opted_in_at.is_(None))) == 0


def test_restart_where_the_campaign_allows_it_and_not_elsewhere(
    runtime: Runtime, beneficiaries: Campaign, insertion_workers: Campaign, amina: Person
) -> None:
    amina.send(f"/start {beneficiaries.code}")
    amina.tap("Oui")
    (refused,) = amina.send("/restart")
    assert refused[1] == (
        "Impossible de recommencer ce questionnaire.\n\n"
        "(1/10) Votre qualité de vie a-t-elle changé en raison de Atelier ?"
    )

    amina.send(f"/start {insertion_workers.code}")
    amina.tap("Oui")
    amina.tap("Toujours chez Atelier")
    (restarted,) = amina.send("/restart")
    assert restarted[1].startswith("Bonjour ! Atelier aimerait votre avis sur votre parcours")
    with runtime.transaction() as session:
        attempts = session.execute(
            select(Conversation.campaign_id, Conversation.attempt, Conversation.status).order_by(
                Conversation.id
            )
        ).all()
    assert [tuple(row) for row in attempts] == [
        (beneficiaries.id, 1, "in_progress"),
        (insertion_workers.id, 1, "expired"),
        (insertion_workers.id, 2, "in_progress"),
    ]


def test_help_and_back_commands_mid_conversation(
    runtime: Runtime, beneficiaries: Campaign, amina: Person
) -> None:
    amina.send(f"/start {beneficiaries.code}")
    amina.tap("Oui")
    amina.tap("Inchangée")  # A2 is only asked when something changed
    (helped,) = amina.send("/help")
    assert helped[1] == f"{HELP_FR}\n\n(2/9) Avant Atelier, aviez-vous accès à un service comme celui-ci ?"
    (back,) = amina.send("/back")
    assert back[1] == "(1/9) Votre qualité de vie a-t-elle changé en raison de Atelier ?"
    assert back[2][2] == [("✅ Inchangée", "a:A1:3")]
    assert answers(runtime) == {"A1": "3"}


def test_late_taps_are_outdated_and_store_nothing(
    runtime: Runtime, beneficiaries: Campaign, amina: Person
) -> None:
    amina.send(f"/start {beneficiaries.code}")
    amina.tap("Oui")
    amina.tap("Un peu améliorée")
    a2 = amina.last_message_id()
    amina.send("Plus de contacts")  # A2 typed: its keyboard (back, skip) stays
    # "Back" on A2's keyboard while A3 is asked would go back from A3: it is outdated instead.
    assert amina.tap("↩ Retour", a2) == [
        ("answerCallbackQuery", "Cette question a déjà une réponse."),
        ("editMessageReplyMarkup", a2, None),
    ]
    # A button from a version of the bot that wrote other data, and a message Telegram no longer shows.
    for name in ("callback_foreign_data", "callback_inaccessible"):
        late = recorded(name)
        late["callback_query"]["message"]["chat"], late["callback_query"]["from"] = amina.chat, amina.user
        message_id = late["callback_query"]["message"]["message_id"]
        assert amina.deliver(late) == [
            ("answerCallbackQuery", "Cette question a déjà une réponse."),
            ("editMessageReplyMarkup", message_id, None),
        ]
    assert answers(runtime) == {"A1": "2", "A2": "Plus de contacts"}
    with runtime.transaction() as session:
        assert session.scalar(select(Conversation.current_question)) == "A3"


def test_a_tap_after_the_conversation_ended_is_outdated(
    runtime: Runtime, insertion_workers: Campaign, amina: Person
) -> None:
    amina.send(f"/start {insertion_workers.code}")
    amina.tap("Oui")
    b1 = amina.last_message_id()
    amina.send("2")  # typed: B1's keyboard stays
    amina.send("/stop")
    assert amina.tap("Formation", b1) == [
        ("answerCallbackQuery", "Cette question a déjà une réponse."),
        ("editMessageReplyMarkup", b1, None),
    ]
    assert answers(runtime) == {"B1": "2"}
    assert conversations(runtime) == [("telegram", "fr", "opted_out")]


LONG_ID = "q" + "x" * 70
LONG_DEFINITION = f"""
id: long-ids
version: 1
title: {{fr: Long, nl: Lang, en: Long}}
languages: [fr, nl, en]
default_language: fr
consent:
  version: "1"
  text: {{fr: "On commence ?", nl: "Beginnen?", en: "Shall we start?"}}
questions:
  - id: {LONG_ID}
    type: single_choice
    text: {{fr: "Un choix ?", nl: "Een keuze?", en: "A choice?"}}
    choices:
      - {{code: "premier_choix_au_code_particulierement_long", label: {{fr: Premier, nl: Eerste, en: First}}}}
      - {{code: "second", label: {{fr: Second, nl: Tweede, en: Second}}}}
  - id: fin
    type: text
    text: {{fr: "Un mot ?", nl: "Een woord?", en: "A word?"}}
"""


def test_question_ids_too_long_for_callback_data_are_hashed_and_read_back(
    runtime: Runtime, amina: Person
) -> None:
    with runtime.transaction() as session:
        organization = create_organization(session, "longs", name="Longs", short_name="Atelier")
        version = register_version(session, organization, load_text(LONG_DEFINITION), source="yaml")
        campaign = create_campaign(session, organization, version, name="Long", channels=["telegram"])
        change_status(session, campaign, "start", now=datetime.now(UTC) - timedelta(days=1))
        code = campaign.code
    amina.send(f"/start {code}")
    (_, _, question) = amina.tap("Oui")
    datas = [data for row in question[2] for _, data in row]
    assert all(len(data.encode()) <= DATA_LIMIT and data.startswith("h:") for data in datas)
    (_, edit, following) = amina.tap("Premier")
    assert edit[2] == "(1/2) Un choix ?\n\n✅ Premier"
    assert following[1] == "(2/2) Un mot ?"
    assert answers(runtime) == {LONG_ID: "premier_choix_au_code_particulierement_long"}
