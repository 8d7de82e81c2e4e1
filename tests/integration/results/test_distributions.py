"""Answer counts per question come from one grouped query, over completed conversations only."""

from __future__ import annotations

from datetime import timedelta

from questionnaires.loader import load_text
from service.results.distributions import distributions
from service.runtime import Runtime
from tests.integration.results.reference import NOW, add_conversation, make_campaign, make_organization

DEFINITION = """
id: mixed
version: 1
title: {fr: M, nl: M, en: M}
languages: [fr, nl, en]
default_language: en
consent: {version: "1", text: {fr: "?", nl: "?", en: "?"}}
questions:
  - id: help
    type: multiple_choice
    text: {fr: "Aide ?", nl: "Hulp?", en: "Which help?"}
    choices:
      - {code: food, label: {fr: Repas, nl: Maaltijden, en: Meals}}
      - {code: job, label: {fr: Emploi, nl: Werk, en: Work}}
      - {code: home, label: {fr: Logement, nl: Woning, en: Housing}}
  - id: kids
    type: integer
    min: 0
    max: 20
    text: {fr: "Enfants ?", nl: "Kinderen?", en: "Children?"}
  - id: note
    type: text
    required: false
    text: {fr: "Note", nl: "Noot", en: "Note"}
"""

ANSWERS = [  # (channel, help, kids)
    ("web", ["food", "job"], 0),
    ("web", ["food"], 2),
    ("sms", ["job", "home"], 2),
    ("sms", ["food", "job", "home"], 3),
]


def test_multiple_choice_and_numbers(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        organization = make_organization(session, "mixte")
        campaign = make_campaign(session, organization, text=DEFINITION)
        for index, (channel, chosen, kids) in enumerate(ANSWERS):
            answers = {"help": tuple(chosen), "kids": kids, "note": "private words"}
            add_conversation(
                session,
                campaign,
                channel=channel,
                language="en",
                status="completed",
                answers=answers,
                at=NOW - timedelta(hours=index),
            )
        # an unfinished conversation is not counted
        add_conversation(
            session,
            campaign,
            channel="web",
            language="en",
            status="expired",
            answers={"help": ("home",)},
            at=NOW,
        )
        found = {
            d.question.id: d for d in distributions(session, [campaign.id], load_text(DEFINITION), "en", {})
        }
    assert set(found) == {"help", "kids"}  # free text is never counted here
    help_ = found["help"]
    assert help_.multiple and help_.answered == 4
    assert [(bar.label, bar.count, bar.share) for bar in help_.bars] == [
        ("Meals", 3, 75.0),
        ("Work", 3, 75.0),
        ("Housing", 2, 50.0),
    ]
    assert help_.by_channel["sms"][0] == 2
    assert [bar.count for bar in help_.by_channel["sms"][1]] == [1, 2, 2]
    kids = found["kids"]
    assert kids.kind == "numbers" and kids.mean == 1.75 and kids.mean_text == "1.8"
    assert [(bar.label, bar.count) for bar in kids.bars] == [("0", 1), ("2", 2), ("3", 1)]
    assert [(bar.label, bar.count) for bar in kids.by_channel["web"][1]] == [("0", 1), ("2", 1), ("3", 0)]
