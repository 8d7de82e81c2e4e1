"""Federation benchmarks: members against the network, small cells suppressed in every view and download,
members named only when they opted in, and no way for a federation to reach a member's rows or free text."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from service.accounts import create_user
from service.api_tokens import create_token
from service.models import Organization, Role
from service.results.federation import SECONDARY, SHOWN, SMALL, benchmark
from service.runtime import Runtime
from tests.integration.results.reference import (
    NOW,
    PASSWORD,
    add_conversation,
    make_campaign,
    make_federation,
    make_organization,
)
from tests.integration.web.staff_support import signed_in

# member: (hits, misses) on "life better"; alpha opted in to be named
MEMBERS = {"alpha": (15, 5), "beta": (2, 6), "gamma": (0, 3)}
# network: 17 of 31 = 54.8%; alpha 15 of 20 = 75%; beta 25% and gamma 0% must never be shown to anyone else


@dataclass
class Network:
    codes: dict[str, str]
    ids: dict[str, int]


@pytest.fixture
def network(runtime: Runtime) -> Network:
    codes, ids = {}, {}
    with runtime.transaction() as session:
        make_federation(session, "reseau-test")
        for slug, (hits, misses) in {**MEMBERS, "delta": (30, 0)}.items():
            organization = make_organization(
                session,
                slug,
                federation="reseau-test" if slug != "delta" else None,
                share_name=slug == "alpha",
            )
            create_user(session, organization, f"owner@{slug}.example", PASSWORD, role=Role.OWNER)
            campaign = make_campaign(session, organization, name=f"{slug} survey")
            for index in range(hits + misses):
                answers = {"life": "1" if index < hits else "3", "recommend": 8, "calm": 3, "rested": 3}
                if index == 0:
                    answers["why"] = f"secret of {slug}"
                add_conversation(
                    session,
                    campaign,
                    channel="web",
                    language="fr",
                    status="completed",
                    answers=answers,
                    at=NOW - timedelta(hours=index),
                )
            codes[slug], ids[slug] = campaign.code, organization.id
    return Network(codes, ids)


def _cells(
    runtime: Runtime, viewer: str | None, ids: dict[str, int]
) -> dict[str, tuple[str, str | None, int | None]]:
    with runtime.transaction() as session:
        federation = session.scalars(select(Organization).where(Organization.slug == "reseau-test")).one()
        bench = benchmark(session, federation, "reference", "en", viewer=ids[viewer] if viewer else None)
    assert bench is not None and bench.members == 3
    row = next(r for r in bench.rows if r.indicator.id == "life_better")
    cells = {
        "network": (
            row.network.state,
            row.network.result.value_text if row.network.result else None,
            row.network.n,
        )
    }
    for cell in row.members:
        cells[cell.label] = (cell.state, cell.result.value_text if cell.result else None, cell.n)
        if cell.state != SHOWN:
            assert cell.result is None and cell.n is None  # a hidden value never leaves the module
    return cells


def test_the_federation_sees_the_network_and_no_small_or_derivable_cell(
    runtime: Runtime, network: Network
) -> None:
    cells = _cells(runtime, None, network.ids)
    assert cells["network"] == (SHOWN, "55%", 31)  # delta, not a member, is not counted
    assert cells["Alpha"] == (SHOWN, "75%", 20)
    others = {label: state for label, (state, _, _) in cells.items() if label.startswith("Member ")}
    # gamma (3 respondents) is hidden; beta too, or 31 - 20 - 8 would give gamma's 3 answers away
    assert sorted(others.values()) == [SECONDARY, SMALL]


def test_a_member_sees_itself_against_the_network(runtime: Runtime, network: Network) -> None:
    alpha = _cells(runtime, "alpha", network.ids)
    assert alpha["Alpha (you)"] == (SHOWN, "75%", 20)
    assert alpha["network"] == (SHOWN, "55%", 31)
    assert sorted(state for label, (state, _, _) in alpha.items() if label.startswith("Member ")) == [
        SECONDARY,
        SMALL,
    ]
    beta = _cells(runtime, "beta", network.ids)
    assert beta["Beta (you)"] == (SHOWN, "25%", 8)
    assert beta["network"] == (SHOWN, "55%", 31)
    assert beta["Alpha"][0] == SECONDARY  # named (alpha opted in), but 31 - 20 - 8 would give gamma away
    gamma = _cells(runtime, "gamma", network.ids)
    assert gamma["Gamma (you)"][0] == SMALL  # fewer than 5: hidden even to itself here
    assert (
        gamma["network"][0] == SHOWN and gamma["Alpha"][0] == SHOWN
    )  # gamma knows its own 3: nothing to protect
    assert [state for label, (state, _, _) in gamma.items() if label.startswith("Member ")] == [SHOWN]


def test_the_pages_and_the_download_hide_what_they_must(app: Flask, network: Network) -> None:
    client = signed_in(app, "owner@reseau-test.example")
    index = client.get("/federations", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "/federations/reseau-test/reference" in index and "3 members" in index
    page = client.get("/federations/reseau-test/reference", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "hidden (fewer than 5 respondents)" in html
    assert "hidden (protects a member with fewer than 5 respondents)" in html
    assert "Beta" not in html and "Gamma" not in html and "Delta" not in html
    assert "secret of" not in html
    download = client.get("/federations/reseau-test/reference.csv")
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    life = {row["who"]: row for row in rows if row["indicator"] == "life_better"}
    assert (life["Network"]["value"], life["Network"]["low"], life["Network"]["n"]) == ("55", "38", "31")
    assert life["Alpha"]["value"] == "75" and life["Alpha"]["n"] == "20"
    hidden = [row for who, row in life.items() if who.startswith("Member ")]
    assert len(hidden) == 2 and all(
        row["value"] == row["n"] == row["low"] == row["high"] == "" for row in hidden
    )


def test_a_federation_reaches_no_member_row_or_free_text(
    app: Flask, runtime: Runtime, network: Network
) -> None:
    client = signed_in(app, "owner@reseau-test.example")
    code = network.codes["alpha"]
    for path in (
        f"/campaigns/{code}",
        f"/campaigns/{code}/results",
        f"/campaigns/{code}/results/report",
        f"/campaigns/{code}/results/free-text",
        f"/campaigns/{code}/exports",
        f"/campaigns/{code}/exports/1",
        f"/campaigns/{code}/exports/1/download",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "secret of" not in response.get_data(as_text=True)
    with runtime.transaction() as session:
        federation = session.scalars(select(Organization).where(Organization.slug == "reseau-test")).one()
        _, raw = create_token(session, federation, "federation token")
    api = app.test_client()
    for path in (
        f"/api/v1/campaigns/{code}/export",
        f"/api/v1/campaigns/{code}/responses",
        f"/api/v1/campaigns/{code}",
    ):
        response = api.get(path, headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 404, path
        assert "secret of" not in response.get_data(as_text=True)


def test_outsiders_see_no_benchmark(app: Flask, network: Network) -> None:
    outsider = signed_in(app, "owner@delta.example")
    assert outsider.get("/federations/reseau-test/reference").status_code == 404
    assert outsider.get("/federations/reseau-test/reference.csv").status_code == 404
    assert "reseau-test" not in outsider.get("/federations").get_data(as_text=True)
    member = signed_in(app, "owner@alpha.example")
    assert member.get("/federations/reseau-test/reference").status_code == 200
    assert member.get("/federations/reseau-test/unknown").status_code == 404
    assert member.get("/federations/alpha/reference").status_code == 404  # not a federation
