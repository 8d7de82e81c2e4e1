"""The web survey in Debian's Chromium: without JavaScript, with the keyboard only, and audited by axe-core."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from service.models import Answer, Campaign, Conversation
from service.runtime import Runtime
from tests.e2e.browser.conftest import screenshot
from tests.support.web_survey import make_survey_campaign

pytestmark = pytest.mark.browser

EXPECTED = {
    "mood": "good",
    "fruits": ["apple", "plum"],
    "recommend": 9,
    "member": "yes",
    "age": 34,
    "hours": 2.5,
    "comment": "Heel vriendelijk onthaal",
}


@pytest.fixture
def campaign(runtime: Runtime) -> Campaign:
    return make_survey_campaign(runtime)


def _answers(runtime: Runtime) -> dict[str, object]:
    with runtime.transaction() as session:
        return {a.question_id: a.value for a in session.scalars(select(Answer))}


def test_the_whole_survey_works_with_javascript_disabled(
    new_page: Callable[..., Any], campaign: Campaign, runtime: Runtime
) -> None:
    from playwright.sync_api import expect

    page = new_page(java_script_enabled=False, locale="nl-BE")
    page.goto(f"/s/{campaign.code}")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw mening over Atelier")
    assert page.locator("script").count() == 0
    screenshot(page, "survey-nojs-1-consent-nl")
    page.get_by_role("button", name="Ja", exact=True).click()

    expect(page.get_by_role("heading", name="Hoe gaat het met u?")).to_be_visible()
    expect(page.get_by_text("1 / 7")).to_be_visible()
    page.get_by_label("Goed", exact=True).check()
    screenshot(page, "survey-nojs-2-single-choice")
    page.get_by_role("button", name="Volgende").click()

    expect(page.get_by_role("group", name="Welk fruit eet u graag?")).to_be_visible()
    page.get_by_label("Appel").check()
    page.get_by_label("Pruim").check()
    page.get_by_role("button", name="Volgende").click()

    expect(page.get_by_role("status")).to_contain_text("Nog maar een paar vragen.")
    page.get_by_label("9", exact=True).check()
    screenshot(page, "survey-nojs-3-scale")
    page.get_by_role("button", name="Volgende").click()

    page.get_by_label("Ja", exact=True).check()
    page.get_by_role("button", name="Volgende").click()

    page.get_by_label("Hoe oud bent u?").fill("200")
    page.get_by_role("button", name="Volgende").click()
    age = page.get_by_label("Hoe oud bent u?")
    expect(age).to_have_attribute("aria-invalid", "true")
    expect(age).to_have_value("200")
    expect(page.locator("#answer-error")).to_contain_text("van 16 tot 120")
    screenshot(page, "survey-nojs-4-error")
    age.fill("34")
    page.get_by_role("button", name="Volgende").click()

    page.get_by_label("Hoeveel uur per week?").fill("2,5")
    page.get_by_role("button", name="Volgende").click()
    page.get_by_label("Een opmerking?").fill(str(EXPECTED["comment"]))
    screenshot(page, "survey-nojs-5-text")
    page.get_by_role("button", name="Volgende").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Bedankt!")
    expect(page.get_by_text("Hartelijk dank!")).to_be_visible()
    screenshot(page, "survey-nojs-6-thanks")
    assert _answers(runtime) == EXPECTED
    with runtime.transaction() as session:
        assert session.scalars(select(Conversation.status)).one() == "completed"


def _focused(page: Any) -> dict[str, Any]:
    """What has the keyboard focus, and whether a focus indicator is drawn around it (or its label)."""
    return dict(
        page.evaluate(
            r"""() => {
              const el = document.activeElement;
              const drawn = (node) => {
                if (!node) return false;
                const style = getComputedStyle(node);
                return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
                  || style.boxShadow !== 'none';
              };
              const label = el.closest('label') || (el.labels && el.labels[0]) || null;
              return {
                tag: el.tagName.toLowerCase(),
                type: el.type || '',
                name: (el.labels && el.labels[0] ? el.labels[0] : el).textContent.replace(/\s+/g, ' ').trim(),
                checked: !!el.checked,
                visible: drawn(el) || (el.type === 'radio' || el.type === 'checkbox') && drawn(label),
              };
            }"""
        )
    )


def _tab_to(page: Any, name: str, *, limit: int = 40) -> dict[str, Any]:
    """Press Tab until the element called ``name`` has the focus; it must show that it has."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if focused["name"] == name:
            assert focused["visible"], f"no visible focus on {name!r}: {focused}"
            return focused
    raise AssertionError(f"Tab never reached {name!r}")


def test_the_survey_can_be_answered_with_the_keyboard_only(
    new_page: Callable[..., Any], campaign: Campaign, runtime: Runtime
) -> None:
    from playwright.sync_api import expect

    page = new_page(locale="fr-BE")
    page.goto(f"/s/{campaign.code}")
    _tab_to(page, "Oui")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Comment allez-vous ?")).to_be_visible()
    _tab_to(page, "Bien")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # arrows move the choice within the group
    page.keyboard.press("ArrowUp")
    assert _focused(page)["checked"]
    screenshot(page, "survey-keyboard-radio-focus")
    _tab_to(page, "Suivant")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Quels fruits aimez-vous ?")).to_be_visible()
    _tab_to(page, "Pomme")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert _focused(page)["name"] == "Prune"
    page.keyboard.press("Space")
    _tab_to(page, "Suivant")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Recommanderiez-vous Atelier ?")).to_be_visible()
    focused = _tab_to(page, "0: pas du tout")
    assert focused["type"] == "radio"
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    assert _focused(page)["name"] == "9" and _focused(page)["checked"]
    screenshot(page, "survey-keyboard-scale-focus")
    _tab_to(page, "Suivant")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Êtes-vous membre ?")).to_be_visible()
    _tab_to(page, "Oui")
    page.keyboard.press("Space")
    _tab_to(page, "Suivant")
    page.keyboard.press("Enter")

    # Back, with the keyboard too, then forward again: the answer given is still chosen.
    expect(page.get_by_role("heading", name="Quel âge avez-vous ?")).to_be_visible()
    _tab_to(page, "← Question précédente")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Oui", exact=True)).to_be_checked()
    _tab_to(page, "Suivant")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Quel âge avez-vous ?")).to_be_visible()
    _tab_to(page, "Quel âge avez-vous ?")
    page.keyboard.type("34")
    page.keyboard.press("Enter")  # Enter in a field sends the answer, not a language or "back" button

    expect(page.get_by_role("heading", name="Combien d'heures par semaine ? (facultatif)")).to_be_visible()
    _tab_to(page, "Combien d'heures par semaine ? (facultatif)")
    page.keyboard.type("2,5")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Un commentaire ? (facultatif)")).to_be_visible()
    _tab_to(page, "Un commentaire ? (facultatif)")
    page.keyboard.type("Accueil chaleureux")
    _tab_to(page, "Suivant")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Merci !")
    assert _answers(runtime) == {
        **EXPECTED,
        "mood": "good",
        "comment": "Accueil chaleureux",
    }


SCREENS = (
    "consent",
    "single_choice",
    "multiple_choice",
    "scale",
    "yes_no",
    "integer",
    "integer_error",
    "number",
    "text",
    "thanks",
)


def _audit(page: Any, screen: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert results.response["testEngine"]["name"] == "axe-core"
    assert results.response["passes"], f"{screen}: axe-core ran no check"
    assert serious == [], f"{screen}: {serious}"


def test_every_survey_screen_passes_the_axe_core_audit(
    new_page: Callable[..., Any], campaign: Campaign, runtime: Runtime
) -> None:
    from playwright.sync_api import expect

    page = new_page(locale="fr-BE")
    page.goto(f"/s/{campaign.code}")
    audited = []

    def audit(screen: str) -> None:
        _audit(page, screen)
        screenshot(page, f"survey-axe-{len(audited) + 1:02d}-{screen}")
        audited.append(screen)

    def next_screen() -> None:
        page.get_by_role("button", name="Suivant").click()

    audit("consent")
    page.get_by_role("button", name="Oui").click()
    audit("single_choice")
    page.get_by_label("Bien").check()
    next_screen()
    audit("multiple_choice")
    page.get_by_label("Poire").check()
    next_screen()
    audit("scale")
    page.get_by_label("7", exact=True).check()
    next_screen()
    audit("yes_no")
    page.get_by_label("Non").check()
    next_screen()
    audit("integer")
    page.get_by_label("Quel âge avez-vous ?").fill("9")
    next_screen()
    expect(page.locator("#answer-error")).to_be_visible()
    audit("integer_error")
    page.get_by_label("Quel âge avez-vous ?").fill("19")
    next_screen()
    audit("number")
    next_screen()
    audit("text")
    next_screen()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci !")
    audit("thanks")
    assert tuple(audited) == SCREENS


def test_the_other_respondent_pages_pass_the_axe_core_audit(
    new_page: Callable[..., Any], campaign: Campaign, runtime: Runtime
) -> None:
    closed = make_survey_campaign(runtime, status="close")
    page = new_page(locale="nl-BE")
    for path, name in (
        (f"/s/{campaign.code}/resume", "resume"),
        (f"/s/{campaign.code}/stop", "stop"),
        (f"/s/{closed.code}", "closed"),
        ("/s/NOPE2345", "unknown"),
    ):
        page.goto(path)
        _audit(page, name)
        screenshot(page, f"survey-page-{name}")
    page.goto(f"/s/{campaign.code}/resume")
    page.get_by_label("Uw code").fill("ABCD-EFGH")
    page.get_by_role("button", name="Verdergaan").click()
    _audit(page, "resume_error")
    screenshot(page, "survey-page-resume-error")
