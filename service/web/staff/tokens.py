"""API tokens: owners create them (the value is shown once) and revoke them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from service.api_tokens import create_token, organization_tokens, revoke
from service.models import utcnow
from service.web.auth import requires, staff
from service.web.database import db

bp = Blueprint("tokens", __name__, url_prefix="/organization/tokens")


class TokenForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("What the token is for, such as “monthly export to our CRM”."),
    )


def _page(form: TokenForm, created: str | None = None, status: int = 200) -> ResponseReturnValue:
    tokens = organization_tokens(db(), staff().organization_id)
    return render_template("staff/tokens.html", form=form, tokens=tokens, created=created), status


@bp.get("")
@requires("owner")
def index() -> ResponseReturnValue:
    return _page(TokenForm())


@bp.post("")
@requires("owner")
def create() -> ResponseReturnValue:
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    session = db()
    _token, raw = create_token(session, staff().organization, form.name.data, created_by_id=staff().id)
    session.commit()
    return _page(TokenForm(formdata=None), created=raw)


@bp.post("/<int:token_id>/revoke")
@requires("owner")
def revoke_token(token_id: int) -> ResponseReturnValue:
    session = db()
    token = revoke(session, staff().organization_id, token_id, utcnow())
    if token is None:
        abort(404)
    session.commit()
    flash(_("The token “%(name)s” is revoked: it no longer opens the API.", name=token.name), "success")
    return redirect(url_for("tokens.index"))
