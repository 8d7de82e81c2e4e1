"""SMS segment counting and GSM-7 transliteration, against the reference cases of the integration spike."""

import pytest

from questionnaires.segments import SegmentCount, count_segments, non_gsm_characters, transliterate


@pytest.mark.parametrize(
    ("text", "segments", "units"),
    [
        ("a" * 160, 1, 160),
        ("a" * 161, 2, 161),
        ("a" * 306, 2, 306),
        ("a" * 307, 3, 307),
        ("€" * 80, 1, 160),
        ("€" * 81, 2, 162),
        # 152 + 2 would overflow the 153-septet first part: the escape pair moves to the second part.
        ("a" * 152 + "€" + "a" * 152, 3, 306),
        ("a" * 151 + "€" + "a" * 153, 2, 306),
    ],
)
def test_gsm7_segments(text: str, segments: int, units: int) -> None:
    count = count_segments(text)
    assert count == SegmentCount("GSM-7", segments, units, len(text))


@pytest.mark.parametrize(
    ("text", "segments", "units"),
    [
        ("ê" * 70, 1, 70),
        ("ê" * 71, 2, 71),
        ("ê" * 134, 2, 134),
        ("ê" * 135, 3, 135),
        # 66 + 2 would overflow the 67-unit first part: the surrogate pair moves to the second part.
        ("ê" * 66 + "👍" + "ê" * 66, 3, 134),
        ("👍" * 35, 1, 70),
    ],
)
def test_ucs2_segments(text: str, segments: int, units: int) -> None:
    count = count_segments(text)
    assert count.encoding == "UCS-2"
    assert (count.segments, count.units) == (segments, units)


def test_emoji_counts_one_character_two_units() -> None:
    assert count_segments("👍") == SegmentCount("UCS-2", 1, 2, 1)


def test_empty_text_is_one_gsm7_segment() -> None:
    assert count_segments("") == SegmentCount("GSM-7", 1, 0, 0)


def test_extension_characters_cost_two_septets() -> None:
    assert count_segments("^{}\\[~]|€\f").units == 20


@pytest.mark.parametrize(
    "text",
    [
        "Êtes-vous satisfait ?",
        "Waren jullie geïnteresseerd?",
        "Bedankt vanuit België",
        "ça va",
        "l’équipe",
        "« oui »",
        "Prix\u202f: 10 €",  # narrow no-break space before the colon
    ],
)
def test_french_and_dutch_texts_that_force_ucs2_are_transliterated_to_gsm7(text: str) -> None:
    assert count_segments(text).encoding == "UCS-2"
    assert non_gsm_characters(text)
    assert count_segments(transliterate(text)).encoding == "GSM-7"
    assert non_gsm_characters(transliterate(text)) == []


def test_transliteration_choices() -> None:
    assert transliterate("Êtes-vous") == "Etes-vous"
    assert transliterate("geïnteresseerd") == "geinteresseerd"
    assert transliterate("België") == "Belgie"
    assert transliterate("ça, Ça") == "ca, Ça"
    assert transliterate("â î ô û ï ê ë") == "a i o u i e e"
    assert transliterate("l’aide ‘ici’") == "l'aide 'ici'"
    assert transliterate("“oui” « non »") == '"oui" " non "'
    assert transliterate("a – b — c…") == "a - b - c..."
    assert transliterate("cœur Œuvre") == "coeur OEuvre"
    assert transliterate("10\u00a0%") == "10 %"


def test_gsm7_characters_are_left_untouched() -> None:
    text = "é è ù ì ò à É Ç ä ö ü ñ Ä Ö Ü Ñ ß Å å Æ æ Ø ø € [ ] @ £ ¿ ¡"
    assert transliterate(text) == text
    assert count_segments(text).encoding == "GSM-7"


def test_characters_without_a_close_equivalent_are_kept_and_reported() -> None:
    assert transliterate("merci 👍") == "merci 👍"
    assert non_gsm_characters("ê ê ô 👍") == ["ê", "ô", "👍"]
