"""Interface language (fr, nl, en): the person's choice, else the browser's Accept-Language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, g, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel, gettext

from service.texts import Text

LANGUAGES = ("fr", "nl", "en")
LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}
CATALOGS = ("staff", "survey", "results", "privacy")
"""The message catalogs merged at run time (``translations/<name>``), each kept by its own team. Where two
hold the same text, the later one wins: they must agree (tests/unit/web/test_merged_catalogs.py)."""

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


def translated(said: object) -> str:
    """What the service said (a ``service.texts`` text, or an error carrying one) in the page's language.

    Anything else is shown as it is: English texts never marked for translation stay readable.
    """
    if isinstance(said, BaseException) and said.args:
        said = said.args[0]
    if not isinstance(said, Text):
        return str(said)
    values = {
        name: translated(value) if isinstance(value, Text) else value for name, value in said.values.items()
    }
    return str(gettext(said.template, **values))


def sentence(said: object) -> str:
    """A service text as a sentence of a page: capital first, full stop last (the service writes neither)."""
    text = translated(said).strip()
    if not text:
        return text
    return text[:1].upper() + text[1:] + ("" if text[-1] in ".!?…" else ".")


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(f"translations/{c}" for c in CATALOGS))
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.add_template_filter(translated)

    @app.context_processor
    def _languages() -> dict[str, object]:
        return {"LANGUAGES": LANGUAGES, "LANGUAGE_NAMES": LANGUAGE_NAMES, "current_language": select_locale()}
