"""The receipt page never denies recorded wishes: the demo student (wishes recorded by the demo) reads them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Application, AuditEntry, Student, UserEmail
from tests.e2e.conftest import sign_in, url

pytestmark = pytest.mark.e2e
STUDENT = "etudiant@demo.siimop.fr"


def _recorded() -> tuple[int, int]:
    """(student id, number of wishes recorded) of the demo student."""
    with transaction() as session:
        sid = session.exec(select(Student.id).join(UserEmail, UserEmail.user_id == Student.user_id)
                           .where(UserEmail.email == STUDENT)).one()
        count = session.exec(select(sa.func.count()).select_from(Application)
                             .where(Application.student_id == sid)).one()
    return sid, count


def test_the_student_reads_the_wishes_recorded_with_or_without_a_receipt(page: Page, harness):
    sid, count = _recorded()
    assert count > 0
    sign_in(page, harness, STUDENT)
    page.goto(url(harness, "/etudiant/voeux/recu"))
    expect(page.locator(".receipt-line")).to_have_count(count)
    expect(page.locator("#receipt-digest")).to_have_text(re.compile(r"^[0-9a-f]{12}$"))
    expect(page.locator("#no-receipt")).to_have_count(0)

    # Wishes loaded without a receipt (no receipt row): the page shows them as recorded, and says so.
    with transaction() as session:
        kept = session.exec(select(AuditEntry).where(AuditEntry.action == "wishes.save",
                                                     AuditEntry.entity_id == sid)).all()
        rows = [{c: getattr(e, c) for c in ("id", "at", "actor_user_id", "action", "entity", "entity_id",
                                             "before_json", "after_json")} for e in kept]
        for entry in kept:
            session.delete(entry)
    try:
        page.reload()
        expect(page.locator(".receipt-line")).to_have_count(count)
        expect(page.locator("#receipt-at")).to_contain_text("Aucun récépissé horodaté")
        expect(page.locator("#receipt-digest")).to_have_count(0)
    finally:
        with transaction() as session:
            for row in rows:
                session.add(AuditEntry(**row))
