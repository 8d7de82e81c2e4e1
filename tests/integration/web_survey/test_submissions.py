"""A screen posted twice is stored once; every form needs its CSRF token and its submission id."""

from __future__ import annotations

from sqlalchemy import func, select

from service.models import Answer, Conversation, InboundMessage
from service.runtime import Runtime
from tests.integration.web_survey.conftest import Respondent


def test_the_same_screen_posted_twice_stores_one_answer_and_advances_once(
    runtime: Runtime, respondent: Respondent
) -> None:
    respondent.open()
    respondent.consent()
    form = respondent.form("question")
    first = respondent.client.post(form.action, data={**form.hidden, "answer": "good"})
    second = respondent.client.post(form.action, data={**form.hidden, "answer": "bad"})
    assert first.status_code == 303
    assert second.status_code == 303
    respondent.open()
    assert respondent.question_id == "fruits"
    with runtime.transaction() as session:
        answers = session.scalars(select(Answer)).all()
        inbound = session.scalar(
            select(func.count(InboundMessage.id)).where(InboundMessage.external_id == form.hidden["sid"])
        )
    assert [(a.question_id, a.value, a.revision) for a in answers] == [("mood", "good", 1)]
    assert inbound == 1


def test_the_consent_posted_twice_starts_one_conversation(runtime: Runtime, respondent: Respondent) -> None:
    respondent.open()
    form = respondent.form("answer")
    for _ in range(2):
        response = respondent.client.post(form.action, data={**form.hidden, "answer": "yes"})
        assert response.status_code == 303
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Conversation.id))) == 1


def test_a_form_without_its_csrf_token_is_refused_and_stores_nothing(
    runtime: Runtime, respondent: Respondent
) -> None:
    respondent.open(**{"Accept-Language": "fr"})
    form = respondent.form("answer")
    data = {k: v for k, v in form.hidden.items() if k != "csrf_token"}
    response = respondent.client.post(form.action, data={**data, "answer": "yes"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Votre réponse n'a pas été envoyée" in page
    assert f'href="/s/{respondent.code}"' in page
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Conversation.id))) == 0


def test_a_form_without_a_submission_id_is_refused(runtime: Runtime, respondent: Respondent) -> None:
    respondent.open()
    form = respondent.form("answer")
    data = {k: v for k, v in form.hidden.items() if k != "sid"}
    response = respondent.client.post(form.action, data={**data, "answer": "yes"})
    assert response.status_code == 400
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Conversation.id))) == 0


def test_an_answer_posted_before_the_consent_starts_nothing(runtime: Runtime, respondent: Respondent) -> None:
    respondent.open()
    form = respondent.form("answer")
    data = {**form.hidden, "question": "mood", "answer": "good"}
    response = respondent.client.post(form.action, data=data)
    assert response.status_code == 303
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Conversation.id))) == 0


def test_an_out_of_date_screen_stores_nothing_and_says_where_the_person_is(
    runtime: Runtime, respondent: Respondent
) -> None:
    respondent.open()
    respondent.consent()
    first_tab = respondent.form("question")
    respondent.open()
    second_tab = respondent.form("question")
    assert first_tab.hidden["sid"] != second_tab.hidden["sid"]
    respondent.post(second_tab, {"answer": "good"})
    assert respondent.question_id == "fruits"
    respondent.post(first_tab, {"answer": "bad"})
    assert respondent.question_id == "fruits"
    assert "était plus à jour\u00a0: voici la question où vous en êtes." in respondent.page
    with runtime.transaction() as session:
        values = {a.question_id: a.value for a in session.scalars(select(Answer))}
    assert values == {"mood": "good"}
