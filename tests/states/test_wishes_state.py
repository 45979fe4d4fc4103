"""The wishes pages' handlers, without a browser: guards, the draft, forged events."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import get_engine, transaction
from siimop_app.models import Application, AuditEntry, Post, Student, UserEmail
from siimop_app.pages.student.home import StudentHomeState
from siimop_app.pages.student.wishes import WishesReceiptState, WishesState
from siimop_app.services import wishes
from tests.states.reflex_state import settle
from tests.states.test_guards import (
    NO_ACCESS,
    demo_address,
    load_demo,
    page_state,
    redirects,
    sign_in,
    toasts,
)


def _count(model) -> int:
    with transaction() as session:
        return session.exec(select(sa.func.count()).select_from(model)).one()


def test_guards_anonymous_and_supervisor(db_url, outbox):
    load_demo("wishes")
    for cls in (WishesState, WishesReceiptState):
        for cookie in ("", "1.forged"):
            state = page_state(cls, cookie)
            assert redirects(settle(state.load())) == ["/connexion"]
            assert state.user_name == "" and state.menu == []
        supervisor = page_state(cls, sign_in(outbox, demo_address("rts2")))
        result = settle(supervisor.load())
        assert redirects(result) == ["/"] and any(NO_ACCESS in js for js in toasts(result))
    state = page_state(WishesState, sign_in(outbox, demo_address("rts2")))
    settle(state.load())
    assert state.rows == [] and state.counter == wishes.NO_SUFFICIENCY
    before = _count(Application), _count(AuditEntry)
    settle(state.set_hearts(1, 5))  # forged events from a supervisor's browser
    settle(state.save())
    assert (_count(Application), _count(AuditEntry)) == before


def test_the_student_rates_saves_and_gets_a_receipt(db_url, outbox):
    load_demo("wishes")
    cookie = sign_in(outbox, demo_address("student"))
    state = page_state(WishesState, cookie)
    assert redirects(settle(state.load())) == []
    assert state.editable and len(state.rows) == 20 and state.total > 20
    assert "Mes vœux" in [m.label for m in state.menu]
    assert next(m for m in state.menu if m.label == "Mes vœux").href == "/etudiant/voeux"
    row = next(r for r in state.rows if state.hearts[str(r.post_id)] == 0)
    rated_before = state.counter.rated
    settle(state.set_hearts(row.post_id, 4))
    assert state.pending == 1 and state.counter.rated == rated_before + 1
    assert state.hearts[str(row.post_id)] == 4 != row.saved  # shown, not saved yet
    settle(state.next_page())  # the draft survives paging
    settle(state.previous_page())
    assert state.hearts[str(row.post_id)] == 4
    result = settle(state.save())
    assert redirects(result) == ["/etudiant/voeux/recu"] and state.pending == 0
    with transaction() as session:
        assert session.exec(select(Application.hearts).join(Student, Student.id == Application.student_id)
                            .join(UserEmail, UserEmail.user_id == Student.user_id)
                            .where(Application.post_id == row.post_id, Application.round_id == 1,
                                   UserEmail.email == demo_address("student"))).all() == [4]
    receipt = page_state(WishesReceiptState, cookie)
    settle(receipt.load())
    assert len(receipt.receipt.digest) == 12
    assert any(w.post_id == row.post_id and w.hearts == 4 for w in receipt.receipt.wishes)


def test_forged_post_ids_and_values_change_nothing(db_url, outbox):
    load_demo("wishes")
    state = page_state(WishesState, sign_in(outbox, demo_address("student")))
    settle(state.load())
    with transaction() as session:
        me = session.exec(select(Student).join(UserEmail, UserEmail.user_id == Student.user_id)
                          .where(UserEmail.email == demo_address("student"))).one()
        foreign = session.exec(select(Post.id).where(Post.calling_specialty_id != me.specialty_id)).first()
    for post_id, hearts in ((foreign, 5), ("1 OR 1=1", 3), (state.rows[0].post_id, 9),
                            (state.rows[0].post_id, "-1")):
        settle(state.set_hearts(post_id, hearts))
        assert state.error and state.pending == 0
    # A draft forged into the backend var is still checked by the service at save.
    state._draft = {foreign: 5}
    before = _count(Application), _count(AuditEntry)
    settle(state.save())
    assert "ne fait pas partie des postes de votre spécialité" in state.error
    assert (_count(Application), _count(AuditEntry)) == before


def test_read_only_outside_the_wishes_phase(db_url, outbox):
    load_demo("ranking")
    state = page_state(WishesState, sign_in(outbox, demo_address("student")))
    assert redirects(settle(state.load())) == []
    assert not state.editable and "terminée" in state.window_text and state.rows
    before = _count(Application), _count(AuditEntry)
    settle(state.set_hearts(state.rows[0].post_id, 5))
    assert state.error and state.pending == 0
    state._draft = {state.rows[0].post_id: 5}
    settle(state.save())
    assert "n'est pas ouverte" in state.error
    assert (_count(Application), _count(AuditEntry)) == before


def test_the_menu_and_the_page_speak_of_the_same_round(db_url, outbox):
    load_demo("ranking")  # round 1's wishes are over, round 2's not open yet
    state = page_state(WishesState, sign_in(outbox, demo_address("student")))
    settle(state.load())
    entry = next(item for item in state.menu if item.label == "Mes vœux")
    assert "tour 1" in state.window_text and "tour 2 seront ouverts" in state.window_text
    # The menu shows dd-mm-yyyy, the page dd/mm/yyyy: the same first and last days.
    assert entry.starts.replace("-", "/") in state.window_text
    assert entry.ends.replace("-", "/") in state.window_text.split("tour 2")[0]


def test_student_file_guards_and_edit(db_url, outbox):
    load_demo("wishes")
    state = page_state(StudentHomeState, sign_in(outbox, demo_address("student")))
    settle(state.load())
    assert state.file_editable and [d.kind for d in state.file_docs] == ["cv", "cover_letter", "training_contract"]
    settle(state.save_presentation({"presentation": "Bonjour"}))
    assert state.presentation == "Bonjour" and state.error == ""
    intruder = page_state(StudentHomeState, sign_in(outbox, demo_address("rts2")))
    assert redirects(settle(intruder.load())) == ["/"]
    settle(intruder.save_presentation({"presentation": "piraté"}))
    assert intruder.error
    with transaction() as session:
        assert "Bonjour" in session.exec(select(Student.presentation)).all()
        assert "piraté" not in session.exec(select(Student.presentation)).all()


def test_the_rated_checkbox_and_the_region_that_narrows_the_subdivision(db_url, outbox):
    load_demo("wishes")
    state = page_state(WishesState, sign_in(outbox, demo_address("student")))
    settle(state.load())
    everything = state.total
    # "Seulement mes postes notés": the posts the student gave hearts, back to all when unticked or reset.
    settle(state.set_check("rated", True))
    assert state.f_rated and 0 < state.total < everything and all(r.saved > 0 for r in state.rows)
    settle(state.set_check("rated", "false"))  # the browser's text, not a truthy string
    assert not state.f_rated and state.total == everything
    settle(state.set_check("region", True))  # a forged key changes nothing
    assert state.f_region == "all" and state.total == everything
    # The subdivisions carry their region: choosing a region clears the subdivision chosen before.
    sub = state.subdivisions[0]
    assert sub.group in {r.value for r in state.regions}
    settle(state.set_filter("subdivision", sub.value))
    assert {r.subdivision for r in state.rows} == {sub.label}
    other = next(r for r in state.regions if r.value != sub.group)
    settle(state.set_filter("region", other.value))
    assert state.f_subdivision == "all" and state.total > 0
    settle(state.set_check("rated", True))
    settle(state.reset_filters())
    assert (state.f_region, state.f_rated, state.total) == ("all", False, everything)


def test_a_heart_click_reads_only_the_session_and_the_saved_hearts_which_another_tab_may_have_changed(db_url, outbox):
    load_demo("wishes")
    cookie = sign_in(outbox, demo_address("student"))
    first, second = page_state(WishesState, cookie), page_state(WishesState, cookie)
    settle(first.load())
    settle(second.load())
    unrated = [r for r in first.rows if first.hearts[str(r.post_id)] == 0]
    rated_before = first.counter.rated
    settle(second.set_hearts(unrated[0].post_id, 3))
    settle(second.save())  # saved from the other tab
    statements = []
    count = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(get_engine(), "before_cursor_execute", count)
    try:
        settle(first.set_hearts(unrated[1].post_id, 2))
    finally:
        sa.event.remove(get_engine(), "before_cursor_execute", count)
    assert first.counter.rated == rated_before + 2  # the other tab's saved heart counts, with this one's draft
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2, statements


def _receipt_page_beside(state: WishesState) -> WishesReceiptState:
    """The receipt page's state in the same tab as ``state`` (the page the save redirects to)."""
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    return root.get_substate(WishesReceiptState.get_full_name().split("."))


def test_the_receipt_page_a_save_opens_shows_that_receipt_unless_another_tab_saved_since(db_url, outbox):
    load_demo("wishes")
    cookie = sign_in(outbox, demo_address("student"))
    tab = page_state(WishesState, cookie)
    settle(tab.load())
    unrated = [r for r in tab.rows if tab.hearts[str(r.post_id)] == 0]
    settle(tab.set_hearts(unrated[0].post_id, 4))
    settle(tab.save())
    page = _receipt_page_beside(tab)
    settle(page.load())  # the receipt the save returned, not rebuilt
    rebuilt = page_state(WishesReceiptState, cookie)  # another tab: rebuilt from the audit trail
    settle(rebuilt.load())
    assert page.found and page.receipt.issued and page.receipt == rebuilt.receipt
    assert any(w.post_id == unrated[0].post_id and w.hearts == 4 for w in page.receipt.wishes)

    settle(tab.set_hearts(unrated[1].post_id, 2))
    settle(tab.save())
    other = page_state(WishesState, cookie)  # a second tab saves before the first tab's receipt page opens
    settle(other.load())
    settle(other.set_hearts(unrated[2].post_id, 5))
    settle(other.save())
    settle(page.load())
    settle(rebuilt.load())
    assert page.receipt == rebuilt.receipt
    assert any(w.post_id == unrated[2].post_id and w.hearts == 5 for w in page.receipt.wishes)
