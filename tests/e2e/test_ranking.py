"""Classement des candidatures in a real browser, as the demo RTS would use it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Application, Phase, Post, Ranking, RankingEntry, Site
from tests.e2e.conftest import sign_in, url
from tests.e2e.test_accessibility import DESKTOP, PHONE, REFLOW_MS, _fits, assert_no_violation

pytestmark = pytest.mark.e2e


def _post_id(site_name: str) -> int:
    with transaction() as session:
        return session.exec(
            select(Post.id).join(Site, Site.id == Post.site_id).where(Site.name == site_name)
            .order_by(Post.post_number)
        ).first()


COUPLE = "ACCUEIL DES URGENCES ET SMUR"  # référent, 1 place
DECALE = "S.A.U. - SMUR"  # référent, 2 places
MIXTE = "U.A.U. S.M.U.R."  # not référent


def _reset(post_id: int) -> None:
    with transaction() as session:
        ranking_ids = select(Ranking.id).where(Ranking.post_id == post_id)
        session.execute(sa.delete(RankingEntry).where(RankingEntry.ranking_id.in_(ranking_ids)))
        session.execute(sa.delete(Ranking).where(Ranking.post_id == post_id))


def _open_board(page: Page, harness, post_id: int) -> None:
    page.goto(url(harness, f"/rts/classement/{post_id}"))
    expect(page.locator("#unranked-column")).to_be_visible()


def _rank_last(page: Page, card) -> None:
    """Click "Classer en dernier" on a card and wait until the saved move shows in the ranked column."""
    ranked = page.locator(".ranked-card")
    before = ranked.count()
    card.get_by_role("button", name=re.compile("^Classer en dernier")).click()
    expect(ranked).to_have_count(before + 1)


def _rank_all(page: Page) -> None:
    unranked = page.locator(".unranked-card")
    while unranked.count():
        _rank_last(page, unranked.first)


def test_rank_everyone_then_put_a_local_first_and_the_banner_turns_valid(page, harness):
    post_id = _post_id(COUPLE)
    _reset(post_id)
    sign_in(page, harness, "rts@demo.siimop.fr")
    page.get_by_role("link", name="Classement des candidatures").click()
    page.locator("#ranking-posts").get_by_role("link", name=re.compile(COUPLE)).click()
    expect(page.locator("#ranking-invalid")).to_contain_text("Il ne doit pas rester de candidatures non-classées")
    # Screen readers hear the verdict when it changes, not the problem counts that change with every move.
    verdict = page.locator("#ranking-verdict")
    expect(verdict).to_have_attribute("aria-live", "polite")
    expect(verdict).to_have_text("Attention, votre classement n'est pas valide, il ne sera pas pris en compte.")
    assert page.locator("#ranking-invalid [aria-live], #ranking-invalid[role=alert], [role=alert] #ranking-invalid"
                        ).count() == 0
    expect(page.locator("#access-label")).to_have_text("Poste couplé : Accès référent")
    expect(page.locator(".other-supervisor")).to_contain_text("Carole BARTHELEMY")
    _rank_last(page, page.locator(".unranked-card").filter(has_text="SUBDI LILLE").first)
    _rank_all(page)
    expect(page.locator("#ranking-invalid")).to_contain_text("de votre subdivision")
    expect(page.locator("#ranking-invalid").filter(has_text="non-classées")).to_have_count(0)
    # Keyboard: type the rank of a local candidate and leave the field.
    local_card = page.locator(".ranked-card").filter(has_text="Dans votre subdivision").last
    name = local_card.locator(".candidate-name").inner_text()
    field = local_card.get_by_role("textbox")
    field.fill("1")
    field.press("Tab")
    expect(page.locator("#ranking-valid")).to_be_visible()
    expect(verdict).to_have_text("Votre classement est valide : il sera pris en compte.")
    expect(page.locator(".ranked-card").first).to_contain_text(name)
    page.reload()
    expect(page.locator("#ranking-valid")).to_be_visible()
    expect(page.locator(".ranked-card").first).to_contain_text(name)
    with transaction() as session:
        assert session.exec(select(Ranking.is_valid).where(Ranking.post_id == post_id)).one() is True


def test_an_outsider_first_breaks_the_subdivision_rule(page, harness):
    post_id = _post_id(DECALE)
    _reset(post_id)
    sign_in(page, harness, "rts@demo.siimop.fr")
    _open_board(page, harness, post_id)
    _rank_last(page, page.locator(".unranked-card").filter(has_text="SUBDI LILLE").first)
    _rank_all(page)
    expect(page.locator("#ranking-invalid")).to_contain_text("subdivision")


def test_refusing_with_fewer_than_five_candidates_is_invalid(page, harness):
    post_id = _post_id(DECALE)
    _reset(post_id)
    with transaction() as session:
        keep = session.exec(select(Application.id).where(Application.post_id == post_id, Application.hearts > 0)
                            .order_by(Application.id).limit(3)).all()
        hidden = session.exec(select(Application.id, Application.hearts).where(
            Application.post_id == post_id, Application.hearts > 0, Application.id.not_in(keep))).all()
        session.execute(sa.update(Application).where(Application.id.in_([i for i, _ in hidden])).values(hearts=0))
    try:
        sign_in(page, harness, "rts@demo.siimop.fr")
        _open_board(page, harness, post_id)
        expect(page.locator(".unranked-card")).to_have_count(3)
        page.locator(".unranked-card").first.get_by_role("button", name=re.compile("^Ne pas retenir")).click()
        expect(page.locator(".refused-card")).to_have_count(1)
        _rank_all(page)
        expect(page.locator("#ranking-invalid")).to_contain_text("80 %")
        page.locator(".refused-card").get_by_role("button", name=re.compile("^Rétablir")).click()
        expect(page.locator(".unranked-card")).to_have_count(1)
    finally:
        with transaction() as session:
            for app_id, hearts in hidden:
                session.execute(sa.update(Application).where(Application.id == app_id).values(hearts=hearts))


def test_a_non_referent_sees_the_ranking_read_only(page, harness):
    sign_in(page, harness, "rts@demo.siimop.fr")
    _open_board(page, harness, _post_id(MIXTE))
    expect(page.locator("#access-label")).to_have_text("Poste mixte : Accès non référent")
    expect(page.locator("#ranking-notice")).to_contain_text("pas le responsable référent")
    buttons = page.locator("#unranked-column").get_by_role("button", name=re.compile("^Classer en dernier"))
    expect(buttons.first).to_be_disabled()


def test_another_supervisors_post_is_refused(page, harness):
    sign_in(page, harness, "rts2@demo.siimop.fr")
    page.goto(url(harness, f"/rts/classement/{_post_id(DECALE)}"))
    expect(page.locator("#ranking-error")).to_contain_text("Ce poste ne fait pas partie de vos postes.")
    expect(page.locator("#unranked-column")).to_have_count(0)


def test_after_the_ranking_deadline_nothing_can_change(page, harness):
    post_id = _post_id(COUPLE)
    with transaction() as session:
        phases = session.exec(select(Phase).where(Phase.kind == "ranking")).all()
        saved = {p.id: (p.starts_on, p.ends_on) for p in phases}
        for phase in phases:  # every ranking phase ended yesterday
            phase.ends_on = dt.date.today() - dt.timedelta(days=1)
            phase.starts_on = min(phase.starts_on, phase.ends_on)
            session.add(phase)
    try:
        sign_in(page, harness, "rts@demo.siimop.fr")
        _open_board(page, harness, post_id)
        expect(page.locator("#ranking-notice")).to_contain_text("terminée")
        expect(page.locator(".ranked-card").first.get_by_role("button", name=re.compile("^Monter"))).to_be_disabled()
    finally:
        with transaction() as session:
            for phase in session.exec(select(Phase).where(Phase.id.in_(list(saved)))).all():
                phase.starts_on, phase.ends_on = saved[phase.id]
                session.add(phase)


def test_the_candidates_file_opens_and_stays_open(page, harness):
    post_id = _post_id(COUPLE)
    sign_in(page, harness, "rts@demo.siimop.fr")
    _open_board(page, harness, post_id)
    card = page.locator(".unranked-card, .ranked-card").first
    name = card.locator(".candidate-name").inner_text()
    card.locator(".candidate-name").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Dossier candidature")
    expect(dialog).to_contain_text(name)
    expect(dialog.locator("#presentation")).to_be_visible()
    page.wait_for_timeout(1500)  # the defect: a second update re-ran the page's load and crashed the dialog
    expect(dialog).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("An error occurred")
    dialog.get_by_label("Vos observations personnelles").fill("Entretien prévu mardi.")
    dialog.locator("#save-observation").click()
    expect(dialog.locator("#observation-message")).to_have_text("Vos observations ont été enregistrées.")
    expect(page).to_have_url(re.compile(rf"/rts/classement/{post_id}$"))
    dialog.locator("#close-file").click()
    expect(dialog).to_have_count(0)
    card.locator(".candidate-name").click()
    expect(page.get_by_role("dialog").get_by_label("Vos observations personnelles")).to_have_value(
        "Entretien prévu mardi.")


def test_a_refused_rank_shows_the_saved_rank_again_and_enter_applies_a_rank(page, harness):
    post_id = _post_id(COUPLE)
    _reset(post_id)
    sign_in(page, harness, "rts@demo.siimop.fr")
    _open_board(page, harness, post_id)
    _rank_all(page)
    second = page.locator(".ranked-card").nth(1)
    name = second.locator(".candidate-name").inner_text()
    for typed in ("99", "abc"):
        field = page.locator(".ranked-card").nth(1).locator(".rank-input input")
        field.fill(typed)
        field.press("Tab")
        expect(page.locator("#ranking-error")).to_be_visible()
        expect(page.locator(".ranked-card").nth(1).locator(".rank-input input")).to_have_value("2")
    page.locator(".ranked-card").nth(1).locator(".rank-input input").fill("1")
    page.locator(".ranked-card").nth(1).locator(".rank-input input").press("Enter")
    expect(page.locator(".ranked-card").first.locator(".candidate-name")).to_have_text(name)
    expect(page.locator(".ranked-card").first.locator(".rank-input input")).to_have_value("1")
    page.console_problems.clear()  # the refused ranks were answered by an error toast on purpose


def test_a_moved_card_comes_into_view_with_the_focus_and_the_banner_stays_visible(page, harness):
    post_id = _post_id(DECALE)
    _reset(post_id)
    page.set_viewport_size({"width": 1280, "height": 600})
    sign_in(page, harness, "rts@demo.siimop.fr")
    _open_board(page, harness, post_id)
    _rank_all(page)
    last = page.locator(".ranked-card").last
    last.scroll_into_view_if_needed()
    moved_id = last.get_attribute("id")
    last.get_by_role("button", name=re.compile("^Retirer du classement")).click()
    moved = page.locator(f"#{moved_id}")
    expect(moved).to_have_class(re.compile("unranked-card"))
    expect(moved).to_be_in_viewport()
    expect(page.locator("#ranking-invalid")).to_be_in_viewport()
    page.wait_for_function(f"document.activeElement && document.activeElement.closest('#{moved_id}') !== null")


def _every_candidate_ranked(page: Page, harness):
    """The décalé board with every candidate ranked: its ranked cards, how many, and the last one's id and name."""
    post_id = _post_id(DECALE)
    _reset(post_id)
    sign_in(page, harness, "rts@demo.siimop.fr")
    _open_board(page, harness, post_id)
    _rank_all(page)
    ranked = page.locator(".ranked-card")
    return ranked, ranked.count(), ranked.last.get_attribute("id"), ranked.last.locator(".candidate-name").inner_text()


def test_the_focus_follows_a_card_moved_up_so_a_second_enter_moves_it_again(page, harness):
    """React reuses a column's cards by position: after "Monter" the focused button would be the next candidate's,
    and a keyboard user's second Enter would move someone else (assets/a11y.js)."""
    ranked, count, moved_id, name = _every_candidate_ranked(page, harness)
    ranked.last.get_by_role("button", name=f"Monter : {name}", exact=True).focus()
    page.keyboard.press("Enter")
    expect(ranked.nth(count - 2)).to_have_attribute("id", moved_id)
    expect(page.get_by_role("button", name=f"Monter : {name}", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(ranked.nth(count - 3)).to_have_attribute("id", moved_id)
    expect(page.get_by_role("button", name=f"Monter : {name}", exact=True)).to_be_focused()


def test_after_a_click_on_descendre_the_same_cards_monter_is_not_covered_by_a_tooltip(page, harness):
    """A mouse user moves the last card up, down again, and up again. The focus that follows the card must not
    open the "Descendre" tooltip over the "Monter" button (Radix opens a tooltip on its trigger's focus): the
    click would land on the tooltip and nothing would happen (seen with bench_browser.py)."""
    ranked, count, moved_id, name = _every_candidate_ranked(page, harness)
    for button, position in (("Monter", count - 2), ("Descendre", count - 1), ("Monter", count - 2)):
        page.get_by_role("button", name=f"{button} : {name}", exact=True).click(timeout=5000)
        expect(ranked.nth(position)).to_have_attribute("id", moved_id)
        page.wait_for_function(f"document.activeElement && document.activeElement.closest('#{moved_id}') !== null")
    expect(page.get_by_role("tooltip").filter(has_text="Descendre")).to_have_count(0)


def test_a_ranked_board_reflows_on_a_phone_with_every_card_button_whole(page, harness):
    """At 320 px a card's badges and name pushed its buttons past its edge, which cuts what overflows: half of
    each button hidden, and a click on one shifted the card's content sideways."""
    _every_candidate_ranked(page, harness)
    for size, where in ((DESKTOP, "at 1280 px"), (PHONE, "at 320 px")):
        page.set_viewport_size(size)
        page.wait_for_timeout(REFLOW_MS)
        _fits(page, "the ranking board", where)
    assert_no_violation(page, "the ranking board at 320 px")


def test_a_socket_the_server_closes_reconnects_and_the_next_move_is_saved(page, harness):
    """What the workers do to even out their clients (worker_balance.py): close a socket at the transport level.
    The page reconnects by itself, and the next click is saved; no console error (the page fixture checks)."""
    import asyncio
    import time

    from siimop_app import worker_balance

    post_id = _post_id(DECALE)
    _reset(post_id)
    eio = harness.app_instance.sio.eio
    before = set(eio.sockets)
    sign_in(page, harness, "rts@demo.siimop.fr")
    _open_board(page, harness, post_id)
    _rank_last(page, page.locator(".unranked-card").first)
    mine = set(eio.sockets) - before
    assert mine, "the page's socket"
    loop = eio.service_task_handle.get_loop()
    for sid in mine:
        asyncio.run_coroutine_threadsafe(worker_balance.cut(eio, sid), loop).result(10)
    assert not mine & set(eio.sockets)
    # The browser reconnects by itself (a click in the instant of the cut would be lost, as with any cut: the page
    # then shows the candidate still unranked, truthfully).
    deadline = time.monotonic() + 10
    while not set(eio.sockets) - before - mine:
        assert time.monotonic() < deadline, "the page did not reconnect"
        time.sleep(0.1)
    _rank_last(page, page.locator(".unranked-card").first)
    expect(page.locator("#reconnexion")).to_have_count(0)
    _reset(post_id)
