"""Everything a campaign's results page and printable report show, gathered in one place.

The pages and the report render the same :class:`CampaignResults`, so a number printed for a funder is
the number on screen. Building it runs a handful of grouped queries and draws the charts; nothing here
reads a free-text answer or anything that identifies a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from questionnaires.model import Questionnaire, translate
from service.definitions import definition
from service.models import Campaign, Conversation, ConversationStatus, Organization
from service.results import phrases
from service.results.charts import (
    Chart,
    activity_chart,
    comparison_chart,
    indicator_chart,
    indicators_chart,
    question_chart,
    rates_chart,
)
from service.results.distributions import QuestionDistribution, distributions
from service.results.funnel import Funnel, channel_order, funnel
from service.results.indicators import (
    ALL,
    DimensionResults,
    IndicatorResult,
    by_dimension,
    load_tallies,
    method_note,
)
from service.results.mode_effects import ModeEffect, mode_effects


@dataclass(frozen=True)
class IndicatorView:
    result: IndicatorResult
    chart: Chart | None
    """For indicators that are not shares (recommend, bands, means); shares share their dimension's chart."""


@dataclass(frozen=True)
class DimensionView:
    results: DimensionResults
    chart: Chart | None
    indicators: tuple[IndicatorView, ...]


@dataclass(frozen=True)
class QuestionView:
    distribution: QuestionDistribution
    chart: Chart


@dataclass(frozen=True)
class ModeView:
    effect: ModeEffect
    chart: Chart | None


@dataclass(frozen=True)
class MethodNote:
    title: str
    note: str
    source: str | None


@dataclass(frozen=True)
class CampaignResults:
    campaign: Campaign
    organization: Organization
    questionnaire: Questionnaire
    language: str
    title: str
    """The questionnaire's title in the reader's language, with the organization's name filled in."""
    completed: int
    first_answer: date | None
    last_answer: date | None
    dimensions: tuple[DimensionView, ...]
    modes: tuple[ModeView, ...]
    mode_channels: tuple[tuple[str, str], ...]
    """(channel, label) of every channel with scored answers, in the usual order."""
    funnel: Funnel
    activity: Chart | None
    rates_by_channel: Chart | None
    rates_by_language: Chart | None
    questions: tuple[QuestionView, ...]
    methods: tuple[MethodNote, ...]

    @property
    def variables(self) -> dict[str, str]:
        return {"org": self.organization.short_name}


def _headers(language: str, *keys: str) -> tuple[str, ...]:
    return tuple(phrases.text(f"head.{key}", language) for key in keys)


def campaign_results(
    session: Session, campaign: Campaign, language: str, *, with_questions: bool = True
) -> CampaignResults:
    """The results of one campaign in ``language`` (question distributions optional: the report skips them)."""
    organization = session.get_one(Organization, campaign.organization_id)
    questionnaire = definition(campaign.questionnaire_version)
    variables = {"org": organization.short_name}
    tallies = load_tallies(session, [campaign.id])
    dimensions = []
    indicator_headers = _headers(language, "indicator", "value", "interval", "n")
    for group in by_dimension(questionnaire, tallies.get(ALL, {}), language):
        chart = indicators_chart(
            group.indicators,
            phrases.text("chart.shares", language, dimension=group.label),
            language,
            headers=indicator_headers,
        )
        views = []
        for result in group.indicators:
            own_chart = None
            if result.unit != "percent":
                keys = (
                    ("category", "share", "count")
                    if result.categories
                    else ("indicator", "value", "interval")
                )
                own_chart = indicator_chart(result, language, headers=_headers(language, *keys))
            views.append(IndicatorView(result, own_chart))
        dimensions.append(DimensionView(group, chart, tuple(views)))

    modes = []
    for effect in mode_effects(questionnaire, tallies, language):
        chart = None
        if effect.test is not None:
            chart = comparison_chart(
                phrases.text("chart.by_channel", language, title=effect.title),
                [(value.label, value.result) for value in effect.channels],
                language,
                headers=indicator_headers,
            )
        modes.append(ModeView(effect, chart))

    mode_channels: dict[str, str] = {}
    for view in modes:
        for value in view.effect.channels:
            mode_channels.setdefault(value.channel, value.label)

    responses = funnel(session, [campaign.id], language)
    activity = activity_chart(
        responses.daily,
        phrases.text("chart.activity", language),
        language,
        labels=_headers(language, "day", "started", "completed"),
    )
    rates_by_channel = rates_chart(
        responses.by_channel,
        phrases.text("chart.rates_channel", language),
        language,
        labels=_headers(language, "channel", "response_rate", "completion_rate"),
    )
    rates_by_language = rates_chart(
        responses.by_language,
        phrases.text("chart.rates_language", language),
        language,
        labels=_headers(language, "language", "response_rate", "completion_rate"),
    )

    questions = []
    if with_questions:
        all_label = phrases.text("all", language)
        for dist in distributions(session, [campaign.id], questionnaire, language, variables):
            questions.append(QuestionView(dist, question_chart(dist, language, all_label=all_label)))

    first, last = session.execute(
        select(func.min(Conversation.completed_at), func.max(Conversation.completed_at)).where(
            Conversation.campaign_id == campaign.id, Conversation.status == ConversationStatus.COMPLETED
        )
    ).one()
    methods = tuple(
        MethodNote(
            translate(indicator.title, language, questionnaire.default_language),
            method_note(indicator, language),
            indicator.source,
        )
        for indicator in questionnaire.indicators
    )
    title = translate(questionnaire.title, language, questionnaire.default_language).replace(
        "{org}", organization.short_name
    )
    return CampaignResults(
        campaign=campaign,
        organization=organization,
        questionnaire=questionnaire,
        language=language,
        title=title,
        completed=responses.total.completed,
        first_answer=first.date() if first else None,
        last_answer=last.date() if last else None,
        dimensions=tuple(dimensions),
        modes=tuple(modes),
        mode_channels=tuple(sorted(mode_channels.items(), key=lambda item: channel_order(item[0]))),
        funnel=responses,
        activity=activity,
        rates_by_channel=rates_by_channel,
        rates_by_language=rates_by_language,
        questions=tuple(questions),
        methods=methods,
    )
