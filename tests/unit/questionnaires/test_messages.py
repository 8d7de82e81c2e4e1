"""System texts exist in every language, agree on their parameters, and stay cheap by SMS."""

from __future__ import annotations

import re

import pytest

from questionnaires.keywords import Command, classify
from questionnaires.messages import CATALOG, message, placeholders
from questionnaires.segments import non_gsm_characters

LANGUAGES = ("fr", "nl", "en")
# Language names are written properly even though "ç" costs a UCS-2 message.
UCS2_ALLOWED = {("language_switched", "fr")}


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_message_exists_in_every_language_with_the_same_parameters(key: str) -> None:
    translations = CATALOG[key]
    assert set(translations) == set(LANGUAGES)
    assert all(text.strip() for text in translations.values())
    assert len({placeholders(text) for text in translations.values()}) == 1


@pytest.mark.parametrize("key", sorted(CATALOG))
@pytest.mark.parametrize("language", LANGUAGES)
def test_system_texts_keep_to_the_gsm7_alphabet(key: str, language: str) -> None:
    if (key, language) not in UCS2_ALLOWED:
        assert non_gsm_characters(CATALOG[key][language]) == []


def test_parameters_are_filled_in() -> None:
    assert message("hint.range", "fr", min="0", max="10") == "Répondez par un nombre de 0 à 10."
    assert message("stopped", "nl", org="De Kringwinkel").startswith(
        "Genoteerd, u krijgt geen berichten meer van De Kringwinkel."
    )


def test_braces_in_a_parameter_are_kept_as_they_are() -> None:
    assert "{org} {0} %s" in message("stopped", "en", org="{org} {0} %s")


def test_a_missing_parameter_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="needs max, min"):
        message("hint.range", "en")


def test_an_unknown_language_falls_back_to_english() -> None:
    assert message("thanks", "de") == "Thank you for your answers!"


def test_yes_no_labels() -> None:
    assert [(message("yes", lang), message("no", lang)) for lang in LANGUAGES] == [
        ("Oui", "Non"),
        ("Ja", "Nee"),
        ("Yes", "No"),
    ]


@pytest.mark.parametrize("key", ["help", "offer_help", "stopped", "hint.back"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_keywords_named_in_a_text_are_understood_in_that_language(key: str, language: str) -> None:
    text = CATALOG[key][language]
    for word in re.findall(r"\b[A-Z]{4,}\b", text):
        keyword = classify(word)
        assert keyword is not None, f"{word} in {key}/{language} is not a keyword"
        assert keyword.language in (None, language)
        assert keyword.command in set(Command)
