"""Before/after: respondents matched by their pseudonymous id, paired change with its interval, unmatched counted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from service.accounts import create_user
from service.models import Conversation, Role
from service.results.change import change_report
from service.runtime import Runtime
from tests.integration.results.reference import (
    NOW,
    PASSWORD,
    add_conversation,
    make_campaign,
    make_organization,
)
from tests.integration.web.staff_support import signed_in

# (life before, life after, calm+rested before, calm+rested after) for the six people in both campaigns:
# life_better (codes 1, 2) goes 1,0,0,1,0,0 -> 1,1,1,1,0,1: changes 0,+100,+100,0,0,+100 points,
# mean +50; sd sqrt(15000 / 5) = 54.77, se 22.36, t(0.975, 5) = 2.570582: -7.48 to +107.48.
MATCHED = [
    ("1", "1", 3, 4),
    ("3", "2", 2, 3),
    ("3", "1", 2, 4),
    ("2", "2", 4, 4),
    ("3", "3", 1, 2),
    ("3", "2", 3, 3),
]
# wellbeing (the same answer to calm and rested): changes 1,1,2,0,1,0: mean 5/6 = 0.833;
# sum of squares 7, variance (7 - 25/6) / 5 = 0.5667, se 0.3073: 0.043 to 1.623.


@pytest.fixture
def linked(runtime: Runtime) -> tuple[str, int, int]:
    with runtime.transaction() as session:
        organization = make_organization(session, "parcours")
        create_user(session, organization, "owner@parcours.example", PASSWORD, role=Role.OWNER)
        baseline = make_campaign(session, organization, name="Entry")
        follow_up = make_campaign(session, organization, name="Exit", baseline_id=baseline.id)
        for index, (before, after, well_before, well_after) in enumerate(MATCHED):
            answers = {"life": before, "recommend": 5, "calm": well_before, "rested": well_before}
            conversation = add_conversation(
                session,
                baseline,
                channel="sms",
                language="fr",
                status="completed",
                answers=answers,
                at=NOW - timedelta(days=90, hours=index),
            )
            respondent = session.get_one(Conversation, conversation).respondent_id
            attempt = 1
            if index == 0:
                # a first, abandoned try at exit, then the completed one: only the latest completed counts
                add_conversation(
                    session,
                    follow_up,
                    channel="web",
                    language="fr",
                    status="expired",
                    answers={"life": "3"},
                    at=NOW - timedelta(days=2),
                    respondent_id=respondent,
                )
                attempt = 2
            answers = {"life": after, "recommend": 9, "calm": well_after, "rested": well_after}
            add_conversation(
                session,
                follow_up,
                channel="web",
                language="fr",
                status="completed",
                answers=answers,
                at=NOW - timedelta(hours=index),
                respondent_id=respondent,
                attempt=attempt,
            )
        for index in range(2):  # two people only at entry, three only at exit
            add_conversation(
                session,
                baseline,
                channel="sms",
                language="fr",
                status="completed",
                answers={"life": "1", "recommend": 1, "calm": 1, "rested": 1},
                at=NOW - timedelta(days=80, hours=index),
            )
        for index in range(3):
            add_conversation(
                session,
                follow_up,
                channel="web",
                language="nl",
                status="completed",
                answers={"life": "1", "recommend": 10, "calm": 5, "rested": 5},
                at=NOW - timedelta(hours=20 + index),
            )
        return follow_up.code, baseline.id, follow_up.id


def test_the_paired_change_equals_the_hand_computed_one(
    runtime: Runtime, linked: tuple[str, int, int]
) -> None:
    from questionnaires.loader import load_text
    from tests.integration.results.reference import DEFINITION

    _, baseline_id, follow_up_id = linked
    questionnaire = load_text(DEFINITION)
    with runtime.transaction() as session:
        report = change_report(session, baseline_id, follow_up_id, questionnaire, questionnaire, "en")
    assert (report.matching.matched, report.matching.only_baseline, report.matching.only_follow_up) == (
        6,
        2,
        3,
    )
    changes = {item.indicator.id: item for item in report.indicators}
    life = changes["life_better"]
    assert life.n == 6 and life.change.mean == pytest.approx(50.0)
    assert life.change.low == pytest.approx(-7.48, abs=0.01) and life.change.high == pytest.approx(
        107.48, abs=0.01
    )
    assert (life.before_text, life.after_text, life.change_text) == ("33%", "83%", "+50 percentage points")
    assert life.interval_text == "−7 to +107"
    assert life.verdict == "no clear change (chance could explain it)"
    wellbeing = changes["wellbeing"]
    assert wellbeing.change.mean == pytest.approx(5 / 6)
    assert wellbeing.change.low == pytest.approx(0.043, abs=0.001) and wellbeing.change.high == pytest.approx(
        1.623, abs=0.001
    )
    assert (wellbeing.change_text, wellbeing.interval_text, wellbeing.verdict) == (
        "+0.8 points",
        "0.0–1.6",
        "a clear increase",
    )
    recommend = changes["recommend"]
    assert recommend.change.mean == pytest.approx(200.0)  # everyone went from a 5 (−100) to a 9 (+100)


def test_the_before_after_page(app: Flask, linked: tuple[str, int, int]) -> None:
    code, _, _ = linked
    client = signed_in(app, "owner@parcours.example")
    html = client.get(f"/campaigns/{code}/results/change", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Change from Entry to Exit" in html
    assert "+50 percentage points" in html and "−7 to +107" in html
    assert "Life better: +50 percentage points for the same 6 respondents (95% interval: −7 to +107)" in html
    results = client.get(f"/campaigns/{code}/results").get_data(as_text=True)
    assert f"/campaigns/{code}/results/change" in results


def test_a_campaign_without_baseline_has_no_change_page(
    app: Flask, runtime: Runtime, linked: tuple[str, int, int]
) -> None:
    client = signed_in(app, "owner@parcours.example")
    from sqlalchemy import select

    from service.models import Campaign

    with runtime.transaction() as session:
        entry = session.scalars(select(Campaign).where(Campaign.name == "Entry")).one()
    assert client.get(f"/campaigns/{entry.code}/results/change").status_code == 404
    # the baseline's results link to the campaign that compares with it
    assert f"/campaigns/{linked[0]}/results/change" in client.get(
        f"/campaigns/{entry.code}/results"
    ).get_data(as_text=True)
