"""The main journeys done with the keyboard alone (WCAG 2.1.1, RGAA 7.3): Tab, Shift+Tab, Enter, Space, the
arrow keys and Escape — never a mouse click. Navigating to a URL stands for following the link of a mail or
typing an address. Each journey checks where the focus lands, as a keyboard user would see it."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Ranking, RankingEntry, Round
from siimop_app.settings import get_settings
from tests.e2e.conftest import sign_in, url
from tests.e2e.test_campaign import round_one_results_today
from tests.e2e.test_ranking import DECALE, _post_id
from tests.e2e.test_wishes import STUDENT, empty_list, wishes_open  # noqa: F401 (fixtures)
from tests.services.mailbox import links_for

pytestmark = pytest.mark.e2e

FOCUSED = "s => !!document.activeElement && document.activeElement.matches(s)"


def tab_to(page: Page, selector: str, *, back: bool = False, limit: int = 200) -> None:
    """Press Tab (Shift+Tab with ``back``) until the focused element matches ``selector``, as a keyboard user
    moves through the page; fails if the element is never reached."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate(FOCUSED, selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def focused_text(page: Page) -> str:
    return page.evaluate("() => (document.activeElement.getAttribute('aria-label') "
                         "|| document.activeElement.textContent || '').trim()")


def test_sign_in_with_the_keyboard(page: Page, harness):
    address = "coordo@demo.siimop.fr"
    before = len(links_for(get_settings().outbox_dir, address))
    page.goto(url(harness, "/connexion"))
    expect(page.locator("h1, h2").first).to_be_visible()
    tab_to(page, "#email")
    page.keyboard.type(address)
    page.keyboard.press("Enter")
    expect(page.locator("#sign-in-sent")).to_be_visible()
    expect(page.locator("#sign-in-sent")).to_have_attribute("role", "status")
    deadline = time.monotonic() + 15  # the mail is written by a background worker
    while len(links_for(get_settings().outbox_dir, address)) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    page.goto(url(harness, urlsplit(links_for(get_settings().outbox_dir, address)[-1]).path))
    expect(page.locator("#user-name")).not_to_be_empty()
    # Signed in: the skip link is the first stop and leads into the page's content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()


def test_rate_posts_with_the_arrow_keys_and_save_with_the_keyboard(page: Page, harness, empty_list):  # noqa: F811
    sign_in(page, harness, STUDENT)
    page.goto(url(harness, "/etudiant/voeux"))
    expect(page.locator(".wish-row")).to_have_count(20)
    # One tab stop per post: the checked choice (0 hearts at first), then the arrow keys move and check.
    tab_to(page, '[role="radio"]')
    first = page.locator(".wish-row").first
    expect(first.get_by_role("radio", name=re.compile("^0 cœur"))).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    three = first.get_by_role("radio", name="3 cœurs sur 5")
    expect(three).to_be_focused()
    expect(three).to_be_checked()
    expect(first.locator(".hearts-value")).to_have_text("3 / 5")
    page.keyboard.press("ArrowLeft")
    expect(first.get_by_role("radio", name="2 cœurs sur 5")).to_be_checked()
    expect(first.locator('[role="radio"][tabindex="0"]')).to_have_count(1)
    page.keyboard.press("End")
    expect(first.get_by_role("radio", name="5 cœurs sur 5")).to_be_checked()
    # Tab leaves the group for the next post's group (not the next heart).
    tab_to(page, '[role="radio"]')
    second = page.locator(".wish-row").nth(1)
    expect(second.get_by_role("radio", name=re.compile("^0 cœur"))).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(second.locator(".hearts-value")).to_have_text("1 / 5")
    expect(page.locator("#wishes-pending")).to_contain_text("2 modification")
    # Back to the save button (above the list) and save.
    tab_to(page, "#save-wishes", back=True)
    page.keyboard.press("Enter")
    expect(page.locator("#receipt-digest")).to_have_text(re.compile(r"^[0-9a-f]{12}$"))
    expect(page.locator(".receipt-line")).to_have_count(2)


@pytest.fixture
def board():
    """The post whose board is ranked by keyboard; its rankings are put back as they were."""
    post_id = _post_id(DECALE)
    with transaction() as session:
        rankings = [r.model_dump() for r in session.exec(select(Ranking).where(Ranking.post_id == post_id)).all()]
        ids = [r["id"] for r in rankings]
        entries = [e.model_dump() for e in session.exec(
            select(RankingEntry).where(RankingEntry.ranking_id.in_(ids))).all()]
    yield post_id
    with transaction() as session:
        ranking_ids = select(Ranking.id).where(Ranking.post_id == post_id)
        session.execute(sa.delete(RankingEntry).where(RankingEntry.ranking_id.in_(ranking_ids)))
        session.execute(sa.delete(Ranking).where(Ranking.post_id == post_id))
        session.flush()
        session.add_all(Ranking(**r) for r in rankings)
        session.flush()
        session.add_all(RankingEntry(**e) for e in entries)


def test_rank_a_board_and_read_a_file_with_the_keyboard(page: Page, harness, board):
    with transaction() as session:
        ranking_ids = select(Ranking.id).where(Ranking.post_id == board)
        session.execute(sa.delete(RankingEntry).where(RankingEntry.ranking_id.in_(ranking_ids)))
        session.execute(sa.delete(Ranking).where(Ranking.post_id == board))
    sign_in(page, harness, "rts@demo.siimop.fr")
    page.goto(url(harness, "/rts/classement"))
    tab_to(page, f'#ranking-posts a[href$="/rts/classement/{board}"]')
    page.keyboard.press("Enter")
    expect(page.locator("#unranked-column")).to_be_visible()
    unranked = page.locator(".unranked-card")
    count = unranked.count()
    assert count >= 2
    # Rank every candidate: Tab to "Classer en dernier", Enter; the focus stays with the moved card.
    for done in range(count):
        tab_to(page, '.unranked-card [aria-label^="Classer en dernier"]', back=done > 0)
        page.keyboard.press("Enter")
        expect(page.locator(".ranked-card")).to_have_count(done + 1)
    expect(unranked).to_have_count(0)
    # The rank field of the last candidate (the focus is on their card): put them first, Enter applies it.
    last = page.locator(".ranked-card").last
    name = last.locator(".candidate-name").inner_text()
    tab_to(page, f"#{last.get_attribute('id')} .rank-input input", back=True)
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.locator(".ranked-card").first).to_contain_text(name)
    # Move the first candidate down with its arrow button, then open their file and close it with Escape.
    expect(page.locator(".ranked-card").first.locator(".rank-input input")).to_be_focused()
    tab_to(page, '.ranked-card [aria-label^="Descendre"]')
    page.keyboard.press("Enter")
    expect(page.locator(".ranked-card").nth(1)).to_contain_text(name)
    tab_to(page, ".candidate-name", back=True)
    opener = focused_text(page)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Dossier candidature")
    assert page.evaluate("() => !!document.activeElement.closest('[role=dialog]')"), "the focus is in the dialog"
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert focused_text(page) == opener, "the focus returns to the candidate's name"
    # And with the "Fermer" button.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    tab_to(page, "#close-file")
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)


def test_filter_and_export_a_coordinator_table_with_the_keyboard(page: Page, harness):
    sign_in(page, harness, "coordo@demo.siimop.fr")
    page.goto(url(harness, "/coordonnateur/postes"))
    expect(page.locator("#page-text").first).to_contain_text("Postes")
    total = page.locator("#page-text").first.inner_text()
    # The search box: type, Enter filters.
    tab_to(page, "#filter-search")
    page.keyboard.type("SMUR")
    page.keyboard.press("Enter")
    expect(page.locator("#page-text").first).not_to_have_text(total)
    shown = page.locator("#page-text").first.inner_text()
    # A select: Enter opens it, the arrow keys choose, Enter applies.
    tab_to(page, "#filter-places")
    page.keyboard.press("Enter")
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option", name="Tous les postes")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(listbox.get_by_role("option", name="Avec places ouvertes")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#filter-places")).to_contain_text("Avec places ouvertes")
    expect(page.locator("#filter-places")).to_be_focused()
    expect(page.locator("#export-posts-csv")).to_have_attribute("href", re.compile("places=with"))
    # Export what is shown: the link is reached with Tab and followed with Enter.
    tab_to(page, "#export-posts-csv")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()[1:]
    assert len(lines) == int(shown.rsplit(" ", 1)[1]), "the export holds the rows the filters show"
    # Reset, with the keyboard too.
    tab_to(page, "#reset-filters", back=True)
    page.keyboard.press("Enter")
    expect(page.locator("#page-text").first).to_have_text(total)


def test_close_a_round_with_the_keyboard(page: Page, harness):
    with round_one_results_today():
        sign_in(page, harness, "admin@demo.siimop.fr")
        page.goto(url(harness, "/gestionnaire/tours"))
        tab_to(page, "#close-round-1")
        page.keyboard.press("Enter")
        expect(page.locator("#confirm-text")).to_contain_text("irréversible")
        # Escape closes the question without closing the round, and gives the focus back to the button.
        page.keyboard.press("Escape")
        expect(page.locator("#confirm-text")).to_have_count(0)
        expect(page.locator("#close-round-1")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#confirm-no")).to_be_focused()  # the harmless choice first
        tab_to(page, "#confirm-yes")
        page.keyboard.press("Enter")
        expect(page.locator("#rounds-message")).to_contain_text("Tour 1 clôturé", timeout=120_000)
        with transaction() as session:
            assert session.exec(select(Round.status).where(Round.number == 1)).one() == "closed"
