"""Résultats in a real browser: round 1 closed and published, the coordinator reaches the table, filters, exports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Round
from siimop_app.services import rounds
from tests.e2e.conftest import sign_in
from tests.e2e.test_campaign import round_one_results_today

pytestmark = pytest.mark.e2e
INE = 7  # the "Numéro INE" column


def _table_ines(page: Page) -> list[str]:
    return page.locator("#results-table tbody tr").evaluate_all(
        f"rows => rows.map(r => r.querySelectorAll('td')[{INE}].textContent.trim())")


def _choose(page: Page, select_id: str, option: str) -> None:
    page.click(f"#{select_id}")
    page.get_by_role("option", name=option, exact=True).click()


def test_coordinator_sees_published_results_filters_and_exports(page: Page, harness):
    with round_one_results_today():
        with transaction() as session:
            round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
        assert rounds.close_round(round_id=round_id, actor_user_id=None).students_placed > 0

        sign_in(page, harness, "coordo@demo.siimop.fr")
        page.wait_for_url("**/coordonnateur")
        page.locator("#phase-menu").get_by_role("link", name="Résultats").click()
        page.wait_for_url("**/coordonnateur/resultats")
        rows = page.locator("#results-table tbody tr")
        expect(rows.first).to_be_visible()
        everyone = rows.count()
        assert everyone > 3
        expect(page.locator("#result-statistics")).to_contain_text(f"{everyone}/")
        expect(rows.first).to_contain_text("Tour 1")

        # The exports hold exactly the rows of the table, in its order.
        page.click("#sort-ine")
        expect(page.locator("#sort-ine").locator("xpath=..")).to_have_attribute("aria-sort", "ascending")
        shown = _table_ines(page)
        assert shown == sorted(shown) and len(shown) == everyone
        with page.expect_download() as csv_download:
            page.click("#export-csv")
        text = Path(csv_download.value.path()).read_bytes().decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(text), delimiter=";"))
        assert table[0][:2] == ["Vague", "Tour"] and [row[INE] for row in table[1:]] == shown
        with page.expect_download() as xlsx_download:
            page.click("#export-xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes())).active
        assert [row[INE] for row in list(sheet.iter_rows(values_only=True))[1:]] == shown

        # Filtering narrows the table; no manual assignment in round 1.
        page.fill("#result-search", shown[0])
        page.click("#result-search-submit")
        expect(page.locator("#results-pager")).to_contain_text("1 affectation(s)")
        _choose(page, "filter-method", "Manuel")
        expect(page.locator("#results-empty")).to_be_visible()
        page.click("#result-search-reset")
        expect(rows).to_have_count(everyone)
