"""The web survey ``/s/<code>``: one question per screen, plain forms, no script needed.

A browser is known by a random token in an HttpOnly cookie (only its keyed hash is stored). A GET
shows the screen the browser is on and never creates anything; the consent screen's POST starts the
conversation. Every POST goes through the same :class:`~service.conversations.ConversationService`
as the chat channels, and the next screen is shown only after it returned: an answer shown as taken
is in the database. A successful POST redirects (303) to the GET of the same address, so reloading
or going back never posts twice; a screen posted twice anyway carries the same submission id and is
stored once. An answer that is not accepted is shown again with the reason next to its field (422).

Unavailable campaigns answer with a translated page: closed 410 (for good); unknown, paused or not
open yet 404 (nothing to answer here now; the page says whether to come back). Never a 503, which
monitors and proxies would treat as an outage.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from flask import (
    Blueprint,
    flash,
    g,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_date, refresh
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as BaseResponse

from bots.web import Submission, new_submission_id, read_form, screen_view
from service.conversations import ConversationService
from service.models import ConversationStatus, utcnow
from service.rate_limits import Rate, limiter_for
from service.web.database import runtime
from service.web.i18n import LANGUAGES
from service.web_survey import (
    Availability,
    Screen,
    Stage,
    Survey,
    browser_conversation,
    current_screen,
    ensure_resume_code,
    follow_browser,
    format_resume_code,
    is_browser_token,
    load_survey,
    new_browser_token,
    opt_out,
    resume,
    text_limit,
)

bp = Blueprint("survey", __name__, url_prefix="/s")

COOKIE: Final = "vises_respondent"
COOKIE_MAX_AGE: Final = timedelta(days=180)
NOTES: Final = "survey"
"""Flash category of texts carried to the next screen (notes, "we continue in Dutch")."""
RESUME_RATE: Final = Rate(per_second=1 / 6, burst=10)
"""Resume-code attempts per client address: 10 at once, then one every 6 seconds."""

STATUS: Final = {
    Availability.UNKNOWN: 404,
    Availability.NOT_ON_WEB: 404,
    Availability.CLOSED: 410,
    Availability.PAUSED: 404,
    Availability.NOT_OPEN_YET: 404,
}


# --- the request's browser, survey and language -------------------------------------------------------


def _token() -> str | None:
    value = request.cookies.get(COOKIE)
    return value if is_browser_token(value) else None


def _browser_token() -> str:
    """This browser's token, drawn now (and set as a cookie on the response) if it has none."""
    token = _token() or g.get("new_token")
    if token is None:
        token = g.new_token = new_browser_token()
    return str(token)


def _chosen_language(survey: Survey | None) -> str:
    """Before a conversation exists: ``?lang``, then the person's earlier choice, then the browser's."""
    available = survey.languages if survey else LANGUAGES
    asked = request.args.get("lang")
    if asked in available:
        session["lang"] = asked
        return str(asked)
    remembered = session.get("lang")
    if remembered in available:
        return str(remembered)
    best = request.accept_languages.best_match(available)
    if best:
        return str(best)
    return survey.default_language if survey else "en"


def _finish(response: BaseResponse) -> BaseResponse:
    """No caching (a screen can show answers); the browser's cookie when it was just drawn or changed."""
    response.headers["Cache-Control"] = "no-store"
    new_token = g.get("new_token")
    if new_token:
        response.set_cookie(
            COOKIE,
            new_token,
            max_age=int(COOKIE_MAX_AGE.total_seconds()),
            path="/s/",
            secure=runtime().settings.production,
            httponly=True,
            samesite="Lax",
        )
    return response


def _use_language(language: str) -> None:
    """Interface texts in ``language`` from now on in this request (the survey's, not the staff's choice)."""
    g.forced_language = language
    refresh()


def _render(template: str, language: str, status: int = 200, **context: Any) -> BaseResponse:
    _use_language(language)
    response = make_response(render_template(template, language=language, **context), status)
    return _finish(response)


def _redirect_to_screen(survey: Survey) -> BaseResponse:
    return _finish(redirect(url_for("survey.screen", code=survey.code), code=303))


def _load(code: str) -> Survey | None:
    with runtime().transaction() as session_:
        return load_survey(session_, code, utcnow())


def _unavailable(survey: Survey | None, reason: Availability) -> BaseResponse:
    language = _chosen_language(survey)
    if survey is not None:
        with runtime().transaction() as session_:
            conversation = browser_conversation(session_, runtime().vault, survey, _token())
            if conversation is not None:
                language = conversation.language
    opens = format_date(survey.opens_at, "long") if survey and survey.opens_at else None
    return _render(
        "survey/unavailable.html",
        language,
        STATUS[reason],
        survey=survey,
        reason=reason.value,
        opens=opens,
    )


# --- the survey screens ---------------------------------------------------------------------------------


@bp.route("/<code>", methods=["GET", "POST"])
def screen(code: str) -> ResponseReturnValue:
    survey = _load(code)
    if survey is None:
        return _unavailable(None, Availability.UNKNOWN)
    if survey.availability is not Availability.OPEN:
        return _unavailable(survey, survey.availability)
    if request.method == "POST":
        return _post(survey)
    return _show(
        survey, _screen(survey), notes=tuple(str(m) for m in get_flashed_messages(category_filter=[NOTES]))
    )


def _screen(survey: Survey) -> Screen:
    rt = runtime()
    with rt.transaction() as session_:
        return current_screen(
            session_, rt.vault, survey, _token(), language=_chosen_language(survey), now=utcnow()
        )


def _show(
    survey: Survey,
    screen: Screen,
    *,
    notes: tuple[str, ...] = (),
    error: str | None = None,
    draft: Any = None,
    status: int = 200,
) -> BaseResponse:
    """Render a screen: the consent, a question (with an error and the refused answer), or an ending."""
    language = screen.language
    prompt = screen.prompt
    if screen.stage in (Stage.COMPLETED, Stage.REFUSED, Stage.OPTED_OUT) or prompt is None:
        return _render("survey/ended.html", language, survey=survey, screen=screen)
    if screen.stage is Stage.CONSENT:
        _browser_token()  # the cookie is set with the consent screen, so the consent's POST carries it
    view = screen_view(
        prompt,
        language=language,
        notes=notes,
        error=error,
        draft=draft,
        max_length=text_limit(survey.questionnaire, prompt.question_id),
    )
    template = "survey/consent.html" if prompt.kind == "consent" else "survey/question.html"
    return _render(
        template,
        language,
        status,
        survey=survey,
        screen=screen,
        view=view,
        sid=new_submission_id(),
        resume_code=format_resume_code(screen.resume_code) if screen.resume_code else None,
    )


def _post(survey: Survey) -> BaseResponse:
    screen = _screen(survey)
    submission = read_form(request.form.to_dict(flat=False), screen.prompt)
    if submission is None:
        return _form_problem(survey, screen.language)
    if screen.stage in (Stage.COMPLETED, Stage.REFUSED, Stage.OPTED_OUT):
        return _redirect_to_screen(survey)
    if screen.conversation_id is None and not submission.is_consent:
        # Only the consent starts a conversation; anything else posted before it is out of date.
        return _redirect_to_screen(survey)
    rt = runtime()
    token = _browser_token()
    if screen.conversation_id is not None:
        with rt.transaction() as session_:
            follow_browser(session_, rt.vault, survey, token)
    inbound = submission.inbound(address=token, campaign_code=survey.code, received_at=utcnow())
    handled = ConversationService(rt).handle(inbound)
    if handled.duplicate:
        return _redirect_to_screen(survey)
    outgoing = handled.outgoing
    resume_code = None
    if handled.conversation_id is not None and handled.status == ConversationStatus.IN_PROGRESS:
        with rt.transaction() as session_:
            resume_code = ensure_resume_code(session_, handled.conversation_id)
    if outgoing.error and outgoing.prompt is not None:
        again = Screen(
            screen.stage,
            outgoing.language,
            prompt=outgoing.prompt,
            resume_code=resume_code,
            conversation_id=handled.conversation_id,
        )
        return _show(survey, again, error=outgoing.error, draft=submission.draft, status=422)
    if not outgoing.ended:
        _use_language(outgoing.language)
        _carry_notes(screen, submission, outgoing.texts, outdated=outgoing.outdated)
    return _redirect_to_screen(survey)


def _carry_notes(screen: Screen, submission: Submission, texts: tuple[str, ...], *, outdated: bool) -> None:
    """Texts for the next screen: notes met on the way, a language switch; the intro was already shown."""
    shown_before = set(screen.texts) if screen.stage is Stage.CONSENT else set()
    for text in texts:
        if text not in shown_before:
            flash(text, NOTES)
    if outdated and submission.action == "answer":
        flash(_("That page was out of date: here is the question you are on."), NOTES)


def _form_problem(survey: Survey | None, language: str) -> BaseResponse:
    return _render("survey/form_problem.html", language, 400, survey=survey)


@bp.errorhandler(CSRFError)
def _csrf_failed(error: CSRFError) -> ResponseReturnValue:  # noqa: ARG001 (handler signature)
    """A form older than the session (or sent without cookies): say so, and offer the survey again."""
    code = (request.view_args or {}).get("code", "")
    survey = _load(str(code)) if code else None
    return _form_problem(survey, _chosen_language(survey))


# --- resuming on another device --------------------------------------------------------------------------


@bp.route("/<code>/resume", methods=["GET", "POST"])
def resume_page(code: str) -> ResponseReturnValue:
    survey = _load(code)
    if survey is None:
        return _unavailable(None, Availability.UNKNOWN)
    if survey.availability is not Availability.OPEN:
        return _unavailable(survey, survey.availability)
    language = _chosen_language(survey)
    if request.method == "GET":
        return _render("survey/resume.html", language, survey=survey, error=None, typed="")
    _use_language(language)
    typed = (request.form.get("code") or "")[:32]
    rt = runtime()
    address = request.remote_addr or "unknown"
    if limiter_for(rt).try_acquire(f"web-resume:{survey.code}:{address}", RESUME_RATE) > 0:
        error = _("Too many attempts. Wait a minute, then try again.")
        return _render("survey/resume.html", language, 429, survey=survey, error=error, typed=typed)
    with rt.transaction() as session_:
        resumed = resume(session_, rt.vault, survey, typed, _token())
    if resumed is None:
        error = _("This code does not match a survey in progress. Check it and try again.")
        return _render("survey/resume.html", language, 422, survey=survey, error=error, typed=typed)
    if resumed.token != _token():
        g.new_token = resumed.token
    return _redirect_to_screen(survey)


# --- "I don't want to answer" --------------------------------------------------------------------------


@bp.route("/<code>/stop", methods=["GET", "POST"])
def stop(code: str) -> ResponseReturnValue:
    survey = _load(code)
    if survey is None:
        return _unavailable(None, Availability.UNKNOWN)
    screen = _screen(survey)
    if request.method == "GET":
        return _render("survey/stop.html", screen.language, survey=survey)
    rt = runtime()
    with rt.transaction() as session_:
        opt_out(session_, rt.vault, survey, _browser_token(), utcnow())
    if survey.availability is Availability.OPEN:
        return _redirect_to_screen(survey)
    ended = Screen(Stage.OPTED_OUT, screen.language)
    return _render("survey/ended.html", screen.language, survey=survey, screen=ended)
