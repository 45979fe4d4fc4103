"""The signed-in student's own record: the one home of "which student is this account" for the student's pages."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.domain.roles import Role
from siimop_app.models import Student
from siimop_app.services import calendar
from siimop_app.services.access import AccessDenied, require_role
from siimop_app.services.auth import SignedInUser

NO_STUDENT = "Aucun dossier étudiant n'est rattaché à votre compte."


_STUDENT_OF_USER = select(Student).where(Student.user_id == sa.bindparam("user_id"))  # built once: every student event


def signed_in_student(session: Session, user: SignedInUser) -> Student:
    """The student row of ``user``; AccessDenied in French for a user who is no student or has no record."""
    require_role(user, Role.STUDENT)
    student = session.exec(_STUDENT_OF_USER, params={"user_id": user.user_id}).first()
    if student is None:
        raise AccessDenied(NO_STUDENT)
    return student


@dataclasses.dataclass(frozen=True)
class StudentRecord:
    """The columns of the signed-in student's row that Mes vœux, its receipt and the save read: plain values, not a
    database object, so that one event's transactions can share it."""

    id: int
    user_id: int
    ine: str
    specialty_id: int
    subdivision_id: int
    participating: bool


_STUDENT = Student.__table__
_RECORD_OF_USER = sa.select(*(_STUDENT.c[field.name] for field in dataclasses.fields(StudentRecord))).where(
    _STUDENT.c.user_id == sa.bindparam("user_id"))


def signed_in_student_record(session: Session, user: SignedInUser) -> StudentRecord:
    """``signed_in_student`` for reading: read once per event (``calendar.read_once``) however many transactions of
    the event ask (Mes vœux's load asked three times: the filters, the page, the counter; issue 13)."""
    require_role(user, Role.STUDENT)

    def read() -> StudentRecord | None:
        row = session.execute(_RECORD_OF_USER, {"user_id": user.user_id}).first()
        return StudentRecord(*row) if row else None

    record = calendar.once(("student", user.user_id), read)
    if record is None:
        raise AccessDenied(NO_STUDENT)
    return record


def student_id_of(session: Session, user_id: int) -> int | None:
    """The id of the student record of the account ``user_id`` (None for an account with none)."""
    return session.exec(select(Student.id).where(Student.user_id == user_id)).first()
