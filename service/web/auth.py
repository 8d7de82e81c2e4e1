"""Staff sign-in (Flask-Login), password reset and invitation links, the account page, and role checks.

Sessions are Flask's signed cookie (HttpOnly, SameSite=Lax, Secure in production). The id kept in
the session is the user's id plus a fingerprint of the password hash, so changing or resetting a
password ends every other session. Failed logins are throttled per account and per client address
(``service.login_throttle``); the error never says which of e-mail or password was wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_login import login_required as _flask_login_required
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from service.login_throttle import LoginThrottle
from service.models import Organization, Role, User, utcnow
from service.password_reset import (
    issue_link,
    password_fingerprint,
    set_password,
    user_by_email,
    user_for_token,
)
from service.passwords import MIN_LENGTH, WeakPassword, hash_password, needs_rehash, verify_password
from service.web.database import db, runtime
from service.web.i18n import LANGUAGE_NAMES, LANGUAGES

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "warning"
login_manager.session_protection = "basic"

ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}
# A hash to verify against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH: list[str] = []

F = TypeVar("F", bound=Callable[..., Any])


class StaffUser(UserMixin):  # type: ignore[misc]
    """The signed-in staff member for one request: the user row and its organization."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{password_fingerprint(self.user.password_hash)}"

    @property
    def is_active(self) -> bool:
        return bool(self.user.is_active)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def organization(self) -> Organization:
        return self.user.organization

    @property
    def organization_id(self) -> int:
        return self.user.organization_id

    @property
    def role(self) -> str:
        return self.user.role

    def can(self, role: str) -> bool:
        """Whether this user's role includes ``role`` (owner > editor > viewer)."""
        return ROLE_RANK.get(Role(self.user.role), -1) >= ROLE_RANK[Role(role)]


def _load_user(session_id: str) -> StaffUser | None:
    user_id, _, fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db().get(User, int(user_id))
    if user is None or not user.is_active or password_fingerprint(user.password_hash) != fingerprint:
        return None
    return StaffUser(user)


login_manager.user_loader(_load_user)


def login_required(view: F) -> F:
    """Sign-in required: Flask-Login's check (anonymous visitors go to the sign-in page)."""
    return cast(F, _flask_login_required(view))


def staff() -> StaffUser:
    """The signed-in staff member (views behind ``login_required`` only)."""
    return current_user._get_current_object()  # type: ignore[no-any-return]


def requires(role: str) -> Callable[[F], F]:
    """Sign-in required, and a 403 page for a role below ``role``."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not staff().can(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to after signing in; anything else (another site) becomes ``default``."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return default
    return target


def _throttle() -> LoginThrottle:
    return LoginThrottle(current_app.config["SECRET_KEY"])


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password("not-a-real-password-0123"))
    return _DUMMY_HASH[0]


# --- forms ------------------------------------------------------------------------------------------


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])


class ForgotForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=1000)],
        description=_l("At least %(n)d characters.", n=MIN_LENGTH),
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1000)])


class LanguageForm(FlaskForm):  # type: ignore[misc]
    language = SelectField(
        _l("Language of the staff pages"),
        choices=[
            SelectChoice("", _l("The browser's language")),
            *(SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES),
        ],
        validators=[Optional()],
    )
    name = StringField(_l("Your name"), validators=[Optional(), Length(max=200)])


# --- views ------------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("campaigns.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        address = request.remote_addr or "unknown"
        now = utcnow()
        throttle = _throttle()
        session_db = db()
        if throttle.blocked(session_db, email, address, now):
            form.form_errors.append(_("Too many failed attempts. Wait 15 minutes, or reset your password."))
            status = 429
        else:
            user = user_by_email(session_db, email)
            stored = user.password_hash if user is not None else _dummy_hash()
            password_ok = verify_password(stored, form.password.data)
            if user is not None and password_ok and user.is_active:
                if needs_rehash(user.password_hash):
                    user.password_hash = hash_password(form.password.data)
                user.last_login_at = now
                throttle.record_success(session_db, email)
                session_db.commit()
                language = session.get("lang")
                session.clear()  # a fresh session on sign-in: nothing carried over from before
                if language and not user.language:
                    session["lang"] = language
                login_user(StaffUser(user))
                return redirect(safe_next(request.args.get("next"), url_for("campaigns.index")))
            throttle.record_failure(session_db, email, address, now)
            session_db.commit()
            form.form_errors.append(_("Wrong e-mail address or password."))
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> ResponseReturnValue:
    form = ForgotForm()
    if form.validate_on_submit():
        session_db = db()
        issue_link(session_db, runtime().settings, form.email.data, "reset")
        flash(
            _(
                "If an account exists for this address, a reset link valid for two hours has been made. "
                "This server sends no e-mail: the link is in the server's log, and an administrator can "
                "print it with “vises user reset-link”."
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


def _token_page(token: str, purpose: str) -> ResponseReturnValue:
    session_db = db()
    secret = current_app.config["SECRET_KEY"]
    user = user_for_token(session_db, secret, token, purpose)
    if user is None:
        return render_template("auth/link_invalid.html", purpose=purpose), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            set_password(session_db, user, form.password.data)
        except WeakPassword:
            form.password.errors.append(_("This password is too easy to guess. Choose a longer one."))
        else:
            session_db.commit()
            logout_user()
            flash(_("Your password is set. You can sign in now."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, purpose=purpose, account=user)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    return _token_page(token, "reset")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> ResponseReturnValue:
    return _token_page(token, "invitation")


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> ResponseReturnValue:
    me = staff()
    settings_form = LanguageForm(prefix="settings", obj=None)
    password_form = ChangePasswordForm(prefix="password")
    if request.method == "GET":
        settings_form.language.data = me.user.language or ""
        settings_form.name.data = me.user.name
    session_db = db()
    if request.method == "POST" and request.form.get("action") == "settings" and settings_form.validate():
        me.user.language = settings_form.language.data or None
        me.user.name = (settings_form.name.data or "").strip()
        session_db.commit()
        session.pop("lang", None)  # the saved setting now decides
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("auth.account"))
    if request.method == "POST" and request.form.get("action") == "password" and password_form.validate():
        if not verify_password(me.user.password_hash, password_form.current.data):
            password_form.current.errors.append(_("This is not your current password."))
        else:
            try:
                set_password(session_db, me.user, password_form.password.data)
            except WeakPassword:
                password_form.password.errors.append(
                    _("This password is too easy to guess. Choose a longer one.")
                )
            else:
                session_db.commit()
                login_user(StaffUser(me.user))  # the session id carries the new fingerprint
                flash(_("Your password is changed; your other sessions are signed out."), "success")
                return redirect(url_for("auth.account"))
    return render_template("auth/account.html", settings_form=settings_form, password_form=password_form)


def _user_language() -> None:
    if current_user.is_authenticated:
        g.user_language = staff().user.language


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(_user_language)
    app.register_blueprint(bp)
