"""Resuming: the cookie brings a browser back to its question; the resume code moves it to another device."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from service.models import Answer, Campaign, Conversation, Identity
from service.runtime import Runtime
from tests.integration.web_survey.conftest import Respondent


def _resume_code(page: str) -> str:
    found = re.search(r'<p class="resume-code">([A-Z0-9]{4}-[A-Z0-9]{4})</p>', page)
    assert found, page
    return found.group(1)


def test_a_returning_browser_is_back_on_its_question(respondent: Respondent) -> None:
    respondent.open()
    respondent.consent()
    respondent.answer("good")
    respondent.answer(["plum"])
    respondent.open()
    assert respondent.question_id == "recommend"
    assert "3 / 7" in respondent.page


def test_the_resume_code_is_shown_and_stored_once(runtime: Runtime, respondent: Respondent) -> None:
    respondent.open()
    respondent.consent()
    code = _resume_code(respondent.page)
    respondent.answer("good")
    assert _resume_code(respondent.page) == code
    with runtime.transaction() as session:
        assert session.scalars(select(Conversation.resume_code)).one() == code.replace("-", "")


def test_another_device_continues_with_the_code(runtime: Runtime, app: Flask, respondent: Respondent) -> None:
    respondent.open()
    respondent.consent()
    respondent.answer("good")
    code = _resume_code(respondent.page)

    laptop = Respondent(app.test_client(), respondent.code)
    laptop.open()
    assert "/resume" in laptop.page
    laptop.client.get(f"{laptop.url}/resume")
    laptop.page = laptop.client.get(f"{laptop.url}/resume").get_data(as_text=True)
    form = laptop.form("code")
    laptop.post(form, {"code": code.lower().replace("-", " ")})
    assert laptop.status == 200
    assert laptop.question_id == "fruits"
    laptop.answer(["apple"])
    laptop.back()
    assert re.search(r'value="apple" checked', laptop.page)
    laptop.answer(["apple", "pear"])
    assert laptop.question_id == "recommend"

    # The phone is still the same person: it is on the laptop's question, and can go back too.
    respondent.open()
    assert respondent.question_id == "recommend"
    respondent.back()
    assert respondent.question_id == "fruits"
    respondent.answer(["pear"])
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Conversation.id))) == 1
        respondents = set(session.scalars(select(Identity.respondent_id)))
        values = {a.question_id: a.value for a in session.scalars(select(Answer))}
    assert len(respondents) == 1
    assert values == {"mood": "good", "fruits": ["pear"]}


def test_a_wrong_code_is_refused_with_an_explanation(app: Flask, respondent: Respondent) -> None:
    other = Respondent(app.test_client(), respondent.code)
    other.page = other.client.get(f"{other.url}/resume").get_data(as_text=True)
    other.post(other.form("code"), {"code": "ABCD-EFGH"})
    assert other.status == 422
    assert 'aria-invalid="true"' in other.page
    assert re.search(r'aria-describedby="resume-code-hint resume-code-error"', other.page)
    assert 'value="ABCD-EFGH"' in other.page


def test_a_code_works_only_for_its_own_campaign(
    app: Flask, respondent: Respondent, make_campaign: object
) -> None:
    respondent.open()
    respondent.consent()
    code = _resume_code(respondent.page)
    other_campaign: Campaign = make_campaign()  # type: ignore[operator]
    stranger = Respondent(app.test_client(), other_campaign.code)
    stranger.page = stranger.client.get(f"{stranger.url}/resume").get_data(as_text=True)
    stranger.post(stranger.form("code"), {"code": code})
    assert stranger.status == 422


def test_guessing_codes_is_slowed_down(app: Flask, respondent: Respondent) -> None:
    guesser = Respondent(app.test_client(), respondent.code)
    guesser.page = guesser.client.get(f"{guesser.url}/resume").get_data(as_text=True)
    form = guesser.form("code")
    statuses = []
    for _ in range(12):
        guesser.post(form, {"code": "ZZZZ-ZZZZ"})
        statuses.append(guesser.status)
    assert statuses[:10] == [422] * 10
    assert statuses[-1] == 429


def test_a_browser_with_its_own_survey_gets_a_fresh_token_when_it_takes_over_another(
    runtime: Runtime, app: Flask, respondent: Respondent
) -> None:
    respondent.open()
    respondent.consent()
    respondent.answer("bad")
    code = _resume_code(respondent.page)

    shared = Respondent(app.test_client(), respondent.code)
    shared.open()
    shared.consent()
    shared.answer("good")
    before = shared.client.get_cookie("vises_respondent", path="/s/")
    shared.page = shared.client.get(f"{shared.url}/resume").get_data(as_text=True)
    shared.post(shared.form("code"), {"code": code})
    after = shared.client.get_cookie("vises_respondent", path="/s/")
    assert before is not None and after is not None and before.value != after.value
    assert shared.question_id == "fruits"
    shared.back()
    assert re.search(r'value="bad" checked', shared.page)
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Conversation.id))) == 2


def test_after_the_idle_limit_the_person_can_start_again(
    runtime: Runtime, app: Flask, make_campaign: object
) -> None:
    import time_machine

    from service.models import utcnow

    campaign: Campaign = make_campaign(idle_limit_hours=1)  # type: ignore[operator]
    person = Respondent(app.test_client(), campaign.code)
    person.open()
    person.consent()
    person.answer("good")
    with time_machine.travel(utcnow() + timedelta(hours=2)):
        person.answer(["pear"])
        assert "Le délai pour finir vos réponses précédentes est dépassé." in person.page
        assert 'value="__consent__"' in person.page
        person.consent()
        assert person.question_id == "mood"
    with runtime.transaction() as session:
        rows = session.execute(
            select(Conversation.attempt, Conversation.status).order_by(Conversation.attempt)
        )
        assert [tuple(row) for row in rows] == [(1, "expired"), (2, "in_progress")]
