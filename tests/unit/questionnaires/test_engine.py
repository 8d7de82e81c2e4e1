"""The conversation as a respondent lives it: consent, questions, skip logic, corrections, endings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conversation_runner import T0, Conversation, questionnaire

from questionnaires.engine import advance, current_prompt, start
from questionnaires.turns import (
    CONSENT_ID,
    AnswerReply,
    BackReply,
    LanguageReply,
    Outcome,
    Stage,
    State,
    TextReply,
)

SATISFACTION = """
intro: {en: "Hello from {org}!"}
questions:
  - id: A1
    type: single_choice
    text: {en: "Has your life changed because of {org}?"}
    choices:
      - {code: "1", label: {en: Much better}}
      - {code: "2", label: {en: A bit better}}
      - {code: "3", label: {en: No change}}
  - id: A2
    type: text
    required: false
    show_if: "A1 != '3'"
    text: {en: "What changed most?"}
  - id: A5
    type: scale
    min: 0
    max: 10
    min_label: {en: not at all}
    max_label: {en: extremely}
    text: {en: "Would you recommend us?"}
"""


@pytest.fixture
def satisfaction() -> Conversation:
    return Conversation(questionnaire(SATISFACTION), variables={"org": "Repair Café"})


# --- start and consent --------------------------------------------------------------------------------


def test_start_sends_the_intro_then_asks_for_consent(satisfaction: Conversation) -> None:
    turn = satisfaction.turn
    assert turn.outcome is Outcome.ASKED
    assert turn.messages == ("Hello from Repair Café!",)
    assert satisfaction.prompt.question_id == CONSENT_ID
    assert satisfaction.prompt.kind == "consent"
    assert [(o.key, o.code, o.label) for o in satisfaction.prompt.options] == [
        ("1", "yes", "Yes"),
        ("2", "no", "No"),
    ]
    assert turn.state.stage is Stage.CONSENT


def test_an_unknown_language_starts_in_the_default_one() -> None:
    definition = questionnaire(
        "questions: [{id: Q, type: yes_no, text: {fr: 'Oui ?', nl: 'Ja?'}}]", ("fr", "nl")
    )
    turn = start(definition, "de", T0)
    assert turn.state.language == "fr"
    assert turn.prompt is not None
    assert [o.label for o in turn.prompt.options] == ["Oui", "Non"]


@pytest.mark.parametrize("reply", ["yes", "Oui!", "1", "ja"])
def test_consent_yes_asks_the_first_question(satisfaction: Conversation, reply: str) -> None:
    turn = satisfaction.send(reply)
    assert turn.outcome is Outcome.ASKED
    assert satisfaction.asked == "A1"
    assert satisfaction.prompt.text == "Has your life changed because of Repair Café?"
    assert turn.state.stage is Stage.ASKING


def test_consent_no_ends_politely_and_stores_nothing(satisfaction: Conversation) -> None:
    turn = satisfaction.send("no thanks")
    assert turn.outcome is Outcome.REFUSED
    assert turn.state.stage is Stage.REFUSED
    assert turn.state.answers == {}
    assert turn.messages == ("No problem, thank you and goodbye!",)
    assert turn.prompt is None


def test_an_unclear_consent_is_asked_again_and_help_is_offered_from_the_third_try(
    satisfaction: Conversation,
) -> None:
    first = satisfaction.send("maybe")
    assert first.outcome is Outcome.REASK
    assert first.error == "To start, reply 1 (yes) or 2 (no)."
    assert first.prompt is not None
    assert first.prompt.question_id == CONSENT_ID
    assert not first.offer_help
    third = satisfaction.send("hmm", "what")
    assert third.state.failures == 3
    assert third.offer_help
    assert "Reply HELP for help, or STOP to stop." in satisfaction.texts()[-1]


# --- answering ----------------------------------------------------------------------------------------


def test_a_full_conversation_stores_each_answer_and_thanks(satisfaction: Conversation) -> None:
    satisfaction.send("yes")
    turn = satisfaction.send("2")
    assert turn.answer == ("A1", "2")
    turn = satisfaction.send("The people")
    assert turn.answer == ("A2", "The people")
    turn = satisfaction.send("9")
    assert turn.outcome is Outcome.COMPLETED
    assert turn.answer == ("A5", 9)
    assert turn.messages == ("Thank you for your answers!",)
    assert turn.state.stage is Stage.COMPLETED
    assert turn.state.current is None
    assert turn.state.answers == {"A1": "2", "A2": "The people", "A5": 9}


def test_the_definitions_own_thanks_replace_the_default() -> None:
    definition = questionnaire(
        """
        thanks: {en: "Cheers from {org}!"}
        questions: [{id: Q, type: yes_no, text: {en: "Fine?"}}]
        """
    )
    conversation = Conversation(definition, variables={"org": "Oxfam"})
    assert conversation.send("yes", "no").messages == ("Cheers from Oxfam!",)


def test_skip_logic_hides_a_question_whose_condition_is_false(satisfaction: Conversation) -> None:
    satisfaction.send("yes", "3")
    assert satisfaction.asked == "A5"


def test_a_question_depending_on_a_skipped_one_is_hidden_even_with_not_equal() -> None:
    definition = questionnaire(
        """
        questions:
          - {id: A, type: yes_no, required: false, text: {en: "A?"}}
          - {id: B, type: text, show_if: "A != 'no'", text: {en: "B?"}}
          - {id: C, type: text, text: {en: "C?"}}
        """
    )
    conversation = Conversation(definition)
    conversation.send("yes", "-")
    assert conversation.asked == "C"
    assert conversation.answers == {}


@pytest.mark.parametrize("skip", ["", "-", "skip", "passer", "Overslaan", " – "])
def test_an_optional_question_is_skipped_without_an_answer(satisfaction: Conversation, skip: str) -> None:
    satisfaction.send("yes", "1")
    turn = satisfaction.send(skip)
    assert turn.outcome is Outcome.ASKED
    assert turn.answer is None
    assert satisfaction.asked == "A5"
    assert "A2" not in turn.state.answers


def test_a_required_question_cannot_be_skipped(satisfaction: Conversation) -> None:
    satisfaction.send("yes")
    turn = satisfaction.send("-")
    assert turn.outcome is Outcome.REASK
    assert turn.error == "This question needs an answer."
    assert satisfaction.asked == "A1"


def test_an_unreadable_answer_is_explained_and_the_question_asked_again(satisfaction: Conversation) -> None:
    satisfaction.send("yes", "3")
    turn = satisfaction.send("eleven")
    assert turn.outcome is Outcome.REASK
    assert turn.error == "Reply with a number from 0 to 10."
    assert satisfaction.asked == "A5"
    assert turn.state.failures == 1
    assert satisfaction.texts() == [
        "Reply with a number from 0 to 10. Would you recommend us? (0 = not at all, 10 = extremely)"
    ]


def test_failures_count_consecutive_misses_only(satisfaction: Conversation) -> None:
    satisfaction.send("yes", "x", "y")
    assert satisfaction.state.failures == 2
    satisfaction.send("3")
    assert satisfaction.state.failures == 0
    assert not satisfaction.send("z").offer_help


def test_a_constraint_uses_its_own_message() -> None:
    definition = questionnaire(
        """
        questions:
          - {id: kids, type: integer, min: 0, text: {en: "Children?"}}
          - id: young
            type: integer
            constraint: ". <= kids"
            constraint_message: {en: "That is more than your children."}
            text: {en: "How many under 6?"}
        """
    )
    conversation = Conversation(definition)
    turn = conversation.send("yes", "2", "3")
    assert turn.outcome is Outcome.REASK
    assert turn.error == "That is more than your children."
    assert conversation.send("1").state.answers == {"kids": 2, "young": 1}


def test_notes_are_sent_before_the_next_question_and_kept_in_history() -> None:
    definition = questionnaire(
        """
        questions:
          - {id: hello, type: note, text: {en: "Two questions, {org}."}}
          - {id: Q1, type: yes_no, text: {en: "Q1?"}}
          - {id: part2, type: note, text: {en: Last one.}}
          - {id: Q2, type: yes_no, text: {en: "Q2?"}}
          - {id: bye, type: note, text: {en: That was all.}}
        """
    )
    conversation = Conversation(definition, variables={"org": "Emmaüs"})
    turn = conversation.send("yes")
    assert turn.messages == ("Two questions, Emmaüs.",)
    assert conversation.asked == "Q1"
    turn = conversation.send("1")
    assert turn.messages == ("Last one.",)
    turn = conversation.send("2")
    assert turn.outcome is Outcome.COMPLETED
    assert turn.messages == ("That was all.", "Thank you for your answers!")
    assert turn.state.history == ("hello", "Q1", "part2", "Q2", "bye")


def test_the_prompt_carries_progress_options_and_hints(satisfaction: Conversation) -> None:
    satisfaction.send("yes")
    prompt = satisfaction.prompt
    assert (prompt.number, prompt.total) == (1, 3)
    assert not prompt.can_go_back
    assert [(o.key, o.code) for o in prompt.options] == [("1", "1"), ("2", "2"), ("3", "3")]
    satisfaction.send("3")
    prompt = satisfaction.prompt
    assert (prompt.number, prompt.total) == (2, 2)
    assert prompt.can_go_back
    assert prompt.hint == "0 = not at all, 10 = extremely"
    assert (prompt.minimum, prompt.maximum, prompt.min_label) == (0, 10, "not at all")


def test_multiple_choice_prompt_says_several_answers_are_possible() -> None:
    definition = questionnaire(
        """
        questions:
          - id: M
            type: multiple_choice
            text: {en: "Which?"}
            choices: [{code: a, label: {en: Apples}}, {code: b, label: {en: Bread}}, {code: c, label: {en: Cheese}}]
        """
    )
    conversation = Conversation(definition)
    conversation.send("yes")
    assert conversation.prompt.hint == "Several answers possible"
    assert conversation.send("3 1").state.answers == {"M": ("a", "c")}


# --- back and corrections -----------------------------------------------------------------------------


def test_back_returns_to_the_previous_question_with_its_answer(satisfaction: Conversation) -> None:
    satisfaction.send("yes", "1", "The repairs")
    turn = satisfaction.send(BackReply())
    assert turn.outcome is Outcome.ASKED
    assert satisfaction.asked == "A2"
    assert satisfaction.prompt.current_answer == "The repairs"
    assert turn.state.answers["A2"] == "The repairs"


def test_back_at_the_first_question_or_the_consent_asks_again(satisfaction: Conversation) -> None:
    turn = satisfaction.send(BackReply())
    assert turn.prompt is not None
    assert turn.prompt.question_id == CONSENT_ID
    satisfaction.send("yes")
    turn = satisfaction.send(BackReply())
    assert turn.outcome is Outcome.ASKED
    assert satisfaction.asked == "A1"


def test_back_skips_notes() -> None:
    definition = questionnaire(
        """
        questions:
          - {id: Q1, type: yes_no, text: {en: "Q1?"}}
          - {id: N, type: note, text: {en: Note.}}
          - {id: Q2, type: yes_no, text: {en: "Q2?"}}
        """
    )
    conversation = Conversation(definition)
    conversation.send("yes", "1")
    conversation.send(BackReply())
    assert conversation.asked == "Q1"
    assert conversation.prompt.current_answer == "yes"


def test_a_correction_drops_answers_its_skip_logic_now_hides(satisfaction: Conversation) -> None:
    satisfaction.send("yes", "1", "The repairs")
    satisfaction.send(BackReply(), BackReply())
    assert satisfaction.asked == "A1"
    turn = satisfaction.send("3")
    assert turn.removed == ("A2",)
    assert turn.answer == ("A1", "3")
    assert turn.state.answers == {"A1": "3"}
    assert satisfaction.asked == "A5"
    final = satisfaction.send("10")
    assert final.state.answers == {"A1": "3", "A5": 10}


def test_after_a_correction_answered_questions_are_not_asked_again() -> None:
    definition = questionnaire(
        """
        questions:
          - {id: Q1, type: yes_no, text: {en: "Q1?"}}
          - {id: Q2, type: yes_no, text: {en: "Q2?"}}
          - {id: Q3, type: yes_no, text: {en: "Q3?"}}
        """
    )
    conversation = Conversation(definition)
    conversation.send("yes", "yes", "no")
    conversation.send(BackReply(), BackReply())
    assert conversation.asked == "Q1"
    conversation.send("no")
    assert conversation.asked == "Q3"
    conversation.send(BackReply())
    assert conversation.asked == "Q2"
    assert conversation.send("yes", "yes").state.answers == {"Q1": "no", "Q2": "yes", "Q3": "yes"}


def test_skipping_a_corrected_optional_question_removes_its_old_answer(satisfaction: Conversation) -> None:
    satisfaction.send("yes", "1", "The repairs", BackReply())
    turn = satisfaction.send("-")
    assert turn.removed == ("A2",)
    assert "A2" not in turn.state.answers


# --- language, structured answers ---------------------------------------------------------------------


TRILINGUAL = """
questions:
  - id: Q1
    type: single_choice
    text: {fr: "Couleur ?", nl: "Kleur?", en: "Colour?"}
    choices:
      - {code: r, label: {fr: Rouge, nl: Rood, en: Red}}
      - {code: b, label: {fr: Bleu, nl: Blauw, en: Blue}}
  - {id: Q2, type: yes_no, text: {fr: "Content ?", nl: "Tevreden?", en: "Happy?"}}
"""


def test_switching_language_asks_the_same_question_in_the_new_one() -> None:
    conversation = Conversation(questionnaire(TRILINGUAL, ("fr", "nl", "en")), "fr")
    conversation.send("oui", "2")
    turn = conversation.send(LanguageReply("nl"))
    assert turn.outcome is Outcome.ASKED
    assert turn.messages == ("We gaan verder in het Nederlands.",)
    assert conversation.prompt.text == "Tevreden?"
    assert [o.label for o in conversation.prompt.options] == ["Ja", "Nee"]
    assert turn.state.answers == {"Q1": "b"}
    assert turn.state.language == "nl"


def test_a_language_the_questionnaire_lacks_is_refused_with_the_choice() -> None:
    conversation = Conversation(questionnaire(TRILINGUAL, ("fr", "nl")), "fr")
    turn = conversation.send(LanguageReply("en"))
    assert turn.outcome is Outcome.REASK
    assert turn.error == "Ce questionnaire existe en : FR, NL."
    assert turn.state.language == "fr"


def test_a_tapped_button_answers_the_current_question() -> None:
    conversation = Conversation(questionnaire(TRILINGUAL, ("fr", "nl", "en")))
    conversation.send(AnswerReply(CONSENT_ID, "yes"))
    turn = conversation.send(AnswerReply("Q1", "r"))
    assert turn.answer == ("Q1", "r")
    assert conversation.asked == "Q2"


def test_a_tap_on_an_old_keyboard_is_outdated_and_changes_nothing() -> None:
    conversation = Conversation(questionnaire(TRILINGUAL, ("fr", "nl", "en")))
    conversation.send("yes", "1")
    before = conversation.state.answers
    turn = conversation.send(AnswerReply("Q1", "b"))
    assert turn.outcome is Outcome.OUTDATED
    assert turn.state.answers == before
    assert turn.prompt is not None
    assert turn.prompt.question_id == "Q2"


def test_a_label_in_another_language_is_understood() -> None:
    conversation = Conversation(questionnaire(TRILINGUAL, ("fr", "nl", "en")), "fr")
    conversation.send("oui")
    assert conversation.send("blauw").answer == ("Q1", "b")


# --- endings and time ---------------------------------------------------------------------------------


def test_a_reply_after_the_end_is_closed_and_changes_nothing(satisfaction: Conversation) -> None:
    satisfaction.send("yes", "3", "8")
    done = satisfaction.state
    turn = satisfaction.send("hello again")
    assert turn.outcome is Outcome.CLOSED
    assert turn.state == done
    assert turn.messages == ("You have already answered. Thank you!",)


def test_a_conversation_left_idle_too_long_expires_with_its_answers(satisfaction: Conversation) -> None:
    satisfaction.send("yes", "3")
    satisfaction.now += timedelta(days=3)
    turn = satisfaction.send("8", idle_limit=timedelta(days=2))
    assert turn.outcome is Outcome.EXPIRED
    assert turn.state.stage is Stage.EXPIRED
    assert turn.state.answers == {"A1": "3"}
    assert turn.messages == ("The time to answer has run out. Thank you anyway!",)
    assert satisfaction.send("8").outcome is Outcome.CLOSED


def test_a_reply_within_the_idle_limit_goes_through(satisfaction: Conversation) -> None:
    satisfaction.send("yes", "3")
    assert satisfaction.send("8", idle_limit=timedelta(hours=1)).outcome is Outcome.COMPLETED


def test_a_conversation_resumes_from_its_stored_json() -> None:
    definition = questionnaire(
        """
        questions:
          - id: M
            type: multiple_choice
            text: {en: "Which?"}
            choices: [{code: a, label: {en: A}}, {code: b, label: {en: B}}]
          - {id: N, type: number, text: {en: "How much?"}}
        """
    )
    conversation = Conversation(definition)
    conversation.send("yes", "1 2")
    stored = State.from_json(conversation.state.to_json())
    turn = advance(definition, stored, TextReply("2,5"), T0 + timedelta(minutes=5))
    assert turn.outcome is Outcome.COMPLETED
    assert turn.state.answers == {"M": ("a", "b"), "N": 2.5}


def test_current_prompt_resends_the_question_in_the_current_language() -> None:
    definition = questionnaire(TRILINGUAL, ("fr", "nl", "en"))
    conversation = Conversation(definition, "nl")
    conversation.send("ja")
    prompt = current_prompt(definition, conversation.state)
    assert prompt is not None
    assert (prompt.question_id, prompt.text) == ("Q1", "Kleur?")
    conversation.send("1", "1")
    assert current_prompt(definition, conversation.state) is None


def test_variables_are_replaced_literally() -> None:
    definition = questionnaire(
        "questions: [{id: Q, type: text, text: {en: 'Hi {name}, {org} asks {other}'}}]"
    )
    conversation = Conversation(definition, variables={"org": "{name} & {0}", "name": "Ann"})
    conversation.send("yes")
    assert conversation.prompt.text == "Hi Ann, {name} & {0} asks {other}"


def test_a_state_pointing_nowhere_recovers_at_the_first_unanswered_question(
    satisfaction: Conversation,
) -> None:
    satisfaction.send("yes", "3")
    lost = State.from_json({**satisfaction.state.to_json(), "current": "gone"})
    turn = advance(satisfaction.definition, lost, TextReply("whatever"), T0 + timedelta(hours=1))
    assert turn.outcome is Outcome.ASKED
    assert turn.prompt is not None
    assert turn.prompt.question_id == "A5"
    assert turn.state.answers == {"A1": "3"}
