"""A round played through the browser: the manager closes round 1, each party sees the right result,
and an in-person placement is recorded for round 3. The database is put back afterwards."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Assignment, AuditEntry, Phase, Post, Round, Student
from siimop_app.services import rounds
from tests.e2e.conftest import sign_in, url

pytestmark = pytest.mark.e2e


@contextlib.contextmanager
def round_one_results_today():
    """Round 1's ranking ended yesterday and its results are published today; everything restored after."""
    today = dt.date.today()
    with transaction() as session:
        saved = {p.id: (p.starts_on, p.ends_on) for p in session.exec(select(Phase)).all()}
        one = session.exec(select(Round.id).where(Round.number == 1)).one()
        for phase in session.exec(select(Phase).where(Phase.round_id == one)).all():
            if phase.kind in ("wishes", "ranking"):
                phase.ends_on = today - dt.timedelta(days=1)
                phase.starts_on = min(phase.starts_on, phase.ends_on)
            elif phase.kind == "results":
                phase.starts_on, phase.ends_on = today, today + dt.timedelta(days=30)
            session.add(phase)
    try:
        yield
    finally:
        with transaction() as session:
            session.execute(sa.delete(Assignment))
            session.execute(sa.update(Round).values(status="open", closed_at=None, closed_by_user_id=None,
                                                    instance_json=None, result_json=None, certificate=None,
                                                    results_notified_at=None))
            for phase in session.exec(select(Phase)).all():
                phase.starts_on, phase.ends_on = saved[phase.id]
                session.add(phase)


def test_the_manager_closes_round_one_and_everyone_sees_the_result(page, harness, browser):
    with round_one_results_today():
        sign_in(page, harness, "ars@demo.siimop.fr")
        page.get_by_role("link", name="Tours d'appariement").click()
        page.wait_for_url("**/gestionnaire/tours")
        page.locator("#close-round-1").click()
        expect(page.locator("#confirm-text")).to_contain_text("irréversible")
        page.locator("#confirm-yes").click()
        expect(page.locator("#rounds-message")).to_contain_text("Tour 1 clôturé", timeout=60_000)
        expect(page.locator(".round-card").first).to_contain_text("Clôturé")
        page.locator("#notify-round-1").click()
        expect(page.locator("#confirm-text")).to_contain_text("ne peut pas être annulé")
        page.locator("#confirm-yes").click()
        expect(page.locator("#rounds-message")).to_contain_text("Résultats du tour 1 envoyés à")

        with transaction() as session:
            round_one = session.exec(select(Round).where(Round.number == 1)).one()
            placed = session.exec(select(sa.func.count()).select_from(Assignment)
                                  .where(Assignment.round_id == round_one.id)).one()
            audited = session.exec(select(sa.func.count()).select_from(AuditEntry)
                                   .where(AuditEntry.entity == "round")).one()
        assert round_one.status == "closed" and placed > 0 and audited >= 1
        assert rounds.check_stored(round_one.id).ok  # anyone can re-verify the stored instance and result

        student_page = browser.new_context().new_page()
        sign_in(student_page, harness, "etudiant@demo.siimop.fr")
        student_page.goto(url(harness, "/etudiant/resultats"))
        expect(student_page.locator(".student-result").first).to_contain_text("Tour 1")
        expect(student_page.locator(".result-status").first).to_contain_text("ffecté")
        student_page.context.close()

        rts_page = browser.new_context().new_page()
        sign_in(rts_page, harness, "rts@demo.siimop.fr")
        rts_page.goto(url(harness, "/rts/affectations"))
        expect(rts_page.locator("#round-1")).to_be_visible()
        expect(rts_page.locator("#round-1")).to_contain_text(re.compile("postes pourvus|Aucun de vos postes"))
        rts_page.context.close()

        # Round 3, in person: the manager places a student still without a post.
        with transaction() as session:
            placed_ids = select(Assignment.student_id)
            ine = session.exec(select(Student.ine).where(Student.id.not_in(placed_ids)).order_by(Student.id)).first()
            taken = dict(session.exec(select(Assignment.post_id, sa.func.count()).group_by(Assignment.post_id)).all())
            post_number = next(p.post_number for p in session.exec(select(Post).order_by(Post.post_number)).all()
                               if taken.get(p.id, 0) < p.places_opened)
        page.locator("#assign-ine").fill(ine)
        page.locator("#assign-post").fill(str(post_number))
        page.locator("#assign-submit").click()
        # Round 1's results phase is not round 3's in-person phase: refused, and the form keeps what was typed.
        expect(page.locator("#rounds-error")).to_contain_text("pendant sa période")
        expect(page.locator("#assign-ine")).to_have_value(ine)
        with transaction() as session:
            three = session.exec(select(Round.id).where(Round.number == 3)).one()
            phase = session.exec(select(Phase).where(Phase.round_id == three, Phase.kind == "in_person")).one()
            phase.starts_on, phase.ends_on = dt.date.today(), dt.date.today() + dt.timedelta(days=2)
            session.add(phase)
        page.locator("#assign-post").press("Enter")
        expect(page.locator("#confirm-text")).to_contain_text(f"au poste n° {post_number}")
        page.locator("#confirm-yes").click()
        expect(page.locator("#rounds-message")).to_contain_text(f"est affecté(e) au poste n° {post_number}.")
        expect(page.locator("#assign-ine")).to_have_value("")
        expect(page.locator(".in-person-placement")).to_have_count(1)
        page.locator(".in-person-placement").get_by_role("button", name=re.compile("^Annuler")).click()
        page.locator("#confirm-yes").click()
        expect(page.locator("#rounds-message")).to_have_text("L'affectation a été annulée.")
        expect(page.locator(".in-person-placement")).to_have_count(0)
