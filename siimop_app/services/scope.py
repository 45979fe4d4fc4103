"""What part of the country a coordinator, manager or admin may see (SPEC §7).

A grant's empty column means "any". A coordinator is normally scoped to a
specialty in a subdivision; a manager to a region; an admin to everything.
Several grants add up (OR). Every coordinator/manager query goes through
``student_condition`` / ``post_condition`` so the scope is enforced in SQL.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.models import STAFF_ROLES, Post, RoleGrant, Student, Subdivision
from siimop_app.services import calendar
from siimop_app.services.access import require_role
from siimop_app.services.auth import SignedInUser


@dataclasses.dataclass(frozen=True)
class Area:
    region_id: int | None = None
    subdivision_id: int | None = None
    specialty_id: int | None = None


@dataclasses.dataclass(frozen=True)
class Scope:
    areas: tuple[Area, ...]

    @property
    def is_empty(self) -> bool:
        return not self.areas


def scope_of(session: Session, user_id: int, roles: tuple[str, ...] = STAFF_ROLES) -> Scope:
    """The union of the user's grants among ``roles``; read once per event (``calendar.read_once``: a staff table's
    figures, options, page and statistics each ask)."""
    roles = tuple(roles)
    return calendar.once(("scope", user_id, roles), lambda: _read_scope(session, user_id, roles))


def _read_scope(session: Session, user_id: int, roles: tuple[str, ...]) -> Scope:
    grants = session.exec(select(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.role.in_(roles))).all()
    return Scope(tuple(Area(g.region_id, g.subdivision_id, g.specialty_id) for g in grants))


def staff_grants(user: SignedInUser) -> tuple[tuple[str, int | None, int | None, int | None], ...]:
    """The user's staff grants as (role, region, subdivision, specialty), sorted, read now (one query). With the
    user's roles, every staff figure depends on the user through these alone (``scope_of`` for any roles): the
    key under which figures may be shared between users (``states.live_statistics.SharedFigures``)."""
    with transaction() as session:
        rows = session.exec(
            select(RoleGrant.role, RoleGrant.region_id, RoleGrant.subdivision_id, RoleGrant.specialty_id)
            .where(RoleGrant.user_id == user.user_id, RoleGrant.role.in_(STAFF_ROLES))
        ).all()
    return tuple(sorted(((str(role), region, sub, spec) for role, region, sub, spec in rows),
                        key=lambda grant: tuple((value is None, value or 0) for value in grant)))


def _condition(scope: Scope, subdivision_col, specialty_col) -> sa.ColumnElement[bool]:
    if scope.is_empty:
        return sa.false()
    clauses = []
    for area in scope.areas:
        parts = []
        if area.region_id is not None:
            parts.append(
                subdivision_col.in_(select(Subdivision.id).where(Subdivision.region_id == area.region_id))
            )
        if area.subdivision_id is not None:
            parts.append(subdivision_col == area.subdivision_id)
        if area.specialty_id is not None:
            parts.append(specialty_col == area.specialty_id)
        clauses.append(sa.and_(sa.true(), *parts))
    return sa.or_(*clauses)


def student_condition(scope: Scope) -> sa.ColumnElement[bool]:
    return _condition(scope, Student.subdivision_id, Student.specialty_id)


def post_condition(scope: Scope) -> sa.ColumnElement[bool]:
    return _condition(scope, Post.subdivision_id, Post.calling_specialty_id)


def ticket_condition(scope: Scope, subdivision_col) -> sa.ColumnElement[bool]:
    """Support tickets have a subdivision but no specialty: a grant limited to a specialty sees none."""
    return _condition(scope, subdivision_col, sa.null())


def _staff_scope(session: Session, user_id: int, roles: tuple[str, ...]) -> Scope | None:
    held = tuple(role for role in STAFF_ROLES if role in roles)
    return scope_of(session, user_id, held) if held else None


def staff_scope(session: Session, user: SignedInUser, roles: tuple[str, ...] = STAFF_ROLES) -> Scope:
    """The area a coordinator, manager or admin works in (the union of their grants among ``roles``);
    AccessDenied for anyone else. Every staff table starts its query here."""
    require_role(user, *roles)
    return scope_of(session, user.user_id, tuple(r for r in roles if r in user.roles))


def covers_student(session: Session, user_id: int, roles: tuple[str, ...], student_id: int) -> bool:
    """Whether a coordinator/manager/admin's scope includes this student (False for other roles)."""
    scope = _staff_scope(session, user_id, roles)
    if scope is None:
        return False
    return bool(session.exec(
        select(sa.func.count()).select_from(Student).where(Student.id == student_id, student_condition(scope))
    ).one())


def covers_post(session: Session, user_id: int, roles: tuple[str, ...], post_id: int) -> bool:
    """Whether a coordinator/manager/admin's scope includes this post (False for other roles)."""
    scope = _staff_scope(session, user_id, roles)
    if scope is None:
        return False
    return bool(session.exec(
        select(sa.func.count()).select_from(Post).where(Post.id == post_id, post_condition(scope))
    ).one())
