"""Mon profil in the browser: an address added waits for its link in the list and can be withdrawn; the answer
is the same for another account's address (issue 10)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in, url

pytestmark = pytest.mark.e2e


def test_a_pending_address_is_listed_and_withdrawn(page, harness):
    sign_in(page, harness, "etudiant@demo.siimop.fr")
    page.goto(url(harness, "/profil"))
    messages = []
    for address in ("remi.ailleurs@example.org", "rts@demo.siimop.fr"):
        page.fill("#new-email", address)
        page.click("#add-email")
        row = page.locator("#profile-emails tr", has_text=address)
        expect(row).to_contain_text("En attente de validation")
        messages.append(page.locator("#profile-message").inner_text())
        row.get_by_role("button", name=f"Supprimer l'adresse {address}").click()
        expect(page.locator("#profile-emails tr", has_text=address)).to_have_count(0)
    assert messages[0] == messages[1] and "lien de validation" in messages[0]
