"""A student's list in a round as recorded: the hearts per post, and whether the list is sufficient.

Sufficiency counts the posts rated ≥ 1 heart, against the posts offered to the student's specialty **in the
student's subdivision** (README, Decisions; the same count as ``services.candidates``). The wishes page, its
live counter and the receipts all read a list through here.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from siimop_app.domain.sufficiency import NO_SUFFICIENCY, Sufficiency, check_sufficiency  # noqa: F401 - re-exported
from siimop_app.models import Application, Student
from siimop_app.services.student_access import StudentRecord
from siimop_app.services.candidates import posts_offered_to


# Built once with bind parameters: a heart click on Mes vœux reads the saved hearts (issue 13).
_APPLICATION = Application.__table__
_HEARTS = (sa.select(_APPLICATION.c.post_id, _APPLICATION.c.hearts)
           .where(_APPLICATION.c.round_id == sa.bindparam("round_id"),
                  _APPLICATION.c.student_id == sa.bindparam("student_id")))


def hearts_in_round(session: Session, student_id: int, round_id: int | None) -> dict[int, int]:
    """The student's recorded hearts in the round, post id → hearts (empty for no round)."""
    if round_id is None:
        return {}
    rows = session.execute(_HEARTS, {"round_id": round_id, "student_id": student_id})
    return {post_id: hearts for post_id, hearts in rows}


def sufficiency_of(session: Session, student: Student | StudentRecord, wave_id: int | None,
                   hearts: dict[int, int]) -> Sufficiency:
    """Whether ``hearts`` is a sufficient list for ``student`` in the wave: sufficient, rated, required, missing
    and the message the student reads."""
    return check_sufficiency(hearts=list(hearts.values()), posts_offered=offered_to(session, student, wave_id))


def offered_to(session: Session, student: Student | StudentRecord, wave_id: int | None) -> int:
    """The wave's posts offered to the student's specialty in their subdivision (what sufficiency counts against)."""
    if wave_id is None:
        return 0
    return posts_offered_to(session, wave_id, student.specialty_id, student.subdivision_id)
