"""Gestion des responsables des terrains de stage (SPEC §7): the staff's supervisors (RTS) table and statistics.

A supervisor is a user with a ``PostSupervisor`` link on a post of the current wave inside the staff user's
scope (``scope.post_condition``). The region/subdivision/specialty filters narrow the *posts* taken into
account (so a supervisor appears when one of their matching posts does, and their counts are over those
posts); the text filter narrows the supervisors (name, main e-mail). Filters can only narrow the scope.

Per supervisor, one grouped query gives: the number of posts, of which référent, and among the référent
posts the rankings of the current round that are valid (``Ranking.is_valid``, the ranking rules' last
verdict) and those still to do (no ranking yet, or not valid). Sorting goes through a whitelist, paging is
done by the database; the subdivision and specialty labels are read for the rows shown only.

"Current wave/round" are the posts table's (``post_table._wave_id`` / ``_round_of_wave``), so both tables
always speak of the same campaign.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.calendar import PARIS
from siimop_app.models import Post, PostSupervisor, Ranking, Specialty, Subdivision, User, UserEmail
from siimop_app.services import scope as scopes
from siimop_app.services.access import require_role
from siimop_app.services.auth import SignedInUser
from siimop_app.services.overview import percent
from siimop_app.services.post_table import _round_of_wave, _wave_id
from siimop_app.validation import parse_int

STAFF_ROLES = scopes.STAFF_ROLES
ALL = ("", "all", "tous", "toutes")
FILTER_KEYS = ("q", "region", "subdivision", "specialty")

# (key, French header); the export writes the same columns.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("last_name", "Nom"),
    ("first_name", "Prénom"),
    ("email", "Email"),
    ("subdivisions", "Subdivision(s)"),
    ("specialties", "Spécialité"),
    ("posts", "Nombre de postes"),
    ("referent", "Dont référent"),
    ("last_login", "Connexion"),
    ("rankings_valid", "Classements valides"),
    ("rankings_todo", "Classements à faire"),
)
SORTABLE = frozenset({
    "last_name", "first_name", "email", "subdivisions", "specialties", "posts", "referent", "last_login",
    "rankings_valid", "rankings_todo",
})
DEFAULT_SORT = "last_name"
NUMBERS = frozenset({"posts", "referent", "rankings_valid", "rankings_todo"})


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
        return self.last_login_at.strftime("%d/%m/%Y %H:%M:%S") if self.last_login_at else "X"

    def as_dict(self) -> dict[str, str | int]:
        return {
            "id": self.id, "last_name": self.last_name, "first_name": self.first_name, "email": self.email,
            "subdivisions": self.subdivisions, "specialties": self.specialties, "posts": self.posts,
            "referent": self.referent, "last_login": self.last_login, "rankings_valid": self.rankings_valid,
            "rankings_todo": self.rankings_todo,
        }

    def export_values(self) -> dict[str, object]:
        values: dict[str, object] = self.as_dict()
        values["last_login"] = self.last_login_at.replace(tzinfo=None, microsecond=0) if self.last_login_at else None
        return values


# ------------------------------------------------------------------ helpers
def _paris(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(PARIS)


def _staff_scope(session: Session, user: SignedInUser) -> scopes.Scope:
    require_role(user, *STAFF_ROLES)
    return scopes.scope_of(session, user.user_id, tuple(r for r in STAFF_ROLES if r in user.roles))


def clean_filters(filters: Mapping[str, object] | None) -> dict[str, str]:
    filters = filters or {}
    out = {}
    for key in FILTER_KEYS:
        value = str(filters.get(key) or "").strip()
        out[key] = "" if value.lower() in ALL else value[:100]
    return out



def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


def _main_email():
    return (
        select(sa.func.min(UserEmail.email))
        .where(UserEmail.user_id == User.id, UserEmail.kind == "main")
        .correlate(User)
        .scalar_subquery()
    )


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
    clean = clean_filters(filters)
    scope = _staff_scope(session, user)
    wave_id = _wave_id(session)
    round_id, _number = _round_of_wave(session, wave_id)
    post_where = post_conditions(scope, clean, wave_id)
    per = _per_supervisor(post_where, round_id)
    where = []
    for word in clean["q"].lower().split()[:6]:
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
    return _Query(wave_id, round_id, post_where, per, where)


def _rows_query(q: _Query, sort: str, descending: bool) -> sa.Select:
    email = _main_email()
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
    key = sort if sort in SORTABLE else DEFAULT_SORT
    primary = sort_columns[key]
    order = [sa.case((primary.is_(None), 1), else_=0), primary.desc() if descending else primary.asc(),
             sa.func.lower(User.last_name), sa.func.lower(User.first_name), User.id]
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
            posts=int(posts), referent=int(referent), last_login_at=_paris(login),
            rankings_valid=int(valid), rankings_todo=int(referent) - int(valid),
        )
        for uid, last, first, email, posts, referent, login, valid in raw
    ]


# ------------------------------------------------------------------ the table
def query_supervisors(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                      descending: bool = False, offset: int = 0, limit: int = 50) -> tuple[list[SupervisorRow], int]:
    """One page of the supervisors of the user's scope matching ``filters``, and how many match in all."""
    offset, limit = max(0, int(offset)), max(1, min(int(limit), 500))
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


def supervisor_statistics(user: SignedInUser, filters: Mapping[str, object] | None = None) -> list[dict[str, str]]:
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
        {"key": "signed_in", "label": "RTS connectés", "value": percent(int(signed_in), int(supervisors))},
        {"key": "valid", "label": "Classements valides", "value": percent(int(valid), int(referent))},
    ]


# ------------------------------------------------------------------ exports
def export_columns():
    from siimop_app.services.exports import ExportColumn

    widths = {"last_name": 18, "first_name": 16, "email": 34, "subdivisions": 28, "specialties": 30,
              "last_login": 20}
    return [
        ExportColumn(key, header,
                     kind="datetime" if key == "last_login" else ("number" if key in NUMBERS else "text"),
                     width=widths.get(key), empty="X" if key == "last_login" else "")
        for key, header in COLUMNS
    ]


def export_rows(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                descending: bool = False) -> Iterator[dict[str, object]]:
    for row in iter_supervisors(user, filters=filters, sort=sort, descending=descending):
        yield row.export_values()


__all__ = [
    "COLUMNS", "DEFAULT_SORT", "SORTABLE", "SupervisorRow", "export_columns", "export_rows", "iter_supervisors",
    "query_supervisors", "supervisor_statistics",
]
