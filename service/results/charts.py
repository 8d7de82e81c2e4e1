"""Charts as static, accessible SVG (pygal), each with a text alternative: the same numbers as a table.

pygal embeds JavaScript for its tooltips; here the scripts are removed from the tree (``js=[]`` drops
the library, and its inline configuration script is deleted too), values are printed on the bars
instead, and every chart gets ``role="img"``, a ``<title>`` and a ``<desc>`` that screen readers
announce. The SVG needs nothing to render, prints, and can be saved as a file. Colours are the
Okabe-Ito palette, readable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.etree import ElementTree

import pygal
from pygal.style import Style

from service.results import phrases
from service.results.distributions import QuestionDistribution
from service.results.funnel import FunnelRow, weekly
from service.results.indicators import IndicatorResult

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#6b7785",
    colors=PALETTE,
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    value_label_font_family=FONT,
    tooltip_font_family=FONT,
    title_font_family=FONT,
    legend_font_family=FONT,
    no_data_font_family=FONT,
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    value_colors=(
        "#ffffff",
        "#1f2933",
        "#1f2933",
        "#1f2933",
        "#1f2933",
        "#1f2933",
        "#1f2933",
        "#ffffff",
        "#1f2933",
    ),
    opacity="0.92",
    opacity_hover="0.92",
    guide_stroke_color="#d5dbe1",
    major_guide_stroke_color="#aab4be",
)
ORDERED = {
    # Categories with a meaning of their own get colours that say it (green good, orange not).
    "promoter": "#009E73",
    "passive": "#BBBBBB",
    "detractor": "#D55E00",
}
BANDS = ("#D55E00", "#E69F00", "#56B4E9", "#0072B2", "#003f63")
_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Chart:
    """An SVG chart and its text alternative (a caption, column headers and rows of the same numbers)."""

    id: str
    title: str
    description: str
    svg: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _dark_values(colors: Sequence[str] = PALETTE) -> Style:
    """The chart style with dark value labels (printed beside bars, not on them) and ``colors``."""
    return Style(**{**STYLE.__dict__, "colors": tuple(colors), "value_colors": ("#1f2933",) * len(colors)})


def _on_colors(colors: Sequence[str]) -> Style:
    """The chart style with ``colors`` and value labels readable on each of them."""
    light = {"#BBBBBB", "#E69F00", "#56B4E9", "#F0E442", "#009E73", "#CC79A7", "#999999"}
    values = tuple("#1f2933" if c in light else "#ffffff" for c in colors)
    return Style(**{**STYLE.__dict__, "colors": tuple(colors), "value_colors": values})


def _config(**options: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "js": [],
        "style": STYLE,
        "print_values": True,
        "print_zeroes": False,
        "show_legend": True,
        "legend_at_bottom": True,
        "truncate_legend": -1,
        "truncate_label": -1,
        "disable_xml_declaration": True,
        "width": 800,
        "height": 400,
        "margin": 16,
    }
    base.update(options)
    return base


def render(chart: Any, title: str, description: str, chart_id: str) -> str:
    """The chart as one static SVG element: no script, ``role="img"``, labelled by its title and description."""
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            # Scripts and the tooltips they would show go; the values are printed on the bars instead.
            if child.tag == "script" or "tooltip" in (child.get("class") or "").split():
                parent.remove(child)
    title_element = next((child for child in tree if child.tag == "title"), None)
    if title_element is None:
        title_element = ElementTree.Element("title")
        tree.insert(0, title_element)
    title_element.text = title
    title_element.set("id", f"{chart_id}-title")
    desc = ElementTree.Element("desc", {"id": f"{chart_id}-desc"})
    desc.text = description
    tree.insert(list(tree).index(title_element) + 1, desc)
    tree.set("role", "img")
    tree.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
    tree.set("class", (tree.get("class") or "") + " vises-chart")
    return ElementTree.tostring(tree, encoding="unicode", short_empty_elements=True)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def _percent_formatter(language: str) -> Callable[[float | None], str]:
    return lambda value: "" if value is None else phrases.percent(value, language)


# --- questions ------------------------------------------------------------------------------------------


def question_chart(dist: QuestionDistribution, language: str, *, all_label: str) -> Chart:
    """Stacked bars of the answers' shares (all respondents, then each channel), or a histogram for scales."""
    chart_id = _new_id(f"q-{dist.question.id}")
    percent = _percent_formatter(language)
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]
    if dist.kind == "choices" and not dist.multiple:
        groups = [(all_label, dist.answered, dist.bars)]
        groups += [
            (_channel_label(channel, language), answered, bars)
            for channel, (answered, bars) in dist.by_channel.items()
        ]
        height = 140 + 56 * len(groups)
        chart = pygal.HorizontalStackedBar(
            **_config(range=(0, 100), height=height, value_formatter=percent, print_values_position="center")
        )
        # pygal draws horizontal bars bottom-up: reverse, so "all respondents" comes first, on top.
        drawn = groups[::-1]
        chart.x_labels = [f"{label} (n = {answered})" for label, answered, _ in drawn]
        for index, bar in enumerate(dist.bars):
            chart.add(bar.label, [bars[index].share if answered else None for _, answered, bars in drawn])
        headers = (dist.text, *(f"{label} (n = {answered})" for label, answered, _ in groups))
        rows = [
            (bar.label, *(_count_share(bars[i].count, bars[i].share, language) for _, _, bars in groups))
            for i, bar in enumerate(dist.bars)
        ]
    else:
        is_bars = dist.kind == "choices"  # multiple choice: one bar per choice, shares may add up past 100%
        kind = pygal.HorizontalBar if is_bars else pygal.Bar
        chart = kind(
            **_config(
                show_legend=False,
                value_formatter=percent,
                height=140 + 40 * len(dist.bars) if is_bars else 340,
                print_values_position="top",
                style=_dark_values(),
                **({"range": (0, 100)} if is_bars else {}),
            )
        )
        drawn_bars = dist.bars[::-1] if is_bars else dist.bars
        chart.x_labels = [bar.label for bar in drawn_bars]
        chart.add(all_label, [bar.share for bar in drawn_bars])
        headers = (dist.text, f"{all_label} (n = {dist.answered})")
        rows = [(bar.label, _count_share(bar.count, bar.share, language)) for bar in dist.bars]
    description = _description(headers, rows)
    svg = render(chart, dist.text, description, chart_id)
    return Chart(chart_id, dist.text, description, svg, headers, tuple(rows))


def _count_share(count: int, share: float | None, language: str) -> str:
    if share is None:
        return str(count)
    return f"{phrases.percent(share, language)} ({count})"


def _channel_label(channel: str, language: str) -> str:
    key = f"channel.{channel}"
    return phrases.text(key, language) if key in phrases.CATALOG else channel


def _description(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A one-paragraph reading of a table, for ``<desc>``: "label: value, value; label: …"."""
    parts = []
    for row in rows:
        values = ", ".join(f"{header} {cell}" for header, cell in zip(headers[1:], row[1:], strict=False))
        parts.append(f"{row[0]}: {values}")
    return "; ".join(parts) + "."


# --- indicators -----------------------------------------------------------------------------------------


def indicators_chart(
    results: Sequence[IndicatorResult], title: str, language: str, *, headers: tuple[str, ...]
) -> Chart | None:
    """Share indicators (percent) as bars with their 95% intervals; None when none has a value to show."""
    shown = [r for r in results if r.shown and r.unit == "percent"]
    if not shown:
        return None
    chart_id = _new_id("indicators")
    chart = pygal.HorizontalBar(
        **_config(
            range=(0, 100),
            show_legend=False,
            value_formatter=_percent_formatter(language),
            height=120 + 56 * len(shown),
            print_values_position="center",
            style=_on_colors(("#0072B2",)),
        )
    )
    drawn = shown[::-1]
    chart.x_labels = [r.title for r in drawn]
    chart.add(title, [_with_interval(r) for r in drawn])
    rows = [(r.title, r.value_text or "", r.interval_text or "", str(r.n)) for r in shown]
    description = _description(headers, rows)
    return Chart(
        chart_id, title, description, render(chart, title, description, chart_id), headers, tuple(rows)
    )


def _with_interval(result: IndicatorResult) -> dict[str, Any]:
    aggregate = result.aggregate
    value: dict[str, Any] = {"value": aggregate.value}
    if aggregate.low is not None and aggregate.high is not None:
        value["ci"] = {"low": aggregate.low, "high": aggregate.high}
    return value


def indicator_chart(result: IndicatorResult, language: str, *, headers: tuple[str, ...]) -> Chart | None:
    """One indicator that is not a share: category shares (recommend, bands) or its mean with its interval."""
    if not result.shown:
        return None
    chart_id = _new_id(f"indicator-{result.id}")
    rows: list[tuple[str, ...]]
    if result.categories:
        colors = [ORDERED.get(c.id) for c in result.categories]
        palette = (
            colors
            if all(colors)
            else BANDS[-len(result.categories) :]
            if len(result.categories) <= len(BANDS)
            else PALETTE
        )
        chart = pygal.HorizontalStackedBar(
            **_config(
                range=(0, 100),
                height=220,
                value_formatter=_percent_formatter(language),
                print_values_position="center",
                style=_on_colors([c for c in palette if c]),
            )
        )
        chart.x_labels = [f"n = {result.n}"]
        for category in result.categories:
            chart.add(category.label, [category.share])
        rows = [(c.label, c.share_text, str(c.count)) for c in result.categories]
    else:
        low, high = result.scale or (None, None)
        options: dict[str, Any] = {
            "show_legend": False,
            "height": 200,
            "print_values_position": "center",
            "style": _on_colors(("#0072B2",)),
        }
        if low is not None and high is not None:
            options["range"] = (low, high)
        chart = pygal.HorizontalBar(
            **_config(value_formatter=lambda v: phrases.number(v, language, result.digits), **options)
        )
        chart.x_labels = [result.title]
        chart.add(result.title, [_with_interval(result)])
        rows = [(result.title, result.value_text or "", result.interval_text or "")]
    description = result.sentence
    svg = render(chart, result.title, description, chart_id)
    return Chart(chart_id, result.title, description, svg, headers, tuple(rows))


def comparison_chart(
    title: str,
    labelled: Sequence[tuple[str, IndicatorResult]],
    language: str,
    *,
    headers: tuple[str, ...],
) -> Chart | None:
    """One indicator for several groups (channels, members and the network), each with its interval."""
    shown = [(label, r) for label, r in labelled if r.shown]
    if not shown:
        return None
    first = shown[0][1]
    chart_id = _new_id(f"compare-{first.id}")
    options: dict[str, Any] = {
        "show_legend": False,
        "height": 120 + 48 * len(shown),
        "print_values_position": "center",
        "style": _on_colors(("#0072B2",)),
    }
    if first.scale is not None:
        options["range"] = first.scale
    formatter = (
        _percent_formatter(language)
        if first.unit == "percent"
        else (lambda v: phrases.number(v, language, first.digits, signed=first.unit == "score"))
    )
    chart = pygal.HorizontalBar(**_config(value_formatter=formatter, **options))
    drawn = shown[::-1]
    chart.x_labels = [label for label, _ in drawn]
    chart.add(title, [_with_interval(r) for _, r in drawn])
    rows = [(label, r.value_text or "", r.interval_text or "", str(r.n)) for label, r in shown]
    description = _description(headers, rows)
    return Chart(
        chart_id, title, description, render(chart, title, description, chart_id), headers, tuple(rows)
    )


# --- activity and rates ---------------------------------------------------------------------------------


def activity_chart(
    daily: Sequence[tuple[date, int, int]], title: str, language: str, *, labels: tuple[str, ...]
) -> Chart | None:
    """Conversations started and completed per day (per week beyond 60 days); None without activity."""
    if not daily:
        return None
    points = list(daily)
    if (points[-1][0] - points[0][0]).days > 60:
        points = weekly(points)
    chart_id = _new_id("activity")
    chart = pygal.Bar(
        **_config(
            print_values=len(points) <= 20,
            x_label_rotation=-45 if len(points) > 8 else 0,
            show_minor_x_labels=False,
            value_formatter=lambda v: phrases.number(v, language),
        )
    )
    day_labels = [_day(day, language) for day, _, _ in points]
    chart.x_labels = day_labels
    chart.x_labels_major = day_labels[:: max(1, len(day_labels) // 12)]
    chart.add(labels[1], [started for _, started, _ in points])
    chart.add(labels[2], [completed for _, _, completed in points])
    rows = [
        (label, str(started), str(completed))
        for label, (_, started, completed) in zip(day_labels, points, strict=True)
    ]
    description = _description(labels, rows)
    return Chart(
        chart_id, title, description, render(chart, title, description, chart_id), labels, tuple(rows)
    )


def _day(day: date, language: str) -> str:
    if language == "en":
        return day.isoformat()
    return day.strftime("%d/%m/%Y") if language == "fr" else day.strftime("%d-%m-%Y")


def rates_chart(
    funnel_rows: Sequence[FunnelRow], title: str, language: str, *, labels: tuple[str, ...]
) -> Chart | None:
    """Response and completion rates by channel (or language), in percent; None when there is nothing."""
    rows_with_data = [r for r in funnel_rows if r.started or r.invited]
    if not rows_with_data:
        return None
    chart_id = _new_id("rates")
    invited = any(r.invited for r in rows_with_data)
    chart = pygal.Bar(
        **_config(
            range=(0, 100),
            value_formatter=_percent_formatter(language),
            height=360,
            style=_on_colors(("#0072B2", "#E69F00") if invited else ("#E69F00",)),
        )
    )
    chart.x_labels = [r.label for r in rows_with_data]
    if invited:  # without invitations there is no response rate, only completion
        chart.add(labels[1], [r.response_rate for r in rows_with_data])
    chart.add(labels[2], [r.completion_rate for r in rows_with_data])
    percent = _percent_formatter(language)
    rows = [
        (
            r.label,
            f"{percent(r.response_rate)} ({r.completed_invited}/{r.invited})"
            if r.response_rate is not None
            else "—",
            f"{percent(r.completion_rate)} ({r.completed}/{r.started})"
            if r.completion_rate is not None
            else "—",
        )
        for r in rows_with_data
    ]
    description = _description(labels, rows)
    return Chart(
        chart_id, title, description, render(chart, title, description, chart_id), labels, tuple(rows)
    )
