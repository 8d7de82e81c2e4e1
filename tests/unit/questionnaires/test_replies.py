"""Replies as people type them by SMS, read forgivingly but never guessed."""

from __future__ import annotations

import pytest

from questionnaires.conditions import parse_condition
from questionnaires.model import Choice, Question, QuestionType
from questionnaires.replies import (
    ParsedAnswer,
    ReplyError,
    ReplyErrorCode,
    Skipped,
    explain,
    option_keys,
    parse_answer,
    parse_reply,
    parse_yes_no,
)


def _text(fr: str, nl: str, en: str) -> dict[str, str]:
    return {"fr": fr, "nl": nl, "en": en}


QUALITY = Question(
    "A1",
    QuestionType.SINGLE_CHOICE,
    _text("Qualité de vie ?", "Levenskwaliteit?", "Quality of life?"),
    choices=(
        Choice("1", _text("Beaucoup améliorée", "Sterk verbeterd", "Very much improved")),
        Choice("2", _text("Un peu améliorée", "Iets verbeterd", "Slightly improved")),
        Choice("3", _text("Inchangée", "Niet veranderd", "No change")),
        Choice("4", _text("Un peu dégradée", "Iets verslechterd", "Got worse")),
    ),
)
ALTERNATIVE = Question(
    "A4",
    QuestionType.SINGLE_CHOICE,
    _text("Alternative ?", "Alternatief?", "Alternative?"),
    choices=(
        Choice("1", _text("Oui, facilement", "Ja, makkelijk", "Yes, easily")),
        Choice("2", _text("Oui, mais difficilement", "Ja, maar moeilijk", "Yes, with difficulty")),
        Choice("3", _text("Non", "Nee", "No")),
    ),
)
LETTERS = Question(
    "L",
    QuestionType.SINGLE_CHOICE,
    _text("?", "?", "?"),
    choices=(Choice("a", _text("Vélo", "Fiets", "Bike")), Choice("b", _text("Bus", "Bus", "Bus"))),
)
SERVICES = Question(
    "S",
    QuestionType.MULTIPLE_CHOICE,
    _text("Services ?", "Diensten?", "Services?"),
    choices=(
        Choice("food", _text("Colis alimentaire", "Voedselpakket", "Food parcel")),
        Choice("clothes", _text("Vêtements", "Kleding", "Clothes")),
        Choice("advice", _text("Conseil", "Advies", "Advice")),
    ),
)
YES_NO = Question("Y", QuestionType.YES_NO, _text("?", "?", "?"))
SCALE = Question(
    "A5",
    QuestionType.SCALE,
    _text("?", "?", "?"),
    minimum=0,
    maximum=10,
    min_label=_text("pas du tout", "helemaal niet", "not at all"),
    max_label=_text("tout à fait", "zeker", "extremely likely"),
)
KIDS = Question("kids", QuestionType.INTEGER, _text("?", "?", "?"), minimum=0, maximum=20)
WEIGHT = Question("kg", QuestionType.NUMBER, _text("?", "?", "?"), minimum=0)
STORY = Question("T", QuestionType.TEXT, _text("?", "?", "?"), required=False, max_length=20)


def answer(question: Question, text: str, language: str = "fr") -> object:
    result = parse_reply(question, text, language)
    assert isinstance(result, ParsedAnswer), f"{text!r} gave {result}"
    return result.value


def error(question: Question, text: str, language: str = "fr") -> ReplyErrorCode:
    result = parse_reply(question, text, language)
    assert isinstance(result, ReplyError), f"{text!r} gave {result}"
    return result.code


# --- choices ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2", " 2 ", "2.", "2!", "(2)", "#2", "2)", "2️⃣", "deux", "Twee", "two", "2 merci", "2 un peu améliorée"],
)
def test_the_displayed_number_is_read_through_stray_characters(text: str) -> None:
    assert answer(QUALITY, text) == "2"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("inchangée", "3"),
        ("INCHANGEE", "3"),
        ("beaucoup", "1"),
        ("Beaucoup améliorée !", "1"),
        ("no change", "3"),
        ("iets verbeterd", "2"),
        ("un", "1"),
        ("inchang", "3"),
        ("Inch.", "3"),
        ("beauc", "1"),
        ("un peu am", "2"),
        ("Un peu dég", "4"),
        ("iets verb", "2"),
        ("no ch", "3"),
        ("2 un peu am", "2"),
    ],
)
def test_a_label_or_the_start_of_it_is_read(text: str, code: str) -> None:
    assert answer(QUALITY, text) == code


@pytest.mark.parametrize(
    ("question", "text"),
    [
        (QUALITY, "un peu"),
        (QUALITY, "un peu "),
        (QUALITY, "iets ver"),
        (QUALITY, "2 no change"),
        (QUALITY, "2 inch"),
        (ALTERNATIVE, "oui"),
        (ALTERNATIVE, "yes"),
    ],
)
def test_a_reply_fitting_two_choices_is_ambiguous(question: Question, text: str) -> None:
    assert error(question, text) is ReplyErrorCode.AMBIGUOUS


@pytest.mark.parametrize(
    "text", ["be", "in", "bof", "1 3", "améliorée", "beauc am", "nchangée", "inchangées", "2 bof"]
)
def test_too_short_inner_or_unknown_text_is_not_understood(text: str) -> None:
    assert error(QUALITY, text) is ReplyErrorCode.NOT_UNDERSTOOD


@pytest.mark.parametrize("text", ["7", "0", "2.5", "13"])
def test_a_number_that_is_no_choice_is_out_of_range(text: str) -> None:
    assert error(QUALITY, text) is ReplyErrorCode.OUT_OF_RANGE


def test_an_exact_label_wins_over_a_longer_one_it_begins() -> None:
    assert answer(ALTERNATIVE, "non") == "3"
    assert answer(ALTERNATIVE, "oui facilement") == "1"


def test_choices_with_non_numeric_codes_are_numbered_in_order() -> None:
    assert [key for key, _ in option_keys(LETTERS)] == ["1", "2"]
    assert answer(LETTERS, "2") == "b"
    assert answer(LETTERS, "velo") == "a"


def test_numeric_codes_are_shown_as_themselves() -> None:
    odd = Question(
        "O",
        QuestionType.SINGLE_CHOICE,
        _text("?", "?", "?"),
        choices=(Choice("0", _text("Non", "Nee", "No")), Choice("5", _text("Oui", "Ja", "Yes"))),
    )
    assert [key for key, _ in option_keys(odd)] == ["0", "5"]
    assert answer(odd, "5") == "5"
    assert error(odd, "1") is ReplyErrorCode.OUT_OF_RANGE


def test_yes_no_questions_are_numbered_one_and_two() -> None:
    assert [(key, choice.code) for key, choice in option_keys(YES_NO)] == [("1", "yes"), ("2", "no")]
    assert option_keys(SCALE) == []


@pytest.mark.parametrize(
    "text",
    ["1 3", "1,3", "1, 3", "1 et 3", "1 en 3", "1 and 3", "1+3", "3 1", "un et trois", "colis, conseil"],
)
def test_several_choices_in_one_reply(text: str) -> None:
    assert answer(SERVICES, text) == ("food", "advice")


def test_multiple_choice_keeps_the_definitions_order_and_drops_repeats() -> None:
    assert answer(SERVICES, "3 2 3") == ("clothes", "advice")
    assert answer(SERVICES, "vêtements") == ("clothes",)
    assert answer(SERVICES, "vêt") == ("clothes",)
    assert answer(SERVICES, "col, cons") == ("food", "advice")


@pytest.mark.parametrize(
    ("text", "code"), [("13", ReplyErrorCode.OUT_OF_RANGE), ("1 soup", ReplyErrorCode.NOT_UNDERSTOOD)]
)
def test_multiple_choice_refuses_any_unreadable_part(text: str, code: ReplyErrorCode) -> None:
    assert error(SERVICES, text) is code


# --- yes/no -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "oui",
        "Ouais",
        "o",
        "ja",
        "J",
        "jawel",
        "yes",
        "y",
        "yeah",
        "1",
        "oui merci",
        "yes please",
        "ja graag",
    ],
)
def test_yes_words_in_every_language(text: str) -> None:
    assert parse_yes_no(text, "fr") is True
    assert answer(YES_NO, text) == "yes"


@pytest.mark.parametrize(
    "text", ["non", "n", "nee", "neen", "no", "nope", "2", "non merci", "nee bedankt", "NON!"]
)
def test_no_words_in_every_language(text: str) -> None:
    assert parse_yes_no(text, "nl") is False
    assert answer(YES_NO, text) == "no"


@pytest.mark.parametrize("text", ["peut-être", "oui non", "3", "", "ouinon"])
def test_neither_yes_nor_no(text: str) -> None:
    assert parse_yes_no(text, "en") is None


@pytest.mark.parametrize("text", ["OK", "d'accord", "akkoord", "sure"])
def test_agreement_words_accept_the_consent_but_answer_no_question(text: str) -> None:
    assert parse_yes_no(text, "fr") is True
    assert error(YES_NO, text) is ReplyErrorCode.NOT_UNDERSTOOD


# --- numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("7", 7), (" 7 ", 7), ("7.", 7), ("sept", 7), ("zeven", 7), ("7/10", 7), ("7 sur 10", 7), ("8 op 10", 8),
     ("10", 10), ("0", 0), ("tout à fait", 10), ("helemaal niet", 0), ("8 je pense", 8)],
)  # fmt: skip
def test_scale_answers(text: str, value: int) -> None:
    assert answer(SCALE, text) == value


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("11", ReplyErrorCode.OUT_OF_RANGE),
        ("-1", ReplyErrorCode.OUT_OF_RANGE),
        ("7,5", ReplyErrorCode.NOT_WHOLE),
        ("7 ou 8", ReplyErrorCode.NOT_UNDERSTOOD),
        ("beaucoup", ReplyErrorCode.NOT_UNDERSTOOD),
        ("9" * 40, ReplyErrorCode.OUT_OF_RANGE),
    ],
)
def test_scale_refusals(text: str, code: ReplyErrorCode) -> None:
    assert error(SCALE, text) is code


@pytest.mark.parametrize(
    ("text", "value"), [("3", 3), ("trois", 3), ("3 enfants", 3), ("aucun", 0), ("geen", 0), ("2.0", 2)]
)
def test_integer_answers(text: str, value: int) -> None:
    assert answer(KIDS, text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("2,5", 2.5), ("2.5", 2.5), ("3", 3.0), ("1 000", 1000.0), ("1.000.000", 1e6), ("1.250,5", 1250.5), ("0,125", 0.125), ("12 kg", 12.0)],
)  # fmt: skip
def test_decimal_answers_with_comma_or_dot(text: str, value: float) -> None:
    result = answer(WEIGHT, text)
    assert result == value
    assert isinstance(result, float)


@pytest.mark.parametrize("text", ["1.500", "2,000"])
def test_a_single_group_of_three_decimals_is_ambiguous(text: str) -> None:
    assert error(WEIGHT, text) is ReplyErrorCode.AMBIGUOUS


def test_bounds_are_explained_in_the_respondents_language() -> None:
    result = parse_reply(SCALE, "12", "nl")
    assert isinstance(result, ReplyError)
    assert explain(result, "nl") == "Antwoord met een getal van 0 tot 10."
    below = parse_reply(WEIGHT, "-2,5", "fr")
    assert isinstance(below, ReplyError)
    assert explain(below, "fr") == "Répondez par un nombre d'au moins 0."


def test_decimal_bounds_use_the_languages_decimal_mark() -> None:
    tiny = Question("t", QuestionType.NUMBER, _text("?", "?", "?"), minimum=0.5, maximum=1.5)
    result = parse_reply(tiny, "2", "fr")
    assert isinstance(result, ReplyError)
    assert explain(result, "fr") == "Répondez par un nombre de 0,5 à 1,5."
    assert explain(result, "en") == "Reply with a number from 0.5 to 1.5."


# --- text, skipping, constraints ----------------------------------------------------------------------


def test_text_is_trimmed_and_cleaned_of_control_characters() -> None:
    assert answer(STORY, "  Better\x00 food \x07 ") == "Better food"


def test_text_longer_than_max_length_is_refused() -> None:
    result = parse_reply(STORY, "x" * 21, "en")
    assert isinstance(result, ReplyError)
    assert result.code is ReplyErrorCode.TOO_LONG
    assert explain(result, "en") == "Too long: 20 characters at most."


def test_text_without_max_length_accepts_500_characters() -> None:
    free = Question("F", QuestionType.TEXT, _text("?", "?", "?"))
    assert answer(free, "y" * 500) == "y" * 500
    assert error(free, "y" * 501) is ReplyErrorCode.TOO_LONG


@pytest.mark.parametrize("text", ["", "  ", "-", "—", "skip", "Passer", "overslaan", "sla over"])
def test_skip_replies_skip_an_optional_question(text: str) -> None:
    assert parse_reply(STORY, text, "fr") == Skipped()


@pytest.mark.parametrize("text", ["", "-", "passer"])
def test_skip_replies_are_refused_for_a_required_question(text: str) -> None:
    assert error(QUALITY, text) is ReplyErrorCode.REQUIRED


def test_a_constraint_is_checked_against_earlier_answers() -> None:
    young = Question(
        "young", QuestionType.INTEGER, _text("?", "?", "?"), constraint=parse_condition(". <= kids")
    )
    assert parse_reply(young, "2", "en", answers={"kids": 3}) == ParsedAnswer(2)
    refused = parse_reply(young, "4", "en", answers={"kids": 3})
    assert isinstance(refused, ReplyError)
    assert refused.code is ReplyErrorCode.CONSTRAINT
    assert explain(refused, "en") == "That answer is not possible, please try again."


# --- structured answers -------------------------------------------------------------------------------


def test_buttons_send_codes() -> None:
    assert parse_answer(QUALITY, "3", "fr") == ParsedAnswer("3")
    assert parse_answer(SERVICES, ("advice", "food"), "fr") == ParsedAnswer(("food", "advice"))
    assert parse_answer(YES_NO, "no", "fr") == ParsedAnswer("no")
    assert parse_answer(SCALE, "6", "fr") == ParsedAnswer(6)


def test_unknown_codes_from_a_form_are_refused() -> None:
    result = parse_answer(SERVICES, ("food", "weapons"), "fr")
    assert isinstance(result, ReplyError)
    assert result.code is ReplyErrorCode.OUT_OF_RANGE


def test_an_empty_form_field_skips_an_optional_question() -> None:
    optional = Question(
        "S", QuestionType.MULTIPLE_CHOICE, SERVICES.text, required=False, choices=SERVICES.choices
    )
    assert parse_answer(optional, (), "fr") == Skipped()
