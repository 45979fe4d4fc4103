"""Mes postes → Détail du terrain de stage: the demo RTS opens a card, reads the detail, and (during the posts
phase) writes a description and uploads a descriptive PDF served by the authenticated file route."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from siimop_app.db import transaction
from siimop_app.models import Document, Phase, PostSupervisor, Site, UserEmail
from siimop_app.services import documents
from siimop_app.services.calendar import now
from tests.e2e.conftest import path_of, sign_in, url
from tests.services.test_documents_and_post_detail import tiny_pdf

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(os.environ.get("SIIMOP_SCREENSHOTS_DIR", "/tmp/siimop-screenshots"))
COUPLE_SITE = "ACCUEIL DES URGENCES ET SMUR"


@contextlib.contextmanager
def posts_phase_open():
    """Pin the "posts" phases around today (the e2e demo runs in the ranking phase); restore them after."""
    today = now().date()
    with transaction() as session:
        saved = {p.id: (p.starts_on, p.ends_on) for p in session.exec(sa.select(Phase).where(Phase.kind == "posts")).scalars()}
        for phase in session.exec(sa.select(Phase).where(Phase.kind == "posts")).scalars():
            phase.starts_on, phase.ends_on = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    try:
        yield
    finally:
        with transaction() as session:
            for phase_id, (starts_on, ends_on) in saved.items():
                phase = session.get(Phase, phase_id)
                phase.starts_on, phase.ends_on = starts_on, ends_on


def _reset_couple_site() -> None:
    with transaction() as session:
        for site in session.exec(sa.select(Site).where(Site.name == COUPLE_SITE, Site.descriptive_document_id.is_not(None))).scalars():
            document = session.get(Document, site.descriptive_document_id)
            site.descriptive_document_id = None
            session.flush()
            if document is not None:
                documents.delete_file_after_commit(session, document)
                session.delete(document)
        for site in session.exec(sa.select(Site).where(Site.name == COUPLE_SITE)).scalars():
            site.description = ""


def _open_couple_post(page, harness) -> str:
    sign_in(page, harness, "rts@demo.siimop.fr")
    page.wait_for_url("**/rts/postes")
    page.locator(".post-card-link", has_text="Couplé : Accès référent").click()
    page.wait_for_url("**/rts/postes/*")
    expect(page.locator("#post-detail")).to_be_visible()
    return path_of(page)


def test_the_rts_opens_a_card_and_reads_the_detail_outside_the_posts_phase(page, harness):
    path = _open_couple_post(page, harness)
    expect(page.get_by_role("heading", level=1)).to_have_text("Détail du terrain de stage")
    expect(page.locator("#back-to-posts")).to_contain_text("← Isabelle FERNBACH - ")
    expect(page.locator("#detail-supervisor")).to_contain_text("Isabelle FERNBACH")
    expect(page.locator("#detail-option")).to_contain_text("Pas d'option")
    expect(page.locator("#descriptive-file-name")).to_have_text("Aucun fichier descriptif n'a été téléchargé")
    expect(page.locator("#other-supervisor")).to_contain_text("Carole BARTHELEMY")
    expect(page.locator("#read-only-note")).to_contain_text("période de vérification des postes est fermée")
    expect(page.locator("#edit-description")).to_have_count(0)
    expect(page.locator("#upload-file-link")).to_have_count(0)
    expect(page.get_by_role("link", name="Demande de correction via le support")).to_have_attribute("href", "/assistance")
    page.locator("#back-to-posts").click()
    page.wait_for_url("**/rts/postes")

    # A supervisor typing the address of a post that is not theirs gets a French refusal and no data.
    with transaction() as session:
        foreign = session.exec(
            sa.select(PostSupervisor.post_id).where(PostSupervisor.user_id != session.exec(
                sa.select(UserEmail.user_id).where(UserEmail.email == "rts2@demo.siimop.fr")).scalar_one())
        ).scalars().first()
    page.context.clear_cookies()
    sign_in(page, harness, "rts2@demo.siimop.fr")
    page.goto(url(harness, f"/rts/postes/{foreign}"))
    expect(page.locator("#post-detail-error")).to_have_text("Ce poste ne fait pas partie de vos postes.")
    expect(page.locator("#post-detail")).to_have_count(0)
    page.goto(url(harness, path))  # the couplé post is also rts2's (not référent): read only
    expect(page.locator("#post-detail")).to_be_visible()
    expect(page.locator("#edit-description")).to_have_count(0)


def test_the_referent_writes_a_description_and_uploads_a_descriptive_pdf(page, harness, tmp_path):
    _reset_couple_site()
    with posts_phase_open():
        try:
            _open_couple_post(page, harness)
            expect(page.locator("#read-only-note")).to_have_count(0)

            page.locator("#edit-description").click()
            page.fill("#description-input", "Urgences adultes et SMUR : 40 000 passages par an, une garde par semaine.")
            page.click("#save-description")
            expect(page.locator("#post-detail-notice")).to_have_text("La description a été mise à jour.")
            expect(page.locator("#description-text")).to_contain_text("40 000 passages")

            file_input = page.locator("#descriptive-file-upload input[type=file]")
            fake = tmp_path / "fiche.pdf"
            fake.write_bytes(b"Ceci n'est pas un PDF.")
            file_input.set_input_files(str(fake))
            expect(page.locator("#post-detail-error")).to_have_text(documents.NOT_A_PDF)

            big = tmp_path / "gros.pdf"
            big.write_bytes(b"%PDF-1.4\n" + b"0" * (documents.MAX_PDF_BYTES + 1) + b"\n%%EOF\n")
            file_input.set_input_files(str(big))
            expect(page.locator("#post-detail-error")).to_have_text(documents.TOO_LARGE)
            expect(page.locator("#descriptive-file-name")).to_have_text("Aucun fichier descriptif n'a été téléchargé")

            good = tmp_path / "Présentation du service.pdf"
            good.write_bytes(tiny_pdf("Urgences de Clermont"))
            file_input.set_input_files(str(good))
            expect(page.locator("#post-detail-notice")).to_have_text("Le fichier descriptif a été enregistré.")
            expect(page.locator("#post-detail-error")).to_have_count(0)
            expect(page.locator("#descriptive-file-name")).to_have_text("Présentation du service.pdf")

            # The links point at the backend's authenticated route; the browser's session cookie opens them.
            href = page.locator("#download-file").get_attribute("href")
            assert "/files/documents/" in href and not href.startswith("/")
            response = page.request.get(href)
            assert response.status == 200 and response.body() == tiny_pdf("Urgences de Clermont")
            assert response.headers["content-type"] == "application/pdf"
            assert response.headers["content-disposition"].startswith("attachment;")
            preview = page.request.get(page.locator("#preview-file").get_attribute("href"))
            assert preview.status == 200 and preview.headers["content-disposition"].startswith("inline;")
            assert "filename*=UTF-8''Pr%C3%A9sentation%20du%20service.pdf" in response.headers["content-disposition"]
            expect(page.locator("#download-file")).to_have_attribute("target", "_blank")
            # Without the cookie (another browser), the same address answers 404.
            anonymous = page.context.browser.new_context()
            assert anonymous.request.get(href).status == 404
            anonymous.close()

            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "post_detail.png"), full_page=True)

            page.locator("#remove-file").click()
            expect(page.locator("#post-detail-notice")).to_have_text("Le fichier descriptif a été supprimé.")
            expect(page.locator("#descriptive-file-name")).to_have_text("Aucun fichier descriptif n'a été téléchargé")
            assert page.request.get(href).status == 404
        finally:
            _reset_couple_site()
