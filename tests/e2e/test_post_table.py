"""Gestion des postes in the browser: the ARS manager filters the posts, ticks "Poste validé par l'ARS" and sees
"Derniers changements" update; the coordinator opens a post of their scope but not one outside it by URL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from siimop_app.db import transaction
from siimop_app.models import Post, Region, Site, Specialty, Subdivision
from tests.e2e.conftest import sign_in, url

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(os.environ.get("SIIMOP_SCREENSHOTS_DIR", "/tmp/siimop-screenshots"))


def _unvalidated_post_in_region() -> tuple[int, str]:
    with transaction() as session:
        return tuple(session.exec(
            sa.select(Post.id, Site.approval_number).join(Site, Site.id == Post.site_id)
            .join(Subdivision, Subdivision.id == Post.subdivision_id).join(Region, Region.id == Subdivision.region_id)
            .where(Region.name == "Hauts-de-France", Post.validated_by_ars.is_(False)).order_by(Post.id)
        ).first())


def _post(subdivision: str, specialty_code: str | None = None) -> int:
    with transaction() as session:
        query = (sa.select(Post.id).join(Subdivision, Subdivision.id == Post.subdivision_id)
                 .join(Specialty, Specialty.id == Post.calling_specialty_id).where(Subdivision.label == subdivision))
        if specialty_code:
            query = query.where(Specialty.code == specialty_code)
        return session.exec(query.order_by(Post.id)).first()[0]


def test_the_manager_filters_and_validates_a_post(page, harness):
    post_id, approval = _unvalidated_post_in_region()
    sign_in(page, harness, "ars@demo.siimop.fr")
    page.get_by_role("link", name="Gestion des postes").first.click()
    page.wait_for_url("**/coordonnateur/postes")
    expect(page.locator("#post-statistics")).to_contain_text("Postes validés par l'ARS")
    expect(page.locator(".post-row").first).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "post-table-manager.png"), full_page=True)

    page.fill("#post-search", approval)
    page.click("#post-search-submit")
    row = page.locator(f"#post-row-{post_id}")
    expect(row).to_be_visible()
    expect(page.locator(".post-row")).to_have_count(1)
    expect(row.locator(".cell-last-change")).to_have_text("Aucun changement")
    checkbox = row.locator(".ars-checkbox")
    expect(checkbox).to_have_attribute("aria-checked", "false")
    checkbox.click()
    expect(checkbox).to_have_attribute("aria-checked", "true")
    expect(row.locator(".cell-last-change")).to_contain_text("Arnaud MONIER le ")
    with transaction() as session:
        assert session.get(Post, post_id).validated_by_ars is True

    row.locator(".post-link").click()
    page.wait_for_url(f"**/coordonnateur/postes/{post_id}")
    expect(page.locator("#detail-last-change")).to_contain_text("Arnaud MONIER le ")
    expect(page.locator("#manager-tools")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "post-detail-manager.png"), full_page=True)

    page.go_back()
    page.wait_for_url("**/coordonnateur/postes")
    page.fill("#post-search", approval)
    page.click("#post-search-submit")
    expect(page.locator(".post-row")).to_have_count(1)
    page.get_by_role("button", name="Effacer les filtres").click()
    expect(page.locator("#post-search")).to_have_value("")
    expect(page.locator(".post-row").nth(1)).to_be_visible()


def test_the_coordinator_reads_a_post_of_the_scope_but_not_one_outside(page, harness):
    inside = _post("SUBDI AMIENS", "MED-URG")
    outside = _post("SUBDI LILLE")
    sign_in(page, harness, "coordo@demo.siimop.fr")
    page.goto(url(harness, "/coordonnateur/postes"))
    expect(page.locator(".post-row").first).to_be_visible()
    expect(page.locator(".ars-checkbox").first).to_be_disabled()
    page.screenshot(path=str(SCREENSHOTS / "post-table-coordinator.png"), full_page=True)

    page.goto(url(harness, f"/coordonnateur/postes/{inside}"))
    expect(page.locator("#post-name")).to_be_visible()
    expect(page.locator("#ranking-details")).to_contain_text("Nombre de candidatures")
    expect(page.locator("#manager-tools")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "post-detail-coordinator.png"), full_page=True)

    page.goto(url(harness, f"/coordonnateur/postes/{outside}"))
    expect(page.locator("#post-error")).to_have_text("Ce poste ne fait pas partie de votre périmètre.")
    expect(page.locator("#post-name")).to_have_count(0)
    expect(page.locator("#candidates-table")).to_have_count(0)
