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

from siimop_app.domain.sufficiency import required_wishes
from siimop_app.models import Application, Assignment, Post, Round, Specialty, Student, Subdivision, User


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


def placed_in_wave(session: Session, wave_id: int, student_ids: Iterable[int]) -> set[int]:
    """Those of the students already assigned in some round of the wave: they take part in no later round."""
    ids = list(student_ids)
    if not ids:
        return set()
    return set(session.exec(
        select(Assignment.student_id).join(Round, Round.id == Assignment.round_id)
        .where(Round.wave_id == wave_id, Assignment.student_id.in_(ids))
    ).all())


def sufficient_students(session: Session, round_id: int, student_ids: Iterable[int] | None = None) -> set[int]:
    """The students (among ``student_ids``, or all) whose list in this round is sufficient."""
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
    return {sid for sid, spec, sub, count in rated if count >= required_wishes(offered.get((spec, sub), 0))}


def _placed_in_round(session: Session, round_id: int, student_ids: list[int]) -> set[int]:
    """Placed by this very round (a closed round's rankings still show who was ranked)."""
    if not student_ids:
        return set()
    return set(session.exec(
        select(Assignment.student_id).where(Assignment.round_id == round_id, Assignment.student_id.in_(student_ids))
    ).all())


def candidates_of_post(session: Session, *, post: Post, round_id: int) -> list[CandidateCard]:
    """The post's candidates in the round, in a stable order (name), as cards."""
    rows = session.exec(
        select(Student, User.first_name, User.last_name, Specialty.label, Subdivision.label)
        .join(Application, Application.student_id == Student.id)
        .join(User, User.id == Student.user_id)
        .join(Specialty, Specialty.id == Student.specialty_id)
        .join(Subdivision, Subdivision.id == Student.subdivision_id)
        .where(Application.round_id == round_id, Application.post_id == post.id, Application.hearts > 0,
               Student.participating)
        .order_by(User.last_name, User.first_name, Student.id)
    ).all()
    ids = [student.id for student, *_ in rows]
    placed_elsewhere = placed_in_wave(session, post.wave_id, ids) - _placed_in_round(session, round_id, ids)
    eligible = sufficient_students(session, round_id, ids) - placed_elsewhere
    return [
        CandidateCard(
            student_id=student.id,
            first_name=first,
            last_name=last,
            ine=student.ine,
            specialty=specialty,
            subdivision=subdivision,
            is_local=student.subdivision_id == post.subdivision_id,
            semestre_decale=student.semestre_decale,
        )
        for student, first, last, specialty, subdivision in rows
        if student.id in eligible
    ]
