"""The organization page: its staff (owners invite people and set roles), its federation links and naming."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from service.accounts import AccountError, create_user
from service.audit import Action, record
from service.models import FederationMembership, Organization, Role, User
from service.password_reset import make_token, reset_link
from service.web.auth import login_required, requires, staff
from service.web.database import db, runtime
from service.web.i18n import sentence
from service.web.staff.labels import ROLE_NAMES

bp = Blueprint("organization", __name__, url_prefix="/organization")


class InviteForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("This is not an e-mail address.")),
        ],
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"), choices=[SelectChoice(role, ROLE_NAMES[role]) for role in ("viewer", "editor", "owner")]
    )


class NamingForm(FlaskForm):  # type: ignore[misc]
    share_name = BooleanField(_l("Show our name to our federations next to our results"))


def _federations(session: Session, organization: Organization) -> list[Organization]:
    return list(
        session.scalars(
            select(Organization)
            .join(FederationMembership, FederationMembership.federation_id == Organization.id)
            .where(FederationMembership.member_id == organization.id)
            .order_by(Organization.name)
        )
    )


def _members(session: Session, organization: Organization) -> list[Organization]:
    return list(
        session.scalars(
            select(Organization)
            .join(FederationMembership, FederationMembership.member_id == Organization.id)
            .where(FederationMembership.federation_id == organization.id)
            .order_by(Organization.name)
        )
    )


def _own_user(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None or user.organization_id != staff().organization_id:
        abort(404)
    return user


def _active_owners(session: Session, organization_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(User.id)).where(
                User.organization_id == organization_id, User.role == Role.OWNER, User.is_active.is_(True)
            )
        )
        or 0
    )


def _invitation_link(user: User) -> str:
    settings = runtime().settings
    return reset_link(settings, make_token(settings.secret_key, user, "invitation"), "invitation")


def _naming_form(organization: Organization) -> NamingForm:
    form = NamingForm(formdata=None)
    form.share_name.data = organization.share_name_with_federations
    return form


@bp.get("")
@login_required
def overview() -> ResponseReturnValue:
    me = staff()
    session = db()
    organization = me.organization
    users = list(
        session.scalars(select(User).where(User.organization_id == organization.id).order_by(User.email))
    )
    return render_template(
        "staff/organization.html",
        organization=organization,
        users=users,
        federations=_federations(session, organization),
        members=_members(session, organization) if organization.is_federation else [],
        form=InviteForm(),
        invitation=None,
        naming=_naming_form(organization),
    )


@bp.post("/users")
@requires("owner")
def invite() -> ResponseReturnValue:
    me = staff()
    session = db()
    organization = me.organization
    form = InviteForm()
    invitation = None
    if form.validate_on_submit():
        try:
            # An unusable random password until the person follows the invitation and chooses one.
            user = create_user(
                session,
                organization,
                form.email.data,
                secrets.token_urlsafe(32),
                name=form.name.data or "",
                role=Role(form.role.data),
            )
        except AccountError as exc:
            session.rollback()
            form.email.errors.append(sentence(exc))
        else:
            session.commit()
            invitation = (user, _invitation_link(user))
            flash(_("The account is created. Give the person the invitation link below."), "success")
    users = list(
        session.scalars(select(User).where(User.organization_id == organization.id).order_by(User.email))
    )
    return (
        render_template(
            "staff/organization.html",
            organization=organization,
            users=users,
            federations=_federations(session, organization),
            members=_members(session, organization) if organization.is_federation else [],
            form=form if invitation is None else InviteForm(formdata=None),
            invitation=invitation,
            naming=_naming_form(organization),
        ),
        200 if invitation else 400,
    )


@bp.post("/users/<int:user_id>")
@requires("owner")
def change_user(user_id: int) -> ResponseReturnValue:
    user = _own_user(user_id)
    session = db()
    action = request.form.get("action", "")
    if action == "role":
        role = request.form.get("role", "")
        if role not in ROLE_NAMES:
            abort(400)
        if (
            user.role == Role.OWNER
            and role != Role.OWNER
            and _active_owners(session, user.organization_id) <= 1
        ):
            flash(_("The organization needs at least one owner: make someone else owner first."), "error")
        else:
            user.role = role
            session.commit()
            flash(
                _("%(email)s is now %(role)s.", email=user.email, role=str(ROLE_NAMES[role]).lower()),
                "success",
            )
    elif action in ("deactivate", "activate"):
        if (
            action == "deactivate"
            and user.role == Role.OWNER
            and _active_owners(session, user.organization_id) <= 1
        ):
            flash(_("The organization needs at least one owner: make someone else owner first."), "error")
        else:
            user.is_active = action == "activate"
            session.commit()
            flash(
                _("%(email)s can sign in again.", email=user.email)
                if user.is_active
                else _("%(email)s can no longer sign in.", email=user.email),
                "success",
            )
    elif action == "invitation" and user.last_login_at is None:
        link = _invitation_link(user)
        flash(_("New invitation link for %(email)s: %(link)s", email=user.email, link=link), "success")
    else:
        abort(400)
    return redirect(url_for("organization.overview"))


@bp.post("/federation-naming")
@requires("owner")
def federation_naming() -> ResponseReturnValue:
    """Let the federations name this organization next to its results (or go back to "Member A")."""
    form = NamingForm()
    if not form.validate_on_submit():
        abort(400)
    session = db()
    organization = session.get_one(Organization, staff().organization_id)
    before = organization.share_name_with_federations
    after = bool(form.share_name.data)
    if after != before:
        organization.share_name_with_federations = after
        record(
            session,
            organization.id,
            Action.FEDERATION_NAMING,
            user_id=staff().id,
            target_type="organization",
            target_id=organization.slug,
            details={"before": before, "after": after},
        )
        session.commit()
    flash(
        _("Your federations now see your name next to your results.")
        if after
        else _("Your federations now see your results without your name."),
        "success",
    )
    return redirect(url_for("organization.overview"))
