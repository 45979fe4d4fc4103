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
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.calendar import PARIS
from siimop_app.models import Region, RoleGrant, Specialty, Subdivision, User, UserEmail
from siimop_app.services import scope as scopes
from siimop_app.services.access import require_role
from siimop_app.services.auth import SignedInUser
from siimop_app.services.overview import percent
from siimop_app.validation import parse_int

STAFF_ROLES = scopes.STAFF_ROLES
ALL = ("", "all", "tous", "toutes")
FILTER_KEYS = ("q", "region", "subdivision", "specialty")
ANY_SPECIALTY = "Toutes les spécialités"
ANY_PLACE = "Toutes les subdivisions"

COLUMNS: tuple[tuple[str, str], ...] = (
    ("last_name", "Nom"),
    ("first_name", "Prénom"),
    ("email", "Email"),
    ("specialty", "Spécialité"),
    ("subdivision", "Subdivision"),
    ("region", "Région"),
    ("last_login", "Connexion"),
)
SORTABLE = frozenset(key for key, _ in COLUMNS)
DEFAULT_SORT = "last_name"


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
        return self.last_login_at.strftime("%d/%m/%Y %H:%M:%S") if self.last_login_at else "X"

    def as_dict(self) -> dict[str, str | int]:
        return {"id": self.id, "user_id": self.user_id, "last_name": self.last_name, "first_name": self.first_name,
                "email": self.email, "specialty": self.specialty, "subdivision": self.subdivision,
                "region": self.region, "last_login": self.last_login}

    def export_values(self) -> dict[str, object]:
        values: dict[str, object] = self.as_dict()
        values["last_login"] = self.last_login_at.replace(tzinfo=None, microsecond=0) if self.last_login_at else None
        return values


def _paris(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(PARIS)



def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def clean_filters(filters: Mapping[str, object] | None) -> dict[str, str]:
    filters = filters or {}
    out = {}
    for key in FILTER_KEYS:
        value = str(filters.get(key) or "").strip()
        out[key] = "" if value.lower() in ALL else value[:100]
    return out


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


def _staff_scope(session: Session, user: SignedInUser) -> scopes.Scope:
    require_role(user, *STAFF_ROLES)
    return scopes.scope_of(session, user.user_id, tuple(r for r in STAFF_ROLES if r in user.roles))


def _conditions(scope: scopes.Scope, filters: dict[str, str]) -> list:
    where = [RoleGrant.role == "coordinator", scope_overlap(scope)]
    wanted = {}
    for key in ("region", "subdivision", "specialty"):
        if filters[key]:
            value = parse_int(filters[key])
            if value is None:
                where.append(sa.false())
            wanted[f"{key}_id"] = value
    if wanted:
        where.append(overlaps(scopes.Area(**wanted)))
    for word in filters["q"].lower().split()[:6]:
        pattern = f"%{_escape_like(word)}%"
        where.append(sa.or_(
            sa.func.lower(User.last_name).like(pattern, escape="\\"),
            sa.func.lower(User.first_name).like(pattern, escape="\\"),
            select(UserEmail.id)
            .where(UserEmail.user_id == User.id, UserEmail.kind == "main",
                   sa.func.lower(UserEmail.email).like(pattern, escape="\\"))
            .correlate(User)
            .exists(),
        ))
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


def _main_email():
    return (
        select(sa.func.min(UserEmail.email))
        .where(UserEmail.user_id == User.id, UserEmail.kind == "main")
        .correlate(User)
        .scalar_subquery()
    )


def _rows_query(where: list, sort: str, descending: bool) -> sa.Select:
    email = _main_email()
    sort_columns = {
        "last_name": sa.func.lower(User.last_name),
        "first_name": sa.func.lower(User.first_name),
        "email": email,
        "specialty": Specialty.label,
        "subdivision": _GRANT_SUBDIVISION.label,
        "region": _GRANT_REGION.name,
        "last_login": User.last_login_at,
    }
    key = sort if sort in SORTABLE else DEFAULT_SORT
    primary = sort_columns[key]
    order = [sa.case((primary.is_(None), 1), else_=0), primary.desc() if descending else primary.asc(),
             sa.func.lower(User.last_name), sa.func.lower(User.first_name), RoleGrant.id]
    return _joined(select(RoleGrant.id, User.id, User.last_name, User.first_name, email, Specialty.label,
                          _GRANT_SUBDIVISION.label, _GRANT_REGION.name, User.last_login_at)
                   ).where(*where).order_by(*order)


def _to_rows(raw) -> list[CoordinatorRow]:
    return [
        CoordinatorRow(id=gid, user_id=uid, last_name=(last or "").upper(), first_name=first or "",
                       email=email or "", specialty=spec or ANY_SPECIALTY,
                       subdivision=sub or (f"Toute la région {region}" if region else ANY_PLACE),
                       region=region or "", last_login_at=_paris(login))
        for gid, uid, last, first, email, spec, sub, region, login in raw
    ]


def query_coordinators(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                       descending: bool = False, offset: int = 0, limit: int = 50) -> tuple[list[CoordinatorRow], int]:
    """One page of the coordinators (one row per area) overlapping the user's scope, and how many match."""
    clean = clean_filters(filters)
    offset, limit = max(0, int(offset)), max(1, min(int(limit), 500))
    with transaction() as session:
        where = _conditions(_staff_scope(session, user), clean)
        total = session.exec(_joined(select(sa.func.count(RoleGrant.id))).where(*where)).one()
        raw = session.exec(_rows_query(where, sort, descending).offset(offset).limit(limit)).all()
        return _to_rows(raw), int(total)


def iter_coordinators(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                      descending: bool = False, chunk: int = 1000) -> Iterator[CoordinatorRow]:
    clean = clean_filters(filters)
    with transaction() as session:
        where = _conditions(_staff_scope(session, user), clean)
        result = session.execute(_rows_query(where, sort, descending).execution_options(yield_per=chunk))
        for part in result.partitions(chunk):
            yield from _to_rows(part)


def coordinator_statistics(user: SignedInUser, filters: Mapping[str, object] | None = None) -> list[dict[str, str]]:
    """"Coordonnateurs connectés" (distinct people) of the filtered table."""
    clean = clean_filters(filters)
    with transaction() as session:
        where = _conditions(_staff_scope(session, user), clean)
        ids = _joined(select(User.id, User.last_login_at)).where(*where).distinct().subquery()
        people, signed_in = session.exec(select(sa.func.count(ids.c.id), sa.func.count(ids.c.last_login_at))).one()
    return [{"key": "signed_in", "label": "Coordonnateurs connectés", "value": percent(int(signed_in), int(people))}]


def export_columns():
    from siimop_app.services.exports import ExportColumn

    widths = {"last_name": 18, "first_name": 16, "email": 34, "specialty": 30, "subdivision": 26, "region": 24,
              "last_login": 20}
    return [ExportColumn(key, header, kind="datetime" if key == "last_login" else "text", width=widths.get(key),
                         empty="X" if key == "last_login" else "")
            for key, header in COLUMNS]


def export_rows(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                descending: bool = False) -> Iterator[dict[str, object]]:
    for row in iter_coordinators(user, filters=filters, sort=sort, descending=descending):
        yield row.export_values()
