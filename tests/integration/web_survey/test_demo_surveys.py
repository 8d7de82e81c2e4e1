"""The demo's campaigns (one per shipped questionnaire) can each be answered to the end on the web form."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from service.demo import seed_demo
from service.models import Campaign, Conversation
from service.runtime import Runtime
from tests.integration.web_survey.conftest import Respondent


def _answer_whatever_is_asked(respondent: Respondent) -> None:
    form = respondent.form("question")
    kinds = {field.get("type") for field in form.inputs}
    if "radio" in kinds or "checkbox" in kinds:
        first = next(f for f in form.inputs if f.get("type") in ("radio", "checkbox"))
        respondent.answer(first["value"])
    elif "textarea" in kinds:
        respondent.answer("Bonne équipe")
    else:
        respondent.answer("1")
    assert respondent.status == 200, respondent.page


def test_every_demo_campaign_is_answered_to_the_end_on_the_web(runtime: Runtime, app: Flask) -> None:
    with runtime.transaction() as session:
        codes = [campaign.code for campaign in seed_demo(session, channels=["web"]).campaigns]
    assert codes
    for code in codes:
        respondent = Respondent(app.test_client(), code)
        respondent.open()
        assert respondent.status == 200
        respondent.consent()
        for _ in range(40):
            if 'name="question"' not in respondent.page:
                break
            _answer_whatever_is_asked(respondent)
        assert "Vos réponses ont été enregistrées." in respondent.page, code
    with runtime.transaction() as session:
        statuses = list(
            session.scalars(
                select(Conversation.status)
                .join(Campaign, Campaign.id == Conversation.campaign_id)
                .where(Campaign.code.in_(codes))
            )
        )
    assert statuses == ["completed"] * len(codes)
