"""The campaign results page and the printable report show the hand-computed reference values."""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape

import pytest
from flask import Flask

from service.results.indicators import by_dimension, load_tallies
from service.runtime import Runtime
from tests.integration.results.reference import LIFE_BETTER, WELLBEING, Reference, build_reference
from tests.integration.web.staff_support import signed_in


@pytest.fixture
def reference(runtime: Runtime) -> Reference:
    return build_reference(runtime)


def _text(html: str) -> str:
    """The page's visible text, tags removed and spaces collapsed (SVG included: its labels are text too)."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def test_the_aggregates_equal_the_hand_computed_values(runtime: Runtime, reference: Reference) -> None:
    with runtime.transaction() as session:
        tallies = load_tallies(session, [reference.campaign_id])["all"]
    results = {r.id: r for d in by_dimension(reference.questionnaire, tallies, "en") for r in d.indicators}
    life = results["life_better"]
    assert (life.n, life.value_text, life.interval_text) == (9, "67%", "35–88%")
    assert life.aggregate.categories["hit"].count == LIFE_BETTER["hits"]
    assert life.aggregate.excluded == LIFE_BETTER["excluded"]
    assert pytest.approx(life.aggregate.low, abs=0.01) == 100 * 0.35420
    assert pytest.approx(life.aggregate.high, abs=0.01) == 100 * 0.87942
    recommend = results["recommend"]
    assert (recommend.n, recommend.value_text, recommend.interval_text) == (10, "+20", "−34 to +74")
    assert recommend.aggregate.low == pytest.approx(-34.03, abs=0.01)
    wellbeing = results["wellbeing"]
    assert (wellbeing.n, wellbeing.value_text, wellbeing.interval_text) == (10, "3.4", "2.6–4.2")
    assert wellbeing.aggregate.low == pytest.approx(2.5774, abs=1e-3)
    assert wellbeing.aggregate.high == pytest.approx(4.2226, abs=1e-3)


def test_the_results_page_tells_each_indicator_in_plain_words(app: Flask, reference: Reference) -> None:
    client = signed_in(app, reference.viewer)
    response = client.get(f"/campaigns/{reference.code}/results", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = _text(response.get_data(as_text=True))
    assert "67% of respondents: life better (6 of 9; 95% interval: 35–88%)" in text
    assert "1 other answer (such as “don't know”) is not counted." in text
    assert (
        "Likelihood to recommend: +20 on a scale from −100 to +100 (n = 10; 95% interval: −34 to +74)" in text
    )
    assert "Well-being: 3.4 on average, on a scale from 1 to 5 (n = 10; 95% interval: 2.6–4.2)" in text
    # the funnel: 14 conversations started, 10 completed, 1 declined, 1 opted out
    assert "10 completed answers" in text
    # no free text on the results page itself, and a viewer gets no link to it
    assert "Plus de contacts" not in text
    assert "/results/free-text" not in response.get_data(as_text=True)


def test_the_page_in_french_uses_french_numbers(app: Flask, reference: Reference) -> None:
    client = signed_in(app, reference.viewer)
    html = client.get(f"/campaigns/{reference.code}/results?lang=fr").get_data(as_text=True)
    text = _text(html)
    assert (
        "67\u202f% des personnes répondantes\u00a0: vie meilleure (6 sur 9\u202f; intervalle à 95\u202f%\u00a0: 35–88\u202f%)"
        in text
    )
    assert f"Bien-être\u00a0: {WELLBEING['value_fr']} en moyenne" in text
    assert WELLBEING["interval_fr"] in text


def test_too_few_answers_say_so_instead_of_a_number(app: Flask, runtime: Runtime) -> None:
    from service.accounts import create_user
    from service.models import Role
    from tests.integration.results.reference import (
        COMPLETED,
        NOW,
        add_conversation,
        answers_of,
        make_campaign,
        make_organization,
    )

    with runtime.transaction() as session:
        organization = make_organization(session, "petit-atelier")
        create_user(session, organization, "viewer@petit.example", "correct horse battery", role=Role.VIEWER)
        campaign = make_campaign(session, organization)
        for row in COMPLETED[:3]:
            add_conversation(
                session,
                campaign,
                channel="web",
                language="en",
                status="completed",
                answers=answers_of(row),
                at=NOW,
            )
        code = campaign.code
    client = signed_in(app, "viewer@petit.example")
    text = _text(
        client.get(f"/campaigns/{code}/results", headers={"Accept-Language": "en"}).get_data(as_text=True)
    )
    assert "Life better: not enough answers to show a value (n = 3, 5 needed)" in text
    assert "Well-being: not enough answers to show a value (n = 3, 5 needed)" in text
    assert "%" not in text.split("Impact indicators")[1].split("Do channels differ?")[0].replace("95%", "")


def test_mode_effects_compare_channels(app: Flask, reference: Reference) -> None:
    client = signed_in(app, reference.viewer)
    text = _text(
        client.get(f"/campaigns/{reference.code}/results", headers={"Accept-Language": "en"}).get_data(
            as_text=True
        )
    )
    section = text.split("Do channels differ?")[2].split("Who answered")[0]
    life, rest = section.split("Likelihood to recommend", 1)
    # SMS has only 4 counted answers on "life better" (one "don't know"): below min_n, nothing to test
    assert (
        "Life better 100% (n = 5) not enough answers (n = 4) Not tested — Too few answers per channel to compare."
        in life
    )
    # 5 answers a channel on the others: tested with Welch's t-test, and no difference beyond chance
    assert rest.count("No difference between channels beyond chance (p = 0.") == 2
    assert "Welch" in rest


def test_the_report_is_printable_and_holds_no_personal_data(app: Flask, reference: Reference) -> None:
    client = signed_in(app, reference.viewer)
    response = client.get(f"/campaigns/{reference.code}/results/report", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = _text(html)
    assert "67% of respondents: life better (6 of 9; 95% interval: 35–88%)" in text
    assert "Reference source A" in text  # the instrument's source
    assert "Wilson" in text and "Student" in text  # the interval methods
    for free_text in ("Plus de contacts", "Niets veranderd", "HYPERLINK"):
        assert free_text not in html
    assert "<script" not in html
    # the text alternative of every chart is shown in full on paper, not folded away
    assert "<details" not in html
    assert html.count("<svg") == html.count('role="img"') >= 2


def test_every_chart_has_a_title_a_description_and_a_table(app: Flask, reference: Reference) -> None:
    client = signed_in(app, reference.viewer)
    response = client.get(f"/campaigns/{reference.code}/results", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    charts = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(charts) >= 5
    # each chart's own stylesheet is allowed by its hash, and nothing else inline
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "script-src 'self';" in policy
    for css in re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S):
        digest = base64.b64encode(hashlib.sha256(unescape(css).encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    for svg in charts:
        assert "<script" not in svg
        assert re.search(r"<title id=\"[^\"]+-title\">[^<]+</title>", svg)
        assert re.search(r"<desc id=\"[^\"]+-desc\">[^<]+</desc>", svg)
    assert html.count('class="chart-data"') == len(charts)
