"""Gestion des postes (SPEC §7, seed "Suivi des postes et du classement"): the staff's posts table and its
statistics (one post's detail: ``post_staff``; the managers' two changes: ``post_changes``).

- Coordinators, managers and admins read the posts of their scope: ``scope.post_condition`` is part of
  every query, so a filter or a post id can only narrow what they see, never widen it.
- The table is filtered, sorted (whitelisted columns) and paged in SQL; "Derniers changements" is
  ``last_changes`` (the table, its export and the detail): the latest audit row on the post, its sites or its
  rankings, read for the visible page in one query.
- Candidates are ``candidates.candidates_of_post`` and the ranking's validity is the ranking rules'
  check (``rankings``' board and check): nothing here re-states those rules. The table's candidate
  filter and statistic use the same definition (``sufficient_students`` minus students placed earlier).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterable, Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.calendar import PARIS, opens_at
from siimop_app.models import (
    POST_TYPE_LABELS,
    Application,
    Assignment,
    AuditEntry,
    Establishment,
    Post,
    PostSupervisor,
    Ranking,
    Region,
    Round,
    Site,
    Specialty,
    Student,
    Subdivision,
    User,
    UserEmail,
    Wave,
)
from siimop_app.services import calendar
from siimop_app.services.auth import SignedInUser
from siimop_app.services.candidates import sufficient_students
from siimop_app.services.overview import Choice, Figure, choices, percent
from siimop_app.services.post_access import require_staff, staff_post_condition
from siimop_app.services.queries import clamp, contains
from siimop_app.services.results import published_assignment
from siimop_app.services.table_kit import Column, Filter, Table, line_class
from siimop_app.validation import parse_int

NO_CHANGE = "Aucun changement"
MAX_PAGE = 200


@dataclasses.dataclass(frozen=True)
class PostFilters:
    """The seed's filters. Empty values mean "all"; ids from the browser only narrow the user's scope."""

    text: str = ""  # approval number, name, site number, calling specialty, subdivision, RTS
    region_id: int | None = None
    subdivision_id: int | None = None
    specialty_id: int | None = None
    places: str = ""  # "" | "with" (places opened) | "without"
    candidates: str = ""  # "" | "with" | "without"
    assignments: str = ""  # "" | "with" | "without" | "full" (every place assigned)


def filters_from_params(params: Mapping[str, object]) -> PostFilters:
    """The filters as the page and the export route receive them (text values); anything unexpected means "all"."""
    def choice(key: str, allowed: tuple[str, ...]) -> str:
        value = str(params.get(key, "") or "")
        return value if value in allowed else ""

    return PostFilters(
        text=str(params.get("q", "") or params.get("text", "") or "")[:100],
        region_id=parse_int(params.get("region")),
        subdivision_id=parse_int(params.get("subdivision")),
        specialty_id=parse_int(params.get("specialty")),
        places=choice("places", ("with", "without")),
        candidates=choice("candidates", ("with", "without")),
        assignments=choice("assignments", ("with", "without", "full")),
    )


def _parsed(filters: PostFilters | Mapping[str, object] | None) -> PostFilters:
    if filters is None:
        return PostFilters()
    return filters if isinstance(filters, PostFilters) else filters_from_params(filters)


@dataclasses.dataclass(frozen=True)
class PostRow:
    """One post of the staff table as the query reads it (the page's ``PostLine`` and the files come from it)."""

    id: int
    post_id: int
    approval_number: str
    site_number: str
    name: str
    indication: str
    specialty: str
    establishment: str
    region: str
    subdivision: str
    rts: str  # "" without a référent
    rts_email: str
    post_type: str  # in French
    months: int
    places: int
    assigned: int
    last_login: str  # Paris time, "X" if never
    ranking_valid: str  # "Oui" | "Non" | "-" (no ranking)
    decale: bool
    validated_by_ars: bool
    last_change: str


def _yes_no(key: str):
    return lambda row: "Oui" if getattr(row, key) else "Non"


# The seed's columns; the export writes them all, the screen shows the RTS's e-mail inside the RTS cell.
TABLE_COLUMNS = (
    Column("approval_number", "Numéro agrément"),
    Column("site_number", "Numéro terrain"),
    Column("name", "Nom"),
    Column("indication", "Indication poste"),
    Column("specialty", "Spécialité d'appel"),
    Column("establishment", "Établissement"),
    Column("region", "Région"),
    Column("subdivision", "Subdivision"),
    Column("rts", "RTS"),
    Column("rts_email", "Email RTS", sortable=False, on_screen=False),
    Column("post_type", "Type de poste"),
    Column("months", "Nombre de mois", kind="number"),
    Column("places", "Nombre de places", kind="number"),
    Column("assigned", "Nombre d'affectations", kind="number"),
    Column("last_login", "Connexion"),
    Column("ranking_valid", "Classement valide"),
    Column("decale", "Décalé", line_type=bool, file=_yes_no("decale")),
    Column("validated_by_ars", "Poste validé par l'ARS", line_type=bool, file=_yes_no("validated_by_ars")),
    Column("last_change", "Derniers changements", sortable=False),
)
EXPORT_COLUMNS = tuple((c.key, c.label) for c in TABLE_COLUMNS)
ANY_POST = "Tous les postes"
FILTERS = (
    Filter("region", "Région", "Toutes", options="regions"),
    Filter("subdivision", "Subdivision", "Toutes", options="subdivisions"),
    Filter("specialty", "Spécialité", "Toutes", options="specialties"),
    Filter("places", "Places ouvertes", ANY_POST, choices=(("with", "Avec places ouvertes"),
                                                           ("without", "Sans place ouverte"))),
    Filter("candidates", "Candidatures", ANY_POST, choices=(("with", "Avec candidatures"),
                                                            ("without", "Sans candidature"))),
    Filter("assignments", "Affectations", ANY_POST, choices=(("with", "Avec affectations"),
                                                             ("without", "Sans affectation"),
                                                             ("full", "Toutes les places pourvues"))),
)
PostLine = line_class(__name__, "PostLine", TABLE_COLUMNS)


def iter_posts(user: SignedInUser, *, filters: PostFilters | Mapping[str, object] | None = None,
               sort: str = "approval_number", descending: bool = False) -> Iterator[PostRow]:
    """Every filtered post of the scope, in the table's order, read page by page (never the whole table at once)."""
    parsed = _parsed(filters)
    offset = 0
    while True:
        rows, _total = query_posts(user, filters=parsed, sort=sort, descending=descending, offset=offset,
                                   limit=MAX_PAGE)
        yield from rows
        if len(rows) < MAX_PAGE:
            return
        offset += MAX_PAGE


# ------------------------------------------------------------------ shared pieces
def staff_wave_id(session: Session) -> int | None:
    """The current wave, else the latest one (staff prepare and review campaigns between waves)."""
    wave = calendar.current_wave()
    if wave is not None:
        return wave.wave_id
    return session.exec(select(sa.func.max(Wave.id))).one()


def followed_round(session: Session, wave_id: int | None) -> tuple[int | None, int | None]:
    """(id, number) of the round whose candidates the staff follow: the latest whose wishes phase began."""
    if wave_id is None:
        return None, None
    wave = calendar.current_wave()
    now = calendar.now()
    if wave is not None and wave.wave_id == wave_id:
        started = [p for p in wave.phases if p.kind in ("wishes", "ranking") and p.round_number
                   and opens_at(p) <= now]
        if started:
            number = max(p.round_number for p in started)
            return wave.round_id(number), number
        number = min(wave.round_numbers.values(), default=None)
        return wave.round_id(number), number
    row = session.exec(
        select(Round.id, Round.number).where(Round.wave_id == wave_id, Round.in_person == sa.false())
        .order_by(Round.number.desc())
    ).first()
    return (row[0], row[1]) if row else (None, None)


def paris_text(moment: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M:%S") -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(PARIS).strftime(fmt)


def full_name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip().upper()


def _assigned_subquery(session: Session):
    """Published assignments per post (before publication a post shows none)."""
    return (select(Assignment.post_id, sa.func.count().label("assigned")).where(published_assignment(session))
            .group_by(Assignment.post_id).subquery())


def _referent_subquery():
    """The post's RTS: its référent supervisor (the one who ranks)."""
    return (
        select(PostSupervisor.post_id, sa.func.min(PostSupervisor.user_id).label("user_id"))
        .where(PostSupervisor.is_referent)
        .group_by(PostSupervisor.post_id)
        .subquery()
    )


def _main_email_subquery():
    return (
        select(UserEmail.user_id, sa.func.min(UserEmail.email).label("email"))
        .where(UserEmail.kind == "main")
        .group_by(UserEmail.user_id)
        .subquery()
    )


def _eligible_candidates(session: Session, round_id: int, wave_id: int) -> set[int]:
    """Students who are candidates somewhere in the round: the same rules as ``candidates_of_post``.

    (The round's sufficient lists, minus students placed in another round of the wave.)
    """
    eligible = sufficient_students(session, round_id)
    placed_other = set(session.exec(
        select(Assignment.student_id).join(Round, Round.id == Assignment.round_id)
        .where(Round.wave_id == wave_id, Round.id != round_id)
    ).all())
    return eligible - placed_other


# {(database, round id): (fingerprint, computed at, (posts with candidates, posts without))}
_CANDIDATE_CACHE: dict[tuple[str, int], tuple[tuple, float, tuple[frozenset[int], frozenset[int]]]] = {}
CANDIDATE_CACHE_SECONDS = 30.0


def _fingerprint(session: Session, round_id: int, wave_id: int) -> tuple:
    """Cheap aggregates that change whenever the candidates of the round can change."""
    applications = session.exec(select(sa.func.count(Application.id), sa.func.max(Application.updated_at),
                                       sa.func.max(Application.id)).where(Application.round_id == round_id)).one()
    assignments = session.exec(select(sa.func.count(Assignment.id), sa.func.max(Assignment.id))).one()
    students = session.exec(select(sa.func.count(Student.id), sa.func.sum(sa.case((Student.participating, 1),
                                                                                  else_=0)))).one()
    posts = session.exec(select(sa.func.count(Post.id), sa.func.max(Post.id)).where(Post.wave_id == wave_id)).one()
    return (tuple(applications), tuple(assignments), tuple(students), tuple(posts))


def _posts_with_candidates(session: Session, round_id: int, wave_id: int) -> tuple[frozenset[int], frozenset[int]]:
    """(posts of the wave with at least one candidate in the round, those without), computed once and reused
    while the round's wishes, assignments, students and posts are unchanged (at most 30 s)."""
    key = (str(session.get_bind().url), round_id)
    fingerprint = _fingerprint(session, round_id, wave_id)
    cached = _CANDIDATE_CACHE.get(key)
    if cached and cached[0] == fingerprint and time.monotonic() - cached[1] < CANDIDATE_CACHE_SECONDS:
        return cached[2]
    eligible = _eligible_candidates(session, round_id, wave_id)
    pairs = session.exec(
        select(Application.post_id, Application.student_id)
        .join(Student, Student.id == Application.student_id)
        .where(Application.round_id == round_id, Application.hearts > 0, Student.participating)
    ).all()
    with_candidates = frozenset(post_id for post_id, student_id in pairs if student_id in eligible)
    every_post = set(session.exec(select(Post.id).where(Post.wave_id == wave_id)).all())
    value = (with_candidates & every_post, frozenset(every_post - with_candidates))
    _CANDIDATE_CACHE[key] = (fingerprint, time.monotonic(), value)
    return value


def _candidate_condition(session: Session, round_id: int, wave_id: int, wanted: bool) -> sa.ColumnElement[bool]:
    """Posts (of the wave) with candidates when ``wanted``, else without: the shorter id list is sent."""
    with_ids, without_ids = _posts_with_candidates(session, round_id, wave_id)
    if len(with_ids) <= len(without_ids):
        return Post.id.in_(sorted(with_ids)) if wanted else Post.id.not_in(sorted(with_ids))
    return Post.id.not_in(sorted(without_ids)) if wanted else Post.id.in_(sorted(without_ids))


@dataclasses.dataclass
class _Query:
    """The joined posts of the user's scope and wave, with the filters applied (no columns chosen yet)."""

    session: Session
    wave_id: int | None
    round_id: int | None
    round_number: int | None
    where: list
    assigned: sa.Subquery
    ranking: type
    rts: type
    email: sa.Subquery

    def joined(self, stmt: sa.Select) -> sa.Select:
        referent = _referent_subquery()
        return (
            stmt.select_from(Post)
            .join(Site, Site.id == Post.site_id)
            .join(Specialty, Specialty.id == Post.calling_specialty_id)
            .join(Establishment, Establishment.id == Site.establishment_id)
            .join(Subdivision, Subdivision.id == Post.subdivision_id)
            .join(Region, Region.id == Subdivision.region_id)
            .outerjoin(referent, referent.c.post_id == Post.id)
            .outerjoin(self.rts, self.rts.id == sa.func.coalesce(referent.c.user_id, Site.supervisor_user_id))
            .outerjoin(self.email, self.email.c.user_id == self.rts.id)
            .outerjoin(self.assigned, self.assigned.c.post_id == Post.id)
            .outerjoin(self.ranking, sa.and_(self.ranking.post_id == Post.id,
                                             self.ranking.round_id == (self.round_id or -1)))
            .where(*self.where)
        )


def _build(session: Session, user: SignedInUser, filters: PostFilters) -> _Query:
    wave_id = staff_wave_id(session)
    round_id, round_number = followed_round(session, wave_id)
    assigned = _assigned_subquery(session)
    rts = aliased(User)
    email = _main_email_subquery()
    ranking = aliased(Ranking)
    where = [staff_post_condition(session, user), Post.wave_id == (wave_id or -1)]
    columns = (Site.approval_number, Site.site_number, Site.name, Specialty.label, Subdivision.label,
               rts.first_name, rts.last_name, email.c.email, Post.indication)
    for word in (filters.text or "").split()[:6]:
        where.append(sa.or_(*(contains(column, word) for column in columns)))
    if filters.region_id is not None:
        where.append(Subdivision.region_id == filters.region_id)
    if filters.subdivision_id is not None:
        where.append(Post.subdivision_id == filters.subdivision_id)
    if filters.specialty_id is not None:
        where.append(Post.calling_specialty_id == filters.specialty_id)
    if filters.places == "with":
        where.append(Post.places_opened > 0)
    elif filters.places == "without":
        where.append(Post.places_opened == 0)
    taken = sa.func.coalesce(assigned.c.assigned, 0)
    if filters.assignments == "with":
        where.append(taken > 0)
    elif filters.assignments == "without":
        where.append(taken == 0)
    elif filters.assignments == "full":
        where.append(sa.and_(Post.places_opened > 0, taken >= Post.places_opened))
    if filters.candidates in ("with", "without"):
        if round_id is None:
            where.append(sa.false() if filters.candidates == "with" else sa.true())
        else:
            where.append(_candidate_condition(session, round_id, wave_id, filters.candidates == "with"))
    return _Query(session, wave_id, round_id, round_number, where, assigned, ranking, rts, email)


def _sort_columns(q: _Query) -> dict[str, sa.ColumnElement]:
    return {
        "approval_number": Site.approval_number,
        "site_number": Site.site_number,
        "name": Site.name,
        "indication": Post.indication,
        "specialty": Specialty.label,
        "establishment": Establishment.name,
        "region": Region.name,
        "subdivision": Subdivision.label,
        "rts": q.rts.last_name,
        "post_type": Post.post_type,
        "months": Post.months,
        "places": Post.places_opened,
        "assigned": sa.func.coalesce(q.assigned.c.assigned, 0),
        "last_login": q.rts.last_login_at,
        "ranking_valid": sa.func.coalesce(sa.case((q.ranking.is_valid, 1), else_=0), -1),
        "decale": Post.decale,
        "validated_by_ars": Post.validated_by_ars,
        "post_number": Post.post_number,
    }


SORT_KEYS = (
    "approval_number", "site_number", "name", "indication", "specialty", "establishment", "region", "subdivision",
    "rts", "post_type", "months", "places", "assigned", "last_login", "ranking_valid", "decale", "validated_by_ars",
    "post_number",
)


def last_changes(session: Session, post_ids: Iterable[int]) -> dict[int, str]:
    """"Derniers changements" of posts, the one definition for the table, its export and the post's detail.

    {post id: "PRÉNOM NOM le dd/mm/YYYY HH:MM:SS"} from the latest audit row about the post itself, its
    site(s) (description, descriptive file) or its rankings (any round); posts without one are absent.
    One query, whatever the number of posts.
    """
    ids = sorted({int(i) for i in post_ids})
    if not ids:
        return {}
    subjects = sa.union_all(
        select(Post.id.label("post_id"), sa.literal("post").label("entity"), Post.id.label("entity_id"))
        .where(Post.id.in_(ids)),
        select(Post.id, sa.literal("site"), Post.site_id).where(Post.id.in_(ids)),
        select(Post.id, sa.literal("site"), Post.second_site_id)
        .where(Post.id.in_(ids), Post.second_site_id.is_not(None)),
        select(Ranking.post_id, sa.literal("ranking"), Ranking.id).where(Ranking.post_id.in_(ids)),
    ).subquery()
    position = sa.func.row_number().over(
        partition_by=subjects.c.post_id,
        order_by=(AuditEntry.at.desc(), AuditEntry.id.desc()),
    ).label("position")
    latest = (
        select(subjects.c.post_id, AuditEntry.at, AuditEntry.actor_user_id, position)
        .join(AuditEntry, sa.and_(AuditEntry.entity == subjects.c.entity,
                                  AuditEntry.entity_id == subjects.c.entity_id))
        .subquery()
    )
    rows = session.exec(
        select(latest.c.post_id, latest.c.at, User.first_name, User.last_name)
        .outerjoin(User, User.id == latest.c.actor_user_id)
        .where(latest.c.position == 1)
    ).all()
    changes = {}
    for post_id, at, first, last in rows:
        who = f"{first or ''} {(last or '').upper()}".strip() or "SiiMOP"
        changes[post_id] = f"{who} le {paris_text(at)}"
    return changes


# ------------------------------------------------------------------ the table
def query_posts(
    user: SignedInUser,
    *,
    filters: PostFilters | Mapping[str, object] | None = None,
    sort: str = "approval_number",
    descending: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[PostRow], int]:
    """One page of the posts of the user's scope, filtered and sorted in SQL; (rows, total matching)."""
    user = require_staff(user)
    filters = _parsed(filters)
    offset, limit = clamp(offset, limit, most=MAX_PAGE)
    with transaction() as session:
        q = _build(session, user, filters)
        total = session.exec(q.joined(select(sa.func.count(Post.id)))).one()
        column = _sort_columns(q).get(sort if sort in SORT_KEYS else "approval_number")
        order = column.desc() if descending else column.asc()
        rows = session.exec(
            q.joined(select(
                Post, Site.approval_number, Site.site_number, Site.name, Specialty.label, Establishment.name,
                Region.name, Subdivision.label, q.rts.first_name, q.rts.last_name, q.rts.last_login_at,
                q.email.c.email, sa.func.coalesce(q.assigned.c.assigned, 0), q.ranking.id, q.ranking.is_valid,
            ))
            .order_by(order, Post.id.desc() if descending else Post.id.asc())
            .offset(offset)
            .limit(limit)
        ).all()
        changes = last_changes(session, (post.id for post, *_rest in rows))
    result = []
    for (post, approval, site_number, name, specialty, establishment, region, subdivision, first, last, login,
         email, taken, ranking_id, valid) in rows:
        result.append(PostRow(
            id=post.id,
            post_id=post.id,
            approval_number=approval,
            site_number=site_number,
            name=name,
            indication=post.indication,
            specialty=specialty,
            establishment=establishment,
            region=region,
            subdivision=subdivision,
            rts=full_name(first, last),
            rts_email=email or "",
            post_type=POST_TYPE_LABELS.get(post.post_type, post.post_type),
            months=post.months,
            places=post.places_opened,
            assigned=int(taken),
            last_login=paris_text(login) or "X",
            ranking_valid="-" if ranking_id is None else ("Oui" if valid else "Non"),
            decale=post.decale,
            validated_by_ars=post.validated_by_ars,
            last_change=changes.get(post.id, NO_CHANGE),
        ))
    return result, int(total)


def post_statistics(user: SignedInUser, filters: PostFilters | Mapping[str, object] | None = None
                    ) -> list[Figure]:
    """"Statistiques Postes" of the filtered posts of the scope, in a few aggregate queries."""
    user = require_staff(user)
    filters = _parsed(filters)
    with transaction() as session:
        q = _build(session, user, filters)
        posts, places, validated, valid_rankings, assigned = session.exec(q.joined(select(
            sa.func.count(Post.id),
            sa.func.coalesce(sa.func.sum(Post.places_opened), 0),
            sa.func.coalesce(sa.func.sum(sa.case((Post.validated_by_ars, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((q.ranking.is_valid, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.func.coalesce(q.assigned.c.assigned, 0)), 0),
        ))).one()
        with_candidates = 0
        if q.round_id is not None and posts:
            with_candidates = session.exec(q.joined(select(sa.func.count(Post.id))).where(
                _candidate_condition(session, q.round_id, q.wave_id, True))).one()
    posts, places, validated, valid_rankings, assigned = map(int, (posts, places, validated, valid_rankings, assigned))
    return [
        Figure("Postes", f"{posts} ({places} places ouvertes)"),
        Figure("Postes avec candidatures", percent(int(with_candidates), posts)),
        Figure("Classements valides", percent(valid_rankings, posts)),
        Figure("Postes validés par l'ARS", percent(validated, posts)),
        Figure("Places affectées", percent(assigned, places)),
    ]


def filter_options(user: SignedInUser) -> dict[str, list[Choice]]:
    """The regions, subdivisions and specialties the user's posts fall in (for the filters' menus)."""
    user = require_staff(user)
    with transaction() as session:
        condition = staff_post_condition(session, user)
        wave_id = staff_wave_id(session)
        rows = session.exec(
            select(Region.id, Region.name, Subdivision.id, Subdivision.label, Specialty.id, Specialty.label)
            .select_from(Post)
            .join(Subdivision, Subdivision.id == Post.subdivision_id)
            .join(Region, Region.id == Subdivision.region_id)
            .join(Specialty, Specialty.id == Post.calling_specialty_id)
            .where(condition, Post.wave_id == (wave_id or -1))
            .distinct()
        ).all()

    return {
        "regions": choices((r[0], r[1]) for r in rows),
        "subdivisions": choices((r[2], r[3]) for r in rows),
        "specialties": choices((r[4], r[5]) for r in rows),
    }


# ------------------------------------------------------------------ the definition
TABLE = Table(
    name="posts", file_stem="postes", noun="postes", unit="poste(s)",
    search_label="Filtre par numéro d'agrément, nom, numéro terrain, spécialité d'appel, subdivision, RTS",
    columns=TABLE_COLUMNS, filters=FILTERS, default_sort="approval_number", line=PostLine,
    query=query_posts, iterate=iter_posts, statistics=post_statistics, options=filter_options, page_size=25,
)
export_columns = TABLE.export_columns
export_rows = TABLE.export_rows
