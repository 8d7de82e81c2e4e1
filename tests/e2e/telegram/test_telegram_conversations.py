"""A shipped questionnaire answered on Telegram: webhook in, the real PTB out to the fake Bot API.

Every Bot API call the bot makes is asserted, in order, with its text and buttons; and so is what ends
up in the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service.models import Campaign, ConsentRecord, InboundMessage
from service.rate_limits import Rate
from service.runtime import Runtime
from service.telegram_rates import PER_BOT, PER_CHAT
from tests.e2e.telegram.conftest import (
    Person,
    RecordingLimiter,
    answer_rows,
    answers,
    conversations,
)

CONSENT_FR = (
    "Bonjour ! Atelier aimerait votre avis en quelques questions courtes.\n\n"
    "Vos réponses sont confidentielles et servent seulement à mesurer l'impact de Atelier. "
    "STOP pour quitter. Acceptez-vous de répondre ?"
)
A1_FR = "(1/10) Votre qualité de vie a-t-elle changé en raison de Atelier ?"
A2_FR = "(2/10) Qu'est-ce qui a le plus changé pour vous ? Répondez en quelques mots."
A3_FR = "(3/10) Avant Atelier, aviez-vous accès à un service comme celui-ci ?"
A4_FR = "(4/10) Pourriez-vous facilement trouver une bonne alternative à Atelier ?"
A5_NL = (
    "(5/10) Hoe waarschijnlijk is het dat u Atelier aanbeveelt aan een vriend of familielid?\n"
    "(0 = helemaal niet, 10 = zeker)"
)
A6_NL = "(6/10) Heeft u een probleem gehad met Atelier?"
A6B_NL = "(7/10) Welk probleem? Antwoord in een paar woorden."
A7_NL = "(8/10) Sinds ik bij Atelier kom, voel ik me meer verbonden met anderen."
A8_NL = "(9/10) Kunt u uw mening geven over de werking van Atelier?"
A9_NL = (
    "(10/10) Hoe tevreden bent u, alles bij elkaar, met uw leven op dit moment?\n"
    "(0 = helemaal niet tevreden, 10 = volledig tevreden)"
)


def scale(question: str, back: str) -> list[list[tuple[str, str]]]:
    """A 0-10 scale as Telegram shows it: 0-5 and 6-10, then the back button."""
    return [
        [(str(n), f"a:{question}:{n}") for n in range(6)],
        [(str(n), f"a:{question}:{n}") for n in range(6, 11)],
        [(f"↩ {back}", f"b:{question}")],
    ]


def external_id(payload: dict[str, Any]) -> str:
    """The id our ledger keeps for an update: its update_id, then the message or the callback query."""
    if "callback_query" in payload:
        return f"{payload['update_id']}/q{payload['callback_query']['id']}"
    return f"{payload['update_id']}/m{payload['message']['message_id']}"


def test_a_questionnaire_answered_with_buttons_and_text_in_french_then_dutch(
    runtime: Runtime, beneficiaries: Campaign, amina: Person, limiter: RecordingLimiter
) -> None:
    # The deep link opens the campaign, in French (Amina's Telegram is in French): intro and consent.
    assert amina.send(f"/start {beneficiaries.code}") == [
        ("sendMessage", CONSENT_FR, [[("Oui", "a:__consent__:yes"), ("Non", "a:__consent__:no")]])
    ]
    consent = amina.last_message_id()
    # A tap is acknowledged, the question message shows the answer and loses its keyboard, the next comes.
    assert amina.tap("Oui") == [
        ("answerCallbackQuery", None),
        ("editMessageText", consent, f"{CONSENT_FR}\n\n✅ Oui"),
        (
            "sendMessage",
            A1_FR,
            [
                [("Beaucoup améliorée", "a:A1:1")],
                [("Un peu améliorée", "a:A1:2")],
                [("Inchangée", "a:A1:3")],
                [("Un peu dégradée", "a:A1:4")],
                [("Très dégradée", "a:A1:5")],
            ],
        ),
    ]
    a1 = amina.last_message_id()
    assert amina.tap("Un peu améliorée") == [
        ("answerCallbackQuery", None),
        ("editMessageText", a1, f"{A1_FR}\n\n✅ Un peu améliorée"),
        ("sendMessage", A2_FR, [[("↩ Retour", "b:A2"), ("Passer", "a:A2:-")]]),
    ]
    a2 = amina.last_message_id()
    # A free-text answer is typed; its question keeps its buttons (we never learn which message it was).
    assert amina.send("Plus de contacts avec mes voisins") == [
        ("sendMessage", A3_FR, [[("Oui", "a:A3:yes"), ("Non", "a:A3:no")], [("↩ Retour", "b:A3")]])
    ]
    a3 = amina.last_message_id()
    a4_fr = [
        [("Oui, facilement", "a:A4:1")],
        [("Oui, mais difficilement", "a:A4:2")],
        [("Non", "a:A4:3")],
        [("↩ Retour", "b:A4")],
    ]
    assert amina.tap("Non") == [
        ("answerCallbackQuery", None),
        ("editMessageText", a3, f"{A3_FR}\n\n✅ Non"),
        ("sendMessage", A4_FR, a4_fr),
    ]
    a4 = amina.last_message_id()
    # Back: the keyboard tapped goes away, the previous question comes again with its answer marked.
    assert amina.tap("↩ Retour") == [
        ("answerCallbackQuery", None),
        ("editMessageReplyMarkup", a4, None),
        ("sendMessage", A3_FR, [[("Oui", "a:A3:yes"), ("✅ Non", "a:A3:no")], [("↩ Retour", "b:A3")]]),
    ]
    a3_again = amina.last_message_id()
    assert amina.tap("Oui") == [
        ("answerCallbackQuery", None),
        ("editMessageText", a3_again, f"{A3_FR}\n\n✅ Oui"),
        ("sendMessage", A4_FR, a4_fr),
    ]
    # A tap on an earlier question's keyboard (A2's skip button, still there): a note, nothing stored.
    assert amina.tap("Passer", a2) == [
        ("answerCallbackQuery", "Cette question a déjà une réponse."),
        ("editMessageReplyMarkup", a2, None),
    ]
    # /language offers the languages; the question comes back in the one picked.
    assert amina.send("/language") == [
        (
            "sendMessage",
            "Choisissez la langue : FR, NL ou EN.",
            [[("Français", "l:fr"), ("Nederlands", "l:nl"), ("English", "l:en")]],
        )
    ]
    picker = amina.last_message_id()
    assert amina.tap("Nederlands") == [
        ("answerCallbackQuery", None),
        ("editMessageText", picker, "Choisissez la langue : FR, NL ou EN.\n\n✅ Nederlands"),
        (
            "sendMessage",
            "We gaan verder in het Nederlands.\n\n"
            "(4/10) Kunt u makkelijk een goed alternatief voor Atelier vinden?",
            [
                [("Ja, makkelijk", "a:A4:1")],
                [("Ja, maar moeilijk", "a:A4:2")],
                [("Nee", "a:A4:3")],
                [("↩ Terug", "b:A4")],
            ],
        ),
    ]
    # A typed "2" works where buttons were shown.
    typed = amina.message_update("2")
    assert amina.deliver(typed) == [("sendMessage", A5_NL, scale("A5", "Terug"))]
    # Telegram delivers the same update again: no second answer, no second reply.
    assert amina.deliver(typed) == []
    a5 = amina.last_message_id()
    nine = amina.tap_update("9")
    assert amina.deliver(nine) == [
        ("answerCallbackQuery", None),
        ("editMessageText", a5, f"{A5_NL}\n\n✅ 9"),
        ("sendMessage", A6_NL, [[("Ja", "a:A6:yes"), ("Nee", "a:A6:no")], [("↩ Terug", "b:A6")]]),
    ]
    assert amina.deliver(nine) == []
    a6 = amina.last_message_id()
    assert amina.tap("Ja") == [
        ("answerCallbackQuery", None),
        ("editMessageText", a6, f"{A6_NL}\n\n✅ Ja"),
        ("sendMessage", A6B_NL, [[("↩ Terug", "b:A6b"), ("Overslaan", "a:A6b:-")]]),
    ]
    assert amina.send("Te lange wachttijden") == [
        (
            "sendMessage",
            A7_NL,
            [
                [("Helemaal eens", "a:A7:1")],
                [("Eens", "a:A7:2")],
                [("Neutraal", "a:A7:3")],
                [("Oneens", "a:A7:4")],
                [("Helemaal oneens", "a:A7:5")],
                [("↩ Terug", "b:A7")],
            ],
        )
    ]
    a7 = amina.last_message_id()
    assert amina.tap("Eens") == [
        ("answerCallbackQuery", None),
        ("editMessageText", a7, f"{A7_NL}\n\n✅ Eens"),
        (
            "sendMessage",
            A8_NL,
            [
                [("Ja, vaak", "a:A8:1")],
                [("Soms", "a:A8:2")],
                [("Nooit", "a:A8:3")],
                [("Dat wil ik niet", "a:A8:4")],
                [("↩ Terug", "b:A8")],
            ],
        ),
    ]
    a8 = amina.last_message_id()
    assert amina.tap("Soms") == [
        ("answerCallbackQuery", None),
        ("editMessageText", a8, f"{A8_NL}\n\n✅ Soms"),
        ("sendMessage", A9_NL, scale("A9", "Terug")),
    ]
    a9 = amina.last_message_id()
    # The last answer: thanks, in Dutch, and no keyboard.
    assert amina.tap("8") == [
        ("answerCallbackQuery", None),
        ("editMessageText", a9, f"{A9_NL}\n\n✅ 8"),
        ("sendMessage", "Hartelijk dank voor uw antwoorden!", None),
    ]

    payloads = amina.payloads
    assert answer_rows(runtime) == [
        ("A1", "2", 1, external_id(payloads[2])),
        ("A2", "Plus de contacts avec mes voisins", 1, external_id(payloads[3])),
        ("A3", "yes", 2, external_id(payloads[6])),
        ("A4", "2", 1, external_id(typed)),
        ("A5", 9, 1, external_id(nine)),
        ("A6", "yes", 1, external_id(payloads[14])),
        ("A6b", "Te lange wachttijden", 1, external_id(payloads[15])),
        ("A7", "2", 1, external_id(payloads[16])),
        ("A8", "2", 1, external_id(payloads[17])),
        ("A9", 8, 1, external_id(payloads[18])),
    ]
    assert conversations(runtime) == [("telegram", "nl", "completed")]
    with runtime.transaction() as session:
        consent_record = session.scalar(select(ConsentRecord))
        assert consent_record is not None
        assert (consent_record.given, consent_record.language, consent_record.channel) == (
            True,
            "fr",
            "telegram",
        )
        # Every update is in the ledger once, duplicates included.
        assert session.scalar(select(func.count(InboundMessage.id))) == len(payloads) - 2
    # Each message and edit took a slot in the chat's bucket and in the bot's; taps' answers took none.
    made = [
        call
        for call in amina.api.calls
        if call.method in ("sendMessage", "editMessageText", "editMessageReplyMarkup")
    ]
    chat_keys = {key for key, rate in limiter.taken if rate == PER_CHAT}
    assert len(chat_keys) == 1 and str(amina.chat_id) not in next(iter(chat_keys))
    assert sorted({(key.split(":")[1], rate) for key, rate in limiter.taken}) == sorted(
        [("bot", PER_BOT), ("chat", PER_CHAT)]
    )
    assert len(limiter.taken) == 2 * len(made)
    assert Rate(1, burst=3) == PER_CHAT


def test_an_english_speaker_types_numbers_and_words_and_skips_with_a_button(
    runtime: Runtime, insertion_workers: Campaign, sam: Person
) -> None:
    welcome = sam.send(f"/start {insertion_workers.code}")
    assert welcome[0][1].startswith("Hello! Atelier would like your views on your time here")
    assert sam.send("yes") == [
        (
            "sendMessage",
            "(1/10) What is your situation today?",
            [
                [("Still at Atelier", "a:B1:1")],
                [("Job of 6 months or more", "a:B1:2")],
                [("Job under 6 months/temp work", "a:B1:3")],
                [("Training", "a:B1:4")],
                [("No job", "a:B1:5")],
                [("Other", "a:B1:6")],
                [("Skip", "a:B1:-")],
            ],
        )
    ]
    b1 = sam.last_message_id()
    skipped = sam.tap("Skip")
    assert skipped[:2] == [
        ("answerCallbackQuery", None),
        ("editMessageText", b1, "(1/10) What is your situation today?\n\n✅ Skip"),
    ]
    assert skipped[2][1] == "(2/10) Since joining Atelier, have you learned new skills for work?"
    # The choice's label, typed, answers too; so does "yes" for the consent and a number word for a scale.
    assert sam.send("Yes, a little")[0][1].startswith("(3/10) During your time here")
    for reply in ("1", "agree", "2", "neutral", "never", "nine", "10"):
        sam.send(reply)
    last = sam.send("8")
    assert last == [("sendMessage", "Thank you very much for your answers!", None)]
    assert answers(runtime) == {
        "B2": "2",
        "B3": "1",
        "B4": "2",
        "B5": "2",
        "B6": "3",
        "B7": "3",
        "B8": 9,
        "B9": 10,
        "B10": 8,
    }
    assert conversations(runtime) == [("telegram", "en", "completed")]
