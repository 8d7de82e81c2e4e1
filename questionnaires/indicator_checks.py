"""Cross-checks of a definition's indicators: that each method gets the questions and fields it can score.

``share`` needs codes that are possible answers, ``mean`` and ``sum`` numeric answers (``mean`` with a
known range to reverse or rescale), ``recommend`` a 0-10 scale and ``bands`` a numeric question with
bands that don't overlap; a field another method uses is reported rather than ignored.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from questionnaires.choice_replies import option_keys
from questionnaires.drafts import DraftChecks
from questionnaires.model import (
    NUMERIC_TYPES,
    WHOLE_NUMBER_TYPES,
    Indicator,
    IndicatorMethod,
    Question,
    QuestionType,
)


class IndicatorChecks(DraftChecks):
    """The checks of a draft's indicators, against the questions that loaded."""

    def run(self) -> None:
        seen: set[str] = set()
        for indicator in self.draft.indicators:
            if indicator.id in seen:
                self.report.coded(f"indicator {indicator.id}", "duplicate-indicator-id")
            seen.add(indicator.id)
            self.indicator(indicator)

    def indicator(self, ind: Indicator) -> None:
        where = f"indicator {ind.id}"
        self.translations(where, "title", ind.title)
        self.translations(where, "description", ind.description)
        for band in ind.bands:
            self.translations(where, "label", band.label, band=band.id)
        method = ind.method
        given = {
            "codes": (bool(ind.codes), {IndicatorMethod.SHARE}),
            "exclude": (bool(ind.exclude), {IndicatorMethod.SHARE, IndicatorMethod.MEAN}),
            "rescale": (ind.rescale, {IndicatorMethod.MEAN}),
            "reverse": (bool(ind.reverse), {IndicatorMethod.MEAN}),
            "multiplier": (ind.multiplier != 1.0, {IndicatorMethod.SUM}),
            "bands": (bool(ind.bands), {IndicatorMethod.BANDS}),
        }
        for name, (is_given, methods) in given.items():
            if is_given and method not in methods:
                self.report.coded(where, "field-not-for-method", field=name, method=method.value)
        single = method in (IndicatorMethod.SHARE, IndicatorMethod.RECOMMEND, IndicatorMethod.BANDS)
        if single and len(ind.questions) != 1:
            self.report.coded(where, "method-takes-one-question", method=method.value)
        items: list[Question] = []
        for qid in ind.questions:
            if qid not in self.known_ids:
                self.report.coded(where, "indicator-unknown-question", question=qid)
            elif qid in self.by_id:
                if not self.by_id[qid].answerable:
                    self.report.coded(where, "indicator-note-question", question=qid)
                else:
                    items.append(self.by_id[qid])
        if len(items) == len(ind.questions):
            {
                IndicatorMethod.SHARE: self.share,
                IndicatorMethod.MEAN: self.mean,
                IndicatorMethod.SUM: self.total,
                IndicatorMethod.RECOMMEND: self.recommend,
                IndicatorMethod.BANDS: self.bands,
            }[method](ind, where, items)

    def share(self, ind: Indicator, where: str, items: list[Question]) -> None:
        if not ind.codes:
            self.report.error(where, "share needs codes: the answers that count")
        for question in items[:1]:
            for name, codes in (("codes", ind.codes), ("exclude", ind.exclude)):
                for code in codes:
                    if not _possible_answer(question, code):
                        self.report.coded(
                            where, "impossible-answer", field=name, code=code, question=question.id
                        )

    def numeric_items(self, ind: Indicator, where: str, items: list[Question]) -> None:
        for question in items:
            if _numeric_range(question, ind.exclude) is None and question.type not in NUMERIC_TYPES:
                self.report.coded(
                    where,
                    "not-numeric",
                    method=ind.method.value,
                    question=question.id,
                    type=question.type.value,
                )

    def mean(self, ind: Indicator, where: str, items: list[Question]) -> None:
        self.numeric_items(ind, where, items)
        for qid in ind.reverse:
            if qid not in ind.questions:
                self.report.error(where, f"reverse: {qid} is not one of the indicator's questions")
        for question in items:
            flipped = question.id in ind.reverse
            if (flipped or ind.rescale) and _numeric_range(question, ind.exclude) is None:
                why = "reversed" if flipped else "rescaled"
                self.report.error(where, f"{question.id} can't be {why}: it has no min and max")

    def total(self, ind: Indicator, where: str, items: list[Question]) -> None:
        self.numeric_items(ind, where, items)

    def recommend(self, ind: Indicator, where: str, items: list[Question]) -> None:
        for question in items[:1]:
            if question.type is not QuestionType.SCALE or (question.minimum, question.maximum) != (0, 10):
                self.report.coded(where, "recommend-not-0-10", question=question.id)

    def bands(self, ind: Indicator, where: str, items: list[Question]) -> None:
        for question in items[:1]:
            if question.type not in NUMERIC_TYPES:
                self.report.coded(where, "bands-not-numeric", question=question.id, type=question.type.value)
        if not ind.bands:
            self.report.error(where, "the bands method needs bands")
        ids = [band.id for band in ind.bands]
        for band in ind.bands:
            if ids.count(band.id) > 1:
                self.report.coded(where, "duplicate-band-id", band=band.id)
            if band.minimum > band.maximum:
                self.report.error(where, f"band {band.id}: min is greater than max")
        ordered = sorted(ind.bands, key=lambda b: (b.minimum, b.maximum))
        for before, after in itertools.pairwise(ordered):
            if after.minimum <= before.maximum:
                self.report.error(where, f"bands {before.id} and {after.id} overlap")


def _numeric_range(question: Question, exclude: Sequence[str]) -> tuple[float, float] | None:
    """The lowest and highest numeric answer, for scales and for choices whose codes are numbers."""
    if question.minimum is not None and question.maximum is not None and question.type in NUMERIC_TYPES:
        return question.minimum, question.maximum
    if question.type is QuestionType.SINGLE_CHOICE:
        values = []
        for choice in question.choices:
            if choice.code in exclude:
                continue
            try:
                values.append(float(choice.code))
            except ValueError:
                return None
        if values:
            return min(values), max(values)
    return None


def _possible_answer(question: Question, code: str) -> bool:
    keyed = option_keys(question)
    if keyed:
        return code in {choice.code for _, choice in keyed}
    if question.type not in NUMERIC_TYPES:
        return False
    try:
        value = float(code)
    except ValueError:
        return False
    if question.type in WHOLE_NUMBER_TYPES and not value.is_integer():
        return False
    low, high = question.minimum, question.maximum
    return (low is None or value >= low) and (high is None or value <= high)
