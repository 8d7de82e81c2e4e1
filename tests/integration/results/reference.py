"""A reference campaign whose indicators and intervals were computed by hand, and helpers to build more.

Ten completed conversations (five on the web, five by SMS), one in progress, one expired, one opted out
and one refused. The expected values below were worked out on paper from the answers in ``COMPLETED``
(see each constant's comment), not by running the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from questionnaires.loader import load_text
from questionnaires.model import Questionnaire
from service.accounts import create_organization, create_user
from service.campaigns import change_status, create_campaign
from service.definitions import definition, register_version
from service.models import Campaign, Organization, OrganizationKind, Role
from service.results.samples import new_respondent, store_conversation
from service.runtime import Runtime

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

DEFINITION = """
id: reference
version: 1
title: {fr: "Référence {org}", nl: "Referentie {org}", en: "Reference {org}"}
languages: [fr, nl, en]
default_language: fr
consent:
  version: "1"
  text: {fr: "On commence ?", nl: "Beginnen?", en: "Shall we start?"}
questions:
  - id: life
    type: single_choice
    text: {fr: "Votre vie a changé ?", nl: "Is uw leven veranderd?", en: "Has your life changed?"}
    choices:
      - {code: "1", label: {fr: "Beaucoup mieux", nl: "Veel beter", en: "Much better"}}
      - {code: "2", label: {fr: "Mieux", nl: "Beter", en: "Better"}}
      - {code: "3", label: {fr: "Pareil", nl: "Hetzelfde", en: "The same"}}
      - {code: "4", label: {fr: "Je ne sais pas", nl: "Weet niet", en: "Don't know"}}
  - id: why
    type: text
    required: false
    text: {fr: "Pourquoi ?", nl: "Waarom?", en: "Why?"}
  - id: recommend
    type: scale
    min: 0
    max: 10
    text: {fr: "Recommanderiez-vous {org} ?", nl: "Zou u {org} aanbevelen?", en: "Would you recommend {org}?"}
  - id: calm
    type: scale
    min: 1
    max: 5
    text: {fr: "Calme ?", nl: "Rustig?", en: "Calm?"}
  - id: rested
    type: scale
    min: 1
    max: 5
    text: {fr: "Reposé ?", nl: "Uitgerust?", en: "Rested?"}
indicators:
  - id: life_better
    title: {fr: "Vie meilleure", nl: "Beter leven", en: "Life better"}
    dimension: individuals
    method: share
    question: life
    codes: ["1", "2"]
    exclude: ["4"]
    source: "Reference source A"
  - id: recommend
    title: {fr: "Recommandation", nl: "Aanbeveling", en: "Likelihood to recommend"}
    dimension: practices
    method: recommend
    question: recommend
    min_n: 5
  - id: wellbeing
    title: {fr: "Bien-être", nl: "Welzijn", en: "Well-being"}
    dimension: individuals
    method: mean
    questions: [calm, rested]
"""

# (channel, language, life, why, recommend, calm, rested)
COMPLETED: list[tuple[str, str, str, str | None, int, int, int]] = [
    ("web", "fr", "1", "Plus de contacts", 10, 5, 5),
    ("web", "fr", "1", None, 9, 4, 5),
    ("web", "fr", "2", '=HYPERLINK("http://x")', 9, 4, 4),
    ("web", "fr", "2", None, 8, 3, 4),
    ("web", "fr", "2", None, 7, 3, 3),
    ("sms", "fr", "3", None, 6, 2, 3),
    ("sms", "nl", "3", "Niets veranderd", 5, 5, 4),
    ("sms", "nl", "4", None, 10, 4, 3),
    ("sms", "nl", "1", None, 3, 2, 2),
    ("sms", "nl", "3", None, 9, 1, 2),
]

# life_better: hits (codes 1, 2) = 6, misses (3) = 3, excluded ("don't know") = 1, so n = 9 and 6/9 = 66.7%.
# Wilson, z = 1.96: centre (2/3 + 3.8416/18) / (1 + 3.8416/9) = 0.61681,
# half-width 1.96 * sqrt(2/9/9 + 3.8416/324) / 1.42684 = 0.26261: 35.4% to 87.9%.
LIFE_BETTER = {"n": 9, "hits": 6, "value": "67%", "interval": "35–88%", "excluded": 1}
# recommend: 5 answered 9-10, 2 answered 7-8, 3 answered 0-6 (n = 10): 100 * (0.5 - 0.3) = +20;
# variance (0.5 + 0.3) - 0.2² = 0.76, half-width 196 * sqrt(0.076) = 54.03: −34.0 to +74.0.
RECOMMEND = {"n": 10, "value": "+20", "interval": "−34 to +74"}
# wellbeing: per-person means 5, 4.5, 4, 3.5, 3, 2.5, 4.5, 3.5, 2, 1.5: sum 34, mean 3.4; sum of squares 127.5,
# variance (127.5 - 115.6) / 9 = 1.32222, se 0.363628, t(0.975, 9) = 2.262157: 2.5774 to 4.2226.
WELLBEING = {"n": 10, "value": "3.4", "interval": "2.6–4.2", "value_fr": "3,4", "interval_fr": "2,6–4,2"}


@dataclass
class Reference:
    organization_id: int
    organization_slug: str
    campaign_id: int
    code: str
    questionnaire: Questionnaire
    owner: str
    editor: str
    viewer: str


def make_organization(
    session: Any, slug: str, *, federation: str | None = None, share_name: bool = False
) -> Organization:
    organization = create_organization(
        session, slug, name=slug.replace("-", " ").title(), short_name=slug[:20], federation_slug=federation
    )
    organization.share_name_with_federations = share_name
    return organization


def make_campaign(
    session: Any,
    organization: Organization,
    *,
    text: str = DEFINITION,
    name: str = "Reference",
    baseline_id: int | None = None,
) -> Campaign:
    version = register_version(session, organization, load_text(text), source="yaml")
    campaign = create_campaign(
        session,
        organization,
        version,
        name=name,
        channels=["web", "sms"],
        sms_keyword=None,
        baseline_campaign_id=baseline_id,
    )
    change_status(session, campaign, "start", now=NOW - timedelta(days=10))
    return campaign


def answers_of(row: tuple[str, str, str, str | None, int, int, int]) -> dict[str, Any]:
    _, _, life, why, recommend, calm, rested = row
    answers: dict[str, Any] = {"life": life}
    if why is not None:
        answers["why"] = why
    answers.update({"recommend": recommend, "calm": calm, "rested": rested})
    return answers


def add_conversation(
    session: Any,
    campaign: Campaign,
    *,
    channel: str,
    language: str,
    status: str,
    answers: dict[str, Any],
    at: datetime,
    respondent_id: int | None = None,
    attempt: int = 1,
) -> int:
    questionnaire = definition(campaign.questionnaire_version)
    conversation = store_conversation(
        session,
        campaign,
        questionnaire,
        respondent_id=respondent_id or new_respondent(session, campaign.organization_id),
        channel=channel,
        language=language,
        status=status,
        answers=answers,
        started_at=at,
        completed_at=at + timedelta(minutes=5),
        attempt=attempt,
    )
    return conversation.id


def build_reference(runtime: Runtime, slug: str = "atelier-ref") -> Reference:
    with runtime.transaction() as session:
        organization = make_organization(session, slug)
        users = {}
        for role in ("owner", "editor", "viewer"):
            users[role] = create_user(
                session, organization, f"{role}@{slug}.example", PASSWORD, role=Role(role)
            ).email
        campaign = make_campaign(session, organization)
        for index, row in enumerate(COMPLETED):
            add_conversation(
                session,
                campaign,
                channel=row[0],
                language=row[1],
                status="completed",
                answers=answers_of(row),
                at=NOW - timedelta(days=3, hours=index),
            )
        extra = [
            ("in_progress", {"life": "1"}),
            ("expired", {"life": "3", "recommend": 2}),
            ("opted_out", {}),
            ("refused", {}),
        ]
        for index, (status, answers) in enumerate(extra):
            add_conversation(
                session,
                campaign,
                channel="sms",
                language="fr",
                status=status,
                answers=answers,
                at=NOW - timedelta(days=1, hours=index),
            )
        return Reference(
            organization_id=organization.id,
            organization_slug=slug,
            campaign_id=campaign.id,
            code=campaign.code,
            questionnaire=definition(campaign.questionnaire_version),
            owner=users["owner"],
            editor=users["editor"],
            viewer=users["viewer"],
        )


def make_federation(session: Any, slug: str) -> Organization:
    federation = create_organization(
        session, slug, name=slug.replace("-", " ").title(), kind=OrganizationKind.FEDERATION
    )
    create_user(session, federation, f"owner@{slug}.example", PASSWORD, role=Role.OWNER)
    return federation
