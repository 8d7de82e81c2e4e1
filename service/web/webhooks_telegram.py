"""``POST /webhooks/telegram``: updates pushed by Telegram, checked with the webhook's secret token.

Telegram sends ``X-Telegram-Bot-Api-Secret-Token`` with every update (the secret given to setWebhook,
``vises telegram set-webhook``); it is compared in constant time and anything else is 403. Every update
that passes is answered 200, the ones we can't use (a group chat, a malformed body) included: Telegram
keeps an update it got no 2xx for and holds back the ones after it, so even an update that failed on a
bug is answered 200 (and logged). The exception is a database outage, answered 503 so that Telegram
delivers the update again later. The handling itself is
Flask-free (:mod:`service.telegram_updates`), shared with ``vises telegram poll``.

No CSRF token here (Telegram can't send one; the secret is the proof): the blueprint is exempt.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, abort, request
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from service.telegram_updates import telegram_updates
from service.web.database import runtime
from service.web.security import csrf

log = logging.getLogger(__name__)

bp = Blueprint("webhooks_telegram", __name__, url_prefix="/webhooks")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
RETRY_AFTER_SECONDS = "30"

csrf.exempt(bp)


@bp.post("/telegram")
def telegram_update() -> Response:
    """One update from Telegram: a step of someone's conversation, answered through the Bot API."""
    settings = runtime().settings.telegram
    if settings is None:
        abort(404, "Telegram is not configured on this server (TELEGRAM_BOT_TOKEN)")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), settings.webhook_secret.encode()):
        log.warning("rejected a Telegram webhook: wrong or missing secret token")
        abort(403, "invalid secret token")
    payload = request.get_json(force=True, silent=True)
    try:
        telegram_updates(runtime()).handle_payload(payload)
    except (OperationalError, PoolTimeout) as exc:
        return _unavailable(exc)
    except DBAPIError as exc:
        if exc.connection_invalidated:
            return _unavailable(exc)
        log.exception("a Telegram update failed; answered 200 so the next ones still come")
    except Exception:
        # A bug would fail again on every redelivery and hold back everyone's updates behind this one.
        log.exception("a Telegram update failed; answered 200 so the next ones still come")
    return Response(status=200)


def _unavailable(exc: Exception) -> Response:
    log.error("database unavailable for a Telegram update (%s): Telegram will retry", type(exc).__name__)
    response = Response("database unavailable, try again later", status=503, mimetype="text/plain")
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response
