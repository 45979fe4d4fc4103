"""Issue 12 in the browser: the ARS manager corrects one post from its detail page with the posts import's
checks (every error listed under the form, what was typed kept), then a valid correction is saved and shown."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from siimop_app.db import transaction
from siimop_app.models import Post, Subdivision
from tests.e2e.conftest import sign_in, url
from tests.e2e.test_accessibility import _expect_tied, assert_no_violation

pytestmark = pytest.mark.e2e


def test_the_manager_corrects_a_post_from_its_detail_page(page, harness):
    with transaction() as session:
        post_id = session.exec(sa.select(Post.id).join(Subdivision, Subdivision.id == Post.subdivision_id)
                               .where(Subdivision.label == "SUBDI AMIENS").order_by(Post.id.desc())).first()[0]
    sign_in(page, harness, "ars@demo.siimop.fr")
    page.goto(url(harness, f"/coordonnateur/postes/{post_id}"))
    expect(page.locator("#manager-tools")).to_be_visible()
    page.get_by_text("Corriger le poste").click()
    expect(page.locator("#correct-post-subdivision")).to_have_value("SUBDI AMIENS")
    expect(page.locator("#correct-post-post_number")).to_have_attribute("readonly", "")

    page.fill("#correct-post-subdivision", "SUBDI AMIEN")
    page.fill("#correct-post-indication", "Gardes le week-end")
    page.click("#correct-post-save")
    expect(page.locator("#correct-post-errors")).to_contain_text("vouliez-vous dire « SUBDI AMIENS » ?")
    expect(page.locator("#correct-post-indication")).to_have_value("Gardes le week-end")  # kept
    _expect_tied(page, "#correct-post-subdivision", "correct-post-errors")  # the field names its error
    expect(page.locator("#correct-post-indication")).to_have_attribute("aria-invalid", "false")
    assert_no_violation(page, "post correction with an error")
    page.console_problems.clear()  # the refusal is answered by an error toast on purpose

    page.fill("#correct-post-subdivision", "SUBDI AMIENS")
    page.click("#correct-post-save")
    expect(page.get_by_text("Correction enregistrée")).to_be_visible()
    expect(page.locator("#correct-post-errors")).to_have_count(0)
    with transaction() as session:
        assert session.get(Post, post_id).indication == "Gardes le week-end"
