"""Gestion des responsables and des coordonnateurs in a real browser: reached from the menu, scoped, exported."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def _rows(page: Page, table_id: str, column: int) -> list[str]:
    return page.locator(f"#{table_id} tbody tr").evaluate_all(
        f"rows => rows.map(r => r.querySelectorAll('td')[{column}].textContent.trim())")


def _csv(page: Page, link_id: str) -> list[list[str]]:
    with page.expect_download() as download:
        page.locator(f"#{link_id}").click()
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    return list(csv.reader(text.splitlines(), delimiter=";"))


def test_the_coordinator_sees_their_supervisors_with_fill_rates_and_exports_them(page: Page, harness):
    sign_in(page, harness, "coordo@demo.siimop.fr")
    page.get_by_role("link", name="Gestion des responsables des terrains de stage").click()
    page.wait_for_url("**/coordonnateur/responsables")
    expect(page.locator("#supervisors-table tbody tr").first).to_be_visible()
    expect(page.locator("#supervisor-statistics")).to_contain_text("RTS connectés")
    expect(page.locator("#fill-by-specialty-table")).to_contain_text("MÉDECINE D'URGENCE")
    emails = _rows(page, "supervisors-table", 2)
    assert "rts@demo.siimop.fr" in emails
    exported = _csv(page, "export-csv")
    assert sorted(row[2] for row in exported[1:]) == sorted(emails)


def test_the_coordinator_sees_the_coordinators_of_their_area(page: Page, harness):
    sign_in(page, harness, "coordo@demo.siimop.fr")
    page.get_by_role("link", name="Gestion des coordonnateurs").click()
    page.wait_for_url("**/coordonnateur/coordonnateurs")
    expect(page.locator("#coordinators-table tbody tr").first).to_be_visible()
    table = page.locator("#coordinators-table")
    expect(table).to_contain_text("coordo@demo.siimop.fr")
    expect(table).not_to_contain_text("SUBDI LILLE")
    exported = _csv(page, "export-csv")
    assert len(exported) - 1 == page.locator("#coordinators-table tbody tr").count()
