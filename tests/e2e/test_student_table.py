"""Gestion des étudiants in a real browser: the demo coordinator filters, watches the statistics, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Specialty, Student, Subdivision, User
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("SIIMOP_SCREENSHOTS", "")


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=name != "students_detail.png")


def _table_ines(page: Page) -> list[str]:
    return page.locator("#students-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.querySelectorAll('td')[6].textContent.trim())")


def _stat(page: Page, label: str) -> str:
    tile = page.locator("#student-statistics .stat-tile").filter(has_text=label)
    return tile.locator(".stat-value").inner_text().strip()


def _choose(page: Page, select_id: str, option: str) -> None:
    page.click(f"#{select_id}")
    page.get_by_role("option", name=option, exact=True).click()


def test_coordinator_filters_watches_statistics_and_exports(page: Page, harness, tmp_path):
    sign_in(page, harness, "coordo@demo.siimop.fr")
    page.wait_for_url("**/coordonnateur")
    expect(page.locator("#scope-figures")).to_contain_text("Étudiants connectés")
    expect(page.locator("#students-pager")).to_contain_text("Page 1 / 1")
    rows = page.locator("#students-table tbody tr")
    expect(rows.first).to_be_visible()
    everyone = rows.count()
    assert everyone > 5
    expect(page.locator("#student-statistics")).to_contain_text(f"/{everyone} (")
    _shot(page, "students_table.png")

    # Filtering narrows the table and the statistics follow.
    _choose(page, "filter-participation", "Participe")
    expect(page.locator("#students-pager")).not_to_contain_text(f"· {everyone} ")
    participating = rows.count()
    assert 0 < participating < everyone
    expect(page.locator("#student-statistics")).to_contain_text(f"{participating}/{participating} (100%)")

    # Live: a student of the area signs in; the figure moves without a reload (refresh every ~10 s).
    before = _stat(page, "Étudiants connectés")
    with transaction() as session:
        user = session.exec(
            select(User).join(Student, Student.user_id == User.id)
            .join(Subdivision, Subdivision.id == Student.subdivision_id)
            .join(Specialty, Specialty.id == Student.specialty_id)
            .where(Subdivision.code == "AMIENS", Specialty.code == "MED-URG", Student.participating,
                   User.last_login_at.is_(None))
        ).first()
        assert user is not None
        user.last_login_at = dt.datetime.now(dt.UTC)
        session.add(user)
    expect(page.locator("#student-statistics")).not_to_contain_text(before, timeout=25_000)

    # The exports hold exactly the rows of the filtered table, in its order; the page keeps its event socket
    # (a download from the backend's origin must not count as leaving the page: assets/downloads.js).
    sockets_opened = []
    page.on("websocket", lambda socket: sockets_opened.append(socket.url))
    shown = _table_ines(page)
    with page.expect_download() as csv_download:
        page.click("#export-csv")
    text = Path(csv_download.value.path()).read_bytes().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert table[0][:3] == ["Nom", "Prénom", "Email"] and [row[6] for row in table[1:]] == shown
    assert csv_download.value.suggested_filename.endswith(".csv")
    with page.expect_download() as xlsx_download:
        page.click("#export-xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes())).active
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    assert [row[6] for row in list(sheet.iter_rows(values_only=True))[1:]] == shown

    # A row's "Voir" opens the student's wishes.
    page.locator("#students-table tbody tr").first.get_by_role("button", name="Voir").click()
    dialog = page.locator("#student-detail")
    expect(dialog).to_contain_text("Détail des choix du Docteur Junior")
    expect(dialog).to_contain_text("Tour 1")
    assert sockets_opened == [], "an export closed the page's event socket: the next click reconnected and reloaded"
    _shot(page, "students_detail.png")
    # The dialog's open animation can keep Playwright's "stable" check failing for a while, and on a loaded machine
    # its content was seen re-attached for a minute (CI, twice; not reproduced under CPU stress alone): the click
    # itself is what is tested, so it is dispatched to the button as it is now rather than waiting for it to settle.
    page.locator("#close-detail").dispatch_event("click")
    expect(dialog).to_have_count(0)

    # "Effacer les filtres" empties the text box too, not only the lists.
    page.fill("#student-search", "ZZZ-PERSONNE")
    page.click("#student-search-submit")
    expect(rows).to_have_count(0)
    page.click("#student-search-reset")
    expect(page.locator("#student-search")).to_have_value("")
    expect(page.locator("#students-pager")).to_contain_text(f"· {everyone} ")


def test_manager_reaches_the_table_from_the_menu_and_pages(page: Page, harness):
    sign_in(page, harness, "ars@demo.siimop.fr")
    page.wait_for_url("**/gestionnaire")
    page.locator("#phase-menu").get_by_role("link", name="Gestion des étudiants").click()
    page.wait_for_url("**/coordonnateur")
    pager = page.locator("#students-pager")
    expect(pager).to_contain_text("Page 1 / 4")
    page.click("#students-pager-next")
    expect(pager).to_contain_text("Page 2 / 4")
    page.click("#sort-ine")
    expect(page.locator("#sort-ine").locator("xpath=..")).to_have_attribute("aria-sort", "ascending")
    expect(pager).to_contain_text("Page 1 / 4")
    ines = _table_ines(page)
    assert ines == sorted(ines)
    page.fill("#student-search", ines[0])
    page.click("#student-search-submit")
    expect(pager).to_contain_text("1 étudiant(s)")
    _shot(page, "students_manager.png")
