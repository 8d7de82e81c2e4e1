"""Whatever respondents send, the engine answers, and a completed conversation obeys the definition."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from conversation_runner import T0, questionnaire
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from questionnaires.conditions import evaluate
from questionnaires.engine import advance, start
from questionnaires.model import AnswerValue, Question, Questionnaire, QuestionType
from questionnaires.plaintext import render_turn_text
from questionnaires.replies import option_keys
from questionnaires.turns import (
    CONSENT_ID,
    AnswerReply,
    BackReply,
    LanguageReply,
    Outcome,
    Reply,
    Stage,
    State,
    TextReply,
    Turn,
)
from questionnaires.visibility import is_visible

BRANCHING = questionnaire(
    """
    questions:
      - {id: hello, type: note, text: {en: Hi, fr: Salut}}
      - id: A
        type: single_choice
        text: {en: A, fr: A}
        choices:
          - {code: "1", label: {en: One, fr: Un}}
          - {code: "2", label: {en: Two, fr: Deux}}
          - {code: "3", label: {en: Three, fr: Trois}}
      - {id: B, type: text, required: false, show_if: "A != '3'", text: {en: B, fr: B}}
      - id: C
        type: multiple_choice
        show_if: "A in ['1', '2']"
        text: {en: C, fr: C}
        choices:
          - {code: a, label: {en: Apples, fr: Pommes}}
          - {code: b, label: {en: Bread, fr: Pain}}
          - {code: c, label: {en: Cheese, fr: Fromage}}
      - {id: D, type: scale, min: 0, max: 10, show_if: "selected(C, 'b') or A = '3'", text: {en: D, fr: D}}
      - {id: E, type: yes_no, required: false, text: {en: E, fr: E}}
      - {id: F, type: integer, min: 0, max: 20, constraint: ". >= 1", show_if: "E = 'yes'", text: {en: F, fr: F}}
      - {id: G, type: number, required: false, show_if: "count(C) >= 2", text: {en: G, fr: G}}
      - {id: N2, type: note, show_if: "answered(B)", text: {en: Thanks for B, fr: Merci}}
      - {id: H, type: text, max_length: 20, show_if: "length(B) > 3", text: {en: H, fr: H}}
    """,
    ("en", "fr"),
)

CANNED = [
    "yes", "no", "oui", "1", "2", "3", "0", "10", "7", "-", "skip", "", "1 2", "a", "2,5", "1.500",
    "apples and bread", "one", "deux", "hello there", "x" * 30, "99999999999999999999999", "?", "🙂",
]  # fmt: skip

huge_texts = st.builds(
    lambda piece, times: piece * times, st.text(min_size=1, max_size=4), st.integers(1000, 100_000)
)
any_text = st.one_of(st.sampled_from(CANNED), st.text(), huge_texts)
question_ids = st.sampled_from([CONSENT_ID, "A", "B", "C", "D", "E", "F", "G", "H", "hello", "nope"])
raw_answers = st.one_of(
    any_text, st.lists(st.sampled_from(["a", "b", "c", "1", "zz", ""]), max_size=4).map(tuple)
)
replies: st.SearchStrategy[Reply] = st.one_of(
    any_text.map(TextReply),
    st.builds(AnswerReply, question_ids, raw_answers),
    st.just(BackReply()),
    st.sampled_from(["en", "fr", "nl", "xx"]).map(LanguageReply),
)


def _valid_answer(definition: Questionnaire, state: State, draw: st.DrawFn) -> Reply:
    """A reply that answers the current question (so random walks reach the end often)."""
    if state.current == CONSENT_ID or state.current is None:
        return TextReply("yes")
    question = definition.question(state.current)
    keys = [key for key, _ in option_keys(question)]
    if question.type is QuestionType.MULTIPLE_CHOICE:
        chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3))
        return TextReply(" ".join(chosen))
    if keys:
        return TextReply(draw(st.sampled_from(keys)))
    if question.type is QuestionType.TEXT:
        return TextReply(draw(st.sampled_from(["ok", "much better now", "-"])))
    low = int(question.minimum if question.minimum is not None else -5)
    high = int(question.maximum if question.maximum is not None else 50)
    return TextReply(str(draw(st.integers(low, high))))


def _check_turn(definition: Questionnaire, turn: Turn) -> None:
    state = turn.state
    assert State.from_json(state.to_json()) == state
    assert all(definition.has_question(qid) and definition.question(qid).answerable for qid in state.answers)
    if turn.prompt is not None:
        assert turn.prompt.question_id == state.current
    assert all(isinstance(text, str) for text in render_turn_text(turn, state.language))


def _assert_answer_fits(question: Question, value: AnswerValue, answers: Mapping[str, AnswerValue]) -> None:
    codes = {choice.code for _, choice in option_keys(question)}
    if question.type is QuestionType.MULTIPLE_CHOICE:
        assert isinstance(value, tuple)
        assert value
        assert set(value) <= codes
    elif codes:
        assert value in codes
    elif question.type is QuestionType.TEXT:
        assert isinstance(value, str)
        assert 0 < len(value) <= (question.max_length or 500)
    else:
        assert isinstance(value, int | float)
        assert question.minimum is None or value >= question.minimum
        assert question.maximum is None or value <= question.maximum
    if question.constraint is not None:
        assert evaluate(question.constraint, answers, current=value)


def _assert_complete(definition: Questionnaire, answers: Mapping[str, AnswerValue]) -> None:
    for question in definition.questions:
        if not question.answerable:
            continue
        shown = is_visible(question, answers)
        if question.id in answers:
            assert shown, f"{question.id} is answered but hidden"
            _assert_answer_fits(question, answers[question.id], answers)
        elif shown:
            assert not question.required, f"{question.id} is required, shown and unanswered"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(replies, max_size=30))
def test_no_reply_makes_the_engine_raise(sequence: list[Reply]) -> None:
    turn = start(BRANCHING, "en", T0)
    now = T0
    for reply in sequence:
        now += timedelta(minutes=1)
        turn = advance(BRANCHING, turn.state, reply, now, variables={"org": "{org}"})
        _check_turn(BRANCHING, turn)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_random_walks_complete_only_with_answers_that_obey_the_definition(data: st.DataObject) -> None:
    turn = start(BRANCHING, data.draw(st.sampled_from(["en", "fr"])), T0)
    now = T0
    for _ in range(60):
        if turn.state.stage in (Stage.COMPLETED, Stage.REFUSED):
            break
        helpful = data.draw(st.booleans())
        reply = _valid_answer(BRANCHING, turn.state, data.draw) if helpful else data.draw(replies)
        now += timedelta(minutes=1)
        turn = advance(BRANCHING, turn.state, reply, now)
        _check_turn(BRANCHING, turn)
        if turn.outcome in (Outcome.ASKED, Outcome.COMPLETED) and turn.answer is not None:
            assert turn.answer[0] in turn.state.answers
    event(f"ended at stage {turn.state.stage.value}")
    if turn.state.stage is Stage.COMPLETED:
        _assert_complete(BRANCHING, turn.state.answers)
    if turn.state.stage is Stage.REFUSED:
        assert turn.state.answers == {}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(CANNED), st.text(max_size=50)), max_size=20))
def test_answers_in_progress_are_always_for_shown_questions(texts: list[str]) -> None:
    turn = start(BRANCHING, "en", T0)
    for text in ["yes", *texts]:
        turn = advance(BRANCHING, turn.state, TextReply(text), T0)
        for question_id in turn.state.answers:
            assert is_visible(BRANCHING.question(question_id), turn.state.answers)
