"""The signed-in student's own record: the one home of "which student is this account" for the student's pages."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.domain.roles import Role
from siimop_app.models import Student
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


def student_id_of(session: Session, user_id: int) -> int | None:
    """The id of the student record of the account ``user_id`` (None for an account with none)."""
    return session.exec(select(Student.id).where(Student.user_id == user_id)).first()
