"""Who is a candidate of a post in a round, and whose wish list is sufficient (SPEC §4, §5).

A candidate is a participating student, not already placed in an earlier round of
the wave, who gave the post one heart or more in the round and whose list is sufficient: an insufficient list is excluded from the round,
so its student is neither ranked nor matched. "Posts offered to the specialty" are
the wave's posts of the student's specialty in the student's subdivision (README,
Decisions). Everything is computed in a few grouped queries, never one per student.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import hot
from siimop_app.domain.calendar import opens_at
from siimop_app.domain.sufficiency import required_wishes
from siimop_app.models import (
    Application,
    Assignment,
    Post,
    PostSupervisor,
    RankingEntry,
    Round,
    Specialty,
    Student,
    Subdivision,
    User,
)
from siimop_app.services import calendar


@dataclasses.dataclass(frozen=True)
class CandidateCard:
    """What a supervisor may know of a candidate (never the hearts)."""

    student_id: int
    first_name: str
    last_name: str
    ine: str
    specialty: str
    subdivision: str
    is_local: bool
    semestre_decale: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".upper()


def posts_offered(session: Session, wave_id: int, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Posts of the wave per (specialty, subdivision), for the given pairs only."""
    pairs = set(pairs)
    if not pairs:
        return {}
    rows = session.exec(
        select(Post.calling_specialty_id, Post.subdivision_id, sa.func.count())
        .where(Post.wave_id == wave_id, Post.calling_specialty_id.in_({spec for spec, _ in pairs}))
        .group_by(Post.calling_specialty_id, Post.subdivision_id)
    ).all()
    return {(spec, sub): count for spec, sub, count in rows if (spec, sub) in pairs}


def _offered_count(posts: sa.Table, specialty_id, subdivision_id) -> sa.Select:
    """The count behind "posts offered": posts of the wave (``:wave_id``) calling this specialty in this
    subdivision, either given as bind parameters (one student) or as a student row's columns (a correlated
    subquery per student on the ranking board)."""
    return (sa.select(sa.func.count()).select_from(posts)
            .where(posts.c.wave_id == sa.bindparam("wave_id"), posts.c.calling_specialty_id == specialty_id,
                   posts.c.subdivision_id == subdivision_id))


_OFFERED_TO = _offered_count(Post.__table__, sa.bindparam("specialty_id"), sa.bindparam("subdivision_id"))


def posts_offered_to(session: Session, wave_id: int, specialty_id: int, subdivision_id: int) -> int:
    """Posts of the wave for one (specialty, subdivision): ``posts_offered`` for one student, in a statement built
    once (a heart click on Mes vœux reads it)."""
    return session.execute(_OFFERED_TO, {"wave_id": wave_id, "specialty_id": specialty_id,
                                         "subdivision_id": subdivision_id}).scalar_one()


def placed_in_wave(session: Session, wave_id: int, student_ids: Iterable[int]) -> set[int]:
    """Those of the students already assigned in some round of the wave: they take part in no later round."""
    ids = list(student_ids)
    if not ids:
        return set()
    return set(session.exec(
        select(Assignment.student_id).join(Round, Round.id == Assignment.round_id)
        .where(Round.wave_id == wave_id, Assignment.student_id.in_(ids))
    ).all())


def list_is_sufficient(rated: int, offered: int) -> bool:
    """The sufficiency rule as every query here applies it: ``rated`` posts carry a heart, of ``offered``."""
    return rated >= required_wishes(offered)


def sufficient_students(session: Session, round_id: int, student_ids: Iterable[int] | None = None,
                        wave_id: int | None = None) -> set[int]:
    """The students (among ``student_ids``, or all) whose list in this round is sufficient (``wave_id``: the
    round's wave, when the caller knows it). Grouped queries: the whole round (the close, the tables) at once."""
    if wave_id is None:
        wave_id = session.get(Round, round_id).wave_id
    query = (
        select(Student.id, Student.specialty_id, Student.subdivision_id, sa.func.count(Application.id))
        .join(Application, Application.student_id == Student.id)
        .where(Application.round_id == round_id, Application.hearts > 0, Student.participating)
        .group_by(Student.id, Student.specialty_id, Student.subdivision_id)
    )
    if student_ids is not None:
        query = query.where(Student.id.in_(list(student_ids)))
    rated = session.exec(query).all()
    offered = posts_offered(session, wave_id, ((spec, sub) for _, spec, sub, _ in rated))
    return {sid for sid, spec, sub, count in rated if list_is_sufficient(count, offered.get((spec, sub), 0))}


# The candidate rule for a few students at a time (a post's candidates, one candidate's file), read in the same
# statement as the students themselves: per student, the posts they gave a heart in the round, the posts offered
# to their specialty in their subdivision, and whether another round of the wave placed them (a student placed by
# this very round is still a candidate: a closed round's rankings still show who was ranked). Built once with
# bind parameters: a ranking move reads it on every event (issue 13), and building a statement costs more Python
# than running it.
_STUDENT = Student.__table__
_APPLICATION = Application.__table__
_POST = Post.__table__
_ASSIGNMENT = Assignment.__table__
_ROUND = Round.__table__
_USER = User.__table__
_other_application = _APPLICATION.alias("rated_application")
_other_post = _POST.alias("offered_post")
_placement = _ASSIGNMENT.alias("placement")
_placement_round = _ROUND.alias("placement_round")
_ELIGIBILITY_COLUMNS = (
    sa.select(sa.func.count())
    .where(_other_application.c.student_id == _STUDENT.c.id,
           _other_application.c.round_id == sa.bindparam("round_id"), _other_application.c.hearts > 0)
    .scalar_subquery().label("rated"),
    _offered_count(_other_post, _STUDENT.c.specialty_id, _STUDENT.c.subdivision_id).scalar_subquery().label("offered"),
    sa.exists()
    .where(_placement.c.student_id == _STUDENT.c.id, _placement.c.round_id != sa.bindparam("round_id"),
           _placement_round.c.id == _placement.c.round_id, _placement_round.c.wave_id == sa.bindparam("wave_id"))
    .label("placed_elsewhere"),
    sa.exists()
    .where(_placement.c.student_id == _STUDENT.c.id, _placement.c.round_id == sa.bindparam("round_id"))
    .label("placed_here"),
)


def _is_eligible(rated: int, offered: int, placed_elsewhere: bool, placed_here: bool) -> bool:
    """The candidate rule on one row of ``_ELIGIBILITY_COLUMNS`` (the student participates and rated a post)."""
    return rated > 0 and list_is_sufficient(rated, offered) and (placed_here or not placed_elsewhere)


_ELIGIBILITY_OF_STUDENTS = (
    sa.select(_STUDENT.c.id, *_ELIGIBILITY_COLUMNS)
    .where(_STUDENT.c.id.in_(sa.bindparam("student_ids", expanding=True)), _STUDENT.c.participating)
)


def eligible(session: Session, round_id: int, student_ids: list[int], wave_id: int | None = None) -> set[int]:
    """Of students who gave a post of the round one heart or more: those whose list is sufficient and who were
    not placed in an earlier round. The one rule behind the board, the candidate's file and the file route.
    ``wave_id``: the round's wave, when the caller knows it."""
    if not student_ids:
        return set()
    if wave_id is None:
        wave_id = session.get(Round, round_id).wave_id
    rows = session.execute(_ELIGIBILITY_OF_STUDENTS,
                           {"student_ids": list(student_ids), "round_id": round_id, "wave_id": wave_id})
    return {sid for sid, *rule in rows if _is_eligible(*rule)}


def _hearted(round_id: int):
    """The condition every candidate meets first: a participating student's application with ≥ 1 heart."""
    return sa.and_(Application.round_id == round_id, Application.hearts > 0, Student.participating)


_SPECIALTY = Specialty.__table__
_SUBDIVISION = Subdivision.__table__
_CANDIDATES_OF_POST = (
    sa.select(_STUDENT.c.id, _USER.c.first_name, _USER.c.last_name, _STUDENT.c.ine, _SPECIALTY.c.label,
              _SUBDIVISION.c.label, _STUDENT.c.subdivision_id, _STUDENT.c.semestre_decale, *_ELIGIBILITY_COLUMNS)
    .select_from(_APPLICATION)
    .join(_STUDENT, _STUDENT.c.id == _APPLICATION.c.student_id)
    .join(_USER, _USER.c.id == _STUDENT.c.user_id)
    .join(_SPECIALTY, _SPECIALTY.c.id == _STUDENT.c.specialty_id)
    .join(_SUBDIVISION, _SUBDIVISION.c.id == _STUDENT.c.subdivision_id)
    .where(_APPLICATION.c.round_id == sa.bindparam("round_id"), _APPLICATION.c.post_id == sa.bindparam("post_id"),
           _APPLICATION.c.hearts > 0, _STUDENT.c.participating)
    .order_by(_USER.c.last_name, _USER.c.first_name, _STUDENT.c.id)
)


# The same rows with the post's ranking entry of each candidate (``:ranking_id``; none before the first move): the
# board and every move read candidates and entries together, one statement instead of two (issue 13).
_ENTRY = RankingEntry.__table__
CANDIDATES_WITH_ENTRIES = hot(_CANDIDATES_OF_POST.add_columns(_ENTRY.c.id, _ENTRY.c.rank, _ENTRY.c.refused).outerjoin(
    _ENTRY, sa.and_(_ENTRY.c.ranking_id == sa.bindparam("ranking_id"), _ENTRY.c.student_id == _STUDENT.c.id)))
_CARD_COLUMNS = 8 + len(_ELIGIBILITY_COLUMNS)  # a row's card and candidate rule; ranking columns follow


def candidate_of_row(row: sa.Row, post: Post | sa.Row) -> CandidateCard | None:
    """The card of a row of ``_CANDIDATES_OF_POST`` (or ``CANDIDATES_WITH_ENTRIES``), None when the row's student
    is not a candidate (insufficient list, placed in another round)."""
    sid, first, last, ine, specialty, subdivision, subdivision_id, semestre_decale, *rule = row[:_CARD_COLUMNS]
    if not _is_eligible(*rule):
        return None
    return CandidateCard(student_id=sid, first_name=first, last_name=last, ine=ine, specialty=specialty,
                         subdivision=subdivision, is_local=subdivision_id == post.subdivision_id,
                         semestre_decale=semestre_decale)


def candidates_of_post(session: Session, *, post: Post | sa.Row, round_id: int) -> list[CandidateCard]:
    """The post's candidates in the round, in a stable order (name), as cards: one statement.

    The post's applications in this round exist only if the round is of the post's wave."""
    rows = session.execute(_CANDIDATES_OF_POST,
                           {"round_id": round_id, "post_id": post.id, "wave_id": post.wave_id}).all()
    return [card for row in rows if (card := candidate_of_row(row, post)) is not None]


def ranking_round_in_view(wave: calendar.WaveCalendar | None) -> tuple[int | None, int | None, bool, str]:
    """(round id, number, ranking phase open now, notice): the open ranking, else the last one that began.

    The round whose candidates supervisors see: the ranking board, the candidate's file and the file route.
    """
    if wave is None:
        return None, None, False, "Aucune campagne n'est ouverte."
    now = calendar.now()
    open_phase = wave.open_phase("ranking", now)
    if open_phase is not None:
        return wave.round_id(open_phase.round_number), open_phase.round_number, True, ""
    started = [p for p in wave.phases if p.kind == "ranking" and opens_at(p) <= now]
    if started:
        last = max(started, key=lambda p: p.starts_on)
        return (wave.round_id(last.round_number), last.round_number, False,
                "La période de classement est terminée : le classement ne peut plus être modifié.")
    upcoming = wave.current_or_next("ranking", now)
    when = f" le {upcoming.starts_on:%d/%m/%Y}" if upcoming else ""
    return None, None, False, f"Le classement des candidatures ouvrira{when}, à la fin de la période des vœux."


def is_candidate_of_supervisor(session: Session, supervisor_user_id: int, student_id: int) -> bool:
    """Whether the student is, in the round in view, a candidate of a post this user supervises.

    Exactly the students the ranking board lists: an application with 0 hearts, an insufficient list, a
    student placed earlier or an application of another round does not make one a candidate.
    """
    round_id, *_ = ranking_round_in_view(calendar.current_wave())
    if round_id is None:
        return False
    applied = session.exec(
        select(sa.func.count())
        .select_from(Application)
        .join(Student, Student.id == Application.student_id)
        .join(PostSupervisor, PostSupervisor.post_id == Application.post_id)
        .where(_hearted(round_id), PostSupervisor.user_id == supervisor_user_id, Application.student_id == student_id)
    ).one()
    return bool(applied) and student_id in eligible(session, round_id, [student_id])
