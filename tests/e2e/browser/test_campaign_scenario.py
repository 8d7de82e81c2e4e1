"""Issue 4's scenario in a real browser: from a staff user's new campaign to a completed web survey.

A staff user signs in, creates a campaign, uploads contacts with a bad row (nothing is imported, the
line is named), uploads the corrected list, starts the campaign, opens its web link; a respondent
answers in Dutch, switches to French midway, finishes; the campaign list shows the completed count
rise. Pages are found by their accessible names, as a person (or a screen reader) would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from service.accounts import create_organization, create_user
from service.models import Answer, Contact, Conversation, Role
from service.runtime import Runtime
from tests.e2e.browser.conftest import screenshot

pytestmark = pytest.mark.browser

EMAIL = "coordinator@buurtwerk.example"
PASSWORD = "a long and good passphrase"
CAMPAIGN = "Buurtwerk 2026"
BAD_CONTACTS = "phone,language,name,reference\n0470 12 34 56,nl,Jan,B-102\n12,nl,Piet,B-103\n+33 6 12 34 56 78,fr,Léa,F-7\n"
GOOD_CONTACTS = "phone,language,name,reference\n0470 12 34 56,nl,Jan,B-102\n0470 65 43 21,nl,Piet,B-103\n+33 6 12 34 56 78,fr,Léa,F-7\n"


@pytest.fixture
def staff_user(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        organization = create_organization(
            session, "buurtwerk", name="Buurtwerk Gent", short_name="Buurtwerk", default_language="nl"
        )
        create_user(session, organization, EMAIL, PASSWORD, name="Coordinator", role=Role.OWNER)


def _completed_on_the_list(page: Any) -> str:
    page.goto("/campaigns")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=CAMPAIGN))
    # Columns after the campaign's name: status, invited, started, completed, opted out.
    return str(row.get_by_role("cell").nth(3).locator("strong").inner_text()).strip()


def _answer_whatever_is_asked(page: Any) -> None:
    """Answer the current screen with its first choice, or a plausible typed value, and go on."""
    form = page.locator("form.question-form")
    radios, boxes = form.locator("input[type=radio]"), form.locator("input[type=checkbox]")
    if radios.count():
        radios.first.check()
    elif boxes.count():
        boxes.first.check()
    elif form.locator("textarea").count():
        form.locator("textarea").fill("Een warm onthaal")
    else:
        form.locator("input[type=text]").fill("3")
    form.get_by_role("button").click()


def test_a_staff_user_runs_a_campaign_that_a_respondent_completes_on_the_web(
    new_page: Callable[..., Any], runtime: Runtime, staff_user: None
) -> None:
    from playwright.sync_api import expect

    staff = new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    staff.goto("/login")
    staff.get_by_label("E-mail address").fill(EMAIL)
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    expect(staff.get_by_role("heading", name="Campaigns", level=1)).to_be_visible()

    staff.get_by_role("link", name="New campaign").first.click()
    staff.get_by_label("Name").fill(CAMPAIGN)
    staff.get_by_label("Questionnaire", exact=True).select_option(value="shipped:beneficiaries")
    staff.get_by_role("checkbox", name="Web", exact=True).check()
    staff.get_by_role("checkbox", name="SMS", exact=True).check()
    staff.get_by_label("Default language").select_option("nl")
    screenshot(staff, "scenario-1-new-campaign")
    staff.get_by_role("button", name="Create the campaign").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(CAMPAIGN)

    staff.get_by_role("link", name="Contacts and invitations by SMS or Telegram").click()
    upload = {"name": "contacts.csv", "mimeType": "text/csv"}
    staff.get_by_label("Contact list (CSV)").set_input_files({**upload, "buffer": BAD_CONTACTS.encode()})
    staff.get_by_role("button", name="Check and import").click()
    report = staff.locator("#import-report")
    expect(report).to_contain_text("Nothing was imported.")
    bad_rows = report.get_by_role("row").filter(has=staff.get_by_role("cell", name="phone", exact=True))
    expect(bad_rows).to_have_count(1)
    expect(bad_rows.get_by_role("cell").first).to_have_text("3")  # the line of "12" in the file
    screenshot(staff, "scenario-2-contacts-bad-row")
    with runtime.transaction() as session:
        assert session.scalars(select(Contact)).all() == []
    staff.get_by_label("Contact list (CSV)").set_input_files({**upload, "buffer": GOOD_CONTACTS.encode()})
    staff.get_by_role("button", name="Check and import").click()
    expect(staff.locator("#import-report")).to_contain_text("3 contacts imported.")

    staff.get_by_role("link", name=CAMPAIGN).click()
    staff.get_by_role("button", name="Start").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Running")
    web_link = staff.get_by_role("link", name="/s/")
    url = web_link.get_attribute("href")
    assert url is not None and url.startswith("http://127.0.0.1:")
    screenshot(staff, "scenario-3-campaign-running")
    assert _completed_on_the_list(staff) == "0"

    respondent = new_page(locale="nl-BE")
    respondent.goto(url)
    expect(respondent.locator("html")).to_have_attribute("lang", "nl")
    expect(respondent.get_by_role("heading", level=1)).to_have_text("Uw mening over Buurtwerk")
    screenshot(respondent, "scenario-4-consent-nl")
    respondent.get_by_role("button", name="Ja", exact=True).click()
    for _ in range(3):
        expect(respondent.get_by_role("button", name="Volgende")).to_be_visible()
        _answer_whatever_is_asked(respondent)
    expect(respondent.get_by_text("4 / ")).to_be_visible()
    with runtime.transaction() as session:
        answered_in_dutch = {a.question_id: a.value for a in session.scalars(select(Answer))}
    assert len(answered_in_dutch) >= 2
    screenshot(respondent, "scenario-5-midway-nl")

    respondent.get_by_role("button", name="Français").click()
    expect(respondent.locator("html")).to_have_attribute("lang", "fr")
    expect(respondent.get_by_role("status")).to_contain_text("Nous continuons en français.")
    expect(respondent.get_by_text("4 / ")).to_be_visible()
    screenshot(respondent, "scenario-6-switched-to-fr")
    for _ in range(30):
        if respondent.get_by_role("heading", name="Merci !").count():
            break
        expect(respondent.get_by_role("button", name="Suivant")).to_be_visible()
        _answer_whatever_is_asked(respondent)
    expect(respondent.get_by_role("heading", level=1)).to_have_text("Merci !")
    screenshot(respondent, "scenario-7-thanks-fr")

    with runtime.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        answers = {a.question_id: a.value for a in session.scalars(select(Answer))}
    assert conversation.status == "completed"
    assert conversation.channel == "web"
    assert conversation.language == "fr"
    assert {k: answers[k] for k in answered_in_dutch} == answered_in_dutch

    assert _completed_on_the_list(staff) == "1"
    screenshot(staff, "scenario-8-campaign-list")
