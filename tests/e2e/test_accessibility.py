"""Every page of every role is accessible as a French public service must be (RGAA 4.1 / WCAG 2.1 AA):
no axe-core violation, nothing but a table scrolls sideways at 1280 px, and the page reflows without
sideways scrolling at 320 px and at 200 % zoom on a 1280 px screen (a 640 px CSS viewport at a device
scale factor of 2), where the side menu folds behind a "Menu" button. Pages are also checked in their other
states: dialogs open, errors shown (tied to their fields), empty tables. The keyboard journeys are in
test_keyboard.py.

Run time: one signed-in tab per role visits its pages once, checked at 1280 px then narrowed to 320 px in place; the
zoomed view (200 %) reuses its session."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import SupportMessage, SupportTicket, UserEmail
from siimop_app.services import support
from tests.e2e.conftest import TIMEOUT_MS, sign_in, url
from tests.e2e.test_campaign import round_one_results_today
from tests.e2e.test_imports import ROWS, imported_students_removed_after
from tests.services.import_files import csv_bytes, student

pytestmark = pytest.mark.e2e

PAGES = {
    None: ["/connexion", "/aide", "/assistance", "/accessibilite", "/nulle-part", "/assistance/suivi/lien-inconnu"],
    "coordo@demo.siimop.fr": ["/coordonnateur", "/coordonnateur/postes", "/coordonnateur/responsables",
                              "/coordonnateur/resultats", "/coordonnateur/coordonnateurs", "/coordonnateur/simulation",
                              "/profil", "/assistance", "/assistance/mes-tickets"],
    "ars@demo.siimop.fr": ["/gestionnaire", "/gestionnaire/calendrier", "/gestionnaire/tours",
                           "/gestionnaire/imports", "/gestionnaire/imports/historique", "/gestionnaire/personnes",
                           "/gestionnaire/campagnes", "/gestionnaire/tickets"],
    "rts@demo.siimop.fr": ["/rts/postes", "/rts/classement", "/rts/affectations"],
    "etudiant@demo.siimop.fr": ["/etudiant", "/etudiant/voeux", "/etudiant/voeux/recu", "/etudiant/resultats"],
}
ZOOMED = {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2}  # a 1280×900 screen at 200 %
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 320, "height": 900}
REFLOW_MS = 250  # a resized page lays itself out again (media queries, the side menu folding)
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Buttons and links whose label spills out of their box (a fixed height with a label on two lines).
SPILLED_LABELS = """() => [...document.querySelectorAll('main button, main a, main [role=button]')]
    .filter(e => e.offsetParent !== null && e.scrollHeight > e.clientHeight + 2 && getComputedStyle(e).overflowY === 'visible')
    .map(e => e.textContent.trim().slice(0, 60))"""
# Controls cut by the edge of a box that clips what overflows it (a card), with no scrolling box between them (a
# table's): the page does not scroll sideways, yet part of the control cannot be seen, and clicking it shifts the
# box's content.
CLIPPED_CONTROLS = """() => [...document.querySelectorAll('main button, main a, main input, main [role=button]')]
    .filter(e => e.offsetParent !== null && e.getBoundingClientRect().width > 1)
    .filter(e => {
        const r = e.getBoundingClientRect();
        for (let box = e.parentElement; box && box !== document.body; box = box.parentElement) {
            const overflow = getComputedStyle(box).overflowX;
            if (overflow === 'auto' || overflow === 'scroll') return false;  // scrolled into view: a table
            const b = box.getBoundingClientRect();
            if ((overflow === 'hidden' || overflow === 'clip') && (r.left < b.left - 1 || r.right > b.right + 1)) {
                return true;
            }
        }
        return false;
    })
    .map(e => (e.getAttribute('aria-label') || e.textContent).trim().slice(0, 60))"""
AXE = Axe()


def assert_no_violation(page: Page, where: str) -> None:
    # A toast sliding in is half transparent: axe would measure its colours mid-fade. Wait for finite
    # animations and transitions to end (a spinner's infinite one never does).
    page.wait_for_function("""() => document.getAnimations().every(a => a.playState !== 'running'
                              || a.effect?.getComputedTiming().iterations === Infinity)""")
    found = AXE.run(page).response["violations"]
    assert not found, f"{where}: " + "; ".join(
        f"{v['id']} ({v['impact']}) at {v['nodes'][0]['target']}" for v in found)


def _visit(page: Page, harness, path: str, settle_ms: int = 1200) -> None:
    page.goto(url(harness, path))
    expect(page.locator("h1, h2").first).to_be_visible()
    page.wait_for_timeout(settle_ms)  # tables and statistics arrive after the first paint; a11y.js runs after load


@contextlib.contextmanager
def _zoomed_tab(page: Page) -> Iterator[Page]:
    """The same session in a tab at 200 % zoom; fails the test on any console error, like the page fixture."""
    context: BrowserContext = page.context.browser.new_context(
        storage_state=page.context.storage_state(), locale="fr-FR", **ZOOMED)
    context.set_default_timeout(TIMEOUT_MS)
    zoomed = context.new_page()
    problems: list[str] = []
    zoomed.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    zoomed.on("console", lambda message: problems.append(f"console: {message.text}")
              if message.type == "error" else None)
    yield zoomed
    context.close()
    assert not problems, "the zoomed page logged errors:\n" + "\n".join(problems)


def _fits(page: Page, path: str, where: str) -> None:
    assert page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways {where}"
    assert page.evaluate(SPILLED_LABELS) == [], f"{path}: labels spill out of their buttons {where}"
    assert page.evaluate(CLIPPED_CONTROLS) == [], f"{path}: controls cut by the edge of their box {where}"


@pytest.mark.parametrize("address", list(PAGES), ids=lambda a: a or "signed-out")
def test_every_page_passes_axe_and_reflows_on_a_phone_and_at_200_percent(page: Page, harness, address):
    if address:
        sign_in(page, harness, address)
    for path in PAGES[address]:
        _visit(page, harness, path)
        _fits(page, path, "at 1280 px")
        assert_no_violation(page, path)
        # The same page narrowed to a phone's width, as WCAG's reflow criterion checks it (a window made narrower),
        # rather than loaded a second time: ~20 % of this test's time.
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(REFLOW_MS)
        _fits(page, path, "at 320 px")
        page.set_viewport_size(DESKTOP)
    with _zoomed_tab(page) as zoomed:
        for path in PAGES[address]:
            _visit(zoomed, harness, path, settle_ms=600)
            _fits(zoomed, path, "at 200 % zoom")
        if address:
            expect(zoomed.locator("#menu-button")).to_be_visible()  # the side menu folds


def _expect_tied(page: Page, field: str, message_id: str) -> None:
    """The field is marked invalid and described by the visible error message."""
    expect(page.locator(field)).to_have_attribute("aria-invalid", "true")
    expect(page.locator(field)).to_have_attribute("aria-describedby", message_id)
    expect(page.locator(f"#{message_id}")).to_be_visible()
    assert page.evaluate("id => !!document.getElementById(id).closest('[role=alert]')", message_id), \
        f"#{message_id} is announced (in a role=alert region)"


def test_errors_are_tied_to_their_fields_and_pages_pass_axe_with_errors_shown(page: Page, harness, tmp_path):
    # Sign-in: an address the browser accepts but the service refuses.
    page.goto(url(harness, "/connexion"))
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "false")
    page.fill("#email", "prenom.nom@chu")
    page.click("#send-link")
    _expect_tied(page, "#email", "sign-in-error")
    assert_no_violation(page, "sign-in with an error")

    sign_in(page, harness, "ars@demo.siimop.fr")
    # Campaigns: the faulty field only (a refused campaign writes nothing).
    _visit(page, harness, "/gestionnaire/campagnes")
    page.fill("#campaign-name", "Campagne accessible")
    page.fill("#campaign-shift", "200")
    page.click("#campaign-create")
    _expect_tied(page, "#campaign-shift", "campaigns-error")
    expect(page.locator("#campaign-name")).to_have_attribute("aria-invalid", "false")
    expect(page.locator("#campaign-name")).to_have_value("Campagne accessible")  # kept, to be corrected
    assert_no_violation(page, "campaigns with an error")
    # Imports: a file with errors (nothing is written by a preview); the drop zone's input is tied to them.
    with imported_students_removed_after():
        _visit(page, harness, "/gestionnaire/imports")
        bad = tmp_path / "etudiants_erreurs.csv"
        bad.write_bytes(csv_bytes("students", [*ROWS, student(9003, ine="12AB")]))
        page.locator("#import-upload input[type=file]").set_input_files(str(bad))
        expect(page.locator("#import-errors-title")).to_contain_text("erreur(s)")
        _expect_tied(page, "#import-upload input[type=file]", "import-errors-title")
        assert_no_violation(page, "imports with errors")
    # The people page with a person open.
    _visit(page, harness, "/gestionnaire/personnes")
    page.fill("#people-query", "etudiant")
    page.click("#people-search")
    page.get_by_role("button", name="Ouvrir").first.click()
    expect(page.locator("#people-grants")).to_be_visible()
    assert_no_violation(page, "people with a person open")

    # Support: an address the browser accepts but the service refuses (nothing is recorded).
    _visit(page, harness, "/assistance")
    page.fill("#ticket_email", "prenom.nom@chu")
    for choice in ("#requester_status", "#problem_type"):
        page.click(choice)
        page.get_by_role("option").first.click()
    page.fill("#subject", "Je ne reçois pas le lien")
    page.fill("#description", "Rien dans ma boîte de réception.")
    page.click("#create-ticket")
    _expect_tied(page, "#ticket_email", "ticket-error")
    expect(page.locator("#subject")).to_have_attribute("aria-invalid", "false")
    assert_no_violation(page, "support form with an error")

    sign_in(page, harness, "etudiant@demo.siimop.fr")
    _visit(page, harness, "/profil")
    page.fill("#new-email", "prenom.nom@perso")
    page.click("#add-email")
    _expect_tied(page, "#new-email", "profile-error")
    expect(page.locator("#new-email")).to_have_value("prenom.nom@perso")
    assert_no_violation(page, "profile with an error")
    _visit(page, harness, "/etudiant/voeux")
    page.fill("#filter-search", "aucun poste ne porte ce texte")
    page.keyboard.press("Enter")
    expect(page.locator("#wishes-empty")).to_be_visible()
    assert_no_violation(page, "wishes, none found")


@pytest.fixture
def ticket() -> Iterator[int]:
    """A ticket from the demo student (removed after: the support tests start from an empty inbox)."""
    with transaction() as session:
        user_id = session.exec(select(UserEmail.user_id).where(UserEmail.email == "etudiant@demo.siimop.fr")).one()
    opened = support.open_ticket(
        user_id=user_id, full_name="Étudiant Démo", email="etudiant@demo.siimop.fr",
        requester_status=support.REQUESTER_STATUSES[0], university="", problem_type=support.PROBLEM_TYPES[0],
        subject="Je ne trouve pas mon poste", description="Bonjour, le poste n'apparaît pas dans ma liste.")
    yield opened.id
    with transaction() as session:
        session.execute(sa.delete(SupportMessage).where(SupportMessage.ticket_id == opened.id))
        session.execute(sa.delete(SupportTicket).where(SupportTicket.id == opened.id))


def test_dialogs_empty_tables_and_a_ticket_pass_axe(page: Page, harness, ticket):
    sign_in(page, harness, "admin@demo.siimop.fr")
    _visit(page, harness, f"/gestionnaire/tickets/{ticket}")
    expect(page.locator("#ticket-title")).to_contain_text("Je ne trouve pas mon poste")
    assert_no_violation(page, "a ticket's page")
    _visit(page, harness, "/gestionnaire/tickets")
    page.fill("#ticket-search", "aucun ticket ne porte ce texte")
    page.click("#ticket-search-submit")
    expect(page.locator("#tickets-empty")).to_be_visible()
    assert_no_violation(page, "tickets, none found")
    with round_one_results_today():  # the question is asked once the ranking phase is over
        _visit(page, harness, "/gestionnaire/tours")
        page.locator("#close-round-1").click()
        expect(page.locator("#confirm-text")).to_be_visible()
        page.wait_for_timeout(500)  # the dialog's opening animation
        assert_no_violation(page, "rounds, confirmation open")
        page.keyboard.press("Escape")
        expect(page.locator("#confirm-text")).to_have_count(0)
    _visit(page, harness, "/coordonnateur/postes")
    page.fill("#post-search", "aucun poste ne porte ce texte")
    page.keyboard.press("Enter")
    expect(page.locator("#posts-empty")).to_be_visible()
    assert_no_violation(page, "posts, none found")
    _visit(page, harness, "/coordonnateur/simulation")
    page.click("#run-dry-run")
    expect(page.locator("#dry-run-report")).to_be_visible(timeout=120_000)
    assert_no_violation(page, "simulation results")


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
