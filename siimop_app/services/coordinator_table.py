"""Gestion des coordonnateurs (SPEC §7): the coordinators whose area overlaps the staff user's scope.

One row per coordinator grant (a person coordinating two areas appears twice, once per area). A grant's
area overlaps the scope when some (subdivision, specialty) lies in both: empty columns mean "any", a
subdivision lies in its region. So a coordinator sees the coordinators of their own area (themselves
included), a manager those of their region, an admin everyone. The region/subdivision/specialty filters
are one more area the grant must overlap: they can only narrow. Sorting is whitelisted, paging in SQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.domain.calendar import to_paris
from siimop_app.domain.roles import Role
from siimop_app.models import Region, RoleGrant, Specialty, Subdivision, User
from siimop_app.services import post_table
from siimop_app.services import scope as scopes
from siimop_app.services.auth import SignedInUser
from siimop_app.services.overview import Figure, percent
from siimop_app.services.queries import clamp, main_email_of, ordered, person_matches
from siimop_app.services.table_kit import (
    NEVER,
    PERSON_COLUMNS,
    REGION,
    SIGNED_IN,
    SPECIALTY,
    SUBDIVISION,
    Column,
    Table,
    line_class,
    shown,
)
from siimop_app.validation import parse_int

ANY_SPECIALTY = "Toutes les spécialités"
ANY_PLACE = "Toutes les subdivisions"

TABLE_COLUMNS = (
    *PERSON_COLUMNS,
    Column("specialty", "Spécialité", width=30),
    Column("subdivision", "Subdivision", width=26),
    Column("region", "Région", width=24),
    SIGNED_IN,
)
COLUMNS = tuple((c.key, c.label) for c in TABLE_COLUMNS)
DEFAULT_SORT = "last_name"
CoordinatorLine = line_class(__name__, "CoordinatorLine", TABLE_COLUMNS)


@dataclasses.dataclass(frozen=True)
class CoordinatorRow:
    id: int  # the grant's id (one row per area)
    user_id: int
    last_name: str
    first_name: str
    email: str
    specialty: str
    subdivision: str
    region: str
    last_login_at: dt.datetime | None

    @property
    def last_login(self) -> str:
        return str(shown(self.last_login_at, NEVER))


def overlaps(area: scopes.Area) -> sa.ColumnElement[bool]:
    """Whether a ``RoleGrant``'s area shares at least one (subdivision, specialty) with ``area``."""
    parts = []
    if area.specialty_id is not None:
        parts.append(sa.or_(RoleGrant.specialty_id.is_(None), RoleGrant.specialty_id == area.specialty_id))
    if area.subdivision_id is not None:
        region_of = select(Subdivision.region_id).where(Subdivision.id == area.subdivision_id).scalar_subquery()
        parts.append(sa.or_(RoleGrant.subdivision_id.is_(None), RoleGrant.subdivision_id == area.subdivision_id))
        parts.append(sa.or_(RoleGrant.region_id.is_(None), RoleGrant.region_id == region_of))
    if area.region_id is not None:
        parts.append(sa.or_(RoleGrant.region_id.is_(None), RoleGrant.region_id == area.region_id))
        parts.append(sa.or_(RoleGrant.subdivision_id.is_(None), RoleGrant.subdivision_id.in_(
            select(Subdivision.id).where(Subdivision.region_id == area.region_id))))
    return sa.and_(sa.true(), *parts)


def scope_overlap(scope: scopes.Scope) -> sa.ColumnElement[bool]:
    if scope.is_empty:
        return sa.false()
    return sa.or_(*(overlaps(area) for area in scope.areas))


def _conditions(scope: scopes.Scope, filters: dict[str, str]) -> list:
    where = [RoleGrant.role == Role.COORDINATOR, scope_overlap(scope)]
    wanted = {}
    for key in ("region", "subdivision", "specialty"):
        if filters[key]:
            value = parse_int(filters[key])
            if value is None:
                where.append(sa.false())
            wanted[f"{key}_id"] = value
    if wanted:
        where.append(overlaps(scopes.Area(**wanted)))
    where += [person_matches(word) for word in filters["q"].split()[:6]]
    return where


_GRANT_SUBDIVISION = aliased(Subdivision)
_GRANT_REGION = aliased(Region)


def _joined(stmt: sa.Select) -> sa.Select:
    return (
        stmt.select_from(RoleGrant)
        .join(User, User.id == RoleGrant.user_id)
        .outerjoin(Specialty, Specialty.id == RoleGrant.specialty_id)
        .outerjoin(_GRANT_SUBDIVISION, _GRANT_SUBDIVISION.id == RoleGrant.subdivision_id)
        .outerjoin(_GRANT_REGION, _GRANT_REGION.id == sa.func.coalesce(RoleGrant.region_id,
                                                                        _GRANT_SUBDIVISION.region_id))
    )


def _rows_query(where: list, sort: str, descending: bool) -> sa.Select:
    email = main_email_of(User.id)
    sort_columns = {
        "last_name": sa.func.lower(User.last_name),
        "first_name": sa.func.lower(User.first_name),
        "email": email,
        "specialty": Specialty.label,
        "subdivision": _GRANT_SUBDIVISION.label,
        "region": _GRANT_REGION.name,
        "last_login": User.last_login_at,
    }
    order = ordered(sort_columns[TABLE.sort_key(sort)], descending,
                    sa.func.lower(User.last_name), sa.func.lower(User.first_name), RoleGrant.id)
    return _joined(select(RoleGrant.id, User.id, User.last_name, User.first_name, email, Specialty.label,
                          _GRANT_SUBDIVISION.label, _GRANT_REGION.name, User.last_login_at)
                   ).where(*where).order_by(*order)


def _to_rows(raw) -> list[CoordinatorRow]:
    return [
        CoordinatorRow(id=gid, user_id=uid, last_name=(last or "").upper(), first_name=first or "",
                       email=email or "", specialty=spec or ANY_SPECIALTY,
                       subdivision=sub or (f"Toute la région {region}" if region else ANY_PLACE),
                       region=region or "", last_login_at=to_paris(login))
        for gid, uid, last, first, email, spec, sub, region, login in raw
    ]


def query_coordinators(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                       descending: bool = False, offset: int = 0, limit: int = 50) -> tuple[list[CoordinatorRow], int]:
    """One page of the coordinators (one row per area) overlapping the user's scope, and how many match."""
    clean = TABLE.clean(filters)
    offset, limit = clamp(offset, limit)
    with transaction() as session:
        where = _conditions(scopes.staff_scope(session, user), clean)
        total = session.exec(_joined(select(sa.func.count(RoleGrant.id))).where(*where)).one()
        raw = session.exec(_rows_query(where, sort, descending).offset(offset).limit(limit)).all()
        return _to_rows(raw), int(total)


def iter_coordinators(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                      descending: bool = False, chunk: int = 1000) -> Iterator[CoordinatorRow]:
    clean = TABLE.clean(filters)
    with transaction() as session:
        where = _conditions(scopes.staff_scope(session, user), clean)
        result = session.execute(_rows_query(where, sort, descending).execution_options(yield_per=chunk))
        for part in result.partitions(chunk):
            yield from _to_rows(part)


def coordinator_statistics(user: SignedInUser, filters: Mapping[str, object] | None = None) -> list[Figure]:
    """"Coordonnateurs connectés" (distinct people) of the filtered table."""
    clean = TABLE.clean(filters)
    with transaction() as session:
        where = _conditions(scopes.staff_scope(session, user), clean)
        ids = _joined(select(User.id, User.last_login_at)).where(*where).distinct().subquery()
        people, signed_in = session.exec(select(sa.func.count(ids.c.id), sa.func.count(ids.c.last_login_at))).one()
    return [Figure("Coordonnateurs connectés", percent(int(signed_in), int(people)), key="signed_in")]


TABLE = Table(
    name="coordinators", file_stem="coordonnateurs", noun="coordonnateurs", unit="coordonnateur(s)",
    search_label="Filtre par nom, prénom, email", columns=TABLE_COLUMNS, filters=(REGION, SUBDIVISION, SPECIALTY),
    default_sort=DEFAULT_SORT, line=CoordinatorLine, query=query_coordinators, iterate=iter_coordinators,
    statistics=coordinator_statistics, options=post_table.filter_options,
)
export_columns = TABLE.export_columns
export_rows = TABLE.export_rows
