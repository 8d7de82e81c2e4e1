"""The consent screen: shown without storing anything, accepted to start, refused to end politely."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from service.models import Answer, Campaign, ConsentRecord, Conversation, Identity
from service.runtime import Runtime, build_runtime
from service.settings import Settings
from service.web import create_app
from tests.integration.web_survey.conftest import Respondent


def _count(runtime: Runtime, model: type) -> int:
    with runtime.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_consent_screen_comes_first_and_a_get_stores_nothing(
    runtime: Runtime, respondent: Respondent
) -> None:
    page = respondent.open(**{"Accept-Language": "fr-BE,fr;q=0.9"})
    assert respondent.status == 200
    assert '<html lang="fr">' in page
    assert "Bonjour de la part de Atelier !" in page
    assert "Acceptez-vous de répondre ?" in page
    assert 'value="yes"' in page and 'value="no"' in page
    respondent.open()
    assert _count(runtime, Conversation) == 0
    assert _count(runtime, Identity) == 0


def test_the_browser_cookie_is_http_only_lax_and_scoped_to_the_survey(respondent: Respondent) -> None:
    response = respondent.client.get(respondent.url)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("vises_respondent="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/s/" in cookie
    assert "Secure" not in cookie  # not in production
    assert response.headers["Cache-Control"] == "no-store"


def test_accepting_starts_the_conversation_on_the_web_and_shows_the_first_question(
    runtime: Runtime, respondent: Respondent, campaign: Campaign
) -> None:
    respondent.open()
    respondent.consent("yes")
    assert respondent.status == 200
    assert respondent.question_id == "mood"
    assert "Comment allez-vous ?" in respondent.page
    with runtime.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        consent = session.scalars(select(ConsentRecord)).one()
        identity = session.get_one(Identity, conversation.identity_id)
    assert conversation.campaign_id == campaign.id
    assert conversation.channel == "web"
    assert conversation.language == "fr"
    assert consent.given is True and consent.channel == "web"
    token = respondent.client.get_cookie("vises_respondent", path="/s/")
    assert token is not None
    assert identity.channel == "web"
    assert identity.ciphertext is None
    assert token.value not in identity.digest  # only a keyed hash of the token is stored


def test_refusing_ends_politely_and_keeps_only_the_refusal(runtime: Runtime, respondent: Respondent) -> None:
    respondent.open(**{"Accept-Language": "nl"})
    respondent.consent("no")
    assert respondent.status == 200
    assert '<html lang="nl">' in respondent.page
    assert "Geen probleem, bedankt en tot ziens!" in respondent.page
    assert 'name="question"' not in respondent.page
    with runtime.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        consent = session.scalars(select(ConsentRecord)).one()
    assert conversation.status == "refused"
    assert consent.given is False
    assert _count(runtime, Answer) == 0
    respondent.open()
    assert "Geen probleem" in respondent.page
    assert 'name="answer"' not in respondent.page


def test_the_language_chosen_on_the_consent_screen_is_the_conversation_language(
    runtime: Runtime, respondent: Respondent
) -> None:
    respondent.open()
    assert "?lang=nl" in respondent.page
    respondent.open("?lang=nl")
    assert '<html lang="nl">' in respondent.page
    assert "Wilt u antwoorden?" in respondent.page
    respondent.consent("yes")
    assert "Hoe gaat het met u?" in respondent.page
    assert "Volgende" in respondent.page
    with runtime.transaction() as session:
        assert session.scalars(select(Conversation.language)).one() == "nl"


def test_without_a_choice_the_browser_language_wins_then_the_campaign_default(respondent: Respondent) -> None:
    respondent.open(**{"Accept-Language": "en-GB,en;q=0.8"})
    assert "Do you agree to answer?" in respondent.page
    fresh = Respondent(respondent.client.application.test_client(), respondent.code)
    fresh.open()
    assert "Acceptez-vous de répondre ?" in fresh.page


def test_in_production_the_browser_cookie_is_sent_over_https_only(
    make_settings: Callable[..., Settings], database_url: str, campaign: Campaign
) -> None:
    settings = make_settings(
        DATABASE_URL=database_url, VISES_PRODUCTION="1", PUBLIC_BASE_URL="https://enquete.example"
    )
    runtime = build_runtime(settings)
    try:
        client = create_app(runtime=runtime).test_client()
        response = client.get(f"/s/{campaign.code}", base_url="https://enquete.example")
    finally:
        runtime.dispose()
    assert response.status_code == 200
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("vises_respondent="))
    assert "Secure" in cookie and "HttpOnly" in cookie
