"""Numbers as people read them, in French, Dutch and English."""

from __future__ import annotations

import pytest

from service.results import phrases


@pytest.mark.parametrize(
    ("value", "digits", "language", "expected"),
    [
        (62.5, 0, "en", "63"),  # half up, not Python's half to even
        (0.125, 2, "en", "0.13"),
        (7.25, 1, "fr", "7,3"),
        (7.25, 1, "nl", "7,3"),
        (1234.5, 1, "en", "1,234.5"),
        (1234.5, 1, "fr", "1\u202f234,5"),
        (1234.5, 1, "nl", "1.234,5"),
        (-3.0, 0, "en", "−3"),
        (-0.4, 0, "en", "0"),  # never "−0"
    ],
)
def test_numbers(value: float, digits: int, language: str, expected: str) -> None:
    assert phrases.number(value, language, digits) == expected


def test_signed_numbers_and_percentages() -> None:
    assert phrases.number(20, "en", signed=True) == "+20"
    assert phrases.number(0, "en", signed=True) == "0"
    assert phrases.percent(61.7, "en") == "62%"
    assert phrases.percent(61.7, "fr") == "62\u202f%"


def test_intervals() -> None:
    assert phrases.interval(51.2, 71.6, "en", is_percent=True) == "51–72%"
    assert phrases.interval(51.2, 71.6, "fr", is_percent=True) == "51–72\u202f%"
    assert phrases.interval(-34.03, 74.03, "en") == "−34 to +74"
    assert phrases.interval(-34.03, 74.03, "fr") == "−34 à +74"
    assert phrases.interval(-34.03, 74.03, "nl") == "−34 tot +74"
    assert phrases.interval(None, None, "en") == "too few answers for an interval"


def test_french_sentences_get_french_spacing() -> None:
    sentence = phrases.text("share", "fr", value="62\u202f%", title="x", hits=1, n=2, interval="1–2\u202f%")
    assert " :" not in sentence and " ;" not in sentence
    assert (
        "personnes répondantes\u00a0: x (1 sur 2\u202f; intervalle à 95\u202f%\u00a0: 1–2\u202f%)" in sentence
    )


def test_every_text_exists_in_the_three_languages() -> None:
    for key, entry in phrases.CATALOG.items():
        assert set(entry) == {"fr", "nl", "en"}, key
        assert all(value.strip() for value in entry.values()), key


def test_titles_inside_sentences() -> None:
    assert phrases.lowercase_title("Quality of life improved") == "quality of life improved"
    assert phrases.lowercase_title("WHO-5 index") == "WHO-5 index"
