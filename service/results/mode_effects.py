"""Mode effects: does an indicator differ between the channels people answered on?

People may answer differently by SMS, on Telegram and on the web, and different people use each channel,
so a difference says "look closer", not "the channel caused it". Each indicator is split by channel from
the per-channel tallies; channels below the indicator's ``min_n`` are shown as "not enough answers" and
left out of the test. Shares are compared with Pearson's chi-square test over all channels; means (and
the likelihood-to-recommend score, a mean of −100/0/+100) with Welch's t-test for each pair of channels,
the smallest p-value multiplied by the number of pairs (Bonferroni). A note says when p < 0.05.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

from questionnaires.model import Indicator, IndicatorMethod, Questionnaire
from questionnaires.scoring import HIT, Tally
from questionnaires.statistics import chi_square_independence, welch_test
from service.results import phrases
from service.results.funnel import channel_order
from service.results.indicators import IndicatorResult, indicator_result

SIGNIFICANCE = 0.05
CHANNEL_PREFIX = "channel:"


@dataclass(frozen=True, slots=True)
class ChannelValue:
    channel: str
    label: str
    result: IndicatorResult
    tally: Tally


@dataclass(frozen=True, slots=True)
class ModeEffect:
    indicator: Indicator
    title: str
    channels: tuple[ChannelValue, ...]
    test: str | None
    """Name of the test run, in the reader's language; None when nothing could be tested."""
    p_value: float | None
    differ: bool | None
    note: str
    short: str
    """"Yes (p = 0.02)", "No (p = 0.37)" or "Not tested", for a table cell."""


def channel_tallies(tallies: Mapping[str, Mapping[str, Tally]], indicator_id: str) -> dict[str, Tally]:
    """Channel → the indicator's tally, from the ``channel:<c>`` segments."""
    found = {}
    for segment, by_indicator in tallies.items():
        if segment.startswith(CHANNEL_PREFIX) and indicator_id in by_indicator:
            found[segment[len(CHANNEL_PREFIX) :]] = by_indicator[indicator_id]
    return found


def mode_effects(
    questionnaire: Questionnaire, tallies: Mapping[str, Mapping[str, Tally]], language: str
) -> list[ModeEffect]:
    """One comparison per indicator that has answers on at least one channel."""
    effects = []
    for indicator in questionnaire.indicators:
        per_channel = {c: t for c, t in channel_tallies(tallies, indicator.id).items() if t.n > 0}
        if not per_channel:
            continue
        values = tuple(
            ChannelValue(
                channel,
                phrases.text(f"channel.{channel}", language)
                if f"channel.{channel}" in phrases.CATALOG
                else channel,
                indicator_result(questionnaire, indicator, per_channel[channel], language),
                per_channel[channel],
            )
            for channel in sorted(per_channel, key=channel_order)
        )
        effects.append(_compare(indicator, values, language))
    return effects


def _compare(indicator: Indicator, values: tuple[ChannelValue, ...], language: str) -> ModeEffect:
    title = values[0].result.title
    testable = [v for v in values if v.result.shown and v.result.n >= 2]
    if len(values) < 2 or len(testable) < 2:
        note = phrases.text("mode.one_channel" if len(values) < 2 else "mode.too_few", language)
        untested = phrases.text("mode.untested", language)
        return ModeEffect(indicator, title, values, None, None, None, note, untested)
    tallies = [v.tally for v in testable]
    if indicator.method is IndicatorMethod.SHARE:
        test = phrases.text("mode.chi_square", language)
        p_value = chi_square_independence([(t.categories.get(HIT, 0), t.n) for t in tallies]).p_value
    else:
        test = phrases.text("mode.welch", language)
        pairs = list(combinations(tallies, 2))
        smallest = min(
            welch_test((a.n, a.total, a.total_sq), (b.n, b.total, b.total_sq)).p_value for a, b in pairs
        )
        p_value = min(1.0, smallest * len(pairs))
    differ = p_value < SIGNIFICANCE
    p_text = format_p(p_value, language)
    note = phrases.text("mode.differ" if differ else "mode.same", language, p=p_text)
    short = phrases.text("mode.yes" if differ else "mode.no", language, p=p_text)
    return ModeEffect(indicator, title, values, test, p_value, differ, note, short)


def format_p(p_value: float, language: str) -> str:
    """A p-value as people read it: "p = 0.37", "p = 0.048" (three decimals below 0.1, so a value just
    under 0.05 never reads "0.05"), or "p < 0.001" (decimal comma in French and Dutch)."""
    if p_value < 0.001:
        return "p < " + phrases.number(0.001, language, 3)
    return "p = " + phrases.number(p_value, language, 3 if p_value < 0.1 else 2)
