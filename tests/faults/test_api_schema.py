"""The JSON API against its own OpenAPI document, with schemathesis: no 5xx, and every response as documented.

schemathesis reads ``/api/v1/openapi.json`` from the app (in process, through WSGI) and generates requests
for every operation, valid and invalid ones, with a live bearer token; half of the requests that name a
campaign name a real one of the token's organization, so that they get past the 404. Every response must
not be a server error, must have a documented status code and content type, and must match the
documented schema.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from service.api_tokens import create_token
from service.models import Organization
from service.runtime import Runtime
from tests.faults.respondents import make_campaign
from tests.faults.tally import Tally

AREA = "API against its OpenAPI document"
EXAMPLES = 40
"""Generated requests per operation (valid and invalid ones)."""
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

pytestmark = pytest.mark.timeout(240)


def _closing(app: Flask) -> Any:
    """The app as a WSGI server runs it: the response iterable read, then closed (schemathesis's WSGI
    transport reads it but never closes it, which would leave an XLSX export's temporary file open)."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            getattr(iterable, "close", lambda: None)()

    return wsgi


def test_every_api_operation_answers_as_documented_and_never_with_5xx(
    app: Flask, runtime: Runtime, tally: Tally
) -> None:
    campaign = make_campaign(runtime, channels=("web", "sms"))
    with runtime.transaction() as session:
        organization = session.query(Organization).filter_by(slug="atelier").one()
        token = create_token(session, organization, "schemathesis")[1]
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _closing(app))
    statuses: Counter[str] = Counter()
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "the OpenAPI document has operations schemathesis can't read"
    assert len(operations) >= 5

    for operation in operations:
        # Valid requests, and requests that break the document (wrong types, missing fields, extra ones).
        generated = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )
        if "{code}" in operation.path:

            def real_campaign(case: Any) -> Any:
                case.path_parameters = {**(case.path_parameters or {}), "code": campaign.code}
                return case

            generated = st.one_of(generated, generated.map(real_campaign))

        @settings(
            max_examples=EXAMPLES,
            deadline=timedelta(seconds=10),
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=generated)
        def call(case: Any) -> None:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses[f"{case.method.upper()} {case.path} {response.status_code}"] += 1

        call()
    total = sum(statuses.values())
    tally.add(inputs=total)
    by_status = Counter(key.rsplit(" ", 1)[1] for key in statuses.elements())
    tally.note(
        f"{len(operations)} operations, {total} requests: "
        + ", ".join(f"{count} HTTP {status}" for status, count in sorted(by_status.items()))
    )
    assert any(key.endswith((" 200", " 201")) for key in statuses), "no request got past the validation"


def test_a_contacts_upload_refused_for_its_channel_matches_the_document(app: Flask, runtime: Runtime) -> None:
    """Found by schemathesis: this 422 names a field (``errors: {channel: [...]}``), where the document
    allowed only a list of bad lines."""
    campaign = make_campaign(runtime, channels=("web", "sms"))
    with runtime.transaction() as session:
        organization = session.query(Organization).filter_by(slug="atelier").one()
        token = create_token(session, organization, "schemathesis")[1]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _closing(app))
    operation = schema["/campaigns/{code}/contacts"]["POST"]
    case = operation.Case(
        path_parameters={"code": campaign.code},
        body={"channel": "telegram", "contacts": [{"phone": "+32470000001"}]},
        media_type="application/json",
    )
    response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
    assert response.status_code == 422
