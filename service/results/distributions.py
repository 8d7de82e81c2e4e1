"""How completed respondents answered each closed question: counts per choice or value, per channel.

One grouped SQL query counts answers per question, channel and stored value, so the cost grows with the
number of distinct answers, not with the number of conversations. Free-text answers are never read
here. Shares are of the respondents who answered the question; for multiple choice they can add up to
more than 100%.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from questionnaires.model import CHOICE_TYPES, Question, Questionnaire, QuestionType
from questionnaires.prompts import Texts
from service.models import Answer, Conversation, ConversationStatus
from service.results import phrases
from service.results.answers import choice_label, codes_of

MAX_SINGLE_VALUES = 21
"""Integer and number answers with more distinct values than this are shown in bins."""
BINS = 8


@dataclass(frozen=True, slots=True)
class Bar:
    """One answer option (a choice, a scale point or a bin) and how many respondents gave it."""

    key: str
    label: str
    count: int
    share: float | None
    """Percent of the respondents who answered the question."""


@dataclass(frozen=True, slots=True)
class QuestionDistribution:
    question: Question
    text: str
    kind: str
    """"choices" (single, multiple, yes/no), "scale" (one bar per point) or "numbers" (values or bins)."""
    answered: int
    bars: tuple[Bar, ...]
    by_channel: Mapping[str, tuple[int, tuple[Bar, ...]]]
    """Channel → (respondents who answered, bars), for the stacked comparison of channels."""
    mean: float | None
    mean_text: str | None

    @property
    def multiple(self) -> bool:
        return self.question.type is QuestionType.MULTIPLE_CHOICE


def _counted(question: Question) -> bool:
    return question.answerable and question.type is not QuestionType.TEXT


def answer_counts(
    session: Session, campaign_ids: list[int]
) -> dict[str, dict[str, list[tuple[object, int]]]]:
    """Question id → channel → [(stored value, respondents)], over completed conversations."""
    rows = session.execute(
        select(Answer.question_id, Conversation.channel, Answer.value, func.count())
        .join(Conversation, Conversation.id == Answer.conversation_id)
        .where(
            Conversation.campaign_id.in_(campaign_ids),
            Conversation.status == ConversationStatus.COMPLETED,
            Answer.is_free_text.is_(False),
            Answer.value.is_not(None),
        )
        .group_by(Answer.question_id, Conversation.channel, Answer.value)
    )
    counts: dict[str, dict[str, list[tuple[object, int]]]] = defaultdict(lambda: defaultdict(list))
    for question_id, channel, value, count in rows:
        if value is None:  # a JSON null stored by an erasure
            continue
        counts[question_id][channel].append((value, int(count)))
    return counts


def distributions(
    session: Session,
    campaign_ids: list[int],
    questionnaire: Questionnaire,
    language: str,
    variables: Mapping[str, str],
) -> list[QuestionDistribution]:
    """The distribution of every closed question, in questionnaire order."""
    counts = answer_counts(session, campaign_ids)
    texts = Texts(questionnaire, language, variables)
    result = []
    for question in questionnaire.questions:
        if not _counted(question):
            continue
        per_channel = counts.get(question.id, {})
        everything = [pair for pairs in per_channel.values() for pair in pairs]
        edges = _edges(everything)  # numbers: the same bins for every channel
        kind, bars, answered, mean = _bars(
            question, everything, language, questionnaire.default_language, edges
        )
        by_channel = {}
        for channel in sorted(per_channel):
            _, channel_bars, channel_answered, _ = _bars(
                question, per_channel[channel], language, questionnaire.default_language, edges
            )
            by_channel[channel] = (channel_answered, channel_bars)
        digits = 0 if question.type is QuestionType.INTEGER and mean is not None and mean.is_integer() else 1
        result.append(
            QuestionDistribution(
                question=question,
                text=texts.required(question.text),
                kind=kind,
                answered=answered,
                bars=bars,
                by_channel=by_channel,
                mean=mean,
                mean_text=phrases.number(mean, language, digits) if mean is not None else None,
            )
        )
    return result


def _bars(
    question: Question,
    pairs: list[tuple[object, int]],
    language: str,
    default_language: str,
    edges: list[tuple[float, float]],
) -> tuple[str, tuple[Bar, ...], int, float | None]:
    """(kind, bars, respondents who answered, mean for numeric questions)."""
    answered = sum(count for _, count in pairs)
    if question.type in CHOICE_TYPES or question.type is QuestionType.YES_NO:
        tallies: dict[str, int] = defaultdict(int)
        for value, count in pairs:
            for code in codes_of(value):
                tallies[code] += count
        keys = [c.code for c in question.choices] if question.type in CHOICE_TYPES else ["yes", "no"]
        keys += sorted(k for k in tallies if k not in keys)  # codes of an older version, kept visible
        bars = tuple(
            Bar(
                key,
                choice_label(question, key, language, default_language),
                tallies.get(key, 0),
                _share(tallies.get(key, 0), answered),
            )
            for key in keys
        )
        return "choices", bars, answered, None
    numbers = _numbers(pairs)
    total = sum(count for _, count in numbers)
    mean = sum(v * c for v, c in numbers) / total if total else None
    if question.type is QuestionType.SCALE and question.minimum is not None and question.maximum is not None:
        points = [float(p) for p in range(int(question.minimum), int(question.maximum) + 1)]
        tallies_by_value: dict[float, int] = defaultdict(int)
        for value, count in numbers:
            tallies_by_value[value] += count
        bars = tuple(
            Bar(_key(p), _key(p), tallies_by_value.get(p, 0), _share(tallies_by_value.get(p, 0), answered))
            for p in points
        )
        return "scale", bars, answered, mean
    return "numbers", _binned(numbers, edges, answered), answered, mean


def _numbers(pairs: list[tuple[object, int]]) -> list[tuple[float, int]]:
    return [
        (float(value), count)
        for value, count in pairs
        if isinstance(value, int | float | str) and _finite(value)
    ]


def _edges(pairs: list[tuple[object, int]]) -> list[tuple[float, float]]:
    """Bins for integer and number answers: each value when there are few, else equal-width bins."""
    distinct = sorted({value for value, _ in _numbers(pairs)})
    if len(distinct) <= MAX_SINGLE_VALUES:
        return [(value, value) for value in distinct]
    low, high = distinct[0], distinct[-1]
    width = (high - low) / BINS
    return [(low + i * width, low + (i + 1) * width) for i in range(BINS)]


def _binned(
    numbers: list[tuple[float, int]], edges: list[tuple[float, float]], answered: int
) -> tuple[Bar, ...]:
    bars = []
    for index, (low, high) in enumerate(edges):
        last = index == len(edges) - 1
        count = sum(
            c for v, c in numbers if (v == low if low == high else low <= v < high or (last and v == high))
        )
        key = _key(low) if low == high else f"{_key(low)}–{_key(high)}"
        bars.append(Bar(key, key, count, _share(count, answered)))
    return tuple(bars)


def _key(value: float) -> str:
    return str(int(value)) if value.is_integer() else f"{value:.4g}"


def _finite(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _share(count: int, n: int) -> float | None:
    return 100 * count / n if n else None
