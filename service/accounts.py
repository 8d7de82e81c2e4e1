"""Organizations, federation membership and staff accounts: the rules, free of any interface."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import FederationMembership, Organization, OrganizationKind, Role, User
from service.passwords import check_strength, hash_password
from service.texts import N_

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A request that breaks a rule; the message (an ``N_`` text) is safe to show to the person who made it."""


def create_organization(
    session: Session,
    slug: str,
    *,
    name: str | None = None,
    short_name: str | None = None,
    kind: OrganizationKind = OrganizationKind.ENTERPRISE,
    federation_slug: str | None = None,
    default_language: str = "fr",
    default_region: str = "BE",
) -> Organization:
    slug = slug.strip().lower()
    if not _SLUG.match(slug):
        raise AccountError(N_("a slug is 2-63 lowercase letters, digits and dashes (e.g. atelier-namur)"))
    if session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        raise AccountError(N_("an organization with the slug %(slug)r already exists", slug=slug))
    display = (name or slug.replace("-", " ").title()).strip()
    short = (short_name or display)[:20].strip()
    organization = Organization(
        slug=slug,
        name=display,
        short_name=short,
        kind=kind,
        default_language=default_language,
        default_region=default_region,
    )
    session.add(organization)
    session.flush()
    if federation_slug:
        join_federation(session, organization, federation_slug)
    return organization


def join_federation(session: Session, member: Organization, federation_slug: str) -> None:
    federation = session.scalar(
        select(Organization).where(Organization.slug == federation_slug.strip().lower())
    )
    if federation is None:
        raise AccountError(N_("no organization with the slug %(slug)r", slug=federation_slug))
    if not federation.is_federation:
        raise AccountError(N_("%(slug)r is not a federation", slug=federation_slug))
    if federation.id == member.id:
        raise AccountError(N_("an organization cannot be a member of itself"))
    exists = session.get(FederationMembership, (federation.id, member.id))
    if exists is None:
        session.add(FederationMembership(federation_id=federation.id, member_id=member.id))
        session.flush()


def create_user(
    session: Session,
    organization: Organization,
    email: str,
    password: str,
    *,
    name: str = "",
    role: Role = Role.OWNER,
    language: str | None = None,
) -> User:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise AccountError(N_("this is not an e-mail address"))
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise AccountError(N_("an account with this e-mail address already exists"))
    check_strength(password)
    user = User(
        organization_id=organization.id,
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def organization_by_slug(session: Session, slug: str) -> Organization:
    organization = session.scalar(select(Organization).where(Organization.slug == slug.strip().lower()))
    if organization is None:
        raise AccountError(N_("no organization with the slug %(slug)r", slug=slug))
    return organization
