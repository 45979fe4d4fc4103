"""Issue 13: the pages' events assign only the vars whose value changed (``AppState._assign``): every assigned var
goes back to the browser. A page opened again with nothing changed sends none of its data back."""

from __future__ import annotations

import siimop_app.siimop_app  # noqa: F401  (registers the pages and their "[post_id]" argument)
from siimop_app.pages.coordinator.home import CoordinatorHomeState
from siimop_app.pages.coordinator.posts import PostTableState
from siimop_app.pages.coordinator.posts import StaffPostDetailState
from siimop_app.pages.coordinator.supervisors import SupervisorTableState
from siimop_app.pages.student.home import StudentHomeState
from siimop_app.pages.student.wishes import WishesReceiptState
from siimop_app.pages.supervisor.post_detail import PostDetailState
from siimop_app.pages.supervisor.posts import SupervisorPostsState
from tests.states.reflex_state import forget_sent, page_state, sent_vars, settle, shell_sent
from tests.states.test_guards import demo_address, load_demo, redirects, sign_in


def _reloaded(state) -> set[str]:
    assert redirects(settle(state.load())) == []
    forget_sent(state)
    assert redirects(settle(state.load())) == []
    assert shell_sent(state) == set()  # the side menu and its dates did not change: not sent again
    return sent_vars(state)


def test_staff_tables_opened_again_send_nothing_of_their_data(db_url, outbox):
    load_demo("ranking")
    manager = sign_in(outbox, demo_address("manager"))
    for cls in (CoordinatorHomeState, PostTableState, SupervisorTableState):
        table = page_state(cls, manager)
        # the live refresh's token (a backend var, never sent) is the one change
        assert _reloaded(table) - {"_watch_token"} == set() and table.rows and table.statistics, cls


def test_pages_opened_again_send_nothing_of_their_data(db_url, outbox):
    load_demo("ranking")
    student_cookie = sign_in(outbox, demo_address("student"))
    student = page_state(StudentHomeState, student_cookie)
    assert _reloaded(student) == set() and student.has_summary and len(student.file_docs) == 3
    receipt = page_state(WishesReceiptState, student_cookie)
    assert _reloaded(receipt) == set() and receipt.loaded and len(receipt.receipt.digest) == 12
    rts = sign_in(outbox, demo_address("rts"))
    posts = page_state(SupervisorPostsState, rts)
    assert _reloaded(posts) == set() and posts.cards
    post_id = posts.cards[0].post_id
    detail = page_state(PostDetailState, rts, path="/rts/postes/[post_id]", params={"post_id": post_id})
    assert _reloaded(detail) == set() and detail.loaded and detail.error == ""
    staff = page_state(StaffPostDetailState, sign_in(outbox, demo_address("manager")),
                       path="/coordonnateur/postes/[post_id]", params={"post_id": post_id})
    # the correction form is remounted with the values in the database on every load, by design
    assert _reloaded(staff) == {"form_version"} and staff.loaded and staff.error == ""


def test_a_change_sends_what_it_changed(db_url, outbox):
    load_demo("wishes")  # Mon dossier can change during the wishes phase
    student = page_state(StudentHomeState, sign_in(outbox, demo_address("student")))
    settle(student.load())
    forget_sent(student)
    settle(student.save_presentation({"presentation": "Urgentiste motivé."}))
    assert student.presentation == "Urgentiste motivé." and student.error == ""
    assert sent_vars(student) == {"presentation", "notice"}
