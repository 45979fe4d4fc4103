"""The whole campaign played in the browser by its people, round 1 to round 3, the calendar moved in the database
between steps: a student saves wishes, a supervisor ranks, the manager simulates then closes round 1 (the close
places exactly the projected number) and mails the results, an unplaced student finds their round-1 hearts on
the places left and saves them, their post's supervisor ranks them, round 2 closes, an in-person placement is
recorded in its phase, and the results show per student and in the staff's results table.
Everything the test changed is put back afterwards (the other e2e tests share the demo database)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.domain.sufficiency import required_wishes
from siimop_app.models import (
    Application,
    Assignment,
    AuditEntry,
    Phase,
    Post,
    PostSupervisor,
    Ranking,
    RankingEntry,
    Round,
    Site,
    Student,
    UserEmail,
)
from siimop_app.services.candidates import posts_offered
from siimop_app.services.receipts import RECEIPT_ACTION
from tests.e2e.conftest import TIMEOUT_MS, mails_until, sign_in, url

pytestmark = pytest.mark.e2e

STUDENT = "etudiant@demo.siimop.fr"
MANAGER = "ars@demo.siimop.fr"
ADMIN = "admin@demo.siimop.fr"
RTS = "rts@demo.siimop.fr"
COUPLE = "ACCUEIL DES URGENCES ET SMUR"  # the demo RTS is its référent
ORDER = [(1, "wishes"), (1, "ranking"), (1, "results"), (2, "wishes"), (2, "ranking"), (2, "results"), (3, "in_person")]


def _move_calendar_to(index: int) -> None:
    """The phase ``ORDER[index]`` is open today; the earlier ones are over, the later ones to come."""
    today = dt.date.today()
    with transaction() as session:
        numbers = dict(session.exec(select(Round.id, Round.number)).all())
        for phase in session.exec(select(Phase).where(Phase.round_id.is_not(None))).all():
            key = (numbers[phase.round_id], phase.kind)
            if key not in ORDER:
                continue
            offset = 3 * (ORDER.index(key) - index)
            phase.starts_on = today + dt.timedelta(days=offset)
            phase.ends_on = phase.starts_on + dt.timedelta(days=1)
            session.add(phase)


@contextlib.contextmanager
def campaign_restored():
    """Put the calendar, round 1's wishes and rankings, and the rounds back as the demo left them."""
    with transaction() as session:
        phases = {p.id: (p.starts_on, p.ends_on) for p in session.exec(select(Phase)).all()}
        one = session.exec(select(Round.id).where(Round.number == 1)).one()
        wishes = session.exec(select(Application.student_id, Application.post_id, Application.hearts)
                              .where(Application.round_id == one)).all()
        rankings = session.exec(select(Ranking).where(Ranking.round_id == one)).all()
        last_audit = session.exec(select(sa.func.max(AuditEntry.id))).one() or 0
        saved_rankings = [(r.post_id, r.is_valid, r.problems, [
            (e.student_id, e.rank, e.refused)
            for e in session.exec(select(RankingEntry).where(RankingEntry.ranking_id == r.id)).all()])
            for r in rankings]
    try:
        yield
    finally:
        with transaction() as session:
            session.execute(sa.delete(Assignment))
            session.execute(sa.delete(RankingEntry))
            session.execute(sa.delete(Ranking))
            session.execute(sa.delete(Application))
            # The receipts the campaign issued: the demo's remain the latest, matching the wishes put back.
            session.execute(sa.delete(AuditEntry).where(AuditEntry.id > last_audit,
                                                        AuditEntry.action == RECEIPT_ACTION))
            session.execute(sa.update(Round).values(status="open", closed_at=None, closed_by_user_id=None,
                                                    instance_json=None, result_json=None, certificate=None,
                                                    results_notified_at=None))
            if wishes:
                session.execute(sa.insert(Application), [
                    {"round_id": one, "student_id": s, "post_id": p, "hearts": h} for s, p, h in wishes])
            for post_id, valid, problems, entries in saved_rankings:
                ranking = Ranking(round_id=one, post_id=post_id, is_valid=valid, problems=problems)
                session.add(ranking)
                session.flush()
                if entries:
                    session.execute(sa.insert(RankingEntry), [
                        {"ranking_id": ranking.id, "student_id": s, "rank": r, "refused": f} for s, r, f in entries])
            for phase in session.exec(select(Phase)).all():
                phase.starts_on, phase.ends_on = phases[phase.id]
                session.add(phase)


def _as(browser: Browser, harness, address: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    sign_in(opened, harness, address)
    return opened


def _round_two_student() -> tuple[str, str, int, str]:
    """After round 1: an unplaced student (validated address) whose round-1 hearts on the posts still offered
    make a sufficient list, and the référent (validated address) of the post they rated highest among those.
    Returns (student address, INE, post id, référent address)."""
    with transaction() as session:
        wave_id = session.exec(select(Round.wave_id).where(Round.number == 1)).one()
        one = session.exec(select(Round.id).where(Round.number == 1)).one()
        placed = set(session.exec(select(Assignment.student_id)).all())
        taken = dict(session.exec(select(Assignment.post_id, sa.func.count()).group_by(Assignment.post_id)).all())
        opened = dict(session.exec(select(Post.id, Post.places_opened)).all())
        referents = dict(session.exec(
            select(PostSupervisor.post_id, UserEmail.email)
            .join(UserEmail, sa.and_(UserEmail.user_id == PostSupervisor.user_id, UserEmail.kind == "main"))
            .where(PostSupervisor.is_referent, UserEmail.validated_at.is_not(None))).all())
        students = session.exec(
            select(Student.id, Student.ine, Student.specialty_id, Student.subdivision_id, UserEmail.email)
            .join(UserEmail, sa.and_(UserEmail.user_id == Student.user_id, UserEmail.kind == "main"))
            .where(Student.participating, UserEmail.validated_at.is_not(None)).order_by(Student.id)).all()
        offered = posts_offered(session, wave_id, {(spec, sub) for _, _, spec, sub, _ in students})
        hearts: dict[int, list[tuple[int, int]]] = {}
        for sid, pid, h in session.exec(select(Application.student_id, Application.post_id, Application.hearts)
                                        .where(Application.round_id == one, Application.hearts > 0)).all():
            if taken.get(pid, 0) < opened[pid]:
                hearts.setdefault(sid, []).append((h, pid))
    for sid, ine, spec, sub, address in students:
        left = sorted(hearts.get(sid, []), key=lambda hp: (-hp[0], hp[1]))
        if sid in placed or address == STUDENT or not left:
            continue
        if len(left) >= required_wishes(offered.get((spec, sub), 0)) and left[0][1] in referents:
            return address, ine, left[0][1], referents[left[0][1]]
    raise AssertionError("the demo has no unplaced student with a sufficient list of places left")


def test_the_whole_campaign_through_the_browser(page, harness, browser):
    with campaign_restored():
        # Round 1, wishes: the demo student changes a heart and saves; the receipt shows.
        _move_calendar_to(0)
        student = _as(browser, harness, STUDENT)
        student.goto(url(harness, "/etudiant/voeux"))
        row = student.locator(".wish-row").first
        hearts = 3 if row.locator(".hearts-value").inner_text().startswith("2") else 2
        row.get_by_role("radio", name=f"{hearts} cœurs sur 5").click()
        expect(student.locator("#wishes-pending")).to_contain_text("1 modification")
        student.click("#save-wishes")
        expect(student.locator("#receipt-digest")).to_have_text(re.compile(r"^[0-9a-f]{12}$"))

        # Round 1, ranking: the RTS ranks every candidate of her couplé post (an outsider may end up first:
        # then her ranking stays invalid, as some do).
        _move_calendar_to(1)
        rts = _as(browser, harness, RTS)
        rts.goto(url(harness, "/rts/classement"))
        rts.locator("#ranking-posts").get_by_role("link", name=re.compile(COUPLE)).click()
        expect(rts.locator("#unranked-column")).to_be_visible()
        ranked = rts.locator(".ranked-card")
        while rts.locator(".unranked-card").count():
            before = ranked.count()
            rts.locator(".unranked-card").first.get_by_role("button", name=re.compile("^Classer en dernier")).click()
            expect(ranked).to_have_count(before + 1)
        expect(rts.locator("#ranking-invalid").filter(has_text="non-classées")).to_have_count(0)

        # The manager simulates round 1 during the ranking phase...
        sign_in(page, harness, MANAGER)
        page.get_by_role("link", name="Simulation du tour").click()
        page.locator("#run-dry-run").click()
        tile = page.locator("#dry-run-figures .stat-tile").filter(has_text="ensemble du tour")
        expect(tile).to_contain_text(re.compile(r"\d+/\d+"), timeout=120_000)
        projected = tile.locator(".stat-value").inner_text().split("/")[0]  # placed / students of the round

        # ...then closes it once the ranking is over: the close places exactly the projected students.
        _move_calendar_to(2)
        page.get_by_role("link", name="Tours d'appariement").click()
        page.locator("#close-round-1").click()
        page.locator("#confirm-yes").click()
        expect(page.locator("#rounds-message")).to_contain_text(f"Tour 1 clôturé : {projected}/",
                                                                timeout=120_000)
        page.locator("#notify-round-1").click()
        page.locator("#confirm-yes").click()
        expect(page.locator("#rounds-message")).to_contain_text("Résultats du tour 1 envoyés à")
        def result_mail(found):
            return any(str(m["Subject"]) == "Résultat du tour 1 de l'appariement" for m in found)

        assert result_mail(mails_until(result_mail))

        # Round 2, wishes: an unplaced student finds their round-1 hearts on the places left, and saves them.
        address, ine, post_id, referent = _round_two_student()
        _move_calendar_to(3)
        second = _as(browser, harness, address)
        second.goto(url(harness, "/etudiant/resultats"))
        expect(second.locator(".result-status").first).to_contain_text("Non affecté")
        second.goto(url(harness, "/etudiant/voeux"))
        expect(second.locator("#wishes-notice")).to_contain_text("du tour précédent")
        expect(second.locator("#wishes-sufficient")).to_be_visible()
        second.click("#save-wishes")
        expect(second.locator("#receipt-digest")).to_have_text(re.compile(r"^[0-9a-f]{12}$"))

        # Round 2, ranking: the référent of the post they rated highest ranks them (their only candidate).
        _move_calendar_to(4)
        supervisor = _as(browser, harness, referent)
        supervisor.goto(url(harness, f"/rts/classement/{post_id}"))
        expect(supervisor.locator(".unranked-card")).to_have_count(1)
        supervisor.locator(".unranked-card").get_by_role("button", name=re.compile("^Classer en dernier")).click()
        expect(supervisor.locator("#ranking-valid")).to_be_visible()

        # Round 2 closes: only the places left and the students not yet placed.
        _move_calendar_to(5)
        page.goto(url(harness, "/gestionnaire/tours"))
        page.locator("#close-round-2").click()
        expect(page.locator("#confirm-text")).to_contain_text("lance l'appariement de 1 étudiant(s)")
        page.locator("#confirm-yes").click()
        expect(page.locator("#rounds-message")).to_contain_text("Tour 2 clôturé : 1/1 étudiants affectés",
                                                                timeout=120_000)
        second.goto(url(harness, "/etudiant/resultats"))
        expect(second.locator(".student-result")).to_have_count(2)
        expect(second.locator(".student-result").nth(1)).to_contain_text(re.compile(r"^Tour 2\s*Affecté\(e\) : "))

        # Round 3, in person: the manager places a student still without a post, during its phase.
        _move_calendar_to(6)
        with transaction() as session:
            placed_ids = select(Assignment.student_id)
            third_ine, specialty = session.exec(
                select(Student.ine, Student.specialty_id).where(Student.id.not_in(placed_ids), Student.participating)
                .order_by(Student.id)).first()
            taken = dict(session.exec(select(Assignment.post_id, sa.func.count()).group_by(Assignment.post_id)).all())
            post_number = next(p.post_number for p in session.exec(
                select(Post).join(Site, Site.id == Post.site_id).where(Post.calling_specialty_id == specialty)
                .order_by(Post.post_number)).all() if taken.get(p.id, 0) < p.places_opened)
        admin = _as(browser, harness, ADMIN)  # the whole country: any post is in their scope
        admin.goto(url(harness, "/gestionnaire/tours"))
        admin.locator("#assign-ine").fill(third_ine)
        admin.locator("#assign-post").fill(str(post_number))
        admin.locator("#assign-submit").click()
        admin.locator("#confirm-yes").click()
        expect(admin.locator("#rounds-message")).to_contain_text(f"est affecté(e) au poste n° {post_number}.")

        # Final results in the staff's results table.
        admin.goto(url(harness, "/coordonnateur/resultats"))
        for searched, round_label in ((ine, "Tour 2"), (third_ine, "Tour 3")):
            admin.fill("#result-search", searched)
            admin.click("#result-search-submit")
            expect(admin.locator(".result-row")).to_have_count(1)
            expect(admin.locator(".result-row")).to_contain_text(round_label)
        for opened_page in (student, rts, second, supervisor, admin):
            opened_page.context.close()
