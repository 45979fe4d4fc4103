"""A new user's first minutes: sign in by link, land on one's home inside the seed's shell, sign out."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from siimop_app.db import transaction
from siimop_app.models import Phase
from siimop_app.services.auth import SIGN_IN_SENT_MESSAGE
from tests.e2e.conftest import DATE, path_of, request_link, sign_in, url

pytestmark = pytest.mark.e2e

HOMES = [
    ("rts@demo.siimop.fr", "/rts/postes", "Terrains de stage", "Mes postes"),
    ("etudiant@demo.siimop.fr", "/etudiant", "Mon dossier", "Mes vœux"),
    ("coordo@demo.siimop.fr", "/coordonnateur", "Suivi des Docteurs Juniors", "Gestion des étudiants"),
    ("ars@demo.siimop.fr", "/gestionnaire", "Tableau de bord gestionnaire", "Calendrier de la campagne"),
    ("admin@demo.siimop.fr", "/gestionnaire", "Tableau de bord gestionnaire", "Gestion des postes"),
]


@pytest.mark.parametrize(("address", "home", "title", "menu_entry"), HOMES)
def test_each_demo_account_lands_on_its_home_inside_the_shell(page, harness, address, home, title, menu_entry):
    sign_in(page, harness, address)
    page.wait_for_url(f"**{home}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.locator("#wave-name")).to_contain_text("Vague 1 Campagne Mai")
    menu = page.locator("#phase-menu")
    expect(menu).to_contain_text(menu_entry)
    assert DATE.search(menu.inner_text()), "the side menu shows the phases' dates"
    for link in ("Mon Profil", "Assistance", "Aide contextuelle"):
        expect(page.get_by_role("link", name=link, exact=True)).to_be_visible()
    expect(page.locator("#sign-out")).to_be_visible()


def test_supervisor_sees_post_cards_and_reaches_the_coordinator_interface(page, harness):
    sign_in(page, harness, "rts@demo.siimop.fr")
    cards = page.locator(".post-card")
    expect(cards).to_have_count(3)
    expect(page.locator("#post-cards")).to_contain_text("Couplé : Accès référent")
    expect(page.locator("#post-cards")).to_contain_text("Mixte : Accès non référent")
    expect(page.locator("#post-cards")).to_contain_text("Décalé")
    expect(page.locator("#post-cards")).to_contain_text("poste(s) restant à attribuer sur les 2 poste(s) ouvert(s)")
    page.get_by_role("link", name="» Accéder à l'interface Coordonnateur").click()
    page.wait_for_url("**/coordonnateur")
    expect(page.locator("#scope-figures")).to_contain_text("Étudiants connectés")


def test_a_link_works_once_only(page, harness, browser):
    path = request_link(page, harness, "etudiant@demo.siimop.fr")
    page.goto(url(harness, path))
    page.wait_for_url("**/etudiant")
    other = browser.new_context().new_page()
    other.goto(url(harness, path))
    expect(other.locator("#link-error")).to_contain_text("déjà été utilisé ou a expiré")
    assert path_of(other) == path
    other.context.close()


def test_any_validated_address_of_the_user_signs_in(page, harness):
    sign_in(page, harness, "etudiant.perso@demo.siimop.fr")
    page.wait_for_url("**/etudiant")
    expect(page.locator("#student-summary")).to_contain_text("THERMIDOR")


def test_unknown_address_gets_the_same_answer_and_no_link(page, harness):
    assert request_link(page, harness, "inconnu@exemple.fr", expect_link=False) == ""
    expect(page.locator("#sign-in-sent")).to_have_text(SIGN_IN_SENT_MESSAGE)


def test_sign_out_closes_the_session(page, harness):
    sign_in(page, harness, "coordo@demo.siimop.fr")
    page.click("#sign-out")
    page.wait_for_url("**/connexion")
    page.goto(url(harness, "/coordonnateur"))
    page.wait_for_url("**/connexion")


def test_pages_of_another_role_are_refused(page, harness):
    sign_in(page, harness, "etudiant@demo.siimop.fr")
    page.goto(url(harness, "/gestionnaire"))
    page.wait_for_url("**/etudiant")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mon dossier")


def _shift_calendar(days: int) -> None:
    with transaction() as session:
        for phase in session.exec(sa.select(Phase)).scalars():
            phase.starts_on += dt.timedelta(days=days)
            phase.ends_on += dt.timedelta(days=days)
            session.add(phase)


def test_outside_the_campaign_the_application_is_closed(page, harness):
    _shift_calendar(-400)
    try:
        sign_in_path = request_link(page, harness, "etudiant@demo.siimop.fr")
        page.goto(url(harness, sign_in_path))
        page.wait_for_url("**/fermee")
        expect(page.locator("#app-closed")).to_have_text("L'application SiiMOP Appariement est actuellement fermée")
        expect(page.get_by_role("link", name="le fil d'information")).to_be_visible()
    finally:
        _shift_calendar(400)
