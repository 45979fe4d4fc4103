"""Mes vœux in a real browser: the demo student rates posts until the list is sufficient, saves, reads the receipt.

The e2e app runs the demo in the ranking phase: these tests move the round-1 wishes phase
onto today (and restore it afterwards).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Application, AuditEntry, Phase, Round, Student, UserEmail
from siimop_app.services.candidates import sufficient_students
from tests.e2e.conftest import sign_in, url

pytestmark = pytest.mark.e2e
STUDENT = "etudiant@demo.siimop.fr"
SHOTS = Path(os.environ.get("SIIMOP_SCREENSHOTS", "/tmp/siimop-shots"))


@pytest.fixture
def wishes_open():
    with transaction() as session:
        round_1 = session.exec(select(Round.id).where(Round.number == 1)).first()
        phase = session.exec(select(Phase).where(Phase.kind == "wishes", Phase.round_id == round_1)).one()
        saved = (phase.id, phase.starts_on, phase.ends_on)
        phase.starts_on = dt.date.today() - dt.timedelta(days=1)
        phase.ends_on = dt.date.today() + dt.timedelta(days=1)
        session.add(phase)
    yield round_1
    with transaction() as session:
        phase = session.get(Phase, saved[0])
        phase.starts_on, phase.ends_on = saved[1], saved[2]
        session.add(phase)


def _student_id(address: str) -> int:
    with transaction() as session:
        return session.exec(select(Student.id).join(UserEmail, UserEmail.user_id == Student.user_id)
                            .where(UserEmail.email == address)).one()


@pytest.fixture
def empty_list(wishes_open):
    """The demo student's round-1 hearts set aside, then restored with their receipt: the receipts the test's
    saves issued are removed, so later tests find the list and its last receipt as the demo made them."""
    sid = _student_id(STUDENT)
    with transaction() as session:
        kept = session.exec(select(Application.post_id, Application.hearts)
                            .where(Application.student_id == sid, Application.round_id == wishes_open)).all()
        last_audit = session.exec(select(sa.func.max(AuditEntry.id))).one() or 0
        session.execute(sa.delete(Application).where(Application.student_id == sid,
                                                     Application.round_id == wishes_open))
    yield wishes_open
    with transaction() as session:
        session.execute(sa.delete(AuditEntry).where(AuditEntry.id > last_audit, AuditEntry.action == "wishes.save",
                                                    AuditEntry.entity == "student", AuditEntry.entity_id == sid))
        session.execute(sa.delete(Application).where(Application.student_id == sid,
                                                     Application.round_id == wishes_open))
        for post_id, hearts in kept:
            session.add(Application(round_id=wishes_open, student_id=sid, post_id=post_id, hearts=hearts))


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / name.replace(".png", "-top.png")))


def test_rate_until_sufficient_save_and_read_the_receipt(page, harness, empty_list):
    sign_in(page, harness, STUDENT)
    page.get_by_role("link", name="Mes vœux").click()
    alert = page.locator("#wishes-insufficient")
    expect(alert).to_contain_text("Votre liste est insuffisante")
    required = int(re.search(r"(\d+) requis", alert.inner_text()).group(1))
    expect(page.locator("#wishes-count")).to_contain_text(f"0 / {required}")
    # Screen readers: each post's hearts are a radio group named after the post, its choices "N cœurs sur 5".
    rows = page.locator(".wish-row")
    expect(rows).to_have_count(20)
    group = rows.nth(0).get_by_role("radiogroup", name=re.compile(r"^Vos cœurs pour le poste n° \d+, .+ :$"))
    expect(group.get_by_role("radio", name="0 cœur sur 5 (ne jamais m'affecter sur ce poste)")).to_be_checked()
    first = group.get_by_role("radio", name="3 cœurs sur 5")
    first.focus()
    page.keyboard.press("Space")
    expect(rows.nth(0).locator(".hearts-value")).to_have_text("3 / 5")
    expect(first).to_be_checked()
    expect(page.locator("#wishes-count")).to_contain_text(f"1 / {required}")
    expect(page.locator("#wishes-pending")).to_contain_text("1 modification")
    for i in range(1, required):
        rows.nth(i).get_by_role("radio", name=re.compile(r"^[1-5] cœurs? sur 5$")).nth(i % 5).click()
        expect(page.locator("#wishes-count")).to_contain_text(f"{i + 1} / {required}")
    expect(page.locator("#wishes-sufficient")).to_contain_text("Votre liste est suffisante")
    expect(page.locator("#wishes-insufficient")).to_have_count(0)
    _shot(page, "wishes.png")
    page.click("#save-wishes")
    expect(page.locator("#receipt-digest")).to_have_text(re.compile(r"^[0-9a-f]{12}$"))
    expect(page.locator("#receipt-at")).to_contain_text("ont été enregistrés le")
    expect(page.locator(".receipt-line")).to_have_count(required)
    expect(page.locator("#receipt-sufficiency")).to_contain_text("suffisante")
    _shot(page, "receipt.png")
    sid = _student_id(STUDENT)
    with transaction() as session:
        assert session.exec(select(sa.func.count()).select_from(Application).where(
            Application.student_id == sid, Application.round_id == empty_list, Application.hearts > 0)).one() == required
    # Back on the page: everything is saved; the search filter works.
    page.click("#back-to-wishes")
    expect(page.locator("#wishes-saved")).to_be_visible()
    total = page.locator("#page-info-top").inner_text()
    page.fill("#filter-search", "ABBEVILLE")
    page.click("#search-button")
    expect(page.locator("#page-info-top")).not_to_have_text(total)
    expect(page.locator("#page-info-top")).to_contain_text(re.compile(r" [1-9]\d* poste\(s\)"))
    for card in page.locator(".wish-row").all():
        expect(card).to_contain_text("ABBEVILLE")
    page.get_by_role("button", name="Réinitialiser").click()
    expect(page.locator("#filter-search")).to_have_value("")
    expect(page.locator("#page-info-top")).to_have_text(total)


def test_a_student_with_an_insufficient_list_sees_the_red_warning(page, harness, wishes_open):
    with transaction() as session:
        sufficient = sufficient_students(session, wishes_open)
        candidates = session.exec(
            select(Student.id, UserEmail.email).join(UserEmail, UserEmail.user_id == Student.user_id)
            .where(Student.participating, UserEmail.validated_at.is_not(None), UserEmail.kind == "main")
            .order_by(Student.id)
        ).all()
    address = next(email for sid, email in candidates if sid not in sufficient)
    sign_in(page, harness, address)
    page.goto(url(harness, "/etudiant/voeux"))
    expect(page.locator("#wishes-insufficient")).to_contain_text("Votre liste est insuffisante : il manque")
    expect(page.locator("#wishes-insufficient")).to_have_attribute("role", "alert")


def test_outside_the_wishes_phase_the_page_is_read_only(page, harness):
    sign_in(page, harness, STUDENT)
    page.goto(url(harness, "/etudiant/voeux"))
    expect(page.locator("#wishes-window")).to_contain_text("terminée")
    expect(page.locator("#save-wishes")).to_have_count(0)
    # Read-only, not disabled: the keyboard still reaches each post's hearts and screen readers say "lecture
    # seule"; a click is refused by the server and changes nothing.
    row = page.locator(".wish-row").first
    group = row.get_by_role("radiogroup")
    expect(group).to_have_attribute("aria-readonly", "true")
    given = row.locator(".hearts-value").inner_text()
    checked = group.locator('[role="radio"][aria-checked="true"]')
    expect(checked).to_have_attribute("tabindex", "0")
    checked.focus()
    page.keyboard.press("ArrowRight")
    expect(row.locator(".hearts-value")).to_have_text(given)
    row.get_by_role("radio", name="5 cœurs sur 5").click()
    expect(page.locator("#wishes-error")).to_contain_text("vœux")
    expect(row.locator(".hearts-value")).to_have_text(given)


def test_the_region_narrows_the_subdivisions_and_the_box_keeps_the_rated_posts(page, harness):
    from siimop_app.services import auth, wish_posts, wishes

    with transaction() as session:
        uid = session.exec(select(UserEmail.user_id).where(UserEmail.email == STUDENT)).one()
    student = auth.SignedInUser(uid, "", "", STUDENT, ("student",))
    options = wish_posts.filter_options(student)
    region = options["regions"][0]
    inside = [s.label for s in options["subdivisions"] if s.group == region.value]
    rated = sum(1 for hearts in wishes.current_hearts(student).values() if hearts > 0)
    sign_in(page, harness, STUDENT)
    page.goto(url(harness, "/etudiant/voeux"))
    expect(page.locator(".wish-row")).to_have_count(20)
    page.click("#filter-region")
    page.get_by_role("option", name=region.label, exact=True).click()
    expect(page.locator("#filter-region")).to_contain_text(region.label)
    # The subdivision select offers only the region's subdivisions ("Toutes" first).
    page.click("#filter-subdivision")
    expect(page.get_by_role("option")).to_have_count(len(inside) + 1)
    expect(page.get_by_role("option").nth(1)).to_have_text(sorted(inside)[0])
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Réinitialiser").click()
    expect(page.locator("#filter-region")).to_contain_text("Toutes")
    # "Seulement mes postes notés": the posts the student gave hearts.
    page.get_by_role("checkbox", name="Seulement mes postes notés").click()
    expect(page.locator("#page-info-top")).to_contain_text(f"· {rated} poste(s)")
    for value in page.locator(".hearts-value").all():
        expect(value).not_to_have_text("0 / 5")
