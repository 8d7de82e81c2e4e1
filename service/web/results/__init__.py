"""Results pages: a campaign's indicators and charts, free text, before/after, the printable report,
exports, and the federation benchmarks; plus the API's export endpoint.

Any staff member of the campaign's organization reads its results; free-text answers and exports
(row-level data) are for editors and owners, and each reading or export is audited. A federation's
staff reach only the benchmark pages, which hold aggregates with small cells suppressed.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from datetime import date, datetime

from flask import Flask, Response, request
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from service.models import FederationMembership
from service.results import phrases
from service.web.auth import staff
from service.web.database import db
from service.web.headers import CONTENT_SECURITY_POLICY
from service.web.results import api, campaign, exports, federation

_BLUEPRINTS = (campaign.bp, exports.bp, federation.bp)
_PRIVATE = frozenset(bp.name for bp in _BLUEPRINTS)

__all__ = ["api", "init_app"]


_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)


def _private(response: Response) -> Response:
    """Results pages carry an organization's data: never kept by shared caches or the history.

    Their charts carry their own stylesheet (an inline SVG ``<style>``); the page's Content-Security-Policy
    allows exactly those stylesheets by hash, so no other inline style (or script) can run.
    """
    if request.blueprint not in _PRIVATE:
        return response
    response.headers.setdefault("Cache-Control", "no-store")
    if response.mimetype == "text/html" and not response.direct_passthrough:
        sources = sorted({_hash(css) for css in _STYLE.findall(response.get_data(as_text=True))})
        if sources:
            allowed = " ".join(f"'{source}'" for source in sources)
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
                "style-src 'self'", f"style-src 'self' {allowed}"
            )
    return response


def _hash(css: str) -> str:
    # The browser hashes the style element's text as parsed: with "&gt;" and friends decoded.
    digest = hashlib.sha256(html.unescape(css).encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()


EXPORT_STATUS_NAMES = {
    "queued": _l("Waiting for a worker"),
    "running": _l("Being written"),
    "done": _l("Ready"),
    "failed": _l("Failed"),
}


def _percent(value: float) -> str:
    return phrases.percent(value, campaign.locale())


def _date(value: date | datetime) -> str:
    return str(format_date(value.date() if isinstance(value, datetime) else value, "long"))


def _datetime(value: datetime) -> str:
    return str(format_datetime(value, "short"))


def _networks() -> bool:
    """Whether the signed-in organization has network benchmarks to see (a federation, or a member of one)."""
    if not current_user.is_authenticated:
        return False
    organization = staff().organization
    if organization.is_federation:
        return True
    found = db().scalar(
        select(FederationMembership.federation_id)
        .where(FederationMembership.member_id == organization.id)
        .limit(1)
    )
    return found is not None


def _context() -> dict[str, object]:
    return {"export_status_names": EXPORT_STATUS_NAMES, "results_networks": _networks}


def init_app(app: Flask) -> None:
    for blueprint in _BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.after_request(_private)
    app.add_template_filter(_percent, "results_percent")
    app.add_template_filter(_date, "results_date")
    app.add_template_filter(_datetime, "results_datetime")
    app.context_processor(_context)
