"""Every coordinator table exports what its screen shows: cell by cell, for each column the file has.

Round 1 is closed and published for the test, so the students, posts and results tables all hold
assignments. A cell reads as a user (or a screen reader) reads it: a checkbox as Oui/Non, an icon by its
label; the file may spell icons that way, never leave empty what the screen fills.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Round
from siimop_app.services import rounds
from tests.e2e.conftest import sign_in, url
from tests.e2e.test_campaign import round_one_results_today

pytestmark = pytest.mark.e2e

# (page, table id, CSV link id, {screen header: CSV headers shown together in that cell})
TABLES = (
    ("/coordonnateur", "students-table", "export-csv", {}),
    ("/coordonnateur/postes", "posts-table", "export-csv", {"RTS": ("RTS", "Email RTS")}),
    ("/coordonnateur/responsables", "supervisors-table", "export-csv", {}),
    ("/coordonnateur/resultats", "results-table", "export-csv", {}),
    ("/coordonnateur/coordonnateurs", "coordinators-table", "export-csv", {}),
)
READ_CELLS = """table => {
  const text = el => {
    const box = el.querySelector('[role=checkbox]');
    if (box) return box.getAttribute('aria-checked') === 'true' ? 'Oui' : 'Non';
    const labelled = el.querySelector('[aria-label]');
    if (labelled && !el.querySelector('a, button')) return labelled.getAttribute('aria-label');
    return el.innerText.split('\\n').map(s => s.trim()).filter(Boolean).join('\\n');
  };
  const headers = [...table.querySelectorAll('thead th')].map(th => th.innerText.replace(/[▲▼]/g, '').trim());
  return {headers, rows: [...table.querySelectorAll('tbody tr')].map(tr => [...tr.children].map(text))};
}"""


def _csv(page: Page, link_id: str) -> list[list[str]]:
    with page.expect_download() as download:
        page.locator(f"#{link_id}").click()
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    return list(csv.reader(text.splitlines(), delimiter=";"))


@pytest.fixture
def published():
    with round_one_results_today():
        with transaction() as session:
            round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
        assert rounds.close_round(round_id=round_id, actor_user_id=None).students_placed > 0
        yield


def test_every_table_exports_the_values_its_screen_shows(page: Page, harness, published):
    sign_in(page, harness, "coordo@demo.siimop.fr")
    compared = {}
    for path, table_id, link_id, combined in TABLES:
        page.goto(url(harness, path))
        expect(page.locator(f"#{table_id} tbody tr").first).to_be_visible()
        screen = page.locator(f"#{table_id}").evaluate(READ_CELLS)
        exported = _csv(page, link_id)
        header, lines = exported[0], exported[1:]
        assert len(lines) >= len(screen["rows"]) > 0, path
        columns = 0
        for index, title in enumerate(screen["headers"]):
            sources = combined.get(title, (title,) if title in header else ())
            if not sources:
                continue  # a screen-only column (e.g. the "Voir" button)
            columns += 1
            shown = [row[index] for row in screen["rows"]]
            in_file = ["\n".join(v for v in (line[header.index(s)] for s in sources) if v)
                       for line in lines[:len(shown)]]
            assert shown == in_file, f"{path}: column « {title} » differs between the screen and the export"
        compared[path] = columns
    # Every column of every file was compared with the screen (the posts' RTS e-mail within the RTS cell).
    assert compared == {"/coordonnateur": 13, "/coordonnateur/postes": 18, "/coordonnateur/responsables": 10,
                        "/coordonnateur/resultats": 20, "/coordonnateur/coordonnateurs": 7}
