"""Staff pages: campaigns, invitations, the organization and its API tokens, all behind sign-in."""

from __future__ import annotations

from flask import Flask, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from service.web.staff import campaigns, definition_problems, invitations, labels, organization, tokens


def _home() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("campaigns.index"))
    return redirect(url_for("auth.login"))


_BLUEPRINTS = (campaigns.bp, invitations.bp, organization.bp, tokens.bp)
_PRIVATE = frozenset({bp.name for bp in _BLUEPRINTS} | {"auth"})


def _private(response: Response) -> Response:
    """Pages with an organization's data are never kept by shared caches or the browser's history."""
    if request.blueprint in _PRIVATE:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _form_expired(error: CSRFError) -> ResponseReturnValue:  # noqa: ARG001 (handler signature)
    """A form posted without its CSRF token (or after the session ended): say so plainly, keep nothing."""
    description = _(
        "This form has expired or did not come from this site. Go back, reload the page and try again."
    )
    return render_template("error.html", code=400, name=_("Form expired"), description=description), 400


def init_app(app: Flask) -> None:
    app.add_url_rule("/", "home", _home)
    for blueprint in _BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.after_request(_private)
    app.register_error_handler(CSRFError, _form_expired)
    app.context_processor(labels.context)
    definition_problems.init_app(app)
