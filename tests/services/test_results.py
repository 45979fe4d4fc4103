"""Affectations: a supervisor sees, per published round, their posts with the students placed on them."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import get_engine, transaction
from siimop_app.domain.calendar import PARIS
from siimop_app.models import Assignment, Post, PostSupervisor, Specialty, Student, User, UserEmail
from siimop_app.services import calendar, results
from siimop_app.demo.generator import DEMO_ACCOUNTS
from tests.services.factories import make_campaign, make_post, make_seed_posts, make_student, make_supervisor, make_user

RTS, RTS2 = DEMO_ACCOUNTS["rts"][2], DEMO_ACCOUNTS["rts2"][2]


# ------------------------------------------------------------------ helpers
def _load_campaign(phase: str) -> calendar.WaveCalendar:
    """The demo RTS's posts as in the seed (``make_seed_posts``), RTS2's own simple post, another supervisor's
    post, six students."""
    make_campaign(phase)
    _, rts2, _ = make_seed_posts()
    make_post(rts2, site="SMUR", establishment="CH DE BEAUVAIS")
    make_post(make_supervisor("autre.rts@chu-amiens.example", first="Paul", last="MARTIN"), site="URGENCES ADULTES",
              establishment="CHU AMIENS-PICARDIE")
    for n in range(6):
        make_student(f"etudiant{n}@univ.example", first=f"Élève{n}", last=f"Numéro{n}", ine=f"00000000{n:02d}A",
                     specialty="MED-URG", subdivision="AMIENS")
    wave = calendar.current_wave()
    assert wave is not None
    return wave


def _user_id(address: str) -> int:
    with transaction() as session:
        return session.exec(select(UserEmail.user_id).where(UserEmail.email == address)).one()


def _posts_of(user_id: int) -> dict[str, int]:
    """The supervisor's posts by type ("simple", "couple", "mixte")."""
    with transaction() as session:
        rows = session.exec(
            select(Post.post_type, Post.id).join(PostSupervisor, PostSupervisor.post_id == Post.id)
            .where(PostSupervisor.user_id == user_id)
        ).all()
    return dict(rows)


def _students(count: int, *, skip: int = 0) -> list[tuple[int, str, str]]:
    """(student id, "First LAST", specialty label) of some students."""
    with transaction() as session:
        rows = session.exec(
            select(Student.id, User.first_name, User.last_name, Specialty.label)
            .join(User, User.id == Student.user_id)
            .join(Specialty, Specialty.id == Student.specialty_id)
            .order_by(Student.id).offset(skip).limit(count)
        ).all()
    return [(sid, f"{first} {last.upper()}", label) for sid, first, last, label in rows]


def _assign(wave: calendar.WaveCalendar, round_number: int, post_id: int, student_ids: list[int]) -> None:
    with transaction() as session:
        for student_id in student_ids:
            session.add(Assignment(round_id=wave.round_id(round_number), student_id=student_id, post_id=post_id))


def _results_day(wave: calendar.WaveCalendar, round_number: int) -> dt.date:
    return next(p.starts_on for p in wave.phases if p.kind == "results" and p.round_number == round_number)


def _paris(day: dt.date, time: dt.time = dt.time(12, 0)) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=PARIS)


def _card(rounds: list[results.ResultRound], number: int, post_id: int) -> results.ResultCard:
    found = next(r for r in rounds if r.number == number)
    return next(card for card in found.cards if card.post_id == post_id)


@contextlib.contextmanager
def _counting_statements():
    engine = get_engine()
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


# -------------------------------------------------------------------- tests
def test_a_published_round_shows_each_post_with_its_students(db_url):
    wave = _load_campaign("results")  # round 1's results were published yesterday; round 2's are weeks away
    rts = _user_id(RTS)
    posts = _posts_of(rts)
    (s1, name1, spec1), (s2, name2, spec2), (s3, name3, _), (s4, _, _) = _students(4)
    _assign(wave, 1, posts["simple"], [s1])
    _assign(wave, 1, posts["couple"], [s2, s3])  # more than the places opened: still shown as counted
    _assign(wave, 2, posts["mixte"], [s4])  # round 2 is not published yet

    rounds = results.supervisor_results(user_id=rts, wave_id=wave.wave_id, at=calendar.now())

    assert [(r.number, r.title) for r in rounds] == [(1, "Tour 1")]
    assert rounds[0].published_on == _results_day(wave, 1)
    assert rounds[0].none_filled is False and results.none_filled(rounds) is False
    assert {card.post_id for card in rounds[0].cards} == set(posts.values())  # référent or not

    simple = _card(rounds, 1, posts["simple"])
    assert simple.filled_text == "1 / 2 postes pourvus" and simple.filled == 1
    assert simple.students == [results.AssignedStudent(full_name=name1, specialty=spec1)]
    assert simple.specialty == "MÉDECINE D'URGENCE"
    assert (simple.post_type, simple.duration) == ("Simple", "6 mois")
    assert simple.site_name == "S.A.U. - SMUR"
    assert "ABBEVILLE" in simple.establishment
    assert simple.subdivision == "SUBDI AMIENS"

    couple = _card(rounds, 1, posts["couple"])
    assert (couple.post_type, couple.duration) == ("Couplé", "1 an")
    assert couple.filled_text == "2 / 1 postes pourvus"
    assert sorted(s.full_name for s in couple.students) == sorted([name2, name3])

    mixte = _card(rounds, 1, posts["mixte"])
    assert mixte.post_type == "Mixte"
    assert mixte.filled_text == "0 / 1 postes pourvus" and mixte.students == []


def test_a_round_is_shown_from_its_results_day_in_paris_never_before(db_url):
    wave = _load_campaign("ranking")  # round 1's results are still ahead
    rts = _user_id(RTS)
    posts = _posts_of(rts)
    [(student, name, _)] = _students(1)
    _assign(wave, 1, posts["simple"], [student])  # stored already, but not yet published

    assert results.supervisor_results(user_id=rts, wave_id=wave.wave_id, at=calendar.now()) == []
    day = _results_day(wave, 1)
    assert day > calendar.now().date()
    eve = _paris(day - dt.timedelta(days=1), dt.time(23, 59, 59))
    assert results.supervisor_results(user_id=rts, wave_id=wave.wave_id, at=eve) == []
    # Midnight in Paris is still the eve in UTC: the Paris date decides.
    midnight = _paris(day, dt.time(0, 0)).astimezone(dt.timezone.utc)
    rounds = results.supervisor_results(user_id=rts, wave_id=wave.wave_id, at=midnight)
    assert [r.number for r in rounds] == [1]
    assert [s.full_name for s in _card(rounds, 1, posts["simple"]).students] == [name]
    # The next publication the page announces is round 1's until then, round 2's after.
    assert results.next_results_phase(wave, eve).round_number == 1
    assert results.next_results_phase(wave, midnight).round_number == 2

    with pytest.raises(ValueError):
        results.supervisor_results(user_id=rts, wave_id=wave.wave_id, at=dt.datetime(2030, 1, 1))


def test_rounds_come_in_order_each_with_its_own_assignments(db_url):
    wave = _load_campaign("results")
    rts = _user_id(RTS)
    posts = _posts_of(rts)
    (s1, _, _), (s2, name2, _) = _students(2)
    _assign(wave, 2, posts["mixte"], [s2])
    after_round_2 = _paris(_results_day(wave, 2))

    rounds = results.supervisor_results(user_id=rts, wave_id=wave.wave_id, at=after_round_2)
    assert [r.title for r in rounds] == ["Tour 1", "Tour 2"]
    # The seed's example: nothing filled in round 1, one post filled in round 2.
    assert rounds[0].none_filled is True and rounds[1].none_filled is False
    assert results.none_filled(rounds) is False
    assert _card(rounds, 2, posts["mixte"]).students[0].full_name == name2
    assert _card(rounds, 1, posts["mixte"]).filled_text == "0 / 1 postes pourvus"
    assert _card(rounds, 2, posts["simple"]).filled_text == "0 / 2 postes pourvus"
    # The same answer with the wave's calendar given (one query fewer).
    assert results.supervisor_results(user_id=rts, wave_id=wave.wave_id, at=after_round_2, calendar=wave) == rounds


def test_none_filled_when_no_post_of_the_supervisor_got_anyone(db_url):
    wave = _load_campaign("results")
    rts = _user_id(RTS)
    rounds = results.supervisor_results(user_id=rts, wave_id=wave.wave_id, at=calendar.now())
    assert len(rounds) == 1 and rounds[0].none_filled is True
    assert results.none_filled(rounds) is True
    assert {card.filled_text for card in rounds[0].cards} == {"0 / 2 postes pourvus", "0 / 1 postes pourvus"}


def test_another_supervisors_posts_and_students_never_appear(db_url):
    wave = _load_campaign("results")
    rts, rts2 = _user_id(RTS), _user_id(RTS2)
    mine, theirs = _posts_of(rts), _posts_of(rts2)
    only_rts2 = set(theirs.values()) - set(mine.values())
    with transaction() as session:
        stranger_post = session.exec(
            select(Post.id).where(Post.id.not_in(list(mine.values()) + list(theirs.values()))).order_by(Post.id)
        ).first()
    (s1, name1, _), (s2, name2, _) = _students(2)
    _assign(wave, 1, stranger_post, [s1])  # another supervisor's post, filled
    _assign(wave, 1, mine["mixte"], [s2])  # shared with rts2

    rounds = results.supervisor_results(user_id=rts, wave_id=wave.wave_id, at=calendar.now())
    shown = {card.post_id for card in rounds[0].cards}
    assert shown == set(mine.values()) and stranger_post not in shown and not (shown & only_rts2)
    names = {s.full_name for card in rounds[0].cards for s in card.students}
    assert names == {name2}

    # The second supervisor of the mixte post sees the same result on it, and only their own posts.
    theirs_rounds = results.supervisor_results(user_id=rts2, wave_id=wave.wave_id, at=calendar.now())
    assert {card.post_id for card in theirs_rounds[0].cards} == set(theirs.values())
    assert _card(theirs_rounds, 1, mine["mixte"]).students[0].full_name == name2

    # A supervisor without any post in the wave: published rounds, no card, nothing filled.
    nobody = make_user("sans-poste@chu.example", "supervisor")
    empty = results.supervisor_results(user_id=nobody, wave_id=wave.wave_id, at=calendar.now())
    assert [r.cards for r in empty] == [[]] and results.none_filled(empty)


def test_the_number_of_queries_does_not_grow_with_posts_or_students(db_url):
    wave = _load_campaign("results")
    supervisor = make_user("compteur@chu.example", "supervisor")
    with transaction() as session:
        post_ids = session.exec(select(Post.id).where(Post.wave_id == wave.wave_id).order_by(Post.id).limit(3)).all()
        session.add(PostSupervisor(post_id=post_ids[0], user_id=supervisor, is_referent=True))
    students = [sid for sid, _, _ in _students(6)]
    _assign(wave, 1, post_ids[0], students[:1])
    at = calendar.now()

    def statements(when: dt.datetime = at, **kwargs) -> tuple[int, list[results.ResultRound]]:
        with _counting_statements() as seen:
            rounds = results.supervisor_results(user_id=supervisor, wave_id=wave.wave_id, at=when, **kwargs)
        return len(seen), rounds

    one_post, rounds = statements()
    assert len(rounds[0].cards) == 1
    one_post_with_calendar, _ = statements(calendar=wave)

    with transaction() as session:
        for post_id in post_ids[1:]:
            session.add(PostSupervisor(post_id=post_id, user_id=supervisor, is_referent=False))
    _assign(wave, 1, post_ids[1], students[1:3])
    _assign(wave, 1, post_ids[2], students[3:6])
    three_posts, rounds = statements()
    assert len(rounds[0].cards) == 3
    assert sum(card.filled for card in rounds[0].cards) == 6
    three_posts_with_calendar, _ = statements(calendar=wave)

    assert one_post == three_posts == 2
    assert one_post_with_calendar == three_posts_with_calendar == 1
    # Before any publication the posts are not even read.
    before, rounds = statements(_paris(_results_day(wave, 1) - dt.timedelta(days=1)), calendar=wave)
    assert (before, rounds) == (0, [])
