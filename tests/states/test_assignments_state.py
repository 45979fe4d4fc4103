"""Affectations page (supervisor): its guard and what it loads, without a browser."""

from __future__ import annotations

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Assignment, Post, PostSupervisor, Student, User, UserEmail
from siimop_app.pages.supervisor.assignments import SupervisorAssignmentsState
from siimop_app.services import calendar
from tests.states.test_guards import NO_ACCESS, demo_address, load_demo, page_state, redirects, sign_in, toasts


def _nothing_loaded(state) -> None:
    assert state.rounds == [] and state.notice == ""
    assert state.user_name == "" and state.menu == []


def _assign_on_the_simple_post() -> str:
    """Place the first demo student on the demo RTS's simple post in round 1; return their displayed name."""
    wave = calendar.current_wave()
    with transaction() as session:
        post_id = session.exec(
            select(Post.id).join(PostSupervisor, PostSupervisor.post_id == Post.id)
            .join(UserEmail, UserEmail.user_id == PostSupervisor.user_id)
            .where(UserEmail.email == demo_address("rts"), Post.post_type == "simple")
        ).one()
        student_id, first, last = session.exec(
            select(Student.id, User.first_name, User.last_name).join(User, User.id == Student.user_id)
            .order_by(Student.id)
        ).first()
        session.add(Assignment(round_id=wave.round_id(1), student_id=student_id, post_id=post_id))
    return f"{first} {last.upper()}"


def test_anonymous_visitors_and_other_roles_are_sent_away(db_url, outbox):
    load_demo("results")
    for cookie in ("", "garbage", "1.forged-secret"):
        state = page_state(SupervisorAssignmentsState, cookie)
        assert redirects(state.load()) == ["/connexion"]
        _nothing_loaded(state)

    for account in ("student", "manager"):
        state = page_state(SupervisorAssignmentsState, sign_in(outbox, demo_address(account)))
        result = state.load()
        assert redirects(result) == ["/"]
        assert any(NO_ACCESS in js for js in toasts(result))
        _nothing_loaded(state)


def test_the_rts_sees_the_published_round_with_their_posts(db_url, outbox):
    load_demo("results")
    name = _assign_on_the_simple_post()
    state = page_state(SupervisorAssignmentsState, sign_in(outbox, demo_address("rts")))
    assert redirects(state.load()) == []
    assert state.user_name == "Isabelle FERNBACH"
    assert any(item.label == "Affectations" and item.href == "/rts/affectations" for item in state.menu)

    [first_round] = state.rounds
    assert first_round.title == "Tour 1" and first_round.none_filled is False
    assert len(first_round.cards) == 3
    filled = [card for card in first_round.cards if card.students]
    assert [card.filled_text for card in filled] == ["1 / 2 postes pourvus"]
    [student] = filled[0].students
    assert student.full_name == name and student.specialty
    assert filled[0].site_name == "S.A.U. - SMUR" and filled[0].post_type == "Simple"
    # Round 2's results are still ahead: the page announces their day.
    assert state.notice.startswith("Les résultats du deuxième tour seront publiés le ")


def test_before_any_publication_the_page_gives_the_first_results_day(db_url, outbox):
    load_demo("ranking")
    _assign_on_the_simple_post()  # stored, but round 1's results day is still ahead
    state = page_state(SupervisorAssignmentsState, sign_in(outbox, demo_address("rts")))
    assert redirects(state.load()) == []
    assert state.rounds == []
    day = next(p.starts_on for p in calendar.current_wave().phases if p.kind == "results" and p.round_number == 1)
    assert state.notice == f"Les résultats du premier tour seront publiés le {day.strftime('%d/%m/%Y')}."


def test_a_round_without_any_filled_post_is_flagged(db_url, outbox):
    load_demo("results")
    state = page_state(SupervisorAssignmentsState, sign_in(outbox, demo_address("rts2")))
    assert redirects(state.load()) == []
    assert [(r.title, r.none_filled) for r in state.rounds] == [("Tour 1", True)]
    assert state.news_url  # the message links the campaign's news
