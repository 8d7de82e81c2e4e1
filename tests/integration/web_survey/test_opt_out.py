"""The opt-out link on every screen: recorded for the organization's web channel, and respected."""

from __future__ import annotations

from sqlalchemy import func, select

from service.models import Campaign, Conversation, OptOut
from service.runtime import Runtime
from tests.integration.web_survey.conftest import Respondent


def test_every_survey_screen_has_the_opt_out_link(respondent: Respondent) -> None:
    link = f'href="/s/{respondent.code}/stop"'
    respondent.open(**{"Accept-Language": "fr"})
    assert link in respondent.page and "Je ne veux pas répondre" in respondent.page
    respondent.consent()
    for value in ("good", ["pear"], "5", "no", "40", "", "fin"):
        assert link in respondent.page, respondent.question_id
        respondent.answer(value)


def test_opting_out_mid_survey_is_recorded_and_ends_the_survey_in_this_browser(
    runtime: Runtime, respondent: Respondent, campaign: Campaign
) -> None:
    respondent.open()
    respondent.consent()
    respondent.answer("good")
    respondent.page = respondent.client.get(f"{respondent.url}/stop").get_data(as_text=True)
    assert "Arrêter ce questionnaire\u202f?" in respondent.page
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(OptOut.id))) == 0  # the GET asks, only the POST records
    respondent.post(respondent.form("csrf_token"), {})
    assert respondent.status == 200
    assert "Atelier ne vous posera plus de questions sur ce site." in respondent.page
    with runtime.transaction() as session:
        opt_out = session.scalars(select(OptOut)).one()
        conversation = session.scalars(select(Conversation)).one()
    assert opt_out.channel == "web"
    assert opt_out.source == "web_link"
    assert opt_out.organization_id == campaign.organization_id
    assert conversation.status == "opted_out"

    respondent.open()
    assert 'name="answer"' not in respondent.page
    assert "Atelier ne vous posera plus de questions sur ce site." in respondent.page


def test_opting_out_before_consenting_keeps_this_browser_out_of_the_organization_surveys(
    runtime: Runtime, respondent: Respondent, make_campaign: object
) -> None:
    respondent.open()
    respondent.page = respondent.client.get(f"{respondent.url}/stop").get_data(as_text=True)
    respondent.post(respondent.form("csrf_token"), {})
    sibling: Campaign = make_campaign()  # type: ignore[operator]
    other = Respondent(respondent.client, sibling.code)
    other.open()
    assert 'name="answer"' not in other.page
    form_page = respondent.client.get(respondent.url).get_data(as_text=True)
    assert 'value="yes"' not in form_page
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Conversation.id))) == 0
