"""The dry run in the browser: a coordinator sees what round 1 would give in their scope; a manager reminds the
people who stand in the way, after a confirmation. Nothing is assigned; the reminders are removed afterwards."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Assignment, Reminder
from tests.e2e.conftest import sign_in, url

pytestmark = pytest.mark.e2e


def test_a_coordinator_sees_the_projection_of_their_scope(page, harness):
    sign_in(page, harness, "coordo@demo.siimop.fr")
    page.get_by_role("link", name="Simulation du tour").click()
    page.wait_for_url("**/coordonnateur/simulation")
    expect(page.locator("#dry-run-round")).to_contain_text("Tour 1, période de classement ouverte")
    expect(page.locator("#send-reminders")).to_have_count(0)
    page.locator("#run-dry-run").click()
    expect(page.locator("#dry-run-heading")).to_contain_text("Simulation du tour 1 faite le", timeout=120_000)
    expect(page.locator("#dry-run-figures")).to_contain_text(re.compile(r"\d+/\d+ \(\d+%\)"))
    expect(page.locator("#fix-rankings-sentence")).to_contain_text(
        re.compile(r"\d+ étudiant\(s\) de plus seraient affecté\(s\) si les \d+ classements non valides"))
    expect(page.locator("#rate-by-specialty")).to_contain_text("MÉDECINE D'URGENCE")
    expect(page.locator("#rate-by-subdivision")).to_contain_text("SUBDI AMIENS")
    expect(page.locator("#unplaced-students tbody tr").first).to_be_visible()
    expect(page.locator("#empty-posts")).to_contain_text("Classement")
    with transaction() as session:
        assert session.exec(select(sa.func.count()).select_from(Assignment)).one() == 0


def test_a_manager_sends_the_reminders_after_confirming(page, harness):
    try:
        sign_in(page, harness, "ars@demo.siimop.fr")
        page.goto(url(harness, "/coordonnateur/simulation"))
        page.locator("#run-dry-run").click()
        expect(page.locator("#fix-rankings")).to_contain_text("Isabelle FERNBACH", timeout=120_000)
        page.locator("#send-reminders").click()
        expect(page.locator("#confirm-text")).to_contain_text("dont le classement est non valide ou manquant")
        page.locator("#confirm-yes").click()
        expect(page.locator("#dry-run-message")).to_contain_text(re.compile(r"Rappels envoyés : [1-9]\d* responsable"))
        page.locator("#send-reminders").click()
        page.locator("#confirm-yes").click()
        expect(page.locator("#dry-run-message")).to_contain_text("Rappels envoyés : 0 responsable(s)")
    finally:
        with transaction() as session:
            session.execute(sa.delete(Reminder))


def test_students_and_supervisors_are_sent_away(page, harness):
    sign_in(page, harness, "rts2@demo.siimop.fr")
    page.goto(url(harness, "/coordonnateur/simulation"))
    page.wait_for_url(re.compile(r".*/rts/postes$"))
    expect(page.locator("#run-dry-run")).to_have_count(0)
