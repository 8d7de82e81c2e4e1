"""Interface language (fr, nl, en): the person's choice, else the browser's Accept-Language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, g, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel

LANGUAGES = ("fr", "nl", "en")
LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """Explicit choice first (``?lang=``, then the session), then Accept-Language, then English."""
    chosen = g.get("forced_language") or request.args.get("lang") or session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    user_language = g.get("user_language")
    if user_language in LANGUAGES:
        return str(user_language)
    return request.accept_languages.best_match(LANGUAGES) or "en"


@bp.get("/language/<code>")
def switch_language(code: str) -> ResponseReturnValue:
    if code in LANGUAGES:
        session["lang"] = code
    target = request.args.get("next", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        target = "/"
    return redirect(target)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    # Catalogs merged at run time: staff pages, the respondent survey, results and privacy, each kept by its own team.
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES",
        "translations/staff;translations/survey;translations/results;translations/privacy",
    )
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(bp)

    @app.context_processor
    def _languages() -> dict[str, object]:
        return {"LANGUAGES": LANGUAGES, "LANGUAGE_NAMES": LANGUAGE_NAMES, "current_language": select_locale()}
