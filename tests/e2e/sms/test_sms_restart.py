"""The restart word by SMS (RECOMMENCER, OPNIEUW, RESTART), in the middle of a conversation.

Where the campaign allows it, the conversation in progress is closed as an expired, partial one (its
answers stay with it, as a partial response) and a new one starts at the consent, then the first
question; where it doesn't, the person is told so and asked the same question again, nothing lost.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from questionnaires.messages import message
from service.accounts import create_organization
from service.campaigns import change_status, create_campaign
from service.definitions import register_shipped
from service.models import Campaign, Conversation
from service.runtime import Runtime
from tests.e2e.sms.conftest import Phone, answers

WELCOME_FR = (
    "Bonjour ! Atelier aimerait votre avis en quelques questions courtes.\n"
    "Vos réponses sont confidentielles et servent seulement à mesurer l'impact de Atelier. "
    "STOP pour quitter. Acceptez-vous de répondre ? 1 Oui 2 Non"
)
A1_FR = (
    "Votre qualité de vie a-t-elle changé en raison de Atelier ? 1 Beaucoup améliorée 2 Un peu améliorée "
    "3 Inchangée 4 Un peu dégradée 5 Très dégradée"
)
A2_FR = "Qu'est-ce qui a le plus changé pour vous ? Répondez en quelques mots. (- pour passer)"
A3_FR = "Avant Atelier, aviez-vous accès à un service comme celui-ci ? 1 Oui 2 Non"
CONSENT_NL = (
    "Uw antwoorden blijven vertrouwelijk en dienen enkel om de impact van Atelier te meten. "
    "Stuur STOP om te stoppen. Wilt u antwoorden? 1 Ja 2 Nee"
)
A1_NL = (
    "Is uw levenskwaliteit veranderd door Atelier? 1 Sterk verbeterd 2 Iets verbeterd "
    "3 Niet veranderd 4 Iets verslechterd 5 Sterk verslechterd"
)
A2_NL = "Wat is voor u het meest veranderd? Antwoord in een paar woorden. (- om over te slaan)"


@pytest.fixture
def restartable(runtime: Runtime) -> Campaign:
    """The beneficiaries questionnaire by SMS (keyword AVIS, default French), restarts allowed."""
    with runtime.transaction() as session:
        organization = create_organization(session, "atelier", name="Atelier Namur", short_name="Atelier")
        version = register_shipped(session, organization, "beneficiaries")
        created = create_campaign(
            session,
            organization,
            version,
            name="Avis 2026",
            channels=["sms"],
            sms_keyword="avis",
            allow_restart=True,
        )
        change_status(session, created, "start", now=datetime.now(UTC) - timedelta(days=1))
        return created


def attempts(runtime: Runtime) -> list[tuple[int, int, str, str, str | None, bool]]:
    """(id, attempt, language, status, current question, partial) of every conversation, oldest first."""
    with runtime.transaction() as session:
        rows = session.execute(
            select(
                Conversation.id,
                Conversation.attempt,
                Conversation.language,
                Conversation.status,
                Conversation.current_question,
                Conversation.partial,
            ).order_by(Conversation.id)
        ).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_recommencer_mid_survey_starts_again_at_the_consent_and_keeps_the_first_try_as_partial(
    phone: Phone, restartable: Campaign, runtime: Runtime
) -> None:
    assert phone.send("avis") == [WELCOME_FR]
    assert phone.send("oui") == [A1_FR]
    assert phone.send("2") == [A2_FR]
    assert phone.send("Plus de contacts avec les voisins") == [A3_FR]

    # Case and accents don't matter; the new conversation opens as the first one did.
    assert phone.send("Recommencer") == [WELCOME_FR]
    assert phone.send("oui") == [A1_FR]
    assert phone.send("4") == [A2_FR]

    (first_id, *first), (second_id, *second) = attempts(runtime)
    assert first == [1, "fr", "expired", "A3", True]
    assert second == [2, "fr", "in_progress", "A2", False]
    # The first try's answers stay with it (a partial response); the new one holds only its own.
    assert answers(runtime, first_id) == {"A1": "2", "A2": "Plus de contacts avec les voisins"}
    assert answers(runtime, second_id) == {"A1": "4"}


def test_opnieuw_restarts_a_dutch_conversation_in_dutch(
    phone: Phone, restartable: Campaign, runtime: Runtime
) -> None:
    phone.send("avis")
    assert phone.send("NL") == [f"{message('language_switched', 'nl')}\n{CONSENT_NL}"]
    assert phone.send("ja") == [A1_NL]
    assert phone.send("twee") == [A2_NL]

    # The campaign's default is French: the new attempt goes on in the person's Dutch.
    assert phone.send("OPNIEUW") == [
        f"Hallo! Atelier wil graag uw mening in een paar korte vragen.\n{CONSENT_NL}"
    ]
    assert phone.send("ja") == [A1_NL]

    (first_id, *first), (second_id, *second) = attempts(runtime)
    assert first == [1, "nl", "expired", "A2", True]
    assert second == [2, "nl", "in_progress", "A1", False]
    assert answers(runtime, first_id) == {"A1": "2"}
    assert answers(runtime, second_id) == {}


def test_where_the_campaign_does_not_allow_it_the_restart_word_changes_nothing(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    assert not campaign.allow_restart
    phone.send("avis")
    phone.send("oui")
    assert phone.send("2") == [A2_FR]

    assert phone.send("RECOMMENCER") == [f"{message('restart_not_allowed', 'fr')}\n{A2_FR}"]
    assert phone.send("Plus de contacts") == [A3_FR]

    ((conversation_id, *conversation),) = attempts(runtime)
    assert conversation == [1, "fr", "in_progress", "A3", False]
    assert answers(runtime, conversation_id) == {"A1": "2", "A2": "Plus de contacts"}
