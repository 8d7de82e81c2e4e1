"""The demo shows campaigns whose results a non-statistician can read on first run."""

from __future__ import annotations

import re

from flask import Flask

from service.demo import DEMO_EMAIL, DEMO_FEDERATION_EMAIL, seed_demo
from service.runtime import Runtime
from tests.integration.web.staff_support import login


def test_the_demo_seeds_readable_results(app: Flask, runtime: Runtime) -> None:
    with runtime.transaction() as session:
        seed = seed_demo(session, channels=["web"])
        codes = {campaign.name: campaign.code for campaign in seed.results}
        assert seed.federation_email == DEMO_FEDERATION_EMAIL
    with runtime.transaction() as session:
        again = seed_demo(session, channels=["web"])  # a second run adds nothing
        assert {c.code for c in again.results} == set(codes.values())
    client = app.test_client()
    assert login(client, DEMO_EMAIL, seed.password).status_code == 302
    beneficiaries = codes["Demo results: beneficiaries 2026"]
    html = client.get(f"/campaigns/{beneficiaries}/results", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "not enough answers to show a value" not in html
    assert re.search(
        r"\d+% of respondents: quality of life improved \(\d+ of \d+; 95% interval: \d+–\d+%\)", html
    )
    assert "Response rate" in html and html.count("<svg") > 10
    exit_code = codes["Demo results: insertion workers at exit"]
    change = client.get(f"/campaigns/{exit_code}/results/change", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    matched = int(re.search(r"Answered both</dt><dd><strong>(\d+)</strong>", change).group(1))  # type: ignore[union-attr]
    assert matched >= 30 and "percentage points" in change
    federation = app.test_client()
    assert login(federation, DEMO_FEDERATION_EMAIL, seed.password).status_code == 302
    index = federation.get("/federations", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "/federations/demo-federation/beneficiaries" in index
    bench = federation.get(
        "/federations/demo-federation/beneficiaries", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "Ressourcerie du Parc" in bench  # opted in to be named
    assert "Épicerie solidaire Nord" not in bench and "Petit Atelier" not in bench
    assert "hidden (fewer than 5 respondents)" in bench
