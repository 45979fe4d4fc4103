"""Round 2's wishes start from the student's round-1 hearts on the posts still offered (unsaved until the student
saves them); placed students and students who already chose their round-2 list get nothing pre-filled."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Application, Assignment, Phase, Post, Round, Student, User, UserEmail
from siimop_app.pages.student.wishes import WishesState
from siimop_app.services import calendar, rounds, wishes
from siimop_app.services.auth import SignedInUser
from tests.services.test_rounds import demo  # noqa: F401  (the fixture: round 1 ready to close)
from tests.states.reflex_state import settle
from tests.states.test_guards import page_state, sign_in


def _open_round_two_wishes() -> int:
    today = calendar.now().date()
    with transaction() as session:
        two = session.exec(select(Round.id).where(Round.number == 2)).one()
        for phase in session.exec(select(Phase).where(Phase.kind == "wishes")).all():
            if phase.round_id == two:
                phase.starts_on, phase.ends_on = today, today
            else:
                phase.ends_on = min(phase.ends_on, today - dt.timedelta(days=1))
                phase.starts_on = min(phase.starts_on, phase.ends_on)
            session.add(phase)
    return two


def _as_user(session, student: Student) -> SignedInUser:
    user = session.get(User, student.user_id)
    email = session.exec(select(UserEmail.email).where(UserEmail.user_id == user.id, UserEmail.kind == "main")).one()
    return SignedInUser(user.id, user.first_name, user.last_name, email, ("student",))


def test_an_unplaced_student_finds_their_round_one_hearts_on_the_posts_still_offered(demo, outbox):  # noqa: F811
    rounds.close_round(round_id=demo, actor_user_id=None)
    _open_round_two_wishes()
    with transaction() as session:
        placed = set(session.exec(select(Assignment.student_id)).all())
        taken = dict(session.exec(select(Assignment.post_id, sa.func.count()).group_by(Assignment.post_id)).all())
        opened = dict(session.exec(select(Post.id, Post.places_opened)).all())
        full = {pid for pid, count in taken.items() if count >= opened[pid]}
        # An unplaced student who rated a post that round 1 filled, and one that still has a place.
        rated: dict[int, set[int]] = {}
        for sid, pid in session.exec(select(Application.student_id, Application.post_id)
                                     .where(Application.round_id == demo, Application.hearts > 0)).all():
            rated.setdefault(sid, set()).add(pid)
        unplaced = session.get(Student, next(sid for sid in sorted(rated)
                                             if sid not in placed and rated[sid] - full and rated[sid] & full))
        round_one = dict(session.exec(select(Application.post_id, Application.hearts).where(
            Application.round_id == demo, Application.student_id == unplaced.id, Application.hearts > 0)).all())
        student_user = _as_user(session, unplaced)
        placed_user = _as_user(session, session.get(Student, next(iter(placed))))

    carried = wishes.carried_over_hearts(student_user)
    assert carried == {pid: h for pid, h in round_one.items() if pid not in full}
    assert wishes.carried_over_hearts(placed_user) == {}

    # The wishes page proposes them as unsaved changes, and says so; nothing is written until the student saves.
    state = page_state(WishesState, sign_in(outbox, student_user.email))
    settle(state.load())
    assert state.pending == len(carried) and "du tour précédent" in state.notice
    assert wishes.current_hearts(student_user) == {}
    settle(state.save())
    assert wishes.current_hearts(student_user) == carried
    assert wishes.carried_over_hearts(student_user) == {}  # their round-2 list is theirs now
