"""Federation benchmarks: for the federation's staff, and for its members' staff (who see themselves named).

Only aggregates are ever shown here, with the suppression rules of :mod:`service.results.federation`;
no route of this blueprint reaches a conversation, an answer or a free text.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from service.models import Organization, OrganizationKind
from service.results import phrases
from service.results.charts import comparison_chart
from service.results.federation import (
    SHOWN,
    benchmark,
    benchmark_csv_rows,
    federations_of,
    is_member,
    shared_questionnaires,
)
from service.web.auth import requires, staff
from service.web.database import db
from service.web.results.campaign import locale

bp = Blueprint("federation", __name__, url_prefix="/federations")


def _viewer(slug: str) -> tuple[Organization, int | None]:
    """The federation and the viewing member (None for the federation's own staff); 404 for anyone else."""
    session = db()
    federation = session.scalar(
        select(Organization).where(
            Organization.slug == slug.lower(), Organization.kind == OrganizationKind.FEDERATION
        )
    )
    if federation is None:
        abort(404)
    me = staff().organization_id
    if me == federation.id:
        return federation, None
    if not is_member(session, federation.id, me):
        abort(404)
    return federation, me


@bp.get("")
@requires("viewer")
def networks() -> ResponseReturnValue:
    organization = staff().organization
    session = db()
    federations = [organization] if organization.is_federation else federations_of(session, organization.id)
    shared = {f.id: shared_questionnaires(session, f.id, locale()) for f in federations}
    return render_template("results/networks.html", federations=federations, shared=shared)


@bp.get("/<slug>/<key>")
@requires("viewer")
def benchmark_page(slug: str, key: str) -> ResponseReturnValue:
    federation, viewer = _viewer(slug)
    language = locale()
    found = benchmark(db(), federation, key, language, viewer=viewer)
    if found is None:
        abort(404)
    headers = tuple(phrases.text(f"head.{k}", language) for k in ("indicator", "value", "interval", "n"))
    charts = {}
    for row in found.rows:
        labelled = [
            (cell.label, cell.result)
            for cell in (*row.members, row.network)
            if cell.state == SHOWN and cell.result is not None
        ]
        if len(labelled) > 1:
            charts[row.indicator.id] = comparison_chart(
                phrases.text("chart.by_member", language, title=row.title),
                labelled,
                language,
                headers=headers,
            )
    return render_template(
        "results/benchmark.html", federation=federation, viewer=viewer, bench=found, charts=charts
    )


@bp.get("/<slug>/<key>.csv")
@requires("viewer")
def benchmark_csv(slug: str, key: str) -> ResponseReturnValue:
    federation, viewer = _viewer(slug)
    found = benchmark(db(), federation, key, locale(), viewer=viewer)
    if found is None:
        abort(404)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(benchmark_csv_rows(found))
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{federation.slug}-{key}.csv"'},
    )
