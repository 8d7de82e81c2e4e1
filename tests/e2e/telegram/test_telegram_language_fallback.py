"""The language a Telegram conversation starts in: the app's language when it is one of ours, else the campaign's.

Telegram sends the person's app language as an IETF tag (``de``, ``nl-BE``): only its primary subtag
counts, and only when it is French, Dutch or English. The campaign here defaults to English, so that the
fallback can't be mistaken for the usual French.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.models import Campaign
from service.runtime import Runtime
from tests.e2e.telegram.conftest import Person, RecordingLimiter, _campaign, conversations
from tests.fakes.telegram_api import FakeTelegram

CONSENT_EN = (
    "Hello! Atelier would like your views in a few short questions.\n\n"
    "Your answers stay confidential and are only used to measure the impact of Atelier. "
    "Send STOP to stop. Do you agree to answer?"
)
CONSENT_NL = (
    "Hallo! Atelier wil graag uw mening in een paar korte vragen.\n\n"
    "Uw antwoorden blijven vertrouwelijk en dienen enkel om de impact van Atelier te meten. "
    "Stuur STOP om te stoppen. Wilt u antwoorden?"
)


@pytest.fixture
def english_by_default(runtime: Runtime) -> Campaign:
    """The beneficiaries questionnaire on Telegram, with English as the campaign's default language."""
    return _campaign(runtime, "beneficiaries", "atelier", default_language="en")


def test_a_german_app_gets_the_campaign_default_and_a_belgian_dutch_one_gets_dutch(
    runtime: Runtime,
    english_by_default: Campaign,
    client: Any,
    telegram_api: FakeTelegram,
    limiter: RecordingLimiter,
) -> None:
    jonas = Person(client, telegram_api, 5512873301, "Jonas", "de")
    lotte = Person(client, telegram_api, 5512873302, "Lotte", "nl-BE")

    assert jonas.send(f"/start {english_by_default.code}") == [
        ("sendMessage", CONSENT_EN, [[("Yes", "a:__consent__:yes"), ("No", "a:__consent__:no")]])
    ]
    assert lotte.send(f"/start {english_by_default.code}") == [
        ("sendMessage", CONSENT_NL, [[("Ja", "a:__consent__:yes"), ("Nee", "a:__consent__:no")]])
    ]
    # The questions follow in the language the conversation started in.
    assert jonas.tap("Yes")[2][1] == "(1/10) Has your quality of life changed because of Atelier?"
    assert lotte.tap("Ja")[2][1] == "(1/10) Is uw levenskwaliteit veranderd door Atelier?"
    assert conversations(runtime) == [("telegram", "en", "in_progress"), ("telegram", "nl", "in_progress")]
