"""Unknown, closed, paused and not-yet-open campaigns: a clear translated page, the right status, no traceback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.campaigns import change_status
from service.models import Answer, Campaign, utcnow
from service.runtime import Runtime
from tests.integration.web_survey.conftest import Respondent


def test_an_unknown_code_is_a_404_page_in_the_browser_language(app: Flask) -> None:
    response = app.test_client().get("/s/NOPE2345", headers={"Accept-Language": "nl-BE"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "<title>We vinden deze vragenlijst niet</title>" in page
    assert "<h1>We vinden deze vragenlijst niet</h1>" in page
    assert "Traceback" not in page


@pytest.mark.parametrize(
    ("status", "options", "code", "heading"),
    [
        ("close", {}, 410, "Ce questionnaire est clôturé"),
        ("start", {"closes_at": utcnow() - timedelta(hours=1)}, 410, "Ce questionnaire est clôturé"),
        ("pause", {}, 404, "Ce questionnaire est en pause"),
        ("draft", {}, 404, "Ce questionnaire n'est pas encore ouvert"),
    ],
)
def test_a_campaign_not_taking_answers_says_why(
    app: Flask,
    make_campaign: Callable[..., Campaign],
    status: str,
    options: dict[str, object],
    code: int,
    heading: str,
) -> None:
    if "closes_at" in options:
        options = {"opens_at": utcnow() - timedelta(days=2), **options}
    campaign = make_campaign(status=status, **options)
    client = app.test_client()
    for path in (f"/s/{campaign.code}", f"/s/{campaign.code}/resume"):
        response = client.get(path, headers={"Accept-Language": "fr"})
        assert response.status_code == code
        assert heading in response.get_data(as_text=True)


def test_a_campaign_opening_later_gives_its_date(app: Flask, make_campaign: Callable[..., Campaign]) -> None:
    opens = utcnow() + timedelta(days=3)
    campaign = make_campaign(opens_at=opens)
    response = app.test_client().get(f"/s/{campaign.code}", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert f"It opens on {opens:%B} {opens.day}, {opens.year}." in response.get_data(as_text=True)


def test_a_campaign_without_the_web_channel_has_no_web_form(
    app: Flask, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign(channels=("sms",))
    response = app.test_client().get(f"/s/{campaign.code}", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "This survey is not answered on the web" in response.get_data(as_text=True)


def test_a_pause_mid_survey_keeps_the_answers_and_refuses_new_ones_until_it_starts_again(
    runtime: Runtime, respondent: Respondent, campaign: Campaign
) -> None:
    respondent.open("?lang=nl")
    respondent.consent()
    respondent.answer("good")
    form = respondent.form("question")
    with runtime.transaction() as session:
        change_status(session, session.get_one(Campaign, campaign.id), "pause")
    respondent.post(form, {"answer": ["pear"]})
    assert respondent.status == 404
    assert "Deze vragenlijst is gepauzeerd" in respondent.page
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Answer.id))) == 1
        change_status(session, session.get_one(Campaign, campaign.id), "start")
    respondent.open()
    assert respondent.question_id == "fruits"
    respondent.answer(["pear"])
    assert respondent.question_id == "recommend"
