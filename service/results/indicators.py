"""Indicators per impact dimension: value, n and 95% interval, told in plain words.

Values come from the campaign aggregates the scoring workers keep (one :class:`Tally` per indicator and
segment), so a page never rescans the answers. Units follow ``docs/questionnaires.md``: shares in
percent, the likelihood-to-recommend score from −100 to +100, means and sums in their own units. An
indicator below its ``min_n`` shows "not enough answers (n=3, 5 needed)" instead of a number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires.model import Dimension, Indicator, IndicatorMethod, Questionnaire, translate
from questionnaires.scoring import DETRACTOR, HIT, PASSIVE, PROMOTER, Aggregate, Tally, summarize
from service.models import CampaignAggregate
from service.results import phrases

ALL = "all"


@dataclass(frozen=True, slots=True)
class CategoryResult:
    """One category of an indicator (a band, or 9-10 / 7-8 / 0-6): its count and share in percent."""

    id: str
    label: str
    count: int
    share: float | None
    low: float | None
    high: float | None
    share_text: str


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """One indicator's result ready to show: the aggregate and the words and numbers to show with it."""

    indicator: Indicator
    aggregate: Aggregate
    title: str
    unit: str
    """"percent", "score" (−100..+100) or "mean" (the indicator's own units)."""
    digits: int
    shown: bool
    """A value may be shown: n reaches the indicator's ``min_n``."""
    value_text: str | None
    interval_text: str | None
    short_text: str
    """"n = 84, 51–72%" or "n = 3" when the value is not shown."""
    sentence: str
    excluded_text: str | None
    scale: tuple[float, float] | None
    categories: tuple[CategoryResult, ...]
    description: str | None
    source: str | None

    @property
    def id(self) -> str:
        return self.indicator.id

    @property
    def n(self) -> int:
        return self.aggregate.n


@dataclass(frozen=True, slots=True)
class DimensionResults:
    dimension: Dimension
    label: str
    indicators: tuple[IndicatorResult, ...]


def load_tallies(session: Session, campaign_ids: Iterable[int]) -> dict[str, dict[str, Tally]]:
    """The stored tallies of one or more campaigns, merged, keyed by segment then indicator id."""
    ids = list(campaign_ids)
    merged: dict[str, dict[str, Tally]] = {}
    if not ids:
        return merged
    rows = session.execute(
        select(CampaignAggregate.segment, CampaignAggregate.indicator_id, CampaignAggregate.tally).where(
            CampaignAggregate.campaign_id.in_(ids)
        )
    )
    for segment, indicator_id, data in rows:
        by_indicator = merged.setdefault(segment, {})
        tally = Tally.from_json(data)
        previous = by_indicator.get(indicator_id)
        by_indicator[indicator_id] = tally if previous is None else previous.merge(tally)
    return merged


def unit_of(indicator: Indicator) -> str:
    if indicator.method is IndicatorMethod.SHARE:
        return "percent"
    if indicator.method is IndicatorMethod.RECOMMEND:
        return "score"
    return "mean"


def digits_of(indicator: Indicator) -> int:
    """Decimals shown: whole percent and recommend points, one decimal for means and sums."""
    return 0 if indicator.method in (IndicatorMethod.SHARE, IndicatorMethod.RECOMMEND) else 1


def scale_of(questionnaire: Questionnaire, indicator: Indicator) -> tuple[float, float] | None:
    """The range an indicator's value lies in, for the sentence and the chart axis."""
    if indicator.method is IndicatorMethod.SHARE:
        return 0.0, 100.0
    if indicator.method is IndicatorMethod.RECOMMEND:
        return -100.0, 100.0
    if indicator.method is IndicatorMethod.MEAN and indicator.rescale:
        return 0.0, 100.0
    bounds = []
    for question_id in indicator.questions:
        if not questionnaire.has_question(question_id):
            return None
        question = questionnaire.question(question_id)
        if question.minimum is None or question.maximum is None:
            numeric = [float(c.code) for c in question.choices if _is_number(c.code)]
            if not numeric:
                return None
            bounds.append((min(numeric), max(numeric)))
        else:
            bounds.append((question.minimum, question.maximum))
    if not bounds:
        return None
    if indicator.method is IndicatorMethod.SUM:
        low = sum(b[0] for b in bounds) * indicator.multiplier
        high = sum(b[1] for b in bounds) * indicator.multiplier
        return min(low, high), max(low, high)
    return min(b[0] for b in bounds), max(b[1] for b in bounds)


def _is_number(code: str) -> bool:
    try:
        float(code)
    except ValueError:
        return False
    return True


def format_value(indicator: Indicator, value: float, language: str) -> str:
    """A value in the indicator's unit: "62%", "+24", "7,2"."""
    digits = digits_of(indicator)
    if indicator.method is IndicatorMethod.SHARE:
        return phrases.percent(value, language, digits)
    if indicator.method is IndicatorMethod.RECOMMEND:
        return phrases.number(value, language, digits, signed=True)
    return phrases.number(value, language, digits)


def format_interval(indicator: Indicator, low: float | None, high: float | None, language: str) -> str:
    return phrases.interval(
        low,
        high,
        language,
        digits_of(indicator),
        is_percent=indicator.method is IndicatorMethod.SHARE,
    )


def indicator_result(
    questionnaire: Questionnaire, indicator: Indicator, tally: Tally | None, language: str
) -> IndicatorResult:
    """One indicator's result from its tally (an empty tally when nobody has been scored yet)."""
    aggregate = summarize(indicator, tally or Tally.empty())
    default = questionnaire.default_language
    title = translate(indicator.title, language, default)
    in_sentence = phrases.lowercase_title(title)
    shown = aggregate.enough and aggregate.value is not None
    value_text = interval_text = None
    scale = scale_of(questionnaire, indicator)
    if not shown:
        key = "no_answers" if aggregate.n == 0 else "not_enough"
        sentence = phrases.text(key, language, title=title, n=aggregate.n, min_n=indicator.min_n)
        short = f"n = {aggregate.n}"
    else:
        assert aggregate.value is not None
        value_text = format_value(indicator, aggregate.value, language)
        interval_text = format_interval(indicator, aggregate.low, aggregate.high, language)
        short = phrases.text("short", language, n=aggregate.n, interval=interval_text)
        sentence = _sentence(
            indicator, aggregate, language, title, in_sentence, value_text, interval_text, scale
        )
    excluded = None
    if aggregate.excluded:
        key = "excluded.one" if aggregate.excluded == 1 else "excluded.many"
        excluded = phrases.text(key, language, count=aggregate.excluded)
    return IndicatorResult(
        indicator=indicator,
        aggregate=aggregate,
        title=title,
        unit=unit_of(indicator),
        digits=digits_of(indicator),
        shown=shown,
        value_text=value_text,
        interval_text=interval_text,
        short_text=short,
        sentence=sentence,
        excluded_text=excluded,
        scale=scale,
        categories=_categories(indicator, aggregate, language, default) if shown else (),
        description=translate(indicator.description, language, default) if indicator.description else None,
        source=indicator.source,
    )


def _sentence(
    indicator: Indicator,
    aggregate: Aggregate,
    language: str,
    title: str,
    in_sentence: str,
    value_text: str,
    interval_text: str,
    scale: tuple[float, float] | None,
) -> str:
    n = aggregate.n
    if indicator.method is IndicatorMethod.SHARE:
        hits = aggregate.categories[HIT].count
        return phrases.text(
            "share", language, value=value_text, title=in_sentence, hits=hits, n=n, interval=interval_text
        )
    if indicator.method is IndicatorMethod.RECOMMEND:
        promoters = aggregate.categories[PROMOTER].share or 0.0
        detractors = aggregate.categories[DETRACTOR].share or 0.0
        return phrases.text(
            "recommend",
            language,
            title=title,
            value=value_text,
            n=n,
            interval=interval_text,
            promoters=phrases.percent(promoters, language),
            detractors=phrases.percent(detractors, language),
        )
    if scale is not None:
        digits = 0 if all(float(bound).is_integer() for bound in scale) else 1
        return phrases.text(
            "mean_on_scale",
            language,
            title=title,
            value=value_text,
            min=phrases.number(scale[0], language, digits),
            max=phrases.number(scale[1], language, digits),
            n=n,
            interval=interval_text,
        )
    return phrases.text("mean", language, title=title, value=value_text, n=n, interval=interval_text)


def _categories(
    indicator: Indicator, aggregate: Aggregate, language: str, default: str
) -> tuple[CategoryResult, ...]:
    if indicator.method is IndicatorMethod.RECOMMEND:
        labels = {name: phrases.text(f"category.{name}", language) for name in (PROMOTER, PASSIVE, DETRACTOR)}
    elif indicator.bands:
        labels = {band.id: translate(band.label, language, default) for band in indicator.bands}
    else:
        return ()
    result = []
    for name, label in labels.items():
        share = aggregate.categories.get(name)
        if share is None:
            continue
        result.append(
            CategoryResult(
                id=name,
                label=label,
                count=share.count,
                share=share.share,
                low=share.low,
                high=share.high,
                share_text=phrases.percent(share.share, language) if share.share is not None else "",
            )
        )
    return tuple(result)


def by_dimension(
    questionnaire: Questionnaire, tallies: Mapping[str, Tally], language: str
) -> list[DimensionResults]:
    """Every indicator of the questionnaire, grouped by impact dimension in the frame's order."""
    groups: dict[Dimension, list[IndicatorResult]] = {}
    for indicator in questionnaire.indicators:
        result = indicator_result(questionnaire, indicator, tallies.get(indicator.id), language)
        groups.setdefault(indicator.dimension, []).append(result)
    return [
        DimensionResults(
            dimension=dimension,
            label=phrases.text(f"dimension.{dimension.value}", language),
            indicators=tuple(groups[dimension]),
        )
        for dimension in Dimension
        if dimension in groups
    ]


def method_note(indicator: Indicator, language: str) -> str:
    """How the indicator is computed and its interval obtained, for the report's method notes."""
    method = indicator.method.value
    note = phrases.text(
        f"method.{method}",
        language,
        min_n=indicator.min_n,
        multiplier=phrases.number(
            indicator.multiplier, language, 0 if indicator.multiplier.is_integer() else 2
        ),
    )
    if indicator.method is not IndicatorMethod.RECOMMEND:
        note += " " + phrases.text("method.min_n", language, min_n=indicator.min_n)
    return note
