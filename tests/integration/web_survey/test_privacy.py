"""What the web survey keeps about a browser: a keyed hash of its token, and no token or free text in logs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from service.models import Conversation, Identity, InboundMessage
from service.runtime import Runtime
from tests.integration.web_survey.conftest import Respondent

SECRET_TEXT = "Mon voisin Jules Dupont, 12 rue des Lilas"


def test_neither_the_token_nor_a_free_text_answer_reaches_the_logs_or_the_clear_columns(
    runtime: Runtime, respondent: Respondent, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    respondent.open()
    respondent.consent()
    for value in ("good", ["pear"], "5", "no", "40", ""):
        respondent.answer(value)
    respondent.answer(SECRET_TEXT)
    assert "Merci beaucoup !" in respondent.page
    cookie = respondent.client.get_cookie("vises_respondent", path="/s/")
    assert cookie is not None
    token = cookie.value
    assert token not in caplog.text
    assert SECRET_TEXT not in caplog.text
    with runtime.transaction() as session:
        identity = session.scalars(select(Identity)).one()
        external_ids = set(session.scalars(select(InboundMessage.external_id)))
        resume_codes = set(session.scalars(select(Conversation.resume_code)))
    assert identity.digest == runtime.vault.digest("web", token)
    assert token not in external_ids
    assert token not in resume_codes
