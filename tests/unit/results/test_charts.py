"""Charts are valid, static SVG with a title, a description and the same numbers as a table."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree

from questionnaires.model import Question, QuestionType
from questionnaires.scoring import Score, Tally
from service.results.charts import activity_chart, indicator_chart, question_chart, rates_chart
from service.results.distributions import Bar, QuestionDistribution
from service.results.funnel import FunnelRow
from service.results.indicators import indicator_result
from tests.unit.results.test_indicators_and_modes import DEFINITION

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ElementTree.Element:
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    return root


def _check(svg: str, title: str) -> ElementTree.Element:
    root = _parse(svg)
    assert not root.findall(f".//{SVG}script")
    assert root.find(f"{SVG}title").text == title
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text
    labelled = root.get("aria-labelledby", "").split()
    assert labelled == [root.find(f"{SVG}title").get("id"), desc.get("id")]
    assert not [e for e in root.iter() if "tooltip" in (e.get("class") or "").split()]  # no JS: no tooltips
    return root


def test_a_question_chart_stacks_the_channels() -> None:
    question = Question("q1", QuestionType.SINGLE_CHOICE, {"en": "How?"})
    bars = (Bar("1", "Good", 6, 60.0), Bar("2", "Bad", 4, 40.0))
    distribution = QuestionDistribution(
        question,
        "How?",
        "choices",
        10,
        bars,
        {"sms": (4, (Bar("1", "Good", 1, 25.0), Bar("2", "Bad", 3, 75.0)))},
        None,
        None,
    )
    chart = question_chart(distribution, "en", all_label="All")
    root = _check(chart.svg, "How?")
    texts = {e.text for e in root.iter(f"{SVG}text")}
    assert {"60%", "40%", "25%", "75%", "All (n = 10)", "SMS (n = 4)"} <= texts
    assert chart.headers == ("How?", "All (n = 10)", "SMS (n = 4)")
    assert chart.rows == (("Good", "60% (6)", "25% (1)"), ("Bad", "40% (4)", "75% (3)"))


def test_an_indicator_chart_and_activity_and_rates() -> None:
    from questionnaires.loader import load_text

    questionnaire = load_text(DEFINITION)
    tally = Tally.empty()
    for value in (2, 3, 7, 8, 9):
        tally = tally.add(Score("satisfaction", value, "low" if value <= 4 else "high"))
    result = indicator_result(questionnaire, questionnaire.indicators[2], tally, "en")
    chart = indicator_chart(result, "en", headers=("Category", "Share", "Count"))
    assert chart is not None
    _check(chart.svg, "Satisfaction")
    assert chart.rows == (("Low", "40%", "2"), ("High", "60%", "3"))
    start = date(2026, 1, 1)
    daily = [(start + timedelta(days=i), i + 1, i) for i in range(90)]
    activity = activity_chart(daily, "Over time", "en", labels=("Day", "Started", "Completed"))
    assert activity is not None
    _check(activity.svg, "Over time")
    assert len(activity.rows) == 14  # 90 days are shown as weeks
    row = FunnelRow("sms", "SMS", invited=10, started=8, completed=6, completed_invited=5)
    rates = rates_chart([row], "Rates", "en", labels=("Channel", "Response rate", "Completion rate"))
    assert rates is not None
    _check(rates.svg, "Rates")
    assert rates.rows == (("SMS", "50% (5/10)", "75% (6/8)"),)
    assert activity_chart([], "x", "en", labels=("a", "b", "c")) is None
