"""Indicators: one score per conversation, and campaign aggregates kept as sufficient statistics.

Scoring follows the method table of ``docs/questionnaires.md``:

* ``share`` scores 1 ("hit") or 0 ("miss"); an answer listed in ``exclude`` ("don't know") is scored
  ``None`` with the category "excluded", so it stays out of the denominator but can be reported.
* ``mean`` scores the mean of its items after reversing reverse-coded ones (min + max - value), on
  0-100 when ``rescale`` is set; it is ``None`` when any item is missing or excluded.
* ``sum`` scores the raw sum times ``multiplier``; ``None`` when any item is missing.
* ``recommend`` scores +100 ("promoter", 9-10), 0 ("passive", 7-8) or -100 ("detractor", 0-6).
* ``bands`` scores the answer itself (so the mean can be reported) with its band id as category.

Aggregates are reported on these scales: shares and every category share in percent (0-100), ``mean``,
``sum`` and ``bands`` values in the indicator's own units, ``recommend`` from -100 to +100. A campaign
keeps one :class:`Tally` per indicator and updates it on each completion (``add``), correction
(``remove`` then ``add``) or merge of sub-campaigns, so results never need the raw answers again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from questionnaires.model import (
    CHOICE_TYPES,
    AnswerValue,
    Indicator,
    IndicatorMethod,
    Question,
    Questionnaire,
    as_code,
)
from questionnaires.statistics import mean_interval, recommend_interval, wilson

HIT, MISS, EXCLUDED = "hit", "miss", "excluded"
PROMOTER, PASSIVE, DETRACTOR = "promoter", "passive", "detractor"


@dataclass(frozen=True, slots=True)
class Score:
    """One respondent's value for one indicator; ``value`` is None when it can't be computed.

    ``category`` is "hit"/"miss" for shares, "promoter"/"passive"/"detractor" for recommend, the band
    id for bands, "excluded" when the answer was one of the indicator's ``exclude`` codes, else None.
    """

    indicator_id: str
    value: float | None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class CategoryShare:
    """How many respondents fell into one category, as a percentage of n with its Wilson interval."""

    count: int
    share: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A campaign result for one indicator: value, 95% interval, the interval method and category shares.

    ``value`` is in percent for ``share``, from -100 to +100 for ``recommend``, and in the indicator's
    own units for ``mean``, ``sum`` and ``bands`` (the mean answer). ``excluded`` counts answers left out
    of the denominator. ``enough`` is false below the indicator's ``min_n``: show "not enough answers".
    """

    indicator_id: str
    n: int
    value: float | None
    low: float | None
    high: float | None
    method: str
    categories: Mapping[str, CategoryShare]
    excluded: int
    enough: bool


@dataclass(frozen=True)
class Tally:
    """Sufficient statistics of one indicator's scores: count, sum, sum of squares and category counts.

    Scores with no value only count in ``categories`` (as "excluded"), never in ``n``.
    """

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    categories: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> Tally:
        """A tally with no scores, to start a campaign or aggregate from scratch."""
        return cls()

    @classmethod
    def of(cls, scores: Iterable[Score]) -> Tally:
        """The tally of many scores at once (a batch of completions): the same as adding them one by one."""
        n, total, total_sq = 0, 0.0, 0.0
        categories: dict[str, int] = {}
        for score in scores:
            if score.category is not None:
                categories[score.category] = categories.get(score.category, 0) + 1
            value = score.value
            if value is not None:
                n += 1
                total += value
                total_sq += value * value
        return cls(n, total, total_sq, categories)

    def add(self, score: Score) -> Tally:
        """The tally with one more respondent's score (on completion)."""
        return self._shift(score, 1)

    def remove(self, score: Score) -> Tally:
        """The tally without a score added before (when an answer is corrected or a response deleted)."""
        return self._shift(score, -1)

    def merge(self, other: Tally) -> Tally:
        """The tally of both sets of respondents (e.g. channels or member organizations pooled)."""
        categories = dict(self.categories)
        for name, count in other.categories.items():
            categories[name] = categories.get(name, 0) + count
        return Tally(
            n=self.n + other.n,
            total=self.total + other.total,
            total_sq=self.total_sq + other.total_sq,
            categories=categories,
        )

    def _shift(self, score: Score, sign: int) -> Tally:
        categories = dict(self.categories)
        if score.category is not None:
            count = categories.get(score.category, 0) + sign
            if count < 0:
                raise ValueError(f"cannot remove a {score.category!r} score that was never added")
            if count:
                categories[score.category] = count
            else:
                # Dropped rather than kept at zero, so a tally equals one built from scratch.
                del categories[score.category]
        if score.value is None:
            return Tally(self.n, self.total, self.total_sq, categories)
        n = self.n + sign
        if n < 0:
            raise ValueError("cannot remove a score from an empty tally")
        if n == 0:
            # Reset exactly instead of carrying float residue from add/remove round trips.
            return Tally(0, 0.0, 0.0, categories)
        value = score.value
        return Tally(n, self.total + sign * value, self.total_sq + sign * value * value, categories)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, for storing the tally beside the campaign."""
        return {
            "n": self.n,
            "total": self.total,
            "total_sq": self.total_sq,
            "categories": dict(sorted(self.categories.items())),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Tally:
        """Read a tally written by :meth:`to_json`."""
        n = int(data["n"])
        categories = {str(k): int(v) for k, v in data.get("categories", {}).items() if int(v)}
        if n < 0 or any(v < 0 for v in categories.values()):
            raise ValueError("a tally cannot hold negative counts")
        return cls(n=n, total=float(data["total"]), total_sq=float(data["total_sq"]), categories=categories)


# --- per conversation ---------------------------------------------------------------------------------


def score_conversation(q: Questionnaire, answers: Mapping[str, AnswerValue]) -> dict[str, Score]:
    """Score every indicator of the questionnaire for one respondent's answers, keyed by indicator id."""
    return {indicator.id: score_indicator(q, indicator, answers) for indicator in q.indicators}


def score_indicator(q: Questionnaire, indicator: Indicator, answers: Mapping[str, AnswerValue]) -> Score:
    """One indicator's score for one respondent."""
    if indicator.method is IndicatorMethod.SHARE:
        return _score_share(indicator, answers.get(indicator.questions[0]))
    if indicator.method is IndicatorMethod.MEAN:
        return _score_mean(q, indicator, answers)
    if indicator.method is IndicatorMethod.SUM:
        return _score_sum(indicator, answers)
    if indicator.method is IndicatorMethod.RECOMMEND:
        return _score_recommend(indicator, answers.get(indicator.questions[0]))
    return _score_bands(indicator, answers.get(indicator.questions[0]))


def _number(value: AnswerValue) -> float | None:
    """An answer as a number: scale/integer/number answers, or a numeric choice code."""
    if isinstance(value, tuple):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _score_share(indicator: Indicator, answer: AnswerValue | None) -> Score:
    if answer is None or answer == ():
        return Score(indicator.id, None)
    chosen = [as_code(a) for a in answer] if isinstance(answer, tuple) else [as_code(answer)]
    if any(code in indicator.codes for code in chosen):
        return Score(indicator.id, 1.0, HIT)
    # For multiple choice, "don't know" only excludes the respondent when nothing else was chosen.
    if all(code in indicator.exclude for code in chosen):
        return Score(indicator.id, None, EXCLUDED)
    return Score(indicator.id, 0.0, MISS)


def _item_range(question: Question, exclude: tuple[str, ...]) -> tuple[float, float] | None:
    """The lowest and highest possible item value, for reversing and rescaling."""
    if question.minimum is not None and question.maximum is not None:
        return question.minimum, question.maximum
    if question.type in CHOICE_TYPES:
        numbers = [_number(c.code) for c in question.choices if c.code not in exclude]
        values = [n for n in numbers if n is not None]
        if values:
            return min(values), max(values)
    return None


def _score_mean(q: Questionnaire, indicator: Indicator, answers: Mapping[str, AnswerValue]) -> Score:
    items: list[float] = []
    for question_id in indicator.questions:
        answer = answers.get(question_id)
        if answer is None:
            return Score(indicator.id, None)
        if not isinstance(answer, tuple) and as_code(answer) in indicator.exclude:
            return Score(indicator.id, None, EXCLUDED)
        value = _number(answer)
        if value is None:
            return Score(indicator.id, None)
        if question_id in indicator.reverse or indicator.rescale:
            bounds = _item_range(q.question(question_id), indicator.exclude)
            if bounds is None:
                raise ValueError(f"indicator {indicator.id}: question {question_id} has no min and max")
            low, high = bounds
            if question_id in indicator.reverse:
                value = low + high - value
            if indicator.rescale:
                value = 100 * (value - low) / (high - low)
        items.append(value)
    return Score(indicator.id, sum(items) / len(items))


def _score_sum(indicator: Indicator, answers: Mapping[str, AnswerValue]) -> Score:
    total = 0.0
    for question_id in indicator.questions:
        answer = answers.get(question_id)
        value = None if answer is None else _number(answer)
        if value is None:
            return Score(indicator.id, None)
        total += value
    return Score(indicator.id, total * indicator.multiplier)


def _score_recommend(indicator: Indicator, answer: AnswerValue | None) -> Score:
    value = None if answer is None else _number(answer)
    if value is None:
        return Score(indicator.id, None)
    if value >= 9:
        return Score(indicator.id, 100.0, PROMOTER)
    if value >= 7:
        return Score(indicator.id, 0.0, PASSIVE)
    return Score(indicator.id, -100.0, DETRACTOR)


def _score_bands(indicator: Indicator, answer: AnswerValue | None) -> Score:
    value = None if answer is None else _number(answer)
    if value is None:
        return Score(indicator.id, None)
    # An answer outside every band still counts in the mean; band shares then add up to less than 100.
    band = next((b.id for b in indicator.bands if b.minimum <= value <= b.maximum), None)
    return Score(indicator.id, value, band)


# --- campaign aggregates ------------------------------------------------------------------------------


def aggregate(indicator: Indicator, scores: Iterable[Score]) -> Aggregate:
    """The campaign result for one indicator from its respondents' scores."""
    tally = Tally.empty()
    for score in scores:
        tally = tally.add(score)
    return summarize(indicator, tally)


def summarize(indicator: Indicator, tally: Tally) -> Aggregate:
    """The campaign result for one indicator from its tally: value, 95% interval and category shares."""
    n = tally.n
    value: float | None
    low: float | None
    high: float | None
    if indicator.method is IndicatorMethod.SHARE:
        names: tuple[str, ...] = (HIT, MISS)
        hits = tally.categories.get(HIT, 0)
        value, low, high = _percent_interval(hits, n)
        method = "Wilson score interval, 95%"
    elif indicator.method is IndicatorMethod.RECOMMEND:
        names = (PROMOTER, PASSIVE, DETRACTOR)
        value, low, high = recommend_interval(*(tally.categories.get(name, 0) for name in names))
        method = "normal approximation with the variance of the promoter/passive/detractor outcome, 95%"
    else:
        names = tuple(band.id for band in indicator.bands)
        value, low, high = mean_interval(n, tally.total, tally.total_sq)
        method = "Student t interval of the mean, 95%"
        if names:
            method += "; band shares: Wilson score interval, 95%"
    categories = {name: _category(tally.categories.get(name, 0), n) for name in names}
    return Aggregate(
        indicator_id=indicator.id,
        n=n,
        value=value,
        low=low,
        high=high,
        method=method,
        categories=categories,
        excluded=tally.categories.get(EXCLUDED, 0),
        enough=n >= indicator.min_n,
    )


def _percent_interval(hits: int, n: int) -> tuple[float | None, float | None, float | None]:
    if n == 0:
        return None, None, None
    low, high = wilson(hits, n)
    return 100 * hits / n, 100 * low, 100 * high


def _category(count: int, n: int) -> CategoryShare:
    share, low, high = _percent_interval(count, n)
    return CategoryShare(count=count, share=share, low=low, high=high)
