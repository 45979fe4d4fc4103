"""Every page of every role is accessible as a French public service must be (RGAA 4.1 / WCAG 2.1 AA):
no axe-core violation, nothing but a table scrolls sideways at 1280 px, and at 320 px the side menu folds
behind a "Menu" button (reflow). Dialogs are checked open too."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in, url

pytestmark = pytest.mark.e2e

PAGES = {
    None: ["/connexion", "/aide", "/assistance", "/accessibilite", "/nulle-part"],
    "coordo@demo.siimop.fr": ["/coordonnateur", "/coordonnateur/postes", "/coordonnateur/responsables",
                              "/coordonnateur/resultats", "/coordonnateur/coordonnateurs", "/profil", "/assistance"],
    "ars@demo.siimop.fr": ["/gestionnaire", "/gestionnaire/calendrier", "/gestionnaire/tours"],
    "rts@demo.siimop.fr": ["/rts/postes", "/rts/classement", "/rts/affectations"],
    "etudiant@demo.siimop.fr": ["/etudiant", "/etudiant/voeux", "/etudiant/voeux/recu", "/etudiant/resultats"],
}

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
AXE = Axe()


def assert_no_violation(page: Page, where: str) -> None:
    found = AXE.run(page).response["violations"]
    assert not found, f"{where}: " + "; ".join(
        f"{v['id']} ({v['impact']}) at {v['nodes'][0]['target']}" for v in found)


def _visit(page: Page, harness, path: str) -> None:
    page.goto(url(harness, path))
    expect(page.locator("h1, h2").first).to_be_visible()
    page.wait_for_timeout(1200)  # tables and statistics arrive after the first paint; a11y.js runs after load


@pytest.mark.parametrize("address", list(PAGES), ids=lambda a: a or "signed-out")
def test_every_page_passes_axe_and_fits_a_desktop_and_a_phone(page: Page, harness, address):
    if address:
        sign_in(page, harness, address)
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        for path in PAGES[address]:
            _visit(page, harness, path)
            assert page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways at {width} px"
            if width == 1280:
                assert_no_violation(page, path)


def test_dialogs_open_are_accessible_too(page: Page, harness):
    sign_in(page, harness, "rts@demo.siimop.fr")
    page.goto(url(harness, "/rts/classement"))
    page.locator("#ranking-posts").get_by_role("link").first.click()
    page.locator(".candidate-name").first.click()
    expect(page.get_by_role("dialog")).to_contain_text("Dossier candidature")
    page.wait_for_timeout(500)  # the dialog's opening animation
    assert_no_violation(page, "candidate's file")


def test_the_keyboard_reaches_the_content_first_and_the_folded_menu(page: Page, harness):
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, harness, "coordo@demo.siimop.fr")
    page.goto(url(harness, "/coordonnateur/postes"))
    expect(page.locator("h1")).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    menu = page.get_by_role("navigation", name="Menu principal")
    expect(menu).to_be_hidden()
    button = page.locator("#menu-button")
    expect(button).to_have_attribute("aria-expanded", "false")
    button.focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    menu.get_by_role("link", name="Gestion des étudiants").click()
    page.wait_for_url(re.compile(r".*/coordonnateur$"))
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_hidden()
    assert page.evaluate(OVERFLOW) <= 0
