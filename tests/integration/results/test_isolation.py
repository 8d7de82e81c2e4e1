"""Tenant isolation of every results route: another organization's staff or token gets a 404 and sees nothing.

The routes are read from the URL map, so a new results route without a case here fails this test.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from service.api_tokens import create_token
from service.models import Export, Organization
from service.runtime import Runtime
from tests.integration.results.reference import Reference, build_reference
from tests.integration.web.staff_support import csrf_token, signed_in

BLUEPRINTS = ("results", "exports", "federation")
API_EXPORTS = (
    "api.export_campaign",
    "api.request_campaign_export",
    "api.export_status",
    "api.download_export",
)


@pytest.fixture
def two(runtime: Runtime) -> tuple[Reference, Reference]:
    return build_reference(runtime, "atelier-un"), build_reference(runtime, "atelier-deux")


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    return sorted(
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in BLUEPRINTS or rule.endpoint in API_EXPORTS
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    )


def test_every_results_route_is_closed_to_other_organizations(
    app: Flask, runtime: Runtime, two: tuple[Reference, Reference]
) -> None:
    mine, theirs = two
    owner = signed_in(app, mine.owner)
    page = f"/campaigns/{mine.code}/exports"
    token = csrf_token(owner, page)
    owner.post(page, data={"csrf_token": token, "format": "csv", "language": "fr"})
    with runtime.transaction() as session:
        export_id = session.scalars(select(Export.id)).one()
        organization = session.get_one(Organization, theirs.organization_id)
        _, their_token = create_token(session, organization, "theirs")
    code = mine.code
    cases = {
        ("results.campaign_page", "GET"): f"/campaigns/{code}/results",
        ("results.report", "GET"): f"/campaigns/{code}/results/report",
        ("results.free_text", "GET"): f"/campaigns/{code}/results/free-text",
        ("results.change", "GET"): f"/campaigns/{code}/results/change",
        ("exports.index", "GET"): f"/campaigns/{code}/exports",
        ("exports.create", "POST"): f"/campaigns/{code}/exports",
        ("exports.status", "GET"): f"/campaigns/{code}/exports/{export_id}",
        ("exports.download", "GET"): f"/campaigns/{code}/exports/{export_id}/download",
        ("federation.networks", "GET"): "/federations",
        ("federation.benchmark_page", "GET"): "/federations/atelier-un/reference",
        ("federation.benchmark_csv", "GET"): "/federations/atelier-un/reference.csv",
        ("api.export_campaign", "GET"): f"/api/v1/campaigns/{code}/export",
        ("api.request_campaign_export", "POST"): f"/api/v1/campaigns/{code}/exports",
        ("api.export_status", "GET"): f"/api/v1/campaigns/{code}/exports/{export_id}",
        ("api.download_export", "GET"): f"/api/v1/campaigns/{code}/exports/{export_id}/download",
    }
    assert {(endpoint, method) for endpoint, _, method in _routes(app)} == set(cases), (
        "a results route has no case"
    )
    other = signed_in(app, theirs.owner)
    other_token = csrf_token(other, f"/campaigns/{theirs.code}/exports")
    api = app.test_client()
    secrets = ("Plus de contacts", "Atelier Un", "Référence")  # the code itself is in the URL they asked for
    for (endpoint, method), path in cases.items():
        if endpoint in API_EXPORTS:
            response = api.open(path, method=method, headers={"Authorization": f"Bearer {their_token}"})
        elif method == "POST":
            response = other.post(path, data={"csrf_token": other_token, "format": "csv", "language": "fr"})
        else:
            response = other.get(path)
        if endpoint == "federation.networks":
            assert response.status_code == 200  # their own list, which holds nothing of ours
        else:
            assert response.status_code == 404, (endpoint, response.status_code)
        body = response.get_data(as_text=True)
        assert not any(secret in body for secret in secrets), endpoint
    # signed out, every page sends to the sign-in page
    anonymous = app.test_client()
    for (endpoint, method), path in cases.items():
        if endpoint in API_EXPORTS:
            assert anonymous.open(path, method=method).status_code == 401
        elif method == "GET":
            response = anonymous.get(path)
            assert response.status_code == 302 and "/login" in response.headers["Location"], endpoint
