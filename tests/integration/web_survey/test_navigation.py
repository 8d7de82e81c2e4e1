"""Going back to correct an answer, and switching language mid-survey without losing anything."""

from __future__ import annotations

import re

from sqlalchemy import select

from service.models import Answer, Conversation
from service.runtime import Runtime
from tests.integration.web_survey.conftest import Respondent


def _answers(runtime: Runtime) -> dict[str, tuple[object, int]]:
    with runtime.transaction() as session:
        return {a.question_id: (a.value, a.revision) for a in session.scalars(select(Answer))}


def test_back_shows_the_previous_answer_and_a_correction_replaces_it(
    runtime: Runtime, respondent: Respondent
) -> None:
    respondent.open()
    respondent.consent()
    assert 'name="back"' not in respondent.page  # nothing to go back to on the first question
    respondent.answer("good")
    respondent.answer(["pear"])
    assert respondent.question_id == "recommend"

    respondent.back()
    assert respondent.question_id == "fruits"
    assert re.search(r'value="pear" checked', respondent.page)
    assert not re.search(r'value="apple" checked', respondent.page)
    respondent.back()
    assert respondent.question_id == "mood"
    assert re.search(r'value="good" checked', respondent.page)

    respondent.answer("bad")
    # The corrected conversation goes on at the first question without an answer.
    assert respondent.question_id == "recommend"
    assert _answers(runtime) == {"mood": ("bad", 2), "fruits": (["pear"], 1)}


def test_switching_language_mid_survey_keeps_every_answer(runtime: Runtime, respondent: Respondent) -> None:
    respondent.open("?lang=nl")
    respondent.consent()
    respondent.answer("good")
    respondent.answer(["apple", "pear"])
    assert respondent.question_id == "recommend"
    assert "Zou u Atelier aanraden?" in respondent.page

    respondent.switch_language("fr")
    assert respondent.status == 200
    assert '<html lang="fr">' in respondent.page
    assert respondent.question_id == "recommend"
    assert "Recommanderiez-vous Atelier ?" in respondent.page
    assert "Nous continuons en français." in respondent.page
    assert "Suivant" in respondent.page and "Question précédente" in respondent.page
    with runtime.transaction() as session:
        assert session.scalars(select(Conversation.language)).one() == "fr"
    assert _answers(runtime) == {"mood": ("good", 1), "fruits": (["apple", "pear"], 1)}

    respondent.back()
    assert "Quels fruits aimez-vous ?" in respondent.page
    assert re.search(r'value="apple" checked', respondent.page)
    assert re.search(r'value="pear" checked', respondent.page)


def test_the_language_buttons_are_a_form_of_their_own(respondent: Respondent) -> None:
    """Pressing Enter in an answer field submits the answer, never a language switch."""
    respondent.open()
    respondent.consent()
    languages = respondent.form("language")
    answer = respondent.form("question")
    assert languages is not answer
    assert [b["value"] for b in languages.buttons] == ["nl", "en"]
    assert [b.get("name") for b in answer.buttons] == [None]
