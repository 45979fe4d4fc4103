"""Support end to end: someone who cannot sign in opens a ticket, confirms their address by the mailed link;
the manager of the subdivision (and no other) answers; the requester reads the answer and replies through
their link; the ticket is escalated and reaches an admin."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from siimop_app.db import transaction
from siimop_app.models import Region
from tests.e2e.conftest import TIMEOUT_MS, mails_until, sign_in, url
from tests.services.factories import make_user

pytestmark = pytest.mark.e2e

FOLLOW = re.compile(r"https?://\S+/assistance/suivi/\S+")
REQUESTER = "remi.perdu@gmail.example"


def _mail_to(address: str, at_least: int) -> list[str]:
    """The mails sent to ``address``, once there are ``at_least``."""
    def to_address(found):
        return [m for m in found if str(m["To"]) == address]

    return [m.get_body(("plain",)).get_content()
            for m in to_address(mails_until(lambda found: len(to_address(found)) >= at_least))]


def _choose(page: Page, trigger: str, option: str) -> None:
    page.locator(trigger).click()
    page.get_by_role("option", name=option, exact=True).click()


def _tab(browser, errors: list[str]) -> Page:
    """A tab of its own (another person), with the ``page`` fixture's patience and its console watch."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return opened


def _other_manager() -> str:
    with transaction() as session:
        region = Region(code="E2E-OTHER", name="Autre région")
        session.add(region)
        session.flush()
        region_id = region.id
    make_user("ars-ailleurs@ars.example", "manager", first="Paul", last="Ailleurs", region_id=region_id)
    return "ars-ailleurs@ars.example"


def test_a_ticket_from_someone_who_cannot_sign_in_is_answered_followed_and_escalated(browser, harness):
    errors: list[str] = []
    page = _tab(browser, errors)
    context = page.context

    # Signed out: from the sign-in page to the form.
    page.goto(url(harness, "/connexion"))
    page.get_by_text("En cas d'échec de connexion").click()
    page.wait_for_url("**/assistance")
    page.locator("#full_name").fill("Rémi Perdu")
    page.locator("#ticket_email").fill(REQUESTER)
    _choose(page, "#requester_status", "Étudiant / Docteur Junior")
    _choose(page, "#university", "SUBDI LILLE")
    _choose(page, "#problem_type", "Connexion")
    page.locator("#subject").fill("Je ne reçois aucun lien")
    page.locator("#description").fill("Mon adresse n'est peut-être pas la bonne dans SiiMOP.")
    page.locator("#create-ticket").click()
    expect(page.locator("#ticket-created")).to_contain_text("confirmer votre adresse")
    [receipt] = _mail_to(REQUESTER, 1)
    link_path = urlsplit(FOLLOW.findall(receipt)[0]).path
    ticket_number = re.search(r"ticket n° (\d+)", receipt).group(1)

    # Not confirmed yet: the manager does not see it.
    manager = _tab(browser, errors)
    sign_in(manager, harness, "ars@demo.siimop.fr")
    manager.get_by_role("link", name="Tickets d'assistance").click()
    manager.wait_for_url("**/gestionnaire/tickets")
    expect(manager.locator("#tickets-empty")).to_be_visible()

    # The requester confirms by opening the link.
    page.goto(url(harness, link_path))
    expect(page.locator("#ticket-title")).to_contain_text("Je ne reçois aucun lien")
    expect(page.locator("#ticket-status")).to_have_text("Nouveau")

    # The subdivision's manager sees it and answers.
    manager.reload()
    expect(manager.locator(".ticket-row")).to_have_count(1)
    expect(manager.locator("#ticket-statistics")).to_contain_text("1/1 (100%)")
    manager.locator(".ticket-link").click()
    manager.wait_for_url(f"**/gestionnaire/tickets/{ticket_number}")
    manager.locator("#staff-note").fill("Adresse absente de l'import de la faculté.")
    manager.locator("#staff-note-send").click()
    expect(manager.locator("#ticket-action-notice")).to_have_text("La note interne a été ajoutée.")
    manager.locator("#staff-reply").fill("Votre adresse est corrigée : demandez un nouveau lien.")
    manager.locator("#staff-reply-send").click()
    expect(manager.locator("#ticket-status")).to_have_text("En attente de l'utilisateur")

    # Another region's manager does not see it, even by its address.
    other = _tab(browser, errors)
    sign_in(other, harness, _other_manager())
    other.goto(url(harness, "/gestionnaire/tickets"))
    expect(other.locator("#tickets-empty")).to_be_visible()
    other.goto(url(harness, f"/gestionnaire/tickets/{ticket_number}"))
    expect(other.locator("#ticket-action-error")).to_have_text("Ticket introuvable.")
    other.context.close()

    # The requester receives the answer by e-mail, reads the thread (without the note) and replies.
    assert "Votre adresse est corrigée" in _mail_to(REQUESTER, 2)[-1]
    page.goto(url(harness, link_path))
    expect(page.locator("#ticket-thread")).to_contain_text("Votre adresse est corrigée")
    expect(page.locator("#ticket-thread")).not_to_contain_text("import de la faculté")
    page.locator("#requester-reply").fill("Merci, le lien est arrivé.")
    page.locator("#requester-reply-send").click()
    expect(page.locator("#ticket-thread")).to_contain_text("Merci, le lien est arrivé.")
    expect(page.locator("#ticket-status")).to_have_text("En cours")

    # Escalation reaches the platform team.
    manager.reload()
    manager.locator("#escalate-ticket").click()
    expect(manager.locator("#ticket-escalated")).to_be_visible()
    manager.context.close()
    admin = _tab(browser, errors)
    sign_in(admin, harness, "admin@demo.siimop.fr")
    admin.goto(url(harness, "/gestionnaire/tickets"))
    admin.locator("#filter-escalated").click()
    admin.get_by_role("option", name="Oui", exact=True).click()
    expect(admin.locator(".ticket-row")).to_have_count(1)
    expect(admin.locator(".ticket-row")).to_contain_text("Je ne reçois aucun lien")
    admin.context.close()
    context.close()
    assert not errors, errors


def test_contextual_help_differs_by_page_and_is_searchable(page: Page, harness):
    sign_in(page, harness, "rts@demo.siimop.fr")
    page.goto(url(harness, "/rts/classement"))
    page.locator("#help-link").click()
    expect(page).to_have_url(re.compile(r"/aide\?page=/rts/classement$"))
    expect(page.locator("#help-title")).to_have_text("Classement des candidatures")
    expect(page.locator("#help-topic")).to_contain_text("Il ne doit pas rester de candidatures non-classées")
    page.goto(url(harness, "/rts/postes"))
    page.locator("#help-link").click()
    expect(page.locator("#help-title")).to_have_text("Mes postes (responsables de terrain de stage)")
    page.locator("#help-search").fill("voeux suffisante")
    page.locator("#help-search-submit").click()
    page.locator("#help-results").get_by_role("button", name="Mes vœux (étudiants)").click()
    expect(page.locator("#help-topic")).to_contain_text("Une liste insuffisante est exclue du tour")
    page.get_by_role("link", name="CGU").click()
    expect(page.locator("#help-title")).to_have_text("Conditions générales d'utilisation")
