"""Every page of every role fits the window: nothing but a table scrolls sideways at 1280 px and more, and
at 320 px the side menu folds behind a "Menu" button (WCAG 1.4.10, reflow)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in, url

pytestmark = pytest.mark.e2e

PAGES = {
    "coordo@demo.siimop.fr": ["/coordonnateur", "/coordonnateur/postes", "/coordonnateur/responsables",
                              "/coordonnateur/resultats", "/coordonnateur/coordonnateurs", "/profil", "/assistance"],
    "ars@demo.siimop.fr": ["/gestionnaire", "/gestionnaire/calendrier", "/gestionnaire/tours"],
    "rts@demo.siimop.fr": ["/rts/postes", "/rts/classement", "/rts/affectations"],
    "etudiant@demo.siimop.fr": ["/etudiant", "/etudiant/voeux", "/etudiant/voeux/recu", "/etudiant/resultats"],
}

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("address", list(PAGES))
def test_no_page_scrolls_sideways_on_a_desktop_screen(page: Page, harness, address: str):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, harness, address)
    for path in PAGES[address]:
        page.goto(url(harness, path))
        expect(page.locator("h1")).to_be_visible()
        page.wait_for_timeout(500)  # tables and statistics arrive after the first paint
        assert page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways at 1280 px"


def test_on_a_phone_the_side_menu_folds_behind_a_button(page: Page, harness):
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, harness, "coordo@demo.siimop.fr")
    page.goto(url(harness, "/coordonnateur/postes"))
    expect(page.locator("h1")).to_be_visible()
    menu = page.get_by_role("navigation", name="Menu principal")
    expect(menu).to_be_hidden()
    button = page.locator("#menu-button")
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    menu.get_by_role("link", name="Gestion des étudiants").click()
    page.wait_for_url("**/coordonnateur")
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_hidden()
    assert page.evaluate(OVERFLOW) <= 0
