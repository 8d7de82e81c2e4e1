"""Free-text answers: for editors and owners only, with question, language and date, and every reading audited."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from sqlalchemy import select

from service.models import AuditEvent
from service.runtime import Runtime
from tests.integration.results.reference import Reference, build_reference
from tests.integration.web.staff_support import signed_in


@pytest.fixture
def reference(runtime: Runtime) -> Reference:
    return build_reference(runtime)


def test_an_editor_reads_free_text_and_the_reading_is_audited(
    app: Flask, runtime: Runtime, reference: Reference, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = signed_in(app, reference.editor)
    response = client.get(f"/campaigns/{reference.code}/results/free-text", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    for answer in ("Plus de contacts", "Niets veranderd", "=HYPERLINK"):
        assert answer in html
    assert "Why?" in html and "Dutch" in html and "November 17, 2026" in html
    assert "3 answers" in html
    # nothing that could identify the person: no pseudonym, no respondent link
    with runtime.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "read_free_text")).one()
        assert event.target_id == reference.code and event.details == {
            "question": "all",
            "page": 1,
            "answers": 3,
        }
        assert "Plus de contacts" not in str(event.details)
    assert "Plus de contacts" not in caplog.text and "Niets veranderd" not in caplog.text
    client.get(f"/campaigns/{reference.code}/results/free-text?question=why")
    with runtime.transaction() as session:
        assert (
            len(session.scalars(select(AuditEvent).where(AuditEvent.action == "read_free_text")).all()) == 2
        )


def test_a_viewer_sees_results_but_no_free_text(app: Flask, runtime: Runtime, reference: Reference) -> None:
    client = signed_in(app, reference.viewer)
    assert client.get(f"/campaigns/{reference.code}/results/free-text").status_code == 403
    with runtime.transaction() as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "read_free_text")).all() == []


def test_free_text_of_another_organization_is_not_found(
    app: Flask, runtime: Runtime, reference: Reference
) -> None:
    other = build_reference(runtime, "autre-atelier")
    client = signed_in(app, other.owner)
    response = client.get(f"/campaigns/{reference.code}/results/free-text")
    assert response.status_code == 404
    assert "Plus de contacts" not in response.get_data(as_text=True)
