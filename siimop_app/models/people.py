"""People: users with their e-mail addresses and roles, and students."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from siimop_app.domain.roles import MANAGER_ROLES, STAFF_ROLES, Role  # noqa: F401  (re-exported)
from siimop_app.models._base import utcnow


class EmailKind(str, enum.Enum):
    MAIN = "main"
    PERSONAL = "personal"
    PROFESSIONAL = "professional"


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    id: int | None = Field(default=None, primary_key=True)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100, index=True)
    phone: str = Field(default="", max_length=30)
    is_active: bool = Field(default=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_login_at: dt.datetime | None = Field(default=None, index=True)


class UserEmail(SQLModel, table=True):
    """An address of a user. Only validated addresses can receive a sign-in link.

    Addresses are stored lower-cased, so the unique constraint is case-insensitive.
    """

    __tablename__ = "user_email"
    __table_args__ = (
        CheckConstraint("kind IN ('main', 'personal', 'professional')", name="ck_user_email_kind"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    email: str = Field(max_length=254, unique=True)
    kind: str = Field(default=EmailKind.MAIN.value, max_length=20)
    validated_at: dt.datetime | None = Field(default=None)
    created_at: dt.datetime = Field(default_factory=utcnow)


class RoleGrant(SQLModel, table=True):
    """A role held by a user, with its scope for coordinators and managers.

    An empty scope column means "any": a manager with only ``region_id`` set sees
    that region; an admin has no scope at all. One person may hold several grants.
    """

    __tablename__ = "role_grant"
    __table_args__ = (
        CheckConstraint(
            "role IN ('student', 'supervisor', 'coordinator', 'manager', 'admin')",
            name="ck_role_grant_role",
        ),
        Index("ix_role_grant_user_role", "user_id", "role"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    role: str = Field(max_length=20)
    region_id: int | None = Field(default=None, foreign_key="region.id")
    subdivision_id: int | None = Field(default=None, foreign_key="subdivision.id")
    specialty_id: int | None = Field(default=None, foreign_key="specialty.id")


class Student(SQLModel, table=True):
    """A Docteur Junior taking part (or not) in the current campaign."""

    __table_args__ = (
        Index("ix_student_subdivision_specialty", "subdivision_id", "specialty_id"),
        Index("ix_student_specialty", "specialty_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", unique=True)
    ine: str = Field(max_length=20, unique=True)
    intern_number: str = Field(max_length=20, index=True)
    subdivision_id: int = Field(foreign_key="subdivision.id")
    specialty_id: int = Field(foreign_key="specialty.id")
    option_id: int | None = Field(default=None, foreign_key="specialty_option.id")
    semestre_decale: bool = Field(default=False, index=True)
    participating: bool = Field(default=True, index=True)
    presentation: str = Field(default="")
