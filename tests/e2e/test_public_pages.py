"""Pages open to everyone — assistance, aide, an unknown address — speak French, stay in the app's shell
for a signed-in user, and always offer a way back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import SupportMessage, SupportTicket
from tests.e2e.conftest import sign_in, url

pytestmark = pytest.mark.e2e


def test_an_unknown_address_gets_a_french_page_with_a_way_back(page: Page, harness):
    page.goto(url(harness, "/cette-page-n-existe-pas"))
    expect(page.get_by_text("Page introuvable")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("404: Page not found")
    sign_in(page, harness, "coordo@demo.siimop.fr")
    page.goto(url(harness, "/coordonnateur/nulle-part"))
    expect(page.locator("h1")).to_have_text("Page introuvable")
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_visible()
    page.locator("#back-home").click()
    page.wait_for_url("**/coordonnateur")


def test_the_assistance_form_is_prefilled_in_the_shell_and_emptied_once_sent(page: Page, harness):
    sign_in(page, harness, "rts@demo.siimop.fr")
    page.locator("#assistance-link").click()
    page.wait_for_url("**/assistance")
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_visible()
    expect(page.locator("#full_name")).to_have_value("Isabelle FERNBACH")
    expect(page.locator("#ticket_email")).to_have_value("rts@demo.siimop.fr")
    expect(page.locator("#requester_status")).to_have_text("— Sélectionner —")
    expect(page.locator("#problem_type")).to_have_text("— Sélectionner —")
    page.locator("#requester_status").click()
    page.get_by_role("option", name="Praticien hospitalier ou libéral").click()
    page.locator("#problem_type").click()
    page.get_by_role("option", name="Classement des candidatures").click()
    page.locator("#subject").fill("Un candidat manque")
    page.locator("#description").fill("Un étudiant de ma subdivision n'apparaît pas dans mes candidatures.")
    page.locator("#create-ticket").click()
    expect(page.locator("#ticket-created")).to_contain_text("Votre ticket n°")
    expect(page.locator("#subject")).to_have_value("")
    expect(page.locator("#description")).to_have_value("")
    expect(page.locator("#requester_status")).to_have_text("— Sélectionner —")
    expect(page.locator("#full_name")).to_have_value("Isabelle FERNBACH")
    with transaction() as session:
        ticket = session.exec(select(SupportTicket).order_by(SupportTicket.id.desc())).first()
        assert ticket.subject == "Un candidat manque" and ticket.email == "rts@demo.siimop.fr"
        # The support tests count the tickets of this subdivision: leave none behind.
        session.execute(sa.delete(SupportMessage).where(SupportMessage.ticket_id == ticket.id))
        session.delete(ticket)


def test_signed_out_the_help_and_assistance_pages_need_no_account(page: Page, harness):
    page.goto(url(harness, "/aide"))
    expect(page.locator("#help-topic")).to_contain_text("Conditions générales d'utilisation")
    page.goto(url(harness, "/assistance"))
    expect(page.locator("#full_name")).to_have_value("")
    expect(page.locator("#create-ticket")).to_be_visible()
