"""Gestion des responsables des terrains de stage (SPEC §7): the staff's supervisors (RTS) table and statistics.

A supervisor is a user with a ``PostSupervisor`` link on a post of the current wave inside the staff user's
scope (``scope.post_condition``). The region/subdivision/specialty filters narrow the *posts* taken into
account (so a supervisor appears when one of their matching posts does, and their counts are over those
posts); the text filter narrows the supervisors (name, main e-mail). Filters can only narrow the scope.

Per supervisor, one grouped query gives: the number of posts, of which référent, and among the référent
posts the rankings of the current round that are valid (``Ranking.is_valid``, the ranking rules' last
verdict) and those still to do (no ranking yet, or not valid). Sorting goes through a whitelist, paging is
done by the database; the subdivision and specialty labels are read for the rows shown only.

"Current wave/round" are the posts table's (``post_table.staff_wave_id`` / ``followed_round``), so both tables
always speak of the same campaign.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.calendar import to_paris
from siimop_app.models import Post, PostSupervisor, Ranking, Specialty, Subdivision, User
from siimop_app.services import scope as scopes
from siimop_app.services.auth import SignedInUser
from siimop_app.services.overview import Figure, percent
from siimop_app.services.post_table import filter_options, followed_round, staff_wave_id
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

# The export writes the same columns.
TABLE_COLUMNS = (
    *PERSON_COLUMNS,
    Column("subdivisions", "Subdivision(s)", width=28),
    Column("specialties", "Spécialité", width=30),
    Column("posts", "Nombre de postes", kind="number"),
    Column("referent", "Dont référent", kind="number"),
    SIGNED_IN,
    Column("rankings_valid", "Classements valides", kind="number"),
    Column("rankings_todo", "Classements à faire", kind="number"),
)
COLUMNS = tuple((c.key, c.label) for c in TABLE_COLUMNS)
DEFAULT_SORT = "last_name"
SupervisorLine = line_class(__name__, "SupervisorLine", TABLE_COLUMNS)


@dataclasses.dataclass(frozen=True)
class SupervisorRow:
    id: int
    last_name: str
    first_name: str
    email: str
    subdivisions: str
    specialties: str
    posts: int
    referent: int
    last_login_at: dt.datetime | None  # Paris time, aware
    rankings_valid: int
    rankings_todo: int

    @property
    def last_login(self) -> str:
        return str(shown(self.last_login_at, NEVER))


# ------------------------------------------------------------------ helpers
def post_conditions(scope: scopes.Scope, filters: dict[str, str], wave_id: int | None) -> list:
    """The posts taken into account: the scope and the wave first, then the region/subdivision/specialty filters.

    Needs ``Post`` and ``Subdivision`` (joined on ``Post.subdivision_id``) in the query. Shared with ``fill_rates``.
    """
    where = [scopes.post_condition(scope), Post.wave_id == (wave_id if wave_id is not None else -1)]
    for key, column in (("region", Subdivision.region_id), ("subdivision", Post.subdivision_id),
                        ("specialty", Post.calling_specialty_id)):
        if filters[key]:
            wanted = parse_int(filters[key])
            where.append(column == wanted if wanted is not None else sa.false())
    return where


def _per_supervisor(post_where: list, round_id: int | None) -> sa.Subquery:
    """One row per supervisor of the matching posts: counts, and the first subdivision/specialty (for sorting)."""
    referent = sa.case((PostSupervisor.is_referent, 1), else_=0)
    valid = sa.case((sa.and_(PostSupervisor.is_referent, Ranking.is_valid), 1), else_=0)
    return (
        select(
            PostSupervisor.user_id.label("user_id"),
            sa.func.count(sa.distinct(Post.id)).label("posts"),
            sa.func.coalesce(sa.func.sum(referent), 0).label("referent"),
            sa.func.coalesce(sa.func.sum(valid), 0).label("valid"),
            sa.func.min(Subdivision.label).label("subdivision"),
            sa.func.min(Specialty.label).label("specialty"),
        )
        .select_from(PostSupervisor)
        .join(Post, Post.id == PostSupervisor.post_id)
        .join(Subdivision, Subdivision.id == Post.subdivision_id)
        .join(Specialty, Specialty.id == Post.calling_specialty_id)
        .outerjoin(Ranking, sa.and_(Ranking.post_id == Post.id,
                                    Ranking.round_id == (round_id if round_id is not None else -1)))
        .where(*post_where)
        .group_by(PostSupervisor.user_id)
        .subquery()
    )


@dataclasses.dataclass
class _Query:
    wave_id: int | None
    round_id: int | None
    post_where: list
    per: sa.Subquery
    where: list  # on the supervisors (text filter)

    def joined(self, stmt: sa.Select) -> sa.Select:
        return stmt.select_from(self.per).join(User, User.id == self.per.c.user_id).where(*self.where)


def _build(session: Session, user: SignedInUser, filters: Mapping[str, object] | None) -> _Query:
    clean = TABLE.clean(filters)
    scope = scopes.staff_scope(session, user)
    wave_id = staff_wave_id(session)
    round_id, _number = followed_round(session, wave_id)
    post_where = post_conditions(scope, clean, wave_id)
    per = _per_supervisor(post_where, round_id)
    where = [person_matches(word) for word in clean["q"].split()[:6]]
    return _Query(wave_id, round_id, post_where, per, where)


def _rows_query(q: _Query, sort: str, descending: bool) -> sa.Select:
    email = main_email_of(User.id)
    todo = q.per.c.referent - q.per.c.valid
    sort_columns = {
        "last_name": sa.func.lower(User.last_name),
        "first_name": sa.func.lower(User.first_name),
        "email": email,
        "subdivisions": q.per.c.subdivision,
        "specialties": q.per.c.specialty,
        "posts": q.per.c.posts,
        "referent": q.per.c.referent,
        "last_login": User.last_login_at,
        "rankings_valid": q.per.c.valid,
        "rankings_todo": todo,
    }
    order = ordered(sort_columns[TABLE.sort_key(sort)], descending,
                    sa.func.lower(User.last_name), sa.func.lower(User.first_name), User.id)
    return q.joined(select(User.id, User.last_name, User.first_name, email, q.per.c.posts, q.per.c.referent,
                           User.last_login_at, q.per.c.valid)).order_by(*order)


def _labels(session: Session, q: _Query, user_ids: list[int]) -> dict[int, tuple[str, str]]:
    """{user id: ("SUBDI A, SUBDI B", "SPÉ 1")} over the matching posts, for the rows shown only."""
    if not user_ids:
        return {}
    pairs = session.exec(
        select(PostSupervisor.user_id, Subdivision.label, Specialty.label)
        .select_from(PostSupervisor)
        .join(Post, Post.id == PostSupervisor.post_id)
        .join(Subdivision, Subdivision.id == Post.subdivision_id)
        .join(Specialty, Specialty.id == Post.calling_specialty_id)
        .where(PostSupervisor.user_id.in_(user_ids), *q.post_where)
        .distinct()
    ).all()
    subs: dict[int, set[str]] = {}
    specs: dict[int, set[str]] = {}
    for uid, sub, spec in pairs:
        subs.setdefault(uid, set()).add(sub)
        specs.setdefault(uid, set()).add(spec)
    return {uid: (", ".join(sorted(subs.get(uid, ()))), ", ".join(sorted(specs.get(uid, ())))) for uid in user_ids}


def _to_rows(session: Session, q: _Query, raw: list) -> list[SupervisorRow]:
    labels = _labels(session, q, [r[0] for r in raw])
    return [
        SupervisorRow(
            id=uid, last_name=(last or "").upper(), first_name=first or "", email=email or "",
            subdivisions=labels.get(uid, ("", ""))[0], specialties=labels.get(uid, ("", ""))[1],
            posts=int(posts), referent=int(referent), last_login_at=to_paris(login),
            rankings_valid=int(valid), rankings_todo=int(referent) - int(valid),
        )
        for uid, last, first, email, posts, referent, login, valid in raw
    ]


# ------------------------------------------------------------------ the table
def query_supervisors(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                      descending: bool = False, offset: int = 0, limit: int = 50) -> tuple[list[SupervisorRow], int]:
    """One page of the supervisors of the user's scope matching ``filters``, and how many match in all."""
    offset, limit = clamp(offset, limit)
    with transaction() as session:
        q = _build(session, user, filters)
        total = session.exec(q.joined(select(sa.func.count(User.id)))).one()
        raw = session.exec(_rows_query(q, sort, descending).offset(offset).limit(limit)).all()
        return _to_rows(session, q, list(raw)), int(total)


def iter_supervisors(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                     descending: bool = False, chunk: int = 1000) -> Iterator[SupervisorRow]:
    """Every matching row in the table's order, read by chunks (for the exports)."""
    with transaction() as session:
        q = _build(session, user, filters)
        result = session.execute(_rows_query(q, sort, descending).execution_options(yield_per=chunk))
        for part in result.partitions(chunk):
            yield from _to_rows(session, q, list(part))


def supervisor_statistics(user: SignedInUser, filters: Mapping[str, object] | None = None) -> list[Figure]:
    """"RTS connectés" and "Classements valides" (of the référent posts, current round) of the filtered table."""
    with transaction() as session:
        q = _build(session, user, filters)
        supervisors, signed_in, referent, valid = session.exec(q.joined(select(
            sa.func.count(User.id),
            sa.func.count(User.last_login_at),
            sa.func.coalesce(sa.func.sum(q.per.c.referent), 0),
            sa.func.coalesce(sa.func.sum(q.per.c.valid), 0),
        ))).one()
    return [
        Figure("RTS connectés", percent(int(signed_in), int(supervisors)), key="signed_in"),
        Figure("Classements valides", percent(int(valid), int(referent)), key="valid"),
    ]


# ------------------------------------------------------------------ exports


TABLE = Table(
    name="supervisors", file_stem="responsables", noun="responsables", unit="responsable(s)",
    search_label="Filtre par nom, prénom, email", columns=TABLE_COLUMNS, filters=(REGION, SUBDIVISION, SPECIALTY),
    default_sort=DEFAULT_SORT, line=SupervisorLine, query=query_supervisors, iterate=iter_supervisors,
    statistics=supervisor_statistics, options=filter_options,
)
export_columns = TABLE.export_columns
export_rows = TABLE.export_rows
