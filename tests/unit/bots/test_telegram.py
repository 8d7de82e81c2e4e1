"""The Telegram adapter's pure parts: recorded updates read, callback data, replies rendered, errors mapped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bots.base import Outgoing
from bots.telegram import (
    AnswerTap,
    EditText,
    Ignored,
    RemoveKeyboard,
    SendText,
    outgoing_messages,
    parse_update,
    reply_calls,
    send_error,
)
from bots.telegram.callbacks import (
    DATA_LIMIT,
    TapData,
    TapKind,
    answer_data,
    back_data,
    digest,
    language_data,
    read,
    resolve,
)
from bots.telegram.replies import TEXT_LIMIT, question_keyboard, question_text, scale_rows
from questionnaires.keywords import Command, Keyword
from questionnaires.loader import load_text
from questionnaires.turns import AnswerReply, Option, Prompt

DATA = Path(__file__).parents[2] / "data" / "telegram"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
AMINA = 6124538790


def recorded(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text())  # type: ignore[no-any-return]


def parsed(name: str) -> Any:
    return parse_update(recorded(name), received_at=NOW)


def keyboard(prompt: Prompt, language: str = "fr") -> list[list[tuple[str, str]]] | None:
    markup = question_keyboard(prompt, language)
    if markup is None:
        return None
    return [[(b.text, str(b.callback_data)) for b in row] for row in markup.inline_keyboard]


# --- reading updates ------------------------------------------------------------------------------------


def test_a_deep_link_opens_a_campaign_in_the_person_s_language() -> None:
    update = parsed("start_campaign")
    assert (update.update_id, update.chat_id, update.ignored) == (734590120, AMINA, None)
    inbound = update.inbound
    assert inbound.channel == "telegram" and inbound.address == str(AMINA)
    assert inbound.external_id == "734590120/m17"
    assert (inbound.campaign_code, inbound.link_token, inbound.text, inbound.command) == (
        "K7RMXP2Q",
        None,
        None,
        None,
    )
    assert inbound.language_hint == "fr" and inbound.received_at == NOW


def test_a_long_start_payload_is_a_personal_link_token() -> None:
    update = parsed("start_personal_link")
    assert update.inbound.link_token == "dG9rZW4tZm9yLXNhbS0wMTIzNDU2Nzg5YWJj"
    assert update.inbound.campaign_code is None
    assert update.language_hint == "en"  # "en-GB"


def test_a_bare_start_is_marked_and_asks_for_help_until_the_service_knows_more() -> None:
    update = parsed("start_bare")
    assert update.bare_start and update.inbound.command == Keyword(Command.HELP)
    assert update.language_hint == "nl"


@pytest.mark.parametrize(
    ("name", "keyword", "picker"),
    [
        ("command_stop", Keyword(Command.STOP), False),
        ("command_help", Keyword(Command.HELP), False),
        ("command_back", Keyword(Command.BACK), False),
        ("command_restart", Keyword(Command.RESTART), False),
        ("command_language", Keyword(Command.LANGUAGE), True),
        ("command_language_argument", Keyword(Command.LANGUAGE, "nl"), False),
        ("command_unknown", Keyword(Command.HELP), False),
        ("command_addressed", Keyword(Command.HELP), False),
    ],
)
def test_commands(name: str, keyword: Keyword, picker: bool) -> None:
    update = parsed(name)
    assert update.inbound.command == keyword
    assert update.inbound.text is None
    assert update.wants_language_picker is picker


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("/delete", Keyword(Command.DELETE, "en")),
        ("/mydata", Keyword(Command.ACCESS)),
        ("/my_data", Keyword(Command.ACCESS, "en")),
        ("/mes_donnees", Keyword(Command.ACCESS, "fr")),
        ("/aide", Keyword(Command.HELP, "fr")),
        ("/fr", Keyword(Command.LANGUAGE, "fr")),
        ("/Stop", Keyword(Command.STOP)),
    ],
)
def test_other_commands_are_read_as_the_keywords_they_spell(text: str, keyword: Keyword) -> None:
    payload = recorded("command_help")
    payload["message"]["text"] = text
    payload["message"]["entities"][0]["length"] = len(text)
    assert parse_update(payload, received_at=NOW).inbound.command == keyword


def test_text_is_left_for_the_service_to_read() -> None:
    update = parsed("text")
    assert update.inbound.text == "Plus de contacts avec mes voisins"
    assert update.inbound.command is None and update.tap is None


@pytest.mark.parametrize("name", ["sticker", "voice", "photo_with_caption"])
def test_what_has_no_text_is_answered_like_help(name: str) -> None:
    update = parsed(name)
    assert update.unsupported and update.inbound.command == Keyword(Command.HELP)
    assert update.kind == "unsupported"


def test_a_tap_answers_the_question_named_in_its_data() -> None:
    update = parsed("callback_answer")
    assert update.inbound.answer == AnswerReply("A1", "2")
    assert update.inbound.external_id == "734590140/q2630384977845612831"
    tap = update.tap
    assert (tap.query_id, tap.message_id, tap.button_label) == (
        "2630384977845612831",
        1002,
        "Un peu améliorée",
    )
    assert tap.message_text == "(1/10) Votre qualité de vie a-t-elle changé en raison de Atelier ?"
    assert update.kind == "tap:a"


def test_back_and_language_taps() -> None:
    back = parsed("callback_back")
    assert back.inbound.back and back.tap.data == TapData(TapKind.BACK, "A3")
    language = parsed("callback_language")
    assert language.inbound.command == Keyword(Command.LANGUAGE, "nl")
    assert language.tap.button_label == "Nederlands"


def test_a_tap_on_a_message_telegram_no_longer_shows() -> None:
    update = parsed("callback_inaccessible")
    assert update.tap.message_text is None and update.tap.message_id == 981
    assert update.inbound.answer == AnswerReply("A1", "2")


def test_data_in_no_format_of_ours_gives_a_tap_without_a_message() -> None:
    update = parsed("callback_foreign_data")
    assert update.tap is not None and update.tap.data is None and update.inbound is None


def test_hashed_ids_stay_marked_until_resolved() -> None:
    update = parsed("callback_hashed")
    assert update.tap.data.hashed
    assert update.inbound.answer == AnswerReply("#AAAAAAAAAAA", "#BBBBBBBBBBB")


def test_blocking_the_bot() -> None:
    update = parsed("my_chat_member_kicked")
    assert update.blocked and update.chat_id == AMINA and update.inbound is None
    assert parsed("my_chat_member_restored").ignored is Ignored.NOT_FOR_US


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("edited_message", Ignored.EDITED),
        ("group_message", Ignored.NOT_PRIVATE),
        ("channel_post", Ignored.NOT_PRIVATE),
        ("inline_query", Ignored.NOT_FOR_US),
    ],
)
def test_updates_we_do_not_converse_with(name: str, reason: Ignored) -> None:
    update = parsed(name)
    assert update.ignored is reason and update.inbound is None
    assert (update.chat_id is not None) == (reason is Ignored.EDITED)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "update",
        [1, 2],
        {},
        {"update_id": "734590120"},
        {"update_id": True},
        {"update_id": 1, "message": {"text": "no chat, no date"}},
        {"update_id": 1, "message": "text"},
        {"update_id": 1, "callback_query": {"id": "1"}},
    ],
)
def test_malformed_payloads(payload: Any) -> None:
    assert parse_update(payload, received_at=NOW).ignored is Ignored.MALFORMED


# --- callback data --------------------------------------------------------------------------------------


def test_callback_data_round_trips() -> None:
    assert read(answer_data("A1", "2")) == TapData(TapKind.ANSWER, "A1", "2")
    assert read(answer_data("q", "code:with:colons")) == TapData(TapKind.ANSWER, "q", "code:with:colons")
    assert read(back_data("B10")) == TapData(TapKind.BACK, "B10")
    assert read(language_data("en")) == TapData(TapKind.LANGUAGE, value="en")
    for foreign in (None, "", "vote:42", "a:", "a:A1", "b:", "l:", "x:y:z"):
        assert read(foreign) is None


LONG = """
id: long
version: 1
title: {fr: L, nl: L, en: L}
languages: [fr, nl, en]
default_language: fr
consent: {version: "1", text: {fr: "Oui ?", nl: "Ja?", en: "Yes?"}}
questions:
  - id: une_question_dont_l_identifiant_est_bien_trop_long_pour_un_bouton_telegram
    type: single_choice
    text: {fr: "Choix ?", nl: "Keuze?", en: "Choice?"}
    choices:
      - {code: "un_code_de_choix_lui_aussi_plutot_long", label: {fr: Un, nl: Een, en: One}}
      - {code: "deux", label: {fr: Deux, nl: Twee, en: Two}}
  - id: note
    type: scale
    min: 1
    max: 5
    text: {fr: "Note ?", nl: "Cijfer?", en: "Score?"}
"""


def test_ids_too_long_for_64_bytes_are_hashed_and_resolved_against_the_questionnaire() -> None:
    questionnaire = load_text(LONG)
    question = questionnaire.questions[0].id
    data = answer_data(question, "deux")
    assert len(data.encode()) <= DATA_LIMIT and data.startswith("h:")
    tap = read(data)
    assert tap is not None and tap.hashed
    assert resolve(tap, questionnaire) == TapData(TapKind.ANSWER, question, "deux")
    back = read(back_data(question))
    assert back is not None and resolve(back, questionnaire) == TapData(TapKind.BACK, question)
    # A value that is no choice, or a question of another questionnaire, stays hashed: outdated.
    stranger = TapData(TapKind.ANSWER, digest(question), digest("trois"), hashed=True)
    assert resolve(stranger, questionnaire) == stranger
    assert resolve(
        TapData(TapKind.ANSWER, digest("other"), digest("deux"), hashed=True), questionnaire
    ).hashed
    # A plain tap is left as it is.
    assert resolve(TapData(TapKind.ANSWER, "note", "3"), questionnaire) == TapData(
        TapKind.ANSWER, "note", "3"
    )


def test_a_non_ascii_code_counts_in_bytes() -> None:
    assert answer_data("q", "é" * 30) == "a:q:" + "é" * 30  # 64 bytes: fits
    data = answer_data("q", "é" * 31)  # 35 characters, but 66 bytes
    assert len(data.encode()) <= DATA_LIMIT and data.startswith("h:")


# --- rendering ------------------------------------------------------------------------------------------

CONSENT = Prompt(
    "__consent__", "consent", "On commence ?", options=(Option("1", "yes", "Oui"), Option("2", "no", "Non"))
)
CHOICE = Prompt(
    "B3",
    "single_choice",
    "Un certificat ?",
    options=(Option("1", "1", "Oui"), Option("2", "2", "En cours"), Option("3", "3", "Non")),
    number=3,
    total=10,
    can_go_back=True,
)


def test_consent_and_short_choices_fit_one_row_long_ones_one_per_row() -> None:
    assert keyboard(CONSENT) == [[("Oui", "a:__consent__:yes"), ("Non", "a:__consent__:no")]]
    assert keyboard(CHOICE, "nl") == [
        [("Oui", "a:B3:1"), ("En cours", "a:B3:2"), ("Non", "a:B3:3")],
        [("↩ Terug", "b:B3")],
    ]
    long_labels = Prompt(
        "B4",
        "single_choice",
        "?",
        options=(Option("1", "1", "Tout à fait d'accord"), Option("2", "2", "D'accord")),
        required=False,
    )
    assert keyboard(long_labels, "en") == [
        [("Tout à fait d'accord", "a:B4:1")],
        [("D'accord", "a:B4:2")],
        [("Skip", "a:B4:-")],
    ]


@pytest.mark.parametrize(
    ("count", "rows"),
    [(2, [2]), (5, [5]), (6, [6]), (7, [4, 3]), (11, [6, 5]), (12, [6, 6]), (13, [6, 6, 1]), (30, [6] * 5)],
)
def test_scale_rows_fit_a_phone(count: int, rows: list[int]) -> None:
    assert scale_rows(count) == rows
    assert sum(rows) == count and max(rows) <= 6


def test_a_0_to_10_scale_is_six_then_five_with_the_current_answer_marked() -> None:
    prompt = Prompt("A5", "scale", "De 0 à 10 ?", minimum=0, maximum=10, current_answer=7, can_go_back=True)
    rows = keyboard(prompt)
    assert rows is not None
    assert [len(row) for row in rows] == [6, 5, 1]
    assert rows[1][1] == ("✅ 7", "a:A5:7")
    assert rows[2] == [("↩ Retour", "b:A5")]


def test_typed_answers_get_a_hint_and_only_back_or_skip_buttons() -> None:
    wide = Prompt("age", "scale", "Âge ?", minimum=0, maximum=120)
    assert keyboard(wide) is None
    assert question_text(wide, "fr") == "Âge ?\n(Répondez par un nombre de 0 à 120.)"
    number = Prompt("km", "number", "Distance ?", required=False, minimum=0.5, maximum=2.5)
    assert question_text(number, "nl") == "Distance ?\n(Antwoord met een getal van 0,5 tot 2,5.)"
    assert keyboard(number, "nl") == [[("Overslaan", "a:km:-")]]
    assert keyboard(Prompt("why", "text", "Pourquoi ?")) is None


def test_a_multiple_choice_is_typed_from_numbered_lines() -> None:
    prompt = Prompt(
        "M1",
        "multiple_choice",
        "Quels services ?",
        options=(Option("1", "food", "Colis"), Option("2", "cafe", "Café"), Option("3", "ride", "Transport")),
        hint="Plusieurs réponses possibles",
        number=2,
        total=4,
    )
    assert question_text(prompt, "fr") == (
        "(2/4) Quels services ?\n1. Colis\n2. Café\n3. Transport\n(Plusieurs réponses possibles, ex. 1 3)"
    )
    assert keyboard(prompt) is None


def test_texts_and_the_question_go_in_one_message_split_only_past_4096_characters() -> None:
    (single,) = outgoing_messages(Outgoing("fr", texts=("Bonjour !", " "), prompt=CONSENT))
    assert single.text == "Bonjour !\n\nOn commence ?" and single.keyboard is not None
    long_text = "\n".join(["x" * 99] * 60)
    messages = outgoing_messages(Outgoing("fr", texts=(long_text,), prompt=CONSENT))
    assert len(messages) == 2
    assert all(len(m.text) <= TEXT_LIMIT for m in messages)
    assert messages[0].keyboard is None and messages[1].keyboard is not None
    assert outgoing_messages(Outgoing("fr")) == []


def _tap_update(name: str) -> Any:
    return parsed(name)


def test_a_recorded_answer_is_shown_on_its_question_message() -> None:
    update = _tap_update("callback_answer")
    outgoing = Outgoing("fr", prompt=CHOICE, acknowledged_question="A1", acknowledged="Un peu améliorée")
    calls = reply_calls(update, outgoing)
    assert calls[:2] == [
        AnswerTap("2630384977845612831"),
        EditText(
            1002, "(1/10) Votre qualité de vie a-t-elle changé en raison de Atelier ?\n\n✅ Un peu améliorée"
        ),
    ]
    assert isinstance(calls[2], SendText) and calls[2].text.startswith("(3/10) Un certificat ?")


def test_a_refused_tap_keeps_the_question_and_says_why() -> None:
    update = _tap_update("callback_answer")
    a1 = Prompt("A1", "single_choice", "Qualité ?", options=(Option("1", "1", "Oui"),))
    outgoing = Outgoing("fr", texts=("Cette réponse n'est pas possible, réessayez.",), prompt=a1)
    calls = reply_calls(update, outgoing)
    assert calls[:2] == [AnswerTap("2630384977845612831"), RemoveKeyboard(1002)]
    assert isinstance(calls[2], SendText)
    assert calls[2].text == "Cette réponse n'est pas possible, réessayez.\n\nQualité ?"
    paused = reply_calls(update, Outgoing("fr", texts=("En pause.",)))
    assert paused == [AnswerTap("2630384977845612831"), SendText("En pause.")]


def test_an_outdated_tap_gets_a_note_and_loses_its_keyboard() -> None:
    update = _tap_update("callback_answer")
    calls = reply_calls(update, Outgoing("nl", prompt=CHOICE, outdated=True))
    assert calls == [AnswerTap("2630384977845612831", "Deze vraag is al beantwoord."), RemoveKeyboard(1002)]


def test_the_language_picker_replaces_the_question_until_a_language_is_picked() -> None:
    update = parsed("command_language")
    outgoing = Outgoing("fr", texts=("Choisissez la langue : FR, NL ou EN.",), prompt=CHOICE)
    (picker,) = reply_calls(update, outgoing)
    assert isinstance(picker, SendText) and picker.text == "Choisissez la langue : FR, NL ou EN."
    assert picker.keyboard is not None
    assert [[(b.text, b.callback_data) for b in row] for row in picker.keyboard.inline_keyboard] == [
        [("Français", "l:fr"), ("Nederlands", "l:nl"), ("English", "l:en")]
    ]
    picked = reply_calls(
        parsed("callback_language"), Outgoing("nl", texts=("We gaan verder.",), prompt=CHOICE)
    )
    assert picked[1] == EditText(1005, "Choisissez la langue : FR, NL ou EN.\n\n✅ Nederlands")


def test_a_bare_start_without_anything_to_answer_asks_for_the_code() -> None:
    update = parsed("start_bare")
    (ask,) = reply_calls(update, Outgoing("nl", texts=("Antwoord met het nummer...",)))
    assert ask == SendText(
        "Hallo! Open uw uitnodigingslink of stuur de code van de vragenlijst om te antwoorden."
    )
    resumed = reply_calls(update, Outgoing("nl", texts=("Hulp.",), prompt=CHOICE))
    assert isinstance(resumed[0], SendText) and resumed[0].text.startswith("Hulp.\n\n(3/10)")


# --- errors ---------------------------------------------------------------------------------------------


@pytest.fixture
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns when it hands out an int duration unless the caller opted in to timedelta, as we do."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.mark.usefixtures("_timedelta_periods")
@pytest.mark.parametrize(
    ("exc", "permanent", "code", "opted_out"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), True, "blocked", True),
        (Forbidden("Forbidden: user is deactivated"), True, "deactivated", False),
        (Forbidden("Forbidden: bot can't initiate conversation with a user"), True, "forbidden", False),
        (BadRequest("Bad Request: chat not found"), True, "chat_not_found", False),
        (
            BadRequest("Bad Request: message is not modified: specified new message content"),
            True,
            "not_modified",
            False,
        ),
        (BadRequest("Bad Request: message to edit not found"), True, "not_editable", False),
        (
            BadRequest("Bad Request: query is too old and response timeout expired"),
            True,
            "query_expired",
            False,
        ),
        (BadRequest("Bad Request: can't parse entities"), True, "bad_request", False),
        (ChatMigrated(-1001234), True, "chat_migrated", False),
        (Conflict("Conflict: terminated by other getUpdates request"), False, "conflict", False),
        (TimedOut(), False, "timed_out", False),
        (NetworkError("httpx.ConnectError"), False, "network", False),
    ],
)
def test_bot_api_refusals_become_send_errors(
    exc: Exception, permanent: bool, code: str, opted_out: bool
) -> None:
    error = send_error(exc)  # type: ignore[arg-type]
    assert (error.permanent, error.code, error.opted_out, error.retry_after) == (
        permanent,
        code,
        opted_out,
        None,
    )
    assert "123:abc" not in str(error)


def _caused_by(error: Exception, cause: Exception) -> Exception:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (InvalidToken("The token `123:abc` was rejected by the server."), "invalid_token"),
        (
            _caused_by(NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("refused")),
            "unreachable",
        ),
        (_caused_by(TimedOut(), httpx.ConnectTimeout("slow")), "unreachable"),
        (_caused_by(TimedOut(), httpx.PoolTimeout("full")), "unreachable"),
    ],
)
def test_failures_that_sent_nothing_are_retried_after_a_pause(exc: Exception, code: str) -> None:
    error = send_error(exc)  # type: ignore[arg-type]
    assert (error.permanent, error.code) == (False, code)
    assert error.retry_after is not None and error.retry_after > 0
    assert "123:abc" not in str(error)


def test_a_read_timeout_may_have_sent_so_it_carries_no_retry() -> None:
    error = send_error(_caused_by(TimedOut(), httpx.ReadTimeout("no answer")))
    assert (error.code, error.retry_after) == ("timed_out", None)


@pytest.mark.usefixtures("_timedelta_periods")
def test_retry_after_is_transient_with_its_delay() -> None:
    for value in (3, timedelta(seconds=3)):
        error = send_error(RetryAfter(value))
        assert (error.permanent, error.code, error.retry_after) == (False, "rate_limited", 3.0)
