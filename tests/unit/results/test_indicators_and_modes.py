"""Indicators told in plain words for every method, and mode effects tested as computed by hand."""

from __future__ import annotations

import pytest

from questionnaires.loader import load_text
from questionnaires.scoring import Score, Tally
from service.results.indicators import by_dimension, indicator_result, scale_of
from service.results.mode_effects import mode_effects

DEFINITION = """
id: units
version: 1
title: {fr: U, nl: U, en: U}
languages: [fr, nl, en]
default_language: en
consent: {version: "1", text: {fr: "?", nl: "?", en: "?"}}
questions:
  - {id: q, type: yes_no, text: {fr: "?", nl: "?", en: "?"}}
  - {id: w1, type: scale, min: 0, max: 5, text: {fr: "?", nl: "?", en: "?"}}
  - {id: w2, type: scale, min: 0, max: 5, text: {fr: "?", nl: "?", en: "?"}}
  - {id: ls, type: scale, min: 0, max: 10, text: {fr: "?", nl: "?", en: "?"}}
indicators:
  - {id: yes_share, title: {fr: Oui, nl: Ja, en: Said yes}, dimension: social_link, method: share, question: q, codes: ["yes"]}
  - {id: index, title: {fr: Indice, nl: Index, en: WHO-5 index}, dimension: individuals, method: sum, questions: [w1, w2], multiplier: 10}
  - id: satisfaction
    title: {fr: Satisfaction, nl: Tevredenheid, en: Satisfaction}
    dimension: individuals
    method: bands
    question: ls
    bands:
      - {id: low, label: {fr: Faible, nl: Laag, en: Low}, min: 0, max: 4}
      - {id: high, label: {fr: Haute, nl: Hoog, en: High}, min: 5, max: 10}
"""


def _tally(values: list[float], category: str | None = None) -> Tally:
    tally = Tally.empty()
    for value in values:
        tally = tally.add(Score("x", value, category))
    return tally


def test_sum_indicators_tell_their_range_and_bands_their_shares() -> None:
    questionnaire = load_text(DEFINITION)
    index = questionnaire.indicators[1]
    assert scale_of(questionnaire, index) == (0.0, 100.0)
    result = indicator_result(questionnaire, index, _tally([40, 60, 80, 100, 20]), "en")
    # mean 60; variance 4000 / 4 = 1000, se sqrt(1000 / 5) = 14.142, t(0.975, 4) = 2.776445: 20.74 to 99.26
    assert (
        result.sentence
        == "WHO-5 index: 60.0 on average, on a scale from 0 to 100 (n = 5; 95% interval: 20.7–99.3)"
    )
    bands = questionnaire.indicators[2]
    tally = Tally.empty()
    for value in (2, 3, 7, 8, 9):
        tally = tally.add(Score("satisfaction", value, "low" if value <= 4 else "high"))
    result = indicator_result(questionnaire, bands, tally, "en")
    assert [(c.label, c.count, c.share_text) for c in result.categories] == [
        ("Low", 2, "40%"),
        ("High", 3, "60%"),
    ]
    assert result.value_text == "5.8"


def test_dimensions_come_in_the_frame_s_order_and_missing_values_say_why() -> None:
    questionnaire = load_text(DEFINITION)
    groups = by_dimension(questionnaire, {}, "nl")
    assert [g.dimension.value for g in groups] == ["individuals", "social_link"]
    assert groups[1].indicators[0].sentence == "Ja: nog geen antwoorden"
    few = indicator_result(questionnaire, questionnaire.indicators[0], _tally([1, 0, 1], "hit"), "fr")
    assert few.sentence == "Oui\u00a0: pas assez de réponses pour afficher une valeur (n = 3, 5 nécessaires)"
    assert not few.shown and few.value_text is None


def _share_tally(hits: int, n: int) -> Tally:
    tally = Tally.empty()
    for index in range(n):
        tally = tally.add(Score("yes_share", 1.0 if index < hits else 0.0, "hit" if index < hits else "miss"))
    return tally


def test_a_chi_square_computed_by_hand() -> None:
    questionnaire = load_text(DEFINITION)
    # web 30/40, sms 15/40: pooled 45/80; chi-square 2 * 7.5²/22.5 + 2 * 7.5²/17.5 = 11.43, p = 0.0007
    tallies = {
        "channel:web": {"yes_share": _share_tally(30, 40)},
        "channel:sms": {"yes_share": _share_tally(15, 40)},
    }
    (effect,) = mode_effects(questionnaire, tallies, "en")
    assert effect.p_value == pytest.approx(0.000723, abs=2e-6)
    assert effect.differ and effect.note == "Channels differ beyond chance (p < 0.001)."
    assert [v.channel for v in effect.channels] == ["web", "sms"]
    # 20/40 against 19/40: chi-square 0.050, p = 0.82
    tallies = {
        "channel:web": {"yes_share": _share_tally(20, 40)},
        "channel:sms": {"yes_share": _share_tally(19, 40)},
    }
    (effect,) = mode_effects(questionnaire, tallies, "fr")
    assert not effect.differ and effect.note == "Pas de différence entre canaux au-delà du hasard (p = 0,82)."


def test_means_are_compared_pairwise_with_bonferroni() -> None:
    questionnaire = load_text(DEFINITION)
    web = _tally([40, 60, 80, 100, 20])  # mean 60, variance 1000
    sms = _tally([0, 5, 10, 15, 20])  # mean 10, variance 62.5
    # t = 50 / sqrt(200 + 12.5) = 3.43 with 4.5 degrees of freedom: between t(0.975, 4) = 2.78 and
    # t(0.99, 4) = 3.75, so p is between 0.02 and 0.05
    tallies = {"channel:web": {"index": web}, "channel:sms": {"index": sms}}
    (effect,) = mode_effects(questionnaire, tallies, "en")
    assert effect.p_value is not None and 0.015 < effect.p_value < 0.035
    assert effect.differ and effect.short.startswith("Yes (p = 0.0")
    two_channels = effect.p_value
    # a third channel like the web: three pairs, the smallest p-value (web or Telegram against SMS) times 3
    tallies["channel:telegram"] = {"index": _tally([20, 60, 100, 40, 80])}
    (effect,) = mode_effects(questionnaire, tallies, "en")
    assert effect.p_value == pytest.approx(3 * two_channels)
    assert not effect.differ and "Welch" in (effect.test or "")


def test_one_channel_or_too_few_answers_are_not_tested() -> None:
    questionnaire = load_text(DEFINITION)
    (effect,) = mode_effects(questionnaire, {"channel:web": {"yes_share": _share_tally(3, 9)}}, "en")
    assert effect.test is None and effect.note == "Only one channel used: nothing to compare."
    tallies = {
        "channel:web": {"yes_share": _share_tally(3, 9)},
        "channel:sms": {"yes_share": _share_tally(1, 4)},
    }
    (effect,) = mode_effects(questionnaire, tallies, "en")
    assert effect.test is None and effect.short == "Not tested"
