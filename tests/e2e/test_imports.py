"""The back office in Chromium: a manager downloads the template, uploads a file with errors (nothing
written, every error listed), then a good one, applies it, and finds it in the history. The database is
put back afterwards."""

from __future__ import annotations

import contextlib
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import AuditEntry, ImportBatch, RoleGrant, Student, User, UserEmail
from tests.e2e.conftest import sign_in
from tests.services.import_files import csv_bytes, student

pytestmark = pytest.mark.e2e

ROWS = [student(9001, subdivision="SUBDI AMIENS"), student(9002, subdivision="Lille", specialty="Pédiatrie")]


@contextlib.contextmanager
def imported_students_removed_after():
    try:
        yield
    finally:
        with transaction() as session:
            emails = [r["email"] for r in ROWS]
            user_ids = session.exec(select(UserEmail.user_id).where(UserEmail.email.in_(emails))).all()
            session.execute(sa.delete(Student).where(Student.user_id.in_(user_ids)))
            session.execute(sa.delete(RoleGrant).where(RoleGrant.user_id.in_(user_ids)))
            session.execute(sa.delete(UserEmail).where(UserEmail.user_id.in_(user_ids)))
            session.execute(sa.delete(AuditEntry).where(AuditEntry.action.like("import.%")))
            session.execute(sa.delete(User).where(User.id.in_(user_ids)))
            session.execute(sa.delete(ImportBatch))


def test_a_manager_imports_students_from_the_browser(page, harness, tmp_path):
    with imported_students_removed_after():
        sign_in(page, harness, "ars@demo.siimop.fr")
        page.get_by_role("link", name="Importer des données").click()
        page.wait_for_url("**/gestionnaire/imports")
        expect(page.locator("#template-students")).to_have_attribute(
            "href", re.compile(r"/files/imports/modeles/students\.xlsx$"))
        with page.expect_download() as download:
            page.locator("#template-students").click()
        assert download.value.suggested_filename == "modele_import_etudiants.xlsx"

        upload = page.locator("#import-upload input[type=file]")
        bad = tmp_path / "etudiants_erreurs.csv"
        bad.write_bytes(csv_bytes("students", [*ROWS, student(9003, ine="12AB", subdivision="SUBDI TOURS")],
                                  encoding="cp1252"))
        upload.set_input_files(str(bad))
        expect(page.locator("#import-errors-title")).to_contain_text("2 erreur(s) : rien ne sera enregistré")
        expect(page.locator("#import-errors")).to_contain_text(
            "ligne 4, colonne « INE » : « 12AB » n'est pas un numéro INE valide")
        expect(page.locator("#import-errors")).to_contain_text(
            "ligne 4, colonne « Subdivision » : cette subdivision n'est pas dans votre périmètre")
        expect(page.locator("#import-apply")).to_have_count(0)

        good = tmp_path / "etudiants.csv"
        good.write_bytes(csv_bytes("students", ROWS, bom=True))
        upload.set_input_files(str(good))
        expect(page.locator("#import-count-new")).to_contain_text("2")
        with transaction() as session:
            assert session.exec(select(Student).where(Student.ine == ROWS[0]["ine"])).first() is None
        page.locator("#import-apply").click()
        expect(page.locator("#import-receipt")).to_contain_text("appliqué : etudiants.csv")
        expect(page.locator("#import-receipt")).to_contain_text("2 nouvelle(s)")
        with transaction() as session:
            assert session.exec(select(Student).where(Student.ine == ROWS[1]["ine"])).one().participating

        page.get_by_role("link", name="Historique des imports").first.click()
        page.wait_for_url("**/gestionnaire/imports/historique")
        expect(page.locator(".import-batch").first).to_contain_text("etudiants.csv")
        expect(page.locator(".import-batch").first).to_contain_text("Arnaud MONIER")


def test_a_manager_finds_a_person_and_sees_their_roles_and_history(page, harness):
    sign_in(page, harness, "ars@demo.siimop.fr")
    page.get_by_role("link", name="Personnes et rôles").click()
    page.wait_for_url("**/gestionnaire/personnes")
    page.fill("#people-query", "coordo@demo")
    page.click("#people-search")
    expect(page.locator("#people-results")).to_contain_text("MOREAU-THIBERGE Sophie")
    page.locator("#people-results").get_by_role("button", name="Ouvrir").click()
    expect(page.locator("#people-grants")).to_contain_text("Coordonnateur — SUBDI AMIENS, MÉDECINE D'URGENCE")
    page.select_option("#people-role", "supervisor")
    page.click("#people-grant")
    expect(page.locator("#people-message")).to_have_text("Le rôle a été attribué.")
    expect(page.locator("#people-history")).to_contain_text("Arnaud MONIER — grant.create")
    page.locator("#people-grants").get_by_role("button", name="Retirer").last.click()
    expect(page.locator("#people-message")).to_have_text("Le rôle a été retiré.")
    expect(page.locator("#people-grants li")).to_have_count(1)
