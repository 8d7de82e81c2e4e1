"""A shipped questionnaire answered by SMS (and WhatsApp), through signed Twilio webhooks and TwiML replies."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from questionnaires.messages import message
from questionnaires.segments import count_segments
from service.accounts import create_organization
from service.campaigns import change_status, create_campaign
from service.conversations import SILENT_AFTER_FAILURES
from service.definitions import register_shipped
from service.models import Answer, Campaign, InboundMessage, OptOut
from service.runtime import Runtime
from tests.e2e.sms.conftest import Phone, answers, conversations, twiml_messages

CONSENT_FR = (
    "Vos réponses sont confidentielles et servent seulement à mesurer l'impact de Atelier. "
    "STOP pour quitter. Acceptez-vous de répondre ? 1 Oui 2 Non"
)
A1_FR = (
    "Votre qualité de vie a-t-elle changé en raison de Atelier ? 1 Beaucoup améliorée 2 Un peu améliorée "
    "3 Inchangée 4 Un peu dégradée 5 Très dégradée"
)
A3_FR = "Avant Atelier, aviez-vous accès à un service comme celui-ci ? 1 Oui 2 Non"
A4_FR = (
    "Pourriez-vous facilement trouver une bonne alternative à Atelier ? "
    "1 Oui, facilement 2 Oui, mais difficilement 3 Non"
)


def test_the_beneficiaries_questionnaire_is_completed_by_sms_in_french_with_messy_replies(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    assert phone.send("Avis") == [
        f"Bonjour ! Atelier aimerait votre avis en quelques questions courtes.\n{CONSENT_FR}"
    ]
    assert phone.send("oui") == [A1_FR]
    assert phone.send("2.") == [
        "Qu'est-ce qui a le plus changé pour vous ? Répondez en quelques mots. (- pour passer)"
    ]
    assert phone.send("Plus de contacts avec les voisins") == [A3_FR]
    assert phone.send("non") == [A4_FR]
    assert phone.send("deux") == [
        "De 0 à 10, quelle est la probabilité que vous recommandiez Atelier à un ami ou un proche ? "
        "(0 = pas du tout, 10 = tout à fait)"
    ]
    assert phone.send(" huit ") == ["Avez-vous rencontré un problème avec Atelier ? 1 Oui 2 Non"]
    assert phone.send("Oui !") == ["Quel problème ? Répondez en quelques mots. (- pour passer)"]
    assert phone.send("Attente trop longue") == [
        "Depuis que je viens à Atelier, j'ai plus de liens avec les autres. 1 Tout à fait d'accord "
        "2 D'accord 3 Neutre 4 Pas d'accord 5 Pas du tout d'accord"
    ]
    assert phone.send("neutre") == [
        "Pouvez-vous donner votre avis sur le fonctionnement de Atelier ? 1 Oui, souvent 2 Parfois "
        "3 Jamais 4 Je ne le souhaite pas"
    ]
    assert phone.send("Parfois") == [
        "Dans l'ensemble, quelle est votre satisfaction avec votre vie en ce moment ? "
        "(0 = pas du tout satisfait(e), 10 = complètement satisfait(e))"
    ]
    assert phone.send("7/10") == ["Merci beaucoup pour vos réponses !"]

    assert answers(runtime) == {
        "A1": "2",
        "A2": "Plus de contacts avec les voisins",
        "A3": "no",
        "A4": "2",
        "A5": 8,
        "A6": "yes",
        "A6b": "Attente trop longue",
        "A7": "3",
        "A8": "2",
        "A9": 7,
    }
    assert conversations(runtime) == [("sms", "fr", "completed")]
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(InboundMessage.id))) == 12


def test_the_beneficiaries_questionnaire_is_completed_by_sms_in_dutch_after_a_language_switch(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    assert phone.send("avis")[0].endswith("Acceptez-vous de répondre ? 1 Oui 2 Non")
    assert phone.send("NL") == [
        "We gaan verder in het Nederlands.\n"
        "Uw antwoorden blijven vertrouwelijk en dienen enkel om de impact van Atelier te meten. "
        "Stuur STOP om te stoppen. Wilt u antwoorden? 1 Ja 2 Nee"
    ]
    assert phone.send("ja") == [
        "Is uw levenskwaliteit veranderd door Atelier? 1 Sterk verbeterd 2 Iets verbeterd "
        "3 Niet veranderd 4 Iets verslechterd 5 Sterk verslechterd"
    ]
    assert phone.send("twee") == [
        "Wat is voor u het meest veranderd? Antwoord in een paar woorden. (- om over te slaan)"
    ]
    assert phone.send("-") == ["Had u voor Atelier toegang tot een gelijkaardige dienst? 1 Ja 2 Nee"]
    assert phone.send("Ja.") == [
        "Kunt u makkelijk een goed alternatief voor Atelier vinden? 1 Ja, makkelijk 2 Ja, maar moeilijk 3 Nee"
    ]
    assert phone.send("nee")[0].startswith("Hoe waarschijnlijk is het dat u Atelier aanbeveelt")
    assert phone.send("tien") == ["Heeft u een probleem gehad met Atelier? 1 Ja 2 Nee"]
    assert phone.send("2") == [
        "Sinds ik bij Atelier kom, voel ik me meer verbonden met anderen. 1 Helemaal eens 2 Eens "
        "3 Neutraal 4 Oneens 5 Helemaal oneens"
    ]
    assert phone.send("Eens") == [
        "Kunt u uw mening geven over de werking van Atelier? 1 Ja, vaak 2 Soms 3 Nooit 4 Dat wil ik niet"
    ]
    assert phone.send("1.") == [
        "Hoe tevreden bent u, alles bij elkaar, met uw leven op dit moment? "
        "(0 = helemaal niet tevreden, 10 = volledig tevreden)"
    ]
    assert phone.send("zes") == ["Hartelijk dank voor uw antwoorden!"]

    assert answers(runtime) == {
        "A1": "2",
        "A3": "yes",
        "A4": "3",
        "A5": 10,
        "A6": "no",
        "A7": "2",
        "A8": "1",
        "A9": 6,
    }
    assert conversations(runtime) == [("sms", "nl", "completed")]
    # Afterwards, the person is answered in the language of their conversation.
    assert phone.send("hallo") == [message("unknown_keyword", "nl")]


def test_a_redelivered_message_sid_stores_one_answer_and_is_answered_once(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    phone.send("AVIS")
    phone.send("oui")
    first = phone.send("3", sid="SMfeedfeedfeedfeedfeedfeedfeedfeed")
    again = phone.send("3", sid="SMfeedfeedfeedfeedfeedfeedfeedfeed")
    assert first == [A3_FR]  # "Inchangée": the open follow-up is skipped
    assert again == []
    assert answers(runtime) == {"A1": "3"}
    # The next message moves on from where the first copy left the conversation, not further.
    assert phone.send("oui") == [A4_FR]
    assert answers(runtime) == {"A1": "3", "A3": "yes"}
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Answer.id)).where(Answer.question_id == "A1")) == 1


def test_stop_in_the_middle_silences_everything_until_start(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    phone.send("Avis")
    phone.send("oui")
    phone.send("1")
    assert phone.send("ARRÊT") == [
        "C'est noté, vous ne recevrez plus de messages de Atelier. Envoyez START pour revenir."
    ]
    assert conversations(runtime) == [("sms", "fr", "opted_out")]
    with runtime.transaction() as session:
        (opt_out,) = session.scalars(select(OptOut)).all()
        assert (opt_out.channel, opt_out.source, opt_out.opted_in_at) == ("sms", "keyword", None)
        assert opt_out.opted_out_at is not None
    # Confirmed once; afterwards nothing we could send: a second STOP, an answer, the keyword, anything.
    for text in ("stop", "2", "AVIS", "bonjour", "FR"):
        assert phone.send(text) == [], text
    assert answers(runtime) == {"A1": "1"}
    # HELP is still answered (carriers require it), without restarting anything.
    assert phone.send("AIDE") == [message("help", "fr")]

    assert phone.send("START") == [message("started", "fr", org="Atelier")]
    with runtime.transaction() as session:
        assert session.scalar(select(OptOut.opted_in_at)) is not None
    # Opted in again: the keyword starts the questionnaire again (a new attempt; the answers given
    # before STOP stay with the conversation that STOP ended).
    assert phone.send("avis")[0].endswith("Acceptez-vous de répondre ? 1 Oui 2 Non")
    assert conversations(runtime) == [("sms", "fr", "opted_out"), ("sms", "fr", "in_progress")]


def test_unreadable_replies_are_reasked_then_help_is_offered_then_an_autoresponder_loop_is_cut(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    phone.send("Avis")
    phone.send("oui")
    error = f"{message('error.not_understood', 'fr')} {message('error.choose_number', 'fr')}"
    reask = f"{error}\n{A1_FR}"
    assert phone.send("peut-être") == [reask]
    assert phone.send("bof") == [reask]
    offer = message("offer_help", "fr")
    # The third in a row: the reply says how to get help or leave (AIDE, STOP), with the question.
    third = phone.send("euh...")
    assert third == [f"{error}\n{offer}\n{A1_FR}"]
    assert sum(count_segments(body).segments for body in third) <= 3
    # The fourth and fifth still offer help; from the sixth, no answer at all.
    assert phone.send("hmm") == third
    assert phone.send("???!") == third
    assert SILENT_AFTER_FAILURES == 6
    assert phone.send("je suis absent jusqu'au 3 décembre") == []
    assert phone.send("je suis absent jusqu'au 3 décembre") == []
    # Asking for help is answered and starts the count again; a readable answer carries on as usual.
    assert phone.send("aide") == [f"{message('help', 'fr')}\n{A1_FR}"]
    assert phone.send("pfff") == [reask]
    assert phone.send("1") == [
        "Qu'est-ce qui a le plus changé pour vous ? Répondez en quelques mots. (- pour passer)"
    ]
    assert answers(runtime) == {"A1": "1"}
    assert conversations(runtime) == [("sms", "fr", "in_progress")]


def test_a_picture_is_answered_with_help_and_the_question_without_skipping_it(
    phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    phone.send("Avis")
    phone.send("oui")
    phone.send("1")  # now on A2, an optional open question: an empty reply would skip it
    picture = {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/ME1", "MediaContentType0": "image/jpeg"}
    replies = phone.send("", **picture)
    assert replies == [
        f"{message('help', 'fr')}\n"
        "Qu'est-ce qui a le plus changé pour vous ? Répondez en quelques mots. (- pour passer)"
    ]
    assert answers(runtime) == {"A1": "1"}


def test_the_questionnaire_works_the_same_over_whatsapp(
    client: Any, campaign: Campaign, runtime: Runtime
) -> None:
    whatsapp = Phone(client, "+32470123456", channel="whatsapp")
    sms = Phone(client, "+32470123456")
    first = whatsapp.send("avis")
    assert len(first) == 1 and first[0].endswith("Acceptez-vous de répondre ? 1 Oui 2 Non")
    assert whatsapp.send("ja") == [A1_FR]  # "ja" is read as yes in any language
    assert whatsapp.send("4") == [
        "Qu'est-ce qui a le plus changé pour vous ? Répondez en quelques mots. (- pour passer)"
    ]
    # The same number by SMS is another channel identity: it starts a conversation of its own.
    assert sms.send("AVIS")[0].startswith("Bonjour !")
    assert conversations(runtime) == [("whatsapp", "fr", "in_progress"), ("sms", "fr", "in_progress")]
    assert answers(runtime) == {"A1": "4"}


def test_a_campaign_that_transliterates_keeps_its_texts_in_gsm7(client: Any, runtime: Runtime) -> None:
    # The shipped texts keep to GSM-7; an organization called "Crêperie" brings a ê into every question.
    with runtime.transaction() as session:
        organization = create_organization(session, "creperie", name="La Crêperie", short_name="Crêperie")
        version = register_shipped(session, organization, "beneficiaries")
        for keyword, transliterated in (("CREPE", False), ("CREPEGSM", True)):
            created = create_campaign(
                session,
                organization,
                version,
                name=keyword,
                channels=["sms"],
                sms_keyword=keyword,
                transliterate_sms=transliterated,
            )
            change_status(session, created, "start", now=datetime.now(UTC) - timedelta(days=1))
    plain, transliterated = Phone(client, "+32470000001"), Phone(client, "+32470000002")
    plain.send("crepe")
    transliterated.send("crepegsm")
    (as_written,) = plain.send("oui")
    (as_sent,) = transliterated.send("oui")
    assert as_written.startswith("Votre qualité de vie a-t-elle changé en raison de Crêperie ?")
    assert count_segments(as_written).encoding == "UCS-2" and count_segments(as_written).segments == 3
    assert as_sent == as_written.replace("Crêperie", "Creperie")
    assert count_segments(as_sent).encoding == "GSM-7" and count_segments(as_sent).segments == 1


def _race(app: Any, forms: list[dict[str, str]]) -> list[list[str]]:
    """Post the forms at the same moment, each from its own thread and test client."""
    barrier = threading.Barrier(len(forms))
    replies: list[list[str]] = [[] for _ in forms]

    def post(index: int) -> None:
        phone = Phone(app.test_client(), "+32470123456")
        barrier.wait()
        response = phone.post(forms[index])
        assert response.status_code == 200
        replies[index] = twiml_messages(response.data)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replies


def test_two_replies_racing_advance_once_each_and_one_copy_racing_itself_is_stored_once(
    app: Any, phone: Phone, campaign: Campaign, runtime: Runtime
) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("concurrent requests are exercised on PostgreSQL")
    phone.send("AVIS")
    phone.send("oui")
    phone.send("3")  # A1 "no change": A2 is skipped, A3 (yes/no) is next, then A4 (choices)
    same = phone.form("1")
    replies = _race(app, [same, dict(same)])
    assert sorted(replies, key=len) == [[], [A4_FR]]  # one answer, one reply
    assert answers(runtime) == {"A1": "3", "A3": "yes"}
    # Two different replies at once: serialized on the conversation, each answers the next question.
    replies = _race(app, [phone.form("1"), phone.form("2")])
    stored = answers(runtime)
    assert {stored["A4"], str(stored["A5"])} == {"1", "2"}
    assert sorted(len(reply) for reply in replies) == [1, 1]
