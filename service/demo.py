"""Demo data: an enterprise in a federation, an owner account and one running campaign per shipped questionnaire.

Closed campaigns with generated answers (``service.results.samples``) make the results pages readable
on first run: a beneficiaries survey, insertion workers at entry and at exit (before/after), and three
more federation members for the benchmark, seen by a federation account.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires.loader import shipped_definitions
from service.accounts import create_organization, create_user
from service.campaigns import change_status, create_campaign
from service.definitions import register_shipped
from service.models import Campaign, Organization, OrganizationKind, Role, User, utcnow
from service.results.samples import seed_demo_results

DEMO_FEDERATION = "demo-federation"
DEMO_ORG = "demo"
DEMO_EMAIL = "demo@vises.example"
DEMO_PASSWORD = "demo-vises-2026"  # noqa: S105 - a published demo login, printed on purpose
DEMO_FEDERATION_EMAIL = "federation@vises.example"


@dataclass(frozen=True)
class DemoSeed:
    organization: Organization
    email: str
    password: str
    campaigns: list[Campaign]
    results: list[Campaign] = field(default_factory=list)
    """Closed campaigns with generated answers, to show the results pages."""
    federation_email: str | None = None


def seed_demo(session: Session, *, channels: list[str]) -> DemoSeed:
    """Create the demo data once; later calls return what is there."""
    organization = session.scalar(select(Organization).where(Organization.slug == DEMO_ORG))
    if organization is None:
        if session.scalar(select(Organization).where(Organization.slug == DEMO_FEDERATION)) is None:
            create_organization(
                session,
                DEMO_FEDERATION,
                name="Réseau démo de l'économie sociale",
                kind=OrganizationKind.FEDERATION,
            )
        organization = create_organization(
            session, DEMO_ORG, name="Atelier Démo", short_name="Atelier Demo", federation_slug=DEMO_FEDERATION
        )
    if session.scalar(select(User).where(User.email == DEMO_EMAIL)) is None:
        create_user(session, organization, DEMO_EMAIL, DEMO_PASSWORD, name="Demo", role=Role.OWNER)
    campaigns = list(session.scalars(select(Campaign).where(Campaign.organization_id == organization.id)))
    if not campaigns:
        for questionnaire_id in sorted(shipped_definitions()):
            version = register_shipped(session, organization, questionnaire_id)
            campaign = create_campaign(
                session,
                organization,
                version,
                name=f"Demo: {version.title.replace('{org}', organization.short_name)}",
                channels=channels,
            )
            change_status(session, campaign, "start")
            campaigns.append(campaign)
    federation = session.scalar(select(Organization).where(Organization.slug == DEMO_FEDERATION))
    results = seed_demo_results(
        session,
        organization,
        federation=federation,
        now=utcnow(),
        federation_email=DEMO_FEDERATION_EMAIL,
        password=DEMO_PASSWORD,
    )
    return DemoSeed(
        organization, DEMO_EMAIL, DEMO_PASSWORD, campaigns, results.campaigns, results.federation_email
    )
