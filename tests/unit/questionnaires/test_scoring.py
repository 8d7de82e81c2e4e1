"""Scoring follows the method table of docs/questionnaires.md; values below are computed by hand."""

import math
from collections.abc import Mapping

import pytest

from questionnaires.model import (
    AnswerValue,
    Band,
    Choice,
    Consent,
    Dimension,
    Indicator,
    IndicatorMethod,
    Question,
    Questionnaire,
    QuestionType,
)
from questionnaires.scoring import Score, Tally, aggregate, score_conversation, summarize


def text(en: str) -> dict[str, str]:
    return {"fr": en, "nl": en, "en": en}


def choices(*codes: str) -> tuple[Choice, ...]:
    return tuple(Choice(code, text(f"choice {code}")) for code in codes)


def scale(qid: str, low: int, high: int) -> Question:
    return Question(qid, QuestionType.SCALE, text(qid), minimum=low, maximum=high)


def indicator(iid: str, method: IndicatorMethod, *questions: str, **fields: object) -> Indicator:
    return Indicator(
        id=iid,
        title=text(iid),
        dimension=Dimension.INDIVIDUALS,
        method=method,
        questions=questions,
        **fields,  # type: ignore[arg-type]
    )


ONS_BANDS = (
    Band("low", text("low"), 0, 4),
    Band("medium", text("medium"), 5, 6),
    Band("high", text("high"), 7, 8),
    Band("very_high", text("very high"), 9, 10),
)

QUESTIONS = (
    # C2-like agree scale: 1 strongly agree .. 5 strongly disagree, 6 don't know.
    Question(
        "agree", QuestionType.SINGLE_CHOICE, text("agree"), choices=choices("1", "2", "3", "4", "5", "6")
    ),
    Question("help", QuestionType.MULTIPLE_CHOICE, text("help"), choices=choices("a", "b", "c", "dk")),
    Question("joint", QuestionType.YES_NO, text("joint")),
    scale("s1", 1, 5),
    scale("s2", 1, 5),
    *(scale(f"W{i}", 0, 5) for i in range(1, 6)),
    scale("nps", 0, 10),
    scale("life", 0, 10),
)

INDICATORS = (
    indicator("agree_share", IndicatorMethod.SHARE, "agree", codes=("1", "2"), exclude=("6",)),
    indicator("helped", IndicatorMethod.SHARE, "help", codes=("a", "b"), exclude=("dk",)),
    indicator("joint_project", IndicatorMethod.SHARE, "joint", codes=("yes",)),
    indicator("agree_mean", IndicatorMethod.MEAN, "agree", rescale=True, reverse=("agree",), exclude=("6",)),
    indicator("scale_mean", IndicatorMethod.MEAN, "s1", "s2", rescale=True, reverse=("s2",)),
    indicator("raw_mean", IndicatorMethod.MEAN, "s1"),
    indicator("who5", IndicatorMethod.SUM, "W1", "W2", "W3", "W4", "W5", multiplier=4.0),
    indicator("recommend", IndicatorMethod.RECOMMEND, "nps"),
    indicator("life_bands", IndicatorMethod.BANDS, "life", bands=ONS_BANDS),
)

Q = Questionnaire(
    id="scoring-test",
    version=1,
    title=text("scoring test"),
    languages=("fr", "nl", "en"),
    default_language="fr",
    consent=Consent("1", text("ok?")),
    questions=QUESTIONS,
    indicators=INDICATORS,
)
BY_ID = {i.id: i for i in INDICATORS}


def score(indicator_id: str, answers: Mapping[str, AnswerValue]) -> Score:
    return score_conversation(Q, answers)[indicator_id]


def test_every_indicator_is_scored_and_missing_answers_give_none() -> None:
    scores = score_conversation(Q, {})
    assert set(scores) == set(BY_ID)
    assert all(s.value is None and s.category is None for s in scores.values())


def test_share_with_dont_know_excluded_from_the_denominator() -> None:
    assert score("agree_share", {"agree": "2"}) == Score("agree_share", 1.0, "hit")
    assert score("agree_share", {"agree": "4"}) == Score("agree_share", 0.0, "miss")
    assert score("agree_share", {"agree": "6"}) == Score("agree_share", None, "excluded")
    # Answers 1, 2, 3, 5, 6, 6: 2 hits, 2 misses, 2 "don't know" -> 2 / 4 = 50%, not 2 / 6.
    # Wilson(2, 4): centre (0.5 + 0.4802) / 1.9604 = 0.5,
    # half-width 1.96 sqrt(0.0625 + 0.060025) / 1.9604 = 0.34997.
    result = aggregate(BY_ID["agree_share"], [score("agree_share", {"agree": a}) for a in "123566"])
    assert (result.n, result.excluded, result.value) == (4, 2, 50.0)
    assert result.low == pytest.approx(15.003, abs=1e-3)
    assert result.high == pytest.approx(84.997, abs=1e-3)
    assert result.method.startswith("Wilson")
    assert result.categories["hit"].count == 2
    assert result.categories["miss"].share == 50.0
    assert result.enough is False


def test_share_of_multiple_choice_and_yes_no() -> None:
    assert score("helped", {"help": ("b", "c")}).category == "hit"
    assert score("helped", {"help": ("c",)}).category == "miss"
    assert score("helped", {"help": ("dk",)}).category == "excluded"
    assert score("helped", {"help": ("c", "dk")}).category == "miss"
    assert score("joint_project", {"joint": "yes"}).value == 1.0
    assert score("joint_project", {"joint": "no"}).value == 0.0


def test_mean_rescaled_to_0_100() -> None:
    # One 1-5 item, 4 -> (4 - 1) / (5 - 1) * 100 = 75; without rescale the raw value stays.
    assert score("raw_mean", {"s1": 4}).value == 4.0
    # s1 = 4 -> 75; s2 = 2 reverse-coded -> 1 + 5 - 2 = 4 -> 75; mean 75.
    assert score("scale_mean", {"s1": 4, "s2": 2}).value == 75.0
    # s1 = 5 -> 100; s2 = 5 reverse-coded -> 1 -> 0; mean 50.
    assert score("scale_mean", {"s1": 5, "s2": 5}).value == 50.0
    assert score("scale_mean", {"s1": 5}).value is None


def test_mean_of_a_numbered_agree_scale_with_dont_know() -> None:
    # Codes 1 (strongly agree) .. 5, reversed so agreeing scores high; "6" (don't know) is out of range.
    assert score("agree_mean", {"agree": "1"}).value == 100.0
    assert score("agree_mean", {"agree": "2"}).value == 75.0
    assert score("agree_mean", {"agree": "5"}).value == 0.0
    assert score("agree_mean", {"agree": "6"}) == Score("agree_mean", None, "excluded")


def test_who5_index() -> None:
    answers: dict[str, AnswerValue] = {"W1": 5, "W2": 4, "W3": 3, "W4": 2, "W5": 1}
    # Raw 15, index 15 x 4 = 60.
    assert score("who5", answers) == Score("who5", 60.0, None)
    del answers["W3"]
    assert score("who5", answers).value is None


def test_recommend_hand_computed() -> None:
    answers = [9, 10, 9, 10, 9, 7, 8, 0, 3, 6]
    scores = [score("recommend", {"nps": a}) for a in answers]
    assert [s.category for s in scores[4:8]] == ["promoter", "passive", "passive", "detractor"]
    assert [s.value for s in scores[4:8]] == [100.0, 0.0, 0.0, -100.0]
    result = aggregate(BY_ID["recommend"], scores)
    # 5 promoters, 2 passives, 3 detractors: 50% - 30% = +20.
    # Variance of the +1/0/-1 outcome: (0.5 + 0.3) - 0.2^2 = 0.76;
    # half-width 1.96 x 100 x sqrt(0.76 / 10) = 54.033 -> (-34.03, 74.03).
    assert result.value == pytest.approx(20.0)
    assert result.low == pytest.approx(20 - 196 * math.sqrt(0.076), abs=1e-9)
    assert result.low == pytest.approx(-34.033, abs=1e-3)
    assert result.high == pytest.approx(74.033, abs=1e-3)
    assert {k: c.count for k, c in result.categories.items()} == {"promoter": 5, "passive": 2, "detractor": 3}
    assert result.categories["promoter"].share == 50.0
    assert (result.n, result.enough) == (10, True)


def test_ons_bands_hand_computed() -> None:
    assert [score("life_bands", {"life": v}).category for v in (0, 4, 5, 6, 7, 8, 9, 10)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
        "very_high",
        "very_high",
    ]
    answers = [3, 5, 6, 7, 8, 8, 9, 10]
    result = aggregate(BY_ID["life_bands"], [score("life_bands", {"life": v}) for v in answers])
    # Mean 56 / 8 = 7; variance (428 - 56^2 / 8) / 7 = 36 / 7; se sqrt(36 / 7 / 8) = 0.80178;
    # t(0.975, 7) = 2.36462 -> 7 +/- 1.89593.
    assert result.value == 7.0
    assert result.low == pytest.approx(5.10407, abs=1e-4)
    assert result.high == pytest.approx(8.89593, abs=1e-4)
    assert list(result.categories) == ["low", "medium", "high", "very_high"]
    assert [c.count for c in result.categories.values()] == [1, 2, 3, 2]
    assert [c.share for c in result.categories.values()] == [12.5, 25.0, 37.5, 25.0]
    # Wilson(3, 8) in percent: centre (0.375 + 0.24010) / 1.48020 = 0.41555,
    # half 1.96 sqrt(0.029297 + 0.015006) / 1.48020 = 0.27871 -> (13.68, 69.43).
    assert result.categories["high"].low == pytest.approx(13.684, abs=1e-3)
    assert result.categories["high"].high == pytest.approx(69.426, abs=1e-3)


def test_aggregate_of_nothing() -> None:
    for ind in INDICATORS:
        result = aggregate(ind, [])
        assert (result.n, result.value, result.low, result.high, result.enough) == (
            0,
            None,
            None,
            None,
            False,
        )


def test_single_answer_mean_has_no_interval() -> None:
    result = aggregate(BY_ID["who5"], [Score("who5", 60.0)])
    assert (result.value, result.low, result.high) == (60.0, None, None)


def all_scores(indicator_id: str) -> list[Score]:
    answers: list[dict[str, AnswerValue]] = [
        {"agree": a, "nps": n, "life": n, "W1": w, "W2": w, "W3": 5 - w, "W4": w, "W5": 2, "s1": 1 + w % 5}
        for a, n, w in zip("12345612", [10, 9, 0, 7, 8, 6, 3, 10], [0, 1, 2, 3, 4, 5, 3, 1], strict=True)
    ]
    answers.append({})
    return [score_conversation(Q, a)[indicator_id] for a in answers]


@pytest.mark.parametrize("indicator_id", list(BY_ID))
def test_incremental_tally_equals_from_scratch(indicator_id: str) -> None:
    scores = all_scores(indicator_id)
    scratch = Tally.empty()
    for s in scores:
        scratch = scratch.add(s)

    # Added in two halves and merged.
    left, right = Tally.empty(), Tally.empty()
    for s in scores[:4]:
        left = left.add(s)
    for s in scores[4:]:
        right = right.add(s)
    assert left.merge(right) == scratch
    assert right.merge(left) == scratch
    # Counted in one pass (a batch of completions), as the scoring job does.
    assert Tally.of(scores) == scratch
    assert Tally.of(scores[:4]).merge(Tally.of(scores[4:])) == scratch

    # A correction: remove an old score, add the new one.
    corrected = scratch.add(scores[0]).remove(scores[0])
    assert corrected.n == scratch.n
    assert corrected.categories == scratch.categories
    assert corrected.total == pytest.approx(scratch.total)
    assert corrected.total_sq == pytest.approx(scratch.total_sq)

    # Removing everything returns the empty tally exactly.
    emptied = scratch
    for s in reversed(scores):
        emptied = emptied.remove(s)
    assert emptied == Tally.empty()

    ind = BY_ID[indicator_id]
    assert summarize(ind, left.merge(right)) == aggregate(ind, scores)


def test_tally_json_round_trip() -> None:
    tally = Tally.empty()
    for s in all_scores("agree_share"):
        tally = tally.add(s)
    assert tally.categories == {"hit": 4, "miss": 3, "excluded": 1}
    data = tally.to_json()
    assert data == {"n": 7, "total": 4.0, "total_sq": 4.0, "categories": {"excluded": 1, "hit": 4, "miss": 3}}
    assert Tally.from_json(data) == tally


def test_removing_a_score_never_added_is_refused() -> None:
    with pytest.raises(ValueError):
        Tally.empty().remove(Score("recommend", 100.0, "promoter"))
    with pytest.raises(ValueError):
        Tally.empty().remove(Score("who5", 60.0))


def test_min_n_controls_enough() -> None:
    small = indicator("small", IndicatorMethod.SHARE, "joint", codes=("yes",), min_n=2)
    assert aggregate(small, [Score("small", 1.0, "hit")]).enough is False
    assert aggregate(small, [Score("small", 1.0, "hit"), Score("small", 0.0, "miss")]).enough is True
