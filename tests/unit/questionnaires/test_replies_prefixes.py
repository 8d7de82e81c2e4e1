"""A choice named by the start of its label: "amél" for "Améliorée", never a guess between two choices."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from questionnaires.choice_replies import without_courtesies
from questionnaires.folding import words
from questionnaires.model import Choice, Question, QuestionType
from questionnaires.numbers import NumberProblem, read_number
from questionnaires.replies import (
    ParsedAnswer,
    ReplyError,
    ReplyErrorCode,
    Skipped,
    explain,
    is_skip,
    parse_reply,
)


def _text(fr: str, nl: str, en: str) -> dict[str, str]:
    return {"fr": fr, "nl": nl, "en": en}


TREND = Question(
    "T1",
    QuestionType.SINGLE_CHOICE,
    _text("Votre santé ?", "Uw gezondheid?", "Your health?"),
    choices=(
        Choice("improved", _text("Améliorée", "Verbeterd", "Improved")),
        Choice("lessened", _text("Amoindrie", "Verminderd", "Lessened")),
        Choice("same", _text("Pareille", "Hetzelfde", "The same")),
        Choice("na", _text("Pas concerné·e", "Niet van toepassing", "Not applicable")),
    ),
)
ACTIVITY = Question(
    "act",
    QuestionType.SINGLE_CHOICE,
    _text("Activité ?", "Activiteit?", "Activity?"),
    choices=(
        Choice("course", _text("Formation", "Opleiding", "Training")),
        Choice("job", _text("Travail", "Werk", "Work")),
    ),
)
VISITS = Question(
    "visits",
    QuestionType.SINGLE_CHOICE,
    _text("Quand ?", "Wanneer?", "When?"),
    choices=(
        Choice("1", _text("Deuxième fois", "Tweede keer", "Second time")),
        Choice("2", _text("Première fois", "Eerste keer", "First time")),
    ),
)
MARK = Question(
    "mark",
    QuestionType.SINGLE_CHOICE,
    _text("Note ?", "Cijfer?", "Mark?"),
    required=False,
    choices=(
        Choice("ok", _text("Passable", "Voldoende", "Passable")),
        Choice("good", _text("Bien", "Goed", "Good")),
    ),
)


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        ("amél", "fr", "improved"),
        ("AMEL", "fr", "improved"),
        ("amé", "fr", "improved"),
        ("amo", "fr", "lessened"),
        ("par", "fr", "same"),
        ("pas", "fr", "na"),
        ("pas conc", "fr", "na"),
        ("Pas concerne.e", "fr", "na"),
        ("verb", "nl", "improved"),
        ("verm", "nl", "lessened"),
        ("the s", "en", "same"),
        ("verb", "fr", "improved"),
        ("impr", "fr", "improved"),
        ("amel merci", "fr", "improved"),
    ],
)
def test_an_unambiguous_start_of_a_label_names_its_choice(text: str, language: str, code: str) -> None:
    assert parse_reply(TREND, text, language) == ParsedAnswer(code)


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        ("a", "fr", ReplyErrorCode.NOT_UNDERSTOOD),
        ("am", "fr", ReplyErrorCode.NOT_UNDERSTOOD),
        ("pa", "fr", ReplyErrorCode.NOT_UNDERSTOOD),
        ("ver", "nl", ReplyErrorCode.AMBIGUOUS),
        ("ver", "fr", ReplyErrorCode.AMBIGUOUS),
        ("liorée", "fr", ReplyErrorCode.NOT_UNDERSTOOD),
        ("concerné", "fr", ReplyErrorCode.NOT_UNDERSTOOD),
        ("amelioreee", "fr", ReplyErrorCode.NOT_UNDERSTOOD),
    ],
)
def test_short_inner_or_shared_starts_are_asked_again(text: str, language: str, code: ReplyErrorCode) -> None:
    assert _error(TREND, text, language) is code


def test_a_shared_start_asks_for_the_number() -> None:
    result = parse_reply(TREND, "ver", "fr")
    assert isinstance(result, ReplyError)
    assert explain(result, "fr") == "Plusieurs choix correspondent, répondez par le numéro."


def test_the_respondents_language_is_read_first() -> None:
    assert parse_reply(ACTIVITY, "tra", "fr") == ParsedAnswer("job")
    assert parse_reply(ACTIVITY, "tra", "en") == ParsedAnswer("course")
    assert parse_reply(ACTIVITY, "opl", "fr") == ParsedAnswer("course")


def test_a_number_word_keeps_its_priority_over_a_label_it_begins() -> None:
    assert parse_reply(VISITS, "deux", "fr") == ParsedAnswer("2")
    assert parse_reply(VISITS, "deuxi", "fr") == ParsedAnswer("1")
    assert parse_reply(VISITS, "twee", "nl") == ParsedAnswer("2")
    assert parse_reply(VISITS, "tweed", "nl") == ParsedAnswer("1")


def test_a_skip_word_keeps_its_priority_over_a_label_it_begins() -> None:
    assert parse_reply(MARK, "passe", "fr") == Skipped()
    assert parse_reply(MARK, "pass", "en") == Skipped()
    assert parse_reply(MARK, "passa", "fr") == ParsedAnswer("ok")


def _error(question: Question, text: str, language: str) -> ReplyErrorCode:
    result = parse_reply(question, text, language)
    assert isinstance(result, ReplyError), f"{text!r} gave {result}"
    return result.code


# --- properties ---------------------------------------------------------------------------------------

# Words without digits, and none of whose starts is a number, yes/no, skip or polite word.
VOCABULARY = (
    "améliorée", "aggravée", "amoindrie", "inchangée", "identique", "légère", "nettement", "beaucoup",
    "plutôt", "très", "stable", "pire", "mieux", "vélo", "voiture", "bureau", "école", "soutien",
    "conseil", "colis", "cours", "logement", "loisirs", "santé", "sans", "salle",
)  # fmt: skip
labels = st.lists(
    st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=3).map(" ".join),
    min_size=2,
    max_size=6,
    unique_by=lambda label: tuple(words(label)),
)


def _question(texts: list[str]) -> Question:
    choices = tuple(Choice(chr(ord("a") + i), {"fr": t}) for i, t in enumerate(texts))
    return Question("q", QuestionType.SINGLE_CHOICE, {"fr": "?"}, choices=choices)


def _expected(texts: list[str], typed: str) -> str | ReplyErrorCode:
    """What the rule in docs/questionnaires.md says, written out on the folded strings."""
    folded = [" ".join(words(t)) for t in texts]
    key = " ".join(words(typed))
    codes = [chr(ord("a") + i) for i in range(len(texts))]
    if key in folded:
        return codes[folded.index(key)]
    if len(key.replace(" ", "")) < 3:
        return ReplyErrorCode.NOT_UNDERSTOOD
    starting = [code for code, label in zip(codes, folded, strict=True) if label.startswith(key)]
    if len(starting) == 1:
        return starting[0]
    return ReplyErrorCode.AMBIGUOUS if starting else ReplyErrorCode.NOT_UNDERSTOOD


@settings(max_examples=200, deadline=None)
@given(labels, st.data())
def test_any_start_of_a_label_is_read_as_the_rule_says(texts: list[str], data: st.DataObject) -> None:
    chosen = " ".join(words(data.draw(st.sampled_from(texts))))
    cut = data.draw(st.integers(min_value=1, max_value=len(chosen)))
    typed = chosen[:cut].rstrip()
    typed = data.draw(st.sampled_from([typed, typed.upper(), f" {typed.title()} !"]))
    assume(read_number(typed) is NumberProblem.NOT_A_NUMBER and not is_skip(typed))
    result = parse_reply(_question(texts), typed, "fr")
    expected = _expected(texts, typed)
    if isinstance(expected, ReplyErrorCode):
        assert isinstance(result, ReplyError)
        assert result.code is expected
    else:
        assert result == ParsedAnswer(expected)


def _any_piece_of(texts: list[str]) -> st.SearchStrategy[str]:
    """A piece cut from anywhere in a label, or noise made of the labels' letters."""
    joined = " ".join(" ".join(words(t)) for t in texts)
    return st.one_of(
        st.tuples(st.integers(0, len(joined)), st.integers(1, 20)).map(lambda c: joined[c[0] : c[0] + c[1]]),
        st.text(st.sampled_from([*sorted(set(joined)), ".", "!", "'"]), max_size=15),
        st.text(st.characters(categories=("L", "Zs", "P")), max_size=30),
    )


@settings(max_examples=200, deadline=None)
@given(labels, st.data())
def test_a_choice_is_never_guessed_from_text_that_does_not_begin_its_label(
    texts: list[str], data: st.DataObject
) -> None:
    typed = data.draw(_any_piece_of(texts))
    assume(read_number(typed) is NumberProblem.NOT_A_NUMBER)
    question = _question(texts)
    result = parse_reply(question, typed, "fr")
    if isinstance(result, ParsedAnswer):
        label = next(c.label["fr"] for c in question.choices if c.code == result.value)
        assert " ".join(words(label)).startswith(" ".join(without_courtesies(words(typed))))
