"""Wishes (hearts), their receipt and the live sufficiency counter, on a real database."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.demo.generator import DEMO_ACCOUNTS
from siimop_app.models import (
    Application,
    AuditEntry,
    Post,
    Specialty,
    Student,
    UserEmail,
)
from siimop_app.services import auth, documents, receipts, wish_posts, wish_window, wishes
from siimop_app.services.access import AccessDenied
from siimop_app.services.calendar import PhaseClosedError
from tests.services.factories import make_campaign, make_post, make_student, make_supervisor, make_wishes
from tests.services.mailbox import messages
from tests.services.test_documents_and_post_detail import tiny_pdf

STUDENT = DEMO_ACCOUNTS["student"][2]
RTS = DEMO_ACCOUNTS["rts"][2]


def _user(address: str, *roles: str) -> auth.SignedInUser:
    with transaction() as session:
        uid = session.exec(select(UserEmail.user_id).where(UserEmail.email == address)).one()
    return auth.SignedInUser(uid, "Rémi", "Thermidor", address, roles or ("student",))


def _student() -> Student:
    with transaction() as session:
        return session.exec(select(Student).join(UserEmail, UserEmail.user_id == Student.user_id)
                            .where(UserEmail.email == STUDENT)).one()


def _other_student_address(*, same_specialty: bool) -> str:
    me = _student()
    with transaction() as session:
        condition = Student.specialty_id == me.specialty_id if same_specialty else Student.specialty_id != me.specialty_id
        return session.exec(select(UserEmail.email).join(Student, Student.user_id == UserEmail.user_id)
                            .where(condition, Student.id != me.id, Student.participating).order_by(Student.id)).first()


def _snapshot() -> tuple:
    with transaction() as session:
        apps = sorted(session.exec(select(Application.round_id, Application.student_id, Application.post_id,
                                          Application.hearts)).all())
        audits = session.exec(select(sa.func.count()).select_from(AuditEntry)).one()
    return apps, audits


def _few_rows(phase: str) -> auth.SignedInUser:
    """Eight posts of the student's DES and subdivision (the RTS's Abbeville site described), one of another DES;
    the student rated four of them (a sufficient list) and holds the receipt of that submission."""
    rounds = make_campaign(phase)
    rts = make_supervisor(RTS)
    home = [make_post(rts, places=2, decale=True, description="Service d'accueil des urgences et SMUR.")]
    home += [make_post(post_type=kind, months=12 if kind != "simple" else 6, site=f"URGENCES {n}",
                       establishment=f"CH NUMÉRO {n}") for n, kind in enumerate(["simple", "couple", "mixte"] * 2 + ["simple"])]
    make_post(specialty="PSY", site="PSYCHIATRIE ADULTE", establishment="CH PINEL")
    student = make_student(STUDENT, specialty="MED-URG", subdivision="AMIENS", ine="1505002560D")
    make_wishes(student, rounds[1], dict(zip(home[:4], (5, 4, 3, 2))))
    return _user(STUDENT)


@pytest.fixture
def wishes_open(db_url, outbox):
    return _few_rows("wishes")


@pytest.fixture
def demo_wishes_open(db_url, outbox):
    """The small demo in its wishes phase: for what needs a specialty's whole offer over several regions."""
    assert demo_main(["--scale", "small", "--phase", "wishes"]) == 0
    return _user(STUDENT)


def _other_specialty_post() -> int:
    me = _student()
    with transaction() as session:
        return session.exec(select(Post.id).where(Post.calling_specialty_id != me.specialty_id)).first()


# ------------------------------------------------------------------ browsing
def test_browse_returns_only_the_students_specialty_paged_and_filtered(demo_wishes_open):
    user = demo_wishes_open
    me = _student()
    rows, total = wish_posts.browse_posts(user, filters={}, offset=0, limit=10)
    with transaction() as session:
        expected = session.exec(select(sa.func.count()).select_from(Post)
                                .where(Post.calling_specialty_id == me.specialty_id)).one()
        label = session.get(Specialty, me.specialty_id).label
    assert total == expected and len(rows) == 10
    assert {r.specialty for r in rows} == {label}
    assert rows[0].local is True  # the student's own subdivision comes first
    # Paging: pages are disjoint and cover everything.
    seen = []
    for offset in range(0, total, 25):
        page, again = wish_posts.browse_posts(user, filters={}, offset=offset, limit=25)
        assert again == total
        seen += [r.post_id for r in page]
    assert len(seen) == len(set(seen)) == total
    # Filters.
    options = wish_posts.filter_options(user)
    sub = options["subdivisions"][0]
    rows, n = wish_posts.browse_posts(user, filters={"subdivision": sub.value}, offset=0, limit=100)
    assert n and {r.subdivision for r in rows} == {sub.label}
    rows, n = wish_posts.browse_posts(user, filters={"decale": "oui", "months": "6"}, offset=0, limit=100)
    assert all(r.decale and r.duration == "6 mois" for r in rows)
    rows, n = wish_posts.browse_posts(user, filters={"type": "couple"}, offset=0, limit=100)
    assert n and {r.type_and_access for r in rows} == {"Couplé"}
    region = options["regions"][0]
    _, in_region = wish_posts.browse_posts(user, filters={"region": region.value}, offset=0, limit=1)
    assert 0 < in_region < total
    # Text search, case-insensitive, over site, establishment, supervisor and indication; never another specialty.
    rows, n = wish_posts.browse_posts(user, filters={"q": "abbeville"}, offset=0, limit=100)
    assert n >= 1 and all("ABBEVILLE" in r.establishment for r in rows)
    rows, n = wish_posts.browse_posts(user, filters={"q": "fernbach"}, offset=0, limit=100)
    assert n >= 1 and all("FERNBACH" in r.supervisor for r in rows) and {r.specialty for r in rows} == {label}
    assert wish_posts.browse_posts(user, filters={"q": "%"}, offset=0, limit=5)[1] == 0
    # Hearts come with the rows; "rated only" keeps those.
    rated, n = wish_posts.browse_posts(user, filters={"rated": True}, offset=0, limit=100)
    assert n == sum(1 for h in wishes.current_hearts(user).values() if h > 0)
    assert all(r.saved > 0 for r in rated)


def test_browse_refuses_a_supervisor(wishes_open):
    with pytest.raises(AccessDenied):
        wish_posts.browse_posts(_user(RTS, "supervisor"), filters={}, offset=0, limit=5)


# -------------------------------------------------------------------- saving
def test_save_records_hearts_with_one_audit_row_a_receipt_and_a_mail(wishes_open, outbox):
    user = wishes_open
    rows, _ = wish_posts.browse_posts(user, filters={}, offset=0, limit=30)
    before = wishes.current_hearts(user)
    fresh = [r.post_id for r in rows if r.post_id not in before][:2]
    rated = next(pid for pid, h in before.items() if h > 0)
    receipt = wishes.save_wishes(user, {fresh[0]: 4, fresh[1]: 0, rated: 0})
    after = wishes.current_hearts(user)
    assert after[fresh[0]] == 4 and fresh[1] not in after and after[rated] == 0
    assert {w.post_id: w.hearts for w in receipt.wishes} == after
    assert receipt.ine == _student().ine and receipt.round_number == 1 and len(receipt.digest) == 12
    assert receipt.sufficiency.rated == sum(1 for h in after.values() if h > 0)
    assert receipt.at.count("/") == 2 and " à " in receipt.at
    with transaction() as session:  # the receipt of the list already recorded, then this submission's
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "wishes.save",
                                                        AuditEntry.entity_id == _student().id)
                               .order_by(AuditEntry.id)).all()
    assert len(entries) == 2 and entries[0].before_json is None
    assert json.loads(entries[1].before_json)["hearts"][str(rated)] == before[rated]
    logged = json.loads(entries[1].after_json)
    assert logged["hearts"][str(fresh[0])] == 4 and logged["digest"] == receipt.digest
    mails = [m for m in messages(outbox) if str(m["To"]) == STUDENT and "Récépissé" in str(m["Subject"])]
    assert len(mails) == 1 and receipt.digest in mails[0].get_body(("plain",)).get_content()
    # The receipt can be shown again and checked later.
    again = receipts.latest_receipt(user)
    assert again.digest == receipt.digest and again.wishes == receipt.wishes
    assert receipts.verify_receipt(user, receipt.digest.upper()).at_iso == receipt.at_iso
    assert receipts.verify_receipt(user, "000000000000") is None


def test_the_demo_gives_each_student_the_receipt_of_the_wishes_it_recorded(demo_wishes_open):
    user = demo_wishes_open
    receipt = receipts.latest_receipt(user)
    recorded = wishes.current_hearts(user)
    assert recorded and receipt.issued and receipt.round_number == 1
    assert {w.post_id: w.hearts for w in receipt.wishes} == recorded
    assert receipts.verify_receipt(user, receipt.digest) is not None  # the digest proves the stored row
    with transaction() as session:
        students_with_wishes = session.exec(select(sa.func.count(sa.distinct(Application.student_id)))).one()
        students_with_receipts = session.exec(select(sa.func.count(sa.distinct(AuditEntry.entity_id)))
                                              .where(AuditEntry.action == "wishes.save")).one()
    assert students_with_receipts == students_with_wishes


def test_recorded_wishes_without_a_receipt_are_shown_as_recorded(wishes_open):
    """Wishes recorded by any other path than saving (loaded data) are shown, never denied."""
    user = wishes_open
    me = _student()
    with transaction() as session:
        session.execute(sa.delete(AuditEntry).where(AuditEntry.action == "wishes.save", AuditEntry.entity_id == me.id))
    shown = receipts.latest_receipt(user)
    assert not shown.issued and shown.digest == "" and shown.round_number == 1
    assert {w.post_id: w.hearts for w in shown.wishes} == wishes.current_hearts(user)
    assert shown.sufficiency.sufficient
    # A receipt that no longer matches what is recorded gives way to what is recorded.
    receipt = wishes.save_wishes(user, {})
    assert receipts.latest_receipt(user) == receipt
    with transaction() as session:
        session.execute(sa.update(Application).where(Application.student_id == me.id).values(hearts=1))
    shown = receipts.latest_receipt(user)
    assert not shown.issued and {w.hearts for w in shown.wishes} == {1}


def test_digest_is_stable_for_the_same_data_and_changes_with_it():
    one = receipts.receipt_digest(ine="1505002560D", round_id=1, hearts={3: 2, 1: 5}, at_iso="2024-03-04T10:00:00+01:00")
    two = receipts.receipt_digest(ine="1505002560D", round_id=1, hearts={1: 5, 3: 2}, at_iso="2024-03-04T10:00:00+01:00")
    assert one == two and len(one) == 12 and int(one, 16) >= 0
    assert one != receipts.receipt_digest(ine="1505002560D", round_id=1, hearts={1: 5, 3: 3},
                                        at_iso="2024-03-04T10:00:00+01:00")
    assert one != receipts.receipt_digest(ine="1505002560D", round_id=1, hearts={1: 5, 3: 2},
                                        at_iso="2024-03-04T10:00:01+01:00")


@pytest.mark.parametrize("bad", [6, -1, True, 2.5, "trois", None])
def test_hearts_out_of_range_are_refused_in_french_and_nothing_is_written(wishes_open, bad):
    user = wishes_open
    rows, _ = wish_posts.browse_posts(user, filters={}, offset=0, limit=2)
    before = _snapshot()
    with pytest.raises(wishes.WishError, match="entre 0 et 5"):
        wishes.save_wishes(user, {rows[0].post_id: 3, rows[1].post_id: bad})
    assert _snapshot() == before


@pytest.mark.parametrize("forged", ["other_specialty", "unknown", "garbage"])
def test_a_post_outside_the_specialty_refuses_the_whole_submission(wishes_open, forged):
    user = wishes_open
    rows, _ = wish_posts.browse_posts(user, filters={}, offset=0, limit=1)
    bad = {"other_specialty": _other_specialty_post(), "unknown": 999_999, "garbage": "1 OR 1=1"}[forged]
    before = _snapshot()
    with pytest.raises(wishes.WishError, match="ne fait pas partie des postes de votre spécialité"):
        wishes.save_wishes(user, {rows[0].post_id: 5, bad: 2})
    assert _snapshot() == before


def test_out_of_phase_saving_is_refused(db_url, outbox):
    user = _few_rows("ranking")
    rows, _ = wish_posts.browse_posts(user, filters={}, offset=0, limit=1)
    assert rows, "the list stays readable outside the phase"
    window = wish_window.wishes_window()
    assert not window.editable and "terminée" in window.text and window.round_number == 1
    before = _snapshot()
    with pytest.raises(PhaseClosedError, match="n'est pas ouverte"):
        wishes.save_wishes(user, {rows[0].post_id: 5})
    assert _snapshot() == before


def test_a_supervisor_or_non_participant_cannot_save(wishes_open):
    rows, _ = wish_posts.browse_posts(wishes_open, filters={}, offset=0, limit=1)
    with pytest.raises(AccessDenied):
        wishes.save_wishes(_user(RTS, "supervisor"), {rows[0].post_id: 5})
    with transaction() as session:
        session.execute(sa.update(Student).where(Student.id == _student().id).values(participating=False))
    with pytest.raises(wishes.WishError, match="ne participez pas"):
        wishes.save_wishes(wishes_open, {rows[0].post_id: 5})


# --------------------------------------------------------------- sufficiency
def test_the_counter_follows_the_threshold(demo_wishes_open):
    user = demo_wishes_open
    address = _other_student_address(same_specialty=True)
    other = _user(address)
    with transaction() as session:
        sid = session.exec(select(Student.id).where(Student.user_id == other.user_id)).one()
        session.execute(sa.delete(Application).where(Application.student_id == sid))
    empty = wishes.sufficiency_for(other)
    assert empty.rated == 0 and not empty.sufficient
    assert empty.message.startswith("Votre liste est insuffisante")
    required = empty.required
    assert required >= 4
    rows, _ = wish_posts.browse_posts(other, filters={}, offset=0, limit=required)
    draft = {r.post_id: 1 for r in rows[: required - 1]}
    almost = wishes.sufficiency_for(other, draft)
    assert almost.rated == required - 1 and almost.missing == 1 and not almost.sufficient
    draft[rows[required - 1].post_id] = 2
    assert wishes.sufficiency_for(other, draft).sufficient
    draft[rows[0].post_id] = 0  # 0 hearts does not count
    assert not wishes.sufficiency_for(other, draft).sufficient
    receipt = wishes.save_wishes(other, draft)
    assert not receipt.sufficiency.sufficient and receipt.sufficiency.missing == 1
    # Rating many posts across subdivisions (more than offered at home) stays sufficient, with the real count.
    many, _ = wish_posts.browse_posts(user, filters={}, offset=0, limit=100)
    counter = wishes.sufficiency_for(user, {r.post_id: 1 for r in many})
    assert counter.sufficient and counter.rated >= 100 and f"{counter.rated} postes notés" in counter.message


def test_students_read_the_posts_description_and_descriptive_file(wishes_open):
    """The RTS's Abbeville site is described; a site's descriptive PDF is offered through the private route."""
    from siimop_app.models import DocumentKind, Site

    rows, _ = wish_posts.browse_posts(wishes_open, filters={"q": "S.A.U. - SMUR"}, offset=0, limit=50)
    assert any(row.description for row in rows)
    with transaction() as session:
        site = session.exec(select(Site).where(Site.name == "S.A.U. - SMUR", Site.description != "")).first()
        doc = documents.store_pdf(session, owner_user_id=site.supervisor_user_id,
                                  kind=DocumentKind.POST_DESCRIPTION.value, filename="fiche.pdf", data=tiny_pdf())
        site.descriptive_document_id = doc.id
        session.add(site)
    rows, _ = wish_posts.browse_posts(wishes_open, filters={"q": "S.A.U. - SMUR"}, offset=0, limit=50)
    assert any(row.file_path == documents.download_path(doc.id, inline=True) for row in rows)
