"""The numbered plain-text rendering that SMS respondents read: short, complete, in their language."""

from __future__ import annotations

from conversation_runner import Conversation, questionnaire

from questionnaires.plaintext import render_text, render_turn_text
from questionnaires.prompts import question_prompt
from questionnaires.turns import LanguageReply

DEFINITION = questionnaire(
    """
    questions:
      - {id: A6, type: yes_no, text: {fr: Avez-vous rencontré un problème ?, nl: Heeft u een probleem gehad?}}
      - id: A5
        type: scale
        min: 0
        max: 10
        min_label: {fr: pas du tout, nl: helemaal niet}
        max_label: {fr: tout à fait, nl: zeker}
        text: {fr: "De 0 à 10, recommanderiez-vous {org} ?", nl: "Beveelt u {org} aan?"}
      - {id: bare, type: scale, min: 1, max: 5, text: {fr: Note ?, nl: Score?}}
      - id: M
        type: multiple_choice
        text: {fr: Quels services ?, nl: Welke diensten?}
        choices:
          - {code: food, label: {fr: Colis, nl: Pakket}}
          - {code: cloth, label: {fr: Vêtements, nl: Kleding}}
          - {code: advice, label: {fr: Conseil, nl: Advies}}
      - {id: T, type: text, required: false, hint: {fr: En un mot, nl: In een woord}, text: {fr: Pourquoi ?, nl: Waarom?}}
    """,
    ("fr", "nl"),
)


def rendered(question_id: str, language: str = "fr") -> str:
    question = DEFINITION.question(question_id)
    return render_text(question_prompt(DEFINITION, question, language, {"org": "Oxfam"}), language)


def test_choices_are_numbered_on_the_same_line() -> None:
    assert rendered("A6") == "Avez-vous rencontré un problème ? 1 Oui 2 Non"
    assert rendered("A6", "nl") == "Heeft u een probleem gehad? 1 Ja 2 Nee"


def test_a_scale_shows_what_its_ends_mean() -> None:
    assert rendered("A5") == "De 0 à 10, recommanderiez-vous Oxfam ? (0 = pas du tout, 10 = tout à fait)"
    assert rendered("A5", "nl") == "Beveelt u Oxfam aan? (0 = helemaal niet, 10 = zeker)"


def test_a_scale_without_labels_shows_its_range() -> None:
    assert rendered("bare") == "Note ? (1-5)"


def test_multiple_choice_says_how_to_answer() -> None:
    assert (
        rendered("M")
        == "Quels services ? 1 Colis 2 Vêtements 3 Conseil (Plusieurs réponses possibles, ex. 1 3)"
    )
    assert (
        rendered("M", "nl")
        == "Welke diensten? 1 Pakket 2 Kleding 3 Advies (Meerdere antwoorden mogelijk, bv. 1 3)"
    )


def test_an_optional_question_says_how_to_skip_it() -> None:
    assert rendered("T") == "Pourquoi ? (En un mot; - pour passer)"
    assert rendered("T", "nl") == "Waarom? (In een woord; - om over te slaan)"


def test_a_turn_gives_its_messages_then_the_prompt() -> None:
    definition = questionnaire(
        """
        intro: {fr: "Bonjour de {org} !"}
        questions: [{id: Q, type: yes_no, text: {fr: Content ?}}]
        """,
        ("fr",),
    )
    conversation = Conversation(definition, "fr", variables={"org": "Oxfam"})
    assert conversation.texts() == ["Bonjour de Oxfam !", "D'accord ? 1 Oui 2 Non"]
    conversation.send("oui", "peut-être")
    assert conversation.texts() == ["Je n'ai pas compris. Répondez 1 (oui) ou 2 (non). Content ? 1 Oui 2 Non"]
    conversation.send("bof", "hm")
    assert conversation.texts() == [
        "Je n'ai pas compris. Répondez 1 (oui) ou 2 (non). Répondez AIDE pour de l'aide, ou STOP pour quitter. "
        "Content ? 1 Oui 2 Non"
    ]
    conversation.send("oui")
    assert conversation.texts() == ["Merci pour vos réponses !"]


def test_a_language_switch_confirms_then_asks_again() -> None:
    conversation = Conversation(DEFINITION, "fr")
    conversation.send("oui")
    turn = conversation.send(LanguageReply("nl"))
    assert render_turn_text(turn, "nl") == [
        "We gaan verder in het Nederlands.",
        "Heeft u een probleem gehad? 1 Ja 2 Nee",
    ]
