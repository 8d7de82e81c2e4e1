"""``vises demo`` on the embedded default (SQLite, jobs inline): its login opens working campaign pages."""

from __future__ import annotations

from flask import Flask

from service.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from service.runtime import Runtime
from tests.integration.web.staff_support import login


def test_the_demo_login_shows_its_campaigns(
    sqlite_app: Flask, sqlite_runtime: Runtime, quick_passwords: None
) -> None:
    with sqlite_runtime.transaction() as session:
        seed = seed_demo(session, channels=["web"])
        codes = [campaign.code for campaign in seed.campaigns]
    client = sqlite_app.test_client()
    assert login(client, DEMO_EMAIL, DEMO_PASSWORD).status_code == 302
    listing = client.get("/campaigns", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert all(code in listing for code in codes)
    assert "{org}" not in listing
    for code in codes:
        detail = client.get(f"/campaigns/{code}")
        assert detail.status_code == 200 and f"/s/{code}" in detail.get_data(as_text=True)
        assert client.get(f"/campaigns/{code}/preview").status_code == 200
        assert client.get(f"/campaigns/{code}/qr.png").data.startswith(b"\x89PNG")
