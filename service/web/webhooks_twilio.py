"""``POST /webhooks/twilio/sms`` and ``/webhooks/twilio/status``: Twilio's signed webhooks.

Every request is checked with Twilio's signature over the URL Twilio called, rebuilt as
``PUBLIC_BASE_URL`` + path + query (so it works behind a proxy that terminates TLS), and every posted
field; anything else is 403. An incoming message goes to the conversation service and is answered with
TwiML; a redelivered MessageSid gets an empty ``<Response/>``. When the database is down the answer is
503 so that nothing is acknowledged that wasn't stored.

These views take no CSRF token (Twilio can't send one; its signature is the proof): the blueprint is
exempt from the app's CSRF protection.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, request
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bots.base import Outgoing
from bots.sms import (
    SIGNATURE_HEADER,
    MalformedWebhook,
    parse_inbound,
    parse_status_callback,
    render_twiml,
    verify_signature,
)
from service.conversations import ConversationService
from service.delivery_status import record_delivery_report
from service.web.database import runtime
from service.web.security import csrf

log = logging.getLogger(__name__)

bp = Blueprint("webhooks_twilio", __name__, url_prefix="/webhooks/twilio")
RETRY_AFTER_SECONDS = "30"


csrf.exempt(bp)


def _public_url() -> str:
    """The URL Twilio called and signed: the public base URL, then our path and query exactly as sent."""
    query = request.query_string.decode("utf-8", "replace")
    return runtime().settings.public_base_url + request.path + (f"?{query}" if query else "")


def _require_signature() -> None:
    """Continue only with a request signed by Twilio for our account (404 when SMS is not configured)."""
    twilio = runtime().settings.twilio
    if twilio is None:
        abort(404, "SMS is not configured on this server (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    fields = list(request.form.items(multi=True))
    if not verify_signature(twilio.auth_token, _public_url(), fields, signature):
        log.warning(
            "rejected %s: bad or missing Twilio signature (is PUBLIC_BASE_URL the URL Twilio calls?)",
            request.path,
        )
        abort(403, "invalid Twilio signature")


def _twiml(body: str) -> Response:
    return Response(body, status=200, mimetype="application/xml")


def _unavailable(exc: Exception) -> Response:
    log.error("database unavailable for %s (%s): asking Twilio to retry", request.path, type(exc).__name__)
    response = Response("database unavailable, try again later", status=503, mimetype="text/plain")
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def _is_outage(exc: DBAPIError) -> bool:
    return isinstance(exc, OperationalError) or bool(exc.connection_invalidated)


@bp.post("/sms")
def incoming_message() -> Response:
    """An SMS or WhatsApp message from a respondent: one step of their conversation, answered in TwiML."""
    _require_signature()
    try:
        webhook = parse_inbound(request.form.to_dict(flat=True), received_at=datetime.now(UTC))
    except MalformedWebhook as exc:
        abort(400, str(exc))
    inbound = webhook.inbound
    try:
        handled = ConversationService(runtime()).handle(inbound)
    except PoolTimeout as exc:
        return _unavailable(exc)
    except DBAPIError as exc:
        if _is_outage(exc):
            return _unavailable(exc)
        raise
    log.info(
        "%s message handled: conversation=%s status=%s stored=%s duplicate=%s",
        inbound.channel,
        handled.conversation_id,
        handled.status,
        handled.stored_answer,
        handled.duplicate,
    )
    if handled.duplicate or webhook.provider_answered:
        # A redelivery was answered the first time; Twilio's Advanced Opt-Out answered STOP/START/HELP itself.
        return _twiml(render_twiml(Outgoing(language=handled.outgoing.language)))
    return _twiml(render_twiml(handled.outgoing, channel=inbound.channel))


@bp.post("/status")
def status_callback() -> Response:
    """Where one of our messages stands at Twilio; recorded once per rank, unknown messages ignored."""
    _require_signature()
    try:
        report = parse_status_callback(request.form.to_dict(flat=True))
    except MalformedWebhook as exc:
        abort(400, str(exc))
    if report is None:
        return Response(status=200)
    try:
        with runtime().transaction() as session:
            outcome = record_delivery_report(session, report, now=datetime.now(UTC))
    except PoolTimeout as exc:
        return _unavailable(exc)
    except DBAPIError as exc:
        if _is_outage(exc):
            return _unavailable(exc)
        raise
    log.info("status %s for %s: %s", report.provider_status, report.provider_id, outcome)
    return Response(status=200)
