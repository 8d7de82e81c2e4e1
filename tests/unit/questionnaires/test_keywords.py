"""Commands respondents type: whole messages, any case or accents, in French, Dutch and English."""

from __future__ import annotations

import pytest

from questionnaires.keywords import Command, Keyword, classify


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("STOP", Command.STOP),
        ("stop.", Command.STOP),
        ("Arrêt", Command.STOP),
        ("ARRET !", Command.STOP),
        ("stopp", Command.STOP),
        ("unsubscribe", Command.STOP),
        ("désinscrire", Command.STOP),
        ("/stop", Command.STOP),
        ("/stop@vises_bot", Command.STOP),
        ("start", Command.START),
        ("UNSTOP", Command.START),
        ("démarrer", Command.START),
        ("help", Command.HELP),
        ("Aide", Command.HELP),
        ("hulp", Command.HELP),
        ("?", Command.HELP),
        (" ?? ", Command.HELP),
        ("restart", Command.RESTART),
        ("Recommencer", Command.RESTART),
        ("opnieuw", Command.RESTART),
        ("back", Command.BACK),
        ("retour", Command.BACK),
        ("terug", Command.BACK),
        ("vorige", Command.BACK),
        ("précédent", Command.BACK),
        ("supprimer", Command.DELETE),
        ("verwijder", Command.DELETE),
        ("delete", Command.DELETE),
        ("effacer", Command.DELETE),
        ("mes données", Command.ACCESS),
        ("Mijn gegevens", Command.ACCESS),
        ("my data", Command.ACCESS),
    ],
)
def test_keywords_are_recognised(text: str, command: Command) -> None:
    keyword = classify(text)
    assert keyword is not None
    assert keyword.command is command


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("fr", "fr"),
        ("FR", "fr"),
        ("français", "fr"),
        ("Francais", "fr"),
        ("nl", "nl"),
        ("Nederlands", "nl"),
        ("en", "en"),
        ("English", "en"),
    ],
)
def test_language_names_switch_language(text: str, language: str) -> None:
    assert classify(text) == Keyword(Command.LANGUAGE, language)


def test_the_language_of_a_keyword_is_known_when_it_tells() -> None:
    assert classify("aide") == Keyword(Command.HELP, "fr")
    assert classify("hulp") == Keyword(Command.HELP, "nl")
    assert classify("stop") == Keyword(Command.STOP, None)
    assert classify("langue") == Keyword(Command.LANGUAGE, None)


@pytest.mark.parametrize(
    "text",
    ["1", "oui", "non", "I want to stop smoking", "stop it now", "", "   ", "help me out", "/start abc"],
)
def test_ordinary_replies_are_not_keywords(text: str) -> None:
    assert classify(text) is None
