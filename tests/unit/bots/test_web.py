"""The web adapter: posted fields to an inbound message, a prompt to the widgets a screen shows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bots.web import new_submission_id, read_form, screen_view
from questionnaires.keywords import Command
from questionnaires.turns import CONSENT_ID, AnswerReply, Option, Prompt

SID = "Zm9vYmFyYmF6cXV4MTIz"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

SINGLE = Prompt(
    "mood", "single_choice", "How are you?", options=(Option("1", "good", "Good"), Option("2", "bad", "Bad"))
)
MULTIPLE = Prompt(
    "fruits",
    "multiple_choice",
    "Which fruit?",
    options=(Option("1", "apple", "Apple"), Option("2", "pear", "Pear"), Option("3", "plum", "Plum")),
    hint="Several answers possible",
)
SCALE = Prompt(
    "nps", "scale", "Recommend?", minimum=0, maximum=10, min_label="not at all", max_label="extremely"
)
WIDE_SCALE = Prompt("pct", "scale", "Percent?", minimum=0, maximum=100)
TEXT = Prompt("comment", "text", "Comment?")


def test_submission_ids_are_fresh_and_accepted_back() -> None:
    first, second = new_submission_id(), new_submission_id()
    assert first != second
    submission = read_form({"sid": [first], "question": ["mood"], "answer": ["good"]}, SINGLE)
    assert submission is not None and submission.submission_id == first


def test_a_single_choice_answer_becomes_an_answer_reply_for_the_service() -> None:
    submission = read_form({"sid": [SID], "question": ["mood"], "answer": ["good"]}, SINGLE)
    assert submission is not None
    inbound = submission.inbound(address="token", campaign_code="ABCD2345", received_at=NOW)
    assert inbound.channel == "web"
    assert inbound.external_id == SID
    assert inbound.answer == AnswerReply("mood", "good")
    assert inbound.campaign_code == "ABCD2345"
    assert inbound.text is None and inbound.command is None and not inbound.back


def test_checked_boxes_become_a_tuple_and_none_checked_an_empty_one() -> None:
    checked = read_form({"sid": [SID], "question": ["fruits"], "answer": ["apple", "plum"]}, MULTIPLE)
    assert checked is not None and checked.reply == AnswerReply("fruits", ("apple", "plum"))
    empty = read_form({"sid": [SID], "question": ["fruits"]}, MULTIPLE)
    assert empty is not None and empty.reply == AnswerReply("fruits", ())


def test_an_empty_field_is_an_empty_answer_for_the_engine_to_judge() -> None:
    submission = read_form({"sid": [SID], "question": ["mood"]}, SINGLE)
    assert submission is not None and submission.reply == AnswerReply("mood", "")


def test_the_consent_carries_the_language_it_was_read_in() -> None:
    submission = read_form({"sid": [SID], "question": [CONSENT_ID], "answer": ["yes"], "lang": ["nl"]}, None)
    assert submission is not None and submission.is_consent
    inbound = submission.inbound(address="t", campaign_code="C", received_at=NOW)
    assert inbound.language_hint == "nl"


def test_a_language_button_is_a_language_command_and_back_is_back() -> None:
    switch = read_form({"sid": [SID], "language": ["fr"]}, SINGLE)
    assert switch is not None and switch.action == "language"
    inbound = switch.inbound(address="t", campaign_code="C", received_at=NOW)
    assert inbound.command is not None
    assert inbound.command.command is Command.LANGUAGE and inbound.command.language == "fr"
    back = read_form({"sid": [SID], "back": ["1"]}, SINGLE)
    assert back is not None
    assert back.inbound(address="t", campaign_code="C", received_at=NOW).back


@pytest.mark.parametrize(
    "form",
    [
        {"question": ["mood"], "answer": ["good"]},
        {"sid": ["short"], "question": ["mood"]},
        {"sid": ["has spaces in it, quite long"], "question": ["mood"]},
        {"sid": [SID], "answer": ["good"]},
        {"sid": [SID], "language": ["de"]},
    ],
)
def test_a_form_we_did_not_render_is_not_read(form: dict[str, list[str]]) -> None:
    assert read_form(form, SINGLE) is None


def test_choices_are_radio_buttons_with_the_given_answer_checked() -> None:
    view = screen_view(SINGLE, language="en", draft=None)
    assert view.field.widget == "radio"
    assert [(c.id, c.value, c.label, c.checked) for c in view.field.choices] == [
        ("answer-1", "good", "Good", False),
        ("answer-2", "bad", "Bad", False),
    ]
    answered = screen_view(SINGLE, language="en", draft="bad")
    assert [c.checked for c in answered.field.choices] == [False, True]


def test_multiple_choice_is_checkboxes_described_by_the_hint() -> None:
    view = screen_view(MULTIPLE, language="en", draft=("apple", "plum"), error="Pick one")
    assert view.field.widget == "checkbox"
    assert [c.checked for c in view.field.choices] == [True, False, True]
    assert view.described_by == "answer-hint answer-error"


def test_a_short_scale_is_a_row_of_buttons_with_its_ends_named() -> None:
    view = screen_view(SCALE, language="en")
    assert view.field.widget == "scale"
    assert [c.value for c in view.field.choices] == [str(n) for n in range(11)]
    assert view.field.choices[0].end_label == "not at all"
    assert view.field.choices[-1].end_label == "extremely"
    assert all(c.end_label is None for c in view.field.choices[1:-1])


def test_a_wide_scale_is_typed_as_a_number() -> None:
    view = screen_view(WIDE_SCALE, language="en")
    assert view.field.widget == "number"
    assert view.field.inputmode == "numeric"


def test_numbers_show_their_bounds_in_the_reader_language_and_the_answer_with_a_dot() -> None:
    answered = Prompt("hours", "number", "Hours?", minimum=0, maximum=2.5, required=False, current_answer=1.5)
    view = screen_view(answered, language="fr")
    assert view.field.widget == "number" and view.field.inputmode == "decimal"
    assert (view.field.minimum, view.field.maximum) == ("0", "2,5")
    assert view.field.value == "1.5"
    assert not view.field.required
    assert view.described_by == "answer-limits"


def test_text_is_a_textarea_with_its_length_limit() -> None:
    view = screen_view(TEXT, language="en", max_length=160, draft="typed before")
    assert view.field.widget == "textarea"
    assert view.field.max_length == 160
    assert view.field.value == "typed before"


def test_progress_is_a_fraction_of_the_questions() -> None:
    view = screen_view(Prompt("q", "text", "Q?", number=3, total=9), language="en")
    assert view.shows_progress and view.percent == 33
    assert not screen_view(Prompt(CONSENT_ID, "consent", "OK?"), language="en").shows_progress


def test_the_answer_given_before_is_shown_when_there_is_no_draft() -> None:
    before = Prompt("mood", "single_choice", "How?", options=SINGLE.options, current_answer="good")
    assert [c.checked for c in screen_view(before, language="en").field.choices] == [True, False]
    assert [c.checked for c in screen_view(before, language="en", draft="bad").field.choices] == [False, True]
