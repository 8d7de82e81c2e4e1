"""Every question type answered on the web form, stored as the engine reads it, to the thank-you page."""

from __future__ import annotations

import re

from sqlalchemy import select

from service.models import Answer, Conversation
from service.runtime import Runtime
from tests.integration.web_survey.conftest import QUESTIONS, Respondent


def _answers(runtime: Runtime) -> dict[str, object]:
    with runtime.transaction() as session:
        return {a.question_id: a.value for a in session.scalars(select(Answer))}


def test_every_question_type_is_answered_and_stored_until_the_thank_you_page(
    runtime: Runtime, respondent: Respondent
) -> None:
    respondent.open()
    respondent.consent()
    seen = []

    assert respondent.question_id == "mood"
    assert respondent.page.count('type="radio"') == 3
    assert "<fieldset" in respondent.page and "<legend>" in respondent.page
    seen.append(respondent.question_id)
    respondent.answer("fair")

    assert respondent.question_id == "fruits"
    assert respondent.page.count('type="checkbox"') == 3
    assert "Plusieurs réponses possibles" in respondent.page
    seen.append(respondent.question_id)
    respondent.answer(["apple", "plum"])

    # The note met on the way is shown with the next question.
    assert respondent.question_id == "recommend"
    assert "Plus que quelques questions." in respondent.page
    assert respondent.page.count('type="radio"') == 11
    assert "pas du tout" in respondent.page and "tout à fait" in respondent.page
    seen.append(respondent.question_id)
    respondent.answer("9")

    assert respondent.question_id == "member"
    assert 'value="yes"' in respondent.page and ">Oui<" in respondent.page
    seen.append(respondent.question_id)
    respondent.answer("yes")

    assert respondent.question_id == "age"
    assert 'inputmode="numeric"' in respondent.page
    assert "Un nombre de 16 à 120." in respondent.page
    seen.append(respondent.question_id)
    respondent.answer("34")

    assert respondent.question_id == "hours"
    assert 'inputmode="decimal"' in respondent.page
    assert "(facultatif)" in respondent.page
    seen.append(respondent.question_id)
    respondent.answer("2,5")

    assert respondent.question_id == "comment"
    assert "<textarea" in respondent.page and 'maxlength="200"' in respondent.page
    seen.append(respondent.question_id)
    respondent.answer("Très bien, merci")

    assert tuple(seen) == QUESTIONS
    assert respondent.status == 200
    assert "Merci beaucoup !" in respondent.page
    assert "Vos réponses ont été enregistrées." in respondent.page
    assert 'name="answer"' not in respondent.page
    assert _answers(runtime) == {
        "mood": "fair",
        "fruits": ["apple", "plum"],
        "recommend": 9,
        "member": "yes",
        "age": 34,
        "hours": 2.5,
        "comment": "Très bien, merci",
    }
    with runtime.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
    assert conversation.status == "completed"
    assert conversation.completed_at is not None
    respondent.open()
    assert "Merci beaucoup !" in respondent.page


def test_progress_is_shown_as_text_and_as_a_labelled_progress_element(respondent: Respondent) -> None:
    respondent.open()
    respondent.consent()
    respondent.answer("good")
    assert re.search(r'<label for="survey-progress">.*2 / 7.*Question 2 sur 7', respondent.page)
    assert '<progress id="survey-progress" max="7" value="2">' in respondent.page


def test_an_answer_the_engine_refuses_is_shown_next_to_its_field_with_what_was_typed(
    runtime: Runtime, respondent: Respondent
) -> None:
    respondent.open()
    respondent.consent()
    for value in ("good", ["pear"], "5", "no"):
        respondent.answer(value)
    assert respondent.question_id == "age"
    respondent.answer("200")
    assert respondent.status == 422
    assert respondent.question_id == "age"
    error = re.search(r'<p class="field-error" id="answer-error">(.*?)</p>', respondent.page)
    assert error is not None and "de 16 à 120" in error.group(1)
    assert re.search(r'<input type="text" id="answer"[^>]*value="200"', respondent.page)
    assert re.search(r'aria-describedby="[^"]*answer-error', respondent.page)
    assert 'aria-invalid="true"' in respondent.page
    assert respondent.page.count("<title>Erreur\u00a0:") == 1
    assert "age" not in _answers(runtime)
    respondent.answer("34")
    assert respondent.question_id == "hours"
    assert _answers(runtime)["age"] == 34


def test_a_required_question_left_empty_is_asked_again(runtime: Runtime, respondent: Respondent) -> None:
    respondent.open()
    respondent.consent()
    respondent.post(respondent.form("question"), {})
    assert respondent.status == 422
    assert "Cette question demande une réponse." in respondent.page
    assert re.search(
        r'<fieldset class="question has-error" aria-describedby="answer-error">', respondent.page
    )
    assert _answers(runtime) == {}


def test_an_optional_question_left_empty_is_skipped(runtime: Runtime, respondent: Respondent) -> None:
    respondent.open()
    respondent.consent()
    for value in ("good", ["pear"], "5", "no", "40"):
        respondent.answer(value)
    assert respondent.question_id == "hours"
    respondent.answer("")
    assert respondent.question_id == "comment"
    assert "hours" not in _answers(runtime)


def test_a_free_text_that_looks_like_a_keyword_is_an_answer(runtime: Runtime, respondent: Respondent) -> None:
    respondent.open()
    respondent.consent()
    for value in ("good", ["pear"], "5", "no", "40", ""):
        respondent.answer(value)
    respondent.answer("STOP")
    assert "Merci beaucoup !" in respondent.page
    assert _answers(runtime)["comment"] == "STOP"
