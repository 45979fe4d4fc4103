"""Affectations: the demo RTS waits for the first results, then sees who was placed on their posts."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Assignment, Phase, Post, PostSupervisor, Round, Student, User, UserEmail
from siimop_app.services import calendar
from tests.e2e.conftest import path_of, sign_in, url

pytestmark = pytest.mark.e2e

SCREENSHOT = os.environ.get("SIIMOP_SCREENSHOT_DIR")  # set it to keep a picture of the page with results


def _round_1_results_phase() -> Phase:
    with transaction() as session:
        return session.exec(
            select(Phase).join(Round, Round.id == Phase.round_id).where(Phase.kind == "results", Round.number == 1)
        ).one()


def _move_phase_start(phase_id: int, starts_on: dt.date) -> None:
    with transaction() as session:
        phase = session.get(Phase, phase_id)
        phase.starts_on = starts_on
        session.add(phase)


def _place_a_student_on_the_simple_post() -> tuple[int, str]:
    """A round-1 assignment on the demo RTS's simple post (2 places): (assignment id, the student's name)."""
    with transaction() as session:
        post_id = session.exec(
            select(Post.id).join(PostSupervisor, PostSupervisor.post_id == Post.id)
            .join(UserEmail, UserEmail.user_id == PostSupervisor.user_id)
            .where(UserEmail.email == "rts@demo.siimop.fr", Post.post_type == "simple")
        ).one()
        round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
        student_id, first, last = session.exec(
            select(Student.id, User.first_name, User.last_name).join(User, User.id == Student.user_id)
            .order_by(Student.id)
        ).first()
        assignment = Assignment(round_id=round_id, student_id=student_id, post_id=post_id)
        session.add(assignment)
        session.flush()
        return assignment.id, f"{first} {last.upper()}"


def _remove_assignment(assignment_id: int) -> None:
    with transaction() as session:
        session.delete(session.get(Assignment, assignment_id))


def test_supervisor_sees_the_publication_day_then_the_students_placed_on_their_posts(page, harness):
    sign_in(page, harness, "rts@demo.siimop.fr")
    page.wait_for_url("**/rts/postes")
    page.locator("#phase-menu").get_by_role("link", name="Affectations").click()
    page.wait_for_url("**/rts/affectations")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Affectations")

    phase = _round_1_results_phase()
    day = phase.starts_on.strftime("%d/%m/%Y")
    expect(page.locator("#results-notice")).to_have_text(f"Les résultats du premier tour seront publiés le {day}.")
    expect(page.locator(".result-card")).to_have_count(0)

    assignment_id, name = _place_a_student_on_the_simple_post()
    _move_phase_start(phase.id, calendar.now().date())  # round 1's results are published today
    try:
        page.reload()
        round_1 = page.locator("#round-1")
        expect(round_1.get_by_role("heading", level=2)).to_have_text("Tour 1")
        cards = round_1.locator(".result-card")
        expect(cards).to_have_count(3)
        card = cards.filter(has_text="S.A.U. - SMUR")
        expect(card).to_contain_text("MÉDECINE D'URGENCE")
        expect(card).to_contain_text("Simple")
        expect(card).to_contain_text("6 mois")
        expect(card).to_contain_text("SUBDI AMIENS")
        expect(card.locator(".filled-text")).to_have_text("1 / 2 postes pourvus")
        student = card.locator(".assigned-student")
        expect(student).to_contain_text(name)
        weight = student.get_by_text(name, exact=True).evaluate("el => getComputedStyle(el).fontWeight")
        assert int(weight) >= 600, "the student's name is in bold"
        # Every post of the RTS, référent or not, sorted by site name.
        expect(round_1.locator(".filled-text")).to_have_text(
            ["0 / 1 postes pourvus", "1 / 2 postes pourvus", "0 / 1 postes pourvus"]
        )
        expect(page.locator(".none-filled")).to_have_count(0)
        expect(page.locator("#results-notice")).to_contain_text("Les résultats du deuxième tour seront publiés le ")
        assert path_of(page) == "/rts/affectations"
        if SCREENSHOT:
            page.screenshot(path=os.path.join(SCREENSHOT, "affectations.png"), full_page=True)
    finally:
        _move_phase_start(phase.id, phase.starts_on)
        _remove_assignment(assignment_id)


def test_a_round_where_none_of_the_posts_was_filled_shows_the_seed_message(page, harness):
    phase = _round_1_results_phase()
    _move_phase_start(phase.id, calendar.now().date())
    try:
        sign_in(page, harness, "rts2@demo.siimop.fr")
        page.wait_for_url("**/rts/postes")
        page.goto(url(harness, "/rts/affectations"))
        message = page.locator("#none-filled-1")
        expect(message).to_contain_text("Aucun de vos postes n'a été affecté durant l'appariement.")
        expect(message).to_contain_text("Vous devez participer au prochain tour de la campagne.")
        expect(message.get_by_role("link", name="le fil d'information")).to_be_visible()
        expect(page.locator("#round-1 .result-card")).to_have_count(0)
        if SCREENSHOT:
            page.screenshot(path=os.path.join(SCREENSHOT, "affectations-aucun.png"), full_page=True)
    finally:
        _move_phase_start(phase.id, phase.starts_on)
