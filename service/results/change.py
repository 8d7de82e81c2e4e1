"""Before/after change: the same respondents in a baseline campaign and a follow-up, indicator by indicator.

Respondents are matched by their pseudonymous respondent id (the organization's own, never a phone
number or a name); when someone completed a campaign more than once, their latest completed conversation
counts. For each indicator that both questionnaires define the same way, the change is the mean of the
matched respondents' differences (follow-up − baseline) with a 95% Student t interval (a paired t
interval), computed in SQL from the count, sum and sum of squares of the differences. Shares change in
percentage points; other indicators in their own units. Respondents found in only one campaign are
counted, not used.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from questionnaires.model import Indicator, IndicatorMethod, Questionnaire, translate
from questionnaires.statistics import Change, paired_change_from_stats
from service.models import Conversation, ConversationStatus, Score
from service.results import phrases
from service.results.indicators import digits_of, format_value


@dataclass(frozen=True, slots=True)
class IndicatorChange:
    indicator: Indicator
    title: str
    change: Change
    before: float | None
    """Mean (or share in percent) at baseline, over the matched respondents."""
    after: float | None
    shown: bool
    change_text: str | None
    interval_text: str | None
    before_text: str | None
    after_text: str | None
    verdict: str | None
    sentence: str

    @property
    def n(self) -> int:
        return self.change.n


@dataclass(frozen=True, slots=True)
class Matching:
    """How many respondents each campaign has, and how many are in both."""

    baseline: int
    follow_up: int
    matched: int

    @property
    def only_baseline(self) -> int:
        return self.baseline - self.matched

    @property
    def only_follow_up(self) -> int:
        return self.follow_up - self.matched


@dataclass(frozen=True, slots=True)
class ChangeReport:
    matching: Matching
    indicators: tuple[IndicatorChange, ...]


def _latest_completed(campaign_id: int):  # type: ignore[no-untyped-def]
    """Each respondent's latest completed conversation in a campaign, as a subquery (respondent, conversation)."""
    return (
        select(
            Conversation.respondent_id.label("respondent_id"),
            func.max(Conversation.id).label("conversation_id"),
        )
        .where(Conversation.campaign_id == campaign_id, Conversation.status == ConversationStatus.COMPLETED)
        .group_by(Conversation.respondent_id)
        .subquery()
    )


def matching(session: Session, baseline_id: int, follow_up_id: int) -> Matching:
    before, after = _latest_completed(baseline_id), _latest_completed(follow_up_id)
    count_before = session.scalar(select(func.count()).select_from(before)) or 0
    count_after = session.scalar(select(func.count()).select_from(after)) or 0
    matched = (
        session.scalar(
            select(func.count())
            .select_from(before)
            .join(after, after.c.respondent_id == before.c.respondent_id)
        )
        or 0
    )
    return Matching(int(count_before), int(count_after), int(matched))


def comparable(baseline: Questionnaire, follow_up: Questionnaire) -> list[Indicator]:
    """The follow-up's indicators that the baseline defines with the same id and method."""
    methods = {indicator.id: indicator.method for indicator in baseline.indicators}
    return [i for i in follow_up.indicators if methods.get(i.id) is i.method]


def change_report(
    session: Session,
    baseline_id: int,
    follow_up_id: int,
    baseline: Questionnaire,
    follow_up: Questionnaire,
    language: str,
) -> ChangeReport:
    """Matched counts and the paired change of every comparable indicator."""
    before, after = _latest_completed(baseline_id), _latest_completed(follow_up_id)
    score_before, score_after = aliased(Score), aliased(Score)
    difference = score_after.value - score_before.value
    rows = session.execute(
        select(
            score_before.indicator_id,
            func.count(),
            func.sum(difference),
            func.sum(difference * difference),
            func.sum(score_before.value),
            func.sum(score_after.value),
        )
        .select_from(before)
        .join(after, after.c.respondent_id == before.c.respondent_id)
        .join(score_before, score_before.conversation_id == before.c.conversation_id)
        .join(
            score_after,
            (score_after.conversation_id == after.c.conversation_id)
            & (score_after.indicator_id == score_before.indicator_id),
        )
        .where(score_before.value.is_not(None), score_after.value.is_not(None))
        .group_by(score_before.indicator_id)
    )
    stats = {
        row[0]: (int(row[1]), float(row[2] or 0), float(row[3] or 0), float(row[4] or 0), float(row[5] or 0))
        for row in rows
    }
    results = []
    for indicator in comparable(baseline, follow_up):
        n, total, total_sq, sum_before, sum_after = stats.get(indicator.id, (0, 0.0, 0.0, 0.0, 0.0))
        scale = 100.0 if indicator.method is IndicatorMethod.SHARE else 1.0
        change = paired_change_from_stats(n, total * scale, total_sq * scale * scale)
        results.append(
            _described(
                indicator,
                translate(indicator.title, language, follow_up.default_language),
                change,
                sum_before * scale / n if n else None,
                sum_after * scale / n if n else None,
                language,
            )
        )
    return ChangeReport(matching(session, baseline_id, follow_up_id), tuple(results))


def _described(
    indicator: Indicator, title: str, change: Change, before: float | None, after: float | None, language: str
) -> IndicatorChange:
    shown = change.n >= max(indicator.min_n, 2) and change.mean is not None
    if not shown or change.mean is None or before is None or after is None:
        sentence = phrases.text(
            "change.too_few", language, title=title, n=change.n, min_n=max(indicator.min_n, 2)
        )
        return IndicatorChange(
            indicator, title, change, before, after, False, None, None, None, None, None, sentence
        )
    digits = digits_of(indicator)
    unit = "unit.points_of_percent" if indicator.method is IndicatorMethod.SHARE else "unit.points"
    change_text = (
        f"{phrases.number(change.mean, language, digits, signed=True)} {phrases.text(unit, language)}"
    )
    interval_text = phrases.interval(change.low, change.high, language, digits)
    if change.low is not None and change.low > 0:
        verdict = phrases.text("change.up", language)
    elif change.high is not None and change.high < 0:
        verdict = phrases.text("change.down", language)
    else:
        verdict = phrases.text("change.unclear", language)
    sentence = phrases.text(
        "change.sentence",
        language,
        title=title,
        change=change_text,
        n=change.n,
        interval=interval_text,
        verdict=verdict,
    )
    return IndicatorChange(
        indicator,
        title,
        change,
        before,
        after,
        True,
        change_text,
        interval_text,
        format_value(indicator, before, language),
        format_value(indicator, after, language),
        verdict,
        sentence,
    )
