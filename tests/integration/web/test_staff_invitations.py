"""Inviting people from the staff pages: QR codes, the poster, contact lists and Telegram links."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from service.models import Campaign, Contact
from service.runtime import Runtime
from tests.integration.web.staff_support import Tenants, csrf_token, signed_in

GOOD_CSV = "phone;language;name;reference\n0478 55 66 77;nl;Joris;B-102\n+33 7 81 23 45 67;fr;Léa;F-7\n"
BAD_CSV = "phone,language,name\n0478 55 66 77,nl,Joris\n12,fr,Bad number\n0478556677,en,Same again\n0471 00 00 00,de,Wrong language\n"


def _contacts(runtime: Runtime, code: str) -> int:
    with runtime.transaction() as session:
        return int(
            session.scalar(select(func.count(Contact.id)).join(Campaign).where(Campaign.code == code)) or 0
        )


def _upload(client: Any, code: str, text: str, channel: str = "sms", region: str = "BE") -> Any:
    page = f"/campaigns/{code}/contacts"
    token = csrf_token(client, page)
    return client.post(
        page,
        data={
            "csrf_token": token,
            "channel": channel,
            "region": region,
            "file": (io.BytesIO(text.encode()), "list.csv"),
        },
        content_type="multipart/form-data",
    )


def test_qr_codes_download_as_png_and_svg(app: Flask, tenants: Tenants) -> None:
    client = signed_in(app, tenants.a.viewer)
    png = client.get(f"/campaigns/{tenants.a.campaign_code}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert "attachment" in png.headers["Content-Disposition"]
    svg = client.get(f"/campaigns/{tenants.a.campaign_code}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data and b"<path" in svg.data


def test_the_poster_is_in_its_own_language(app: Flask, tenants: Tenants) -> None:
    client = signed_in(app, tenants.a.viewer)
    code = tenants.a.campaign_code
    dutch = client.get(f"/campaigns/{code}/poster/nl", headers={"Accept-Language": "fr"})
    page = dutch.get_data(as_text=True)
    assert dutch.status_code == 200
    assert 'lang="nl"' in page and "Uw mening telt" in page
    assert f"/s/{code}" in page and f"/campaigns/{code}/qr.svg" in page
    assert "KATELIE" not in page  # no SMS number on this server: the poster doesn't offer SMS
    assert "Votre avis compte" in client.get(f"/campaigns/{code}/poster/fr").get_data(as_text=True)
    assert "Your opinion counts" in client.get(f"/campaigns/{code}/poster/en").get_data(as_text=True)
    assert client.get(f"/campaigns/{code}/poster/de").status_code == 404


def test_the_poster_gives_the_sms_keyword_and_number(
    app_with: Any, make_settings: Any, database_url: str, tenants: Tenants
) -> None:
    sms_app = app_with(
        make_settings(
            DATABASE_URL=database_url,
            TWILIO_ACCOUNT_SID="AC" + "0" * 32,
            TWILIO_AUTH_TOKEN="test-token",
            TWILIO_FROM_NUMBER="+32460000000",
        )
    )
    client = signed_in(sms_app, tenants.a.viewer)
    page = client.get(f"/campaigns/{tenants.a.campaign_code}/poster/fr").get_data(as_text=True)
    assert "Envoyez KATELIE par SMS au +32460000000" in page


def test_a_contact_list_with_a_bad_row_imports_nothing(
    app: Flask, tenants: Tenants, runtime: Runtime
) -> None:
    client = signed_in(app, tenants.a.editor)
    code = tenants.a.campaign_code
    response = _upload(client, code, BAD_CSV)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was imported." in page
    lines = re.findall(r'<td class="number">(\d+)</td><td>(\w*)</td>', page)
    assert lines == [("3", "phone"), ("4", "phone"), ("5", "language")]
    assert "0478" not in page and "+32478" not in page  # no phone number echoed back
    assert _contacts(runtime, code) == 0


def test_a_good_contact_list_is_imported(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.editor)
    code = tenants.a.campaign_code
    response = _upload(client, code, GOOD_CSV, region="BE")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "2 contacts imported." in response.get_data(as_text=True)
    assert _contacts(runtime, code) == 2
    again = _upload(client, code, GOOD_CSV).get_data(as_text=True)
    assert "0 contacts imported." in again and "line(s) 2, 3" in again
    page = client.get(f"/campaigns/{code}/contacts").get_data(as_text=True)
    assert "+32478" not in page and "0478" not in page and "Joris" not in page


def test_viewers_cannot_upload(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    client = signed_in(app, tenants.a.viewer)
    assert _upload(client, tenants.a.campaign_code, GOOD_CSV).status_code == 403
    assert _contacts(runtime, tenants.a.campaign_code) == 0


def test_telegram_links_page(
    app_with: Any, make_settings: Any, database_url: str, tenants: Tenants, runtime: Runtime
) -> None:
    from service.campaigns import campaign_by_code

    with runtime.transaction() as session:
        campaign = campaign_by_code(session, tenants.a.draft_code)
        assert campaign is not None
        campaign.channels = ["web", "telegram"]
    telegram_app = app_with(
        make_settings(
            DATABASE_URL=database_url,
            TELEGRAM_BOT_TOKEN="123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            TELEGRAM_BOT_USERNAME="vises_demo_bot",
        )
    )
    client = signed_in(telegram_app, tenants.a.editor)
    code = tenants.a.draft_code
    assert _upload(client, code, GOOD_CSV, channel="telegram").status_code == 200
    with runtime.transaction() as session:
        contact = session.scalar(select(Contact).where(Contact.reference == "B-102"))
        assert contact is not None and contact.link_token
        from service.models import utcnow

        contact.linked_at = utcnow()
    page = client.get(f"/campaigns/{code}/telegram").get_data(as_text=True)
    assert "1 of 2 contacts have opened their link." in page
    assert "Léa · F-7" in page and "Joris · B-102" in page
    assert len(re.findall(r"https://t\.me/vises_demo_bot\?start=[A-Za-z0-9_-]+", page)) == 1
    viewer = signed_in(telegram_app, tenants.a.viewer)
    # Personal links and names from the invitation list are for those who send invitations.
    assert viewer.get(f"/campaigns/{code}/telegram").status_code == 403
    assert viewer.get(f"/campaigns/{code}/telegram.csv").status_code == 403
    csv_text = client.get(f"/campaigns/{code}/telegram.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].lstrip("\ufeff") == "name,reference,language,linked,link"
    assert "Joris,B-102,nl,yes," in csv_text and re.search(
        r"Léa,F-7,fr,no,https://t\.me/vises_demo_bot\?start=", csv_text
    )


def test_launching_invitations_shows_progress(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    from service.models import Launch, OutboundMessage

    client = signed_in(app, tenants.a.editor)
    code = tenants.a.campaign_code
    assert _upload(client, code, GOOD_CSV).status_code == 200
    page = f"/campaigns/{code}/contacts"
    token = csrf_token(client, page)
    response = client.post(f"/campaigns/{code}/launches", data={"csrf_token": token, "channel": "sms"})
    assert response.status_code == 302
    progress_url = response.headers["Location"]
    assert re.fullmatch(rf"/campaigns/{code}/launches/\d+", progress_url)
    progress = client.get(progress_url).get_data(as_text=True)
    with runtime.transaction() as session:
        launch = session.scalar(select(Launch))
        assert launch is not None and launch.total == 2
        invitations = session.scalar(select(func.count(OutboundMessage.id)))
    assert invitations == 2  # one per contact, however the sending went
    numbers = {key: int(value) for key, value in re.findall(r'data-progress="(\w+)">(\d+)<', progress)}
    assert sum(numbers.values()) == 2
    assert ('http-equiv="refresh"' in progress) == (
        numbers["queued"] + numbers["sending"] > 0 or launch.finished_at is None
    )
    assert "Refresh now" in progress or "Done." in progress
    # A second click queues nothing new.
    client.post(f"/campaigns/{code}/launches", data={"csrf_token": token, "channel": "sms"})
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(OutboundMessage.id))) == 2
    # Launching on a channel the campaign doesn't use is refused with a message.
    response = client.post(
        f"/campaigns/{code}/launches",
        data={"csrf_token": token, "channel": "telegram"},
        follow_redirects=True,
    )
    assert "does not use the telegram channel" in response.get_data(as_text=True)


def test_a_draft_campaign_cannot_send_invitations(app: Flask, tenants: Tenants, runtime: Runtime) -> None:
    from service.models import Launch

    with runtime.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == tenants.a.draft_code))
        assert campaign is not None
        campaign.channels = ["web", "sms"]
    client = signed_in(app, tenants.a.editor)
    token = csrf_token(client, f"/campaigns/{tenants.a.draft_code}/contacts")
    response = client.post(
        f"/campaigns/{tenants.a.draft_code}/launches",
        data={"csrf_token": token, "channel": "sms"},
        follow_redirects=True,
    )
    assert "start it before sending invitations" in response.get_data(as_text=True)
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Launch.id))) == 0
