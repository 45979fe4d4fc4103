"""The coordinators' students table ("Suivi des Docteurs Juniors", SPEC §7): rows, statistics, a student's wishes.

Everything is restricted in SQL by the user's scope (``scope.student_condition``):
filters only narrow it, so a forged filter value outside the scope yields nothing.
Sorting goes through a whitelist, paging is done by the database (offset/limit),
and the sufficiency of the lists ("Nombre de candidatures suffisantes") is computed
by ``candidates.sufficient_students`` for the rows shown only; the statistics count
it with one grouped query and the domain's ``required_wishes``.

"Current round" is the round of the wishes phase the students see now (the open
one, else the last one started, else the first): ``wish_window.wishes_window``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.calendar import to_paris
from siimop_app.domain.sufficiency import required_wishes
from siimop_app.models import (
    Application,
    Assignment,
    Establishment,
    Post,
    Ranking,
    RankingEntry,
    Region,
    Round,
    Site,
    Specialty,
    Student,
    Subdivision,
    User,
)
from siimop_app.models.posts import POST_TYPE_LABELS
from siimop_app.services import scope as scopes
from siimop_app.services.access import AccessDenied
from siimop_app.services.auth import SignedInUser
from siimop_app.services.candidates import posts_offered, sufficient_students
from siimop_app.services.overview import Choice, Figure, choices, percent
from siimop_app.services.queries import clamp, contains, main_email_contains, main_email_of, ordered
from siimop_app.services.results import published_assignment, published_round_ids
from siimop_app.services.table_kit import (
    NEVER,
    PERSON_COLUMNS,
    REGION,
    SIGNED_IN,
    SPECIALTY,
    SUBDIVISION,
    Column,
    Filter,
    Table,
    line_class,
    shown,
)
from siimop_app.services.wish_window import wishes_window
from siimop_app.validation import parse_int

NOT_IN_SCOPE = "Cet étudiant ne fait pas partie de votre périmètre."
NOT_ASSIGNED = NEVER  # the seed's mark for "no assignment", on screen and in the exports alike

# The seed's columns, in its order; the export writes the same ones.
TABLE_COLUMNS = (
    *PERSON_COLUMNS,
    Column("subdivision", "Subdivision", width=22),
    Column("region", "Région", width=24),
    Column("specialty", "Spécialité", width=30),
    Column("ine", "Numéro INE", width=14),
    Column("intern_number", "Numéro interne", width=14),
    SIGNED_IN,
    Column("sufficient", "Nombre de candidatures suffisantes", sortable=False, width=14),
    Column("participating", "Participation campagne appariement courante", width=16),
    Column("decale", "Semestre décalé", width=12),
    Column("assignment", "Affectation", width=36, empty=NOT_ASSIGNED),
)
FILTERS = (
    SUBDIVISION, REGION, SPECIALTY,
    Filter("participation", "Filtre par participation", choices=(("oui", "Participe"), ("non", "Ne participe pas"))),
    Filter("affectation", "Filtre par affectation", choices=(("affecte", "Affecté"), ("non_affecte", "Non affecté"))),
    Filter("decale", "Semestre décalé", choices=(("oui", "Décalé"), ("non", "Non décalé"))),
)
COLUMNS = tuple((c.key, c.label) for c in TABLE_COLUMNS)
DEFAULT_SORT = "last_name"
StudentLine = line_class(__name__, "StudentLine", TABLE_COLUMNS)


@dataclasses.dataclass(frozen=True)
class StudentRow:
    id: int
    last_name: str
    first_name: str
    email: str
    subdivision: str
    region: str
    specialty: str
    ine: str
    intern_number: str
    last_login_at: dt.datetime | None  # Paris time, aware
    sufficient: bool
    participating: bool
    decale: bool
    assignment: str  # the site's name, "" when not assigned

    @property
    def last_login(self) -> str:
        return str(shown(self.last_login_at, NEVER))

    def as_dict(self) -> dict[str, object]:
        """The values the page shows, booleans as the seed's words; the exports write the same."""
        return {"id": self.id, **TABLE.screen_values(self)}


# ------------------------------------------------------------------ helpers
def current_round() -> tuple[int | None, int | None]:
    """(wave id, round id) of the campaign in progress, as the students see it."""
    window = wishes_window()
    return window.wave_id, window.round_id


def _assigned_site(wave_id: int | None, published):
    if wave_id is None:
        return sa.literal("")
    return (
        select(Site.name)
        .join(Post, Post.site_id == Site.id)
        .join(Assignment, Assignment.post_id == Post.id)
        .join(Round, Round.id == Assignment.round_id)
        .where(Assignment.student_id == Student.id, Round.wave_id == wave_id, published)
        .order_by(Round.number.desc())
        .limit(1)
        .correlate(Student)
        .scalar_subquery()
    )


def _assigned_exists(wave_id: int | None, published):
    if wave_id is None:
        return sa.false()
    return (
        select(Assignment.id)
        .join(Round, Round.id == Assignment.round_id)
        .where(Assignment.student_id == Student.id, Round.wave_id == wave_id, published)
        .correlate(Student)
        .exists()
    )


def _conditions(scope: scopes.Scope, filters: dict[str, str], wave_id: int | None, published) -> list:
    """The scope first, then each filter: filters can only narrow the scope."""
    where = [scopes.student_condition(scope)]
    text = filters["q"]
    if text:
        where.append(sa.or_(
            *(contains(column, text) for column in (User.last_name, User.first_name, Student.ine,
                                                      Student.intern_number)),
            main_email_contains(Student.user_id, text, correlate=Student),
        ))
    for key, column in (("region", Subdivision.region_id), ("subdivision", Student.subdivision_id),
                        ("specialty", Student.specialty_id)):
        if filters[key]:
            wanted = parse_int(filters[key])
            where.append(column == wanted if wanted is not None else sa.false())
    for key, column in (("participation", Student.participating), ("decale", Student.semestre_decale)):
        if filters[key] in ("oui", "non"):
            where.append(column == (filters[key] == "oui"))
    if filters["affectation"] in ("affecte", "affecté", "non_affecte", "non affecté"):
        assigned = _assigned_exists(wave_id, published)
        where.append(assigned if filters["affectation"] in ("affecte", "affecté") else sa.not_(assigned))
    return where


def _joined(query):
    return (
        query.join(User, User.id == Student.user_id)
        .join(Subdivision, Subdivision.id == Student.subdivision_id)
        .join(Region, Region.id == Subdivision.region_id)
        .join(Specialty, Specialty.id == Student.specialty_id)
    )


def _rows_query(where: list, wave_id: int | None, published, sort: str, descending: bool):
    email, site = main_email_of(Student.user_id, correlate=Student), _assigned_site(wave_id, published)
    sort_columns = {
        "last_name": sa.func.lower(User.last_name),
        "first_name": sa.func.lower(User.first_name),
        "email": email,
        "subdivision": Subdivision.label,
        "region": Region.name,
        "specialty": Specialty.label,
        "ine": Student.ine,
        "intern_number": Student.intern_number,
        "last_login": User.last_login_at,
        "participating": Student.participating,
        "decale": Student.semestre_decale,
        "assignment": site,
    }
    order = ordered(sort_columns[TABLE.sort_key(sort)], descending,
                    sa.func.lower(User.last_name), sa.func.lower(User.first_name), Student.id)
    return _joined(
        select(Student.id, User.last_name, User.first_name, email, Subdivision.label, Region.name, Specialty.label,
               Student.ine, Student.intern_number, User.last_login_at, Student.participating,
               Student.semestre_decale, site)
        .select_from(Student)
    ).where(*where).order_by(*order)


def _to_rows(session: Session, raw: list, round_id: int | None) -> list[StudentRow]:
    ids = [r[0] for r in raw]
    sufficient = sufficient_students(session, round_id, ids) if round_id is not None and ids else set()
    return [
        StudentRow(
            id=sid, last_name=(last or "").upper(), first_name=first or "", email=email or "", subdivision=sub,
            region=region, specialty=spec, ine=ine or "", intern_number=intern or "",
            last_login_at=to_paris(login), sufficient=sid in sufficient, participating=bool(part),
            decale=bool(decale), assignment=site or "",
        )
        for sid, last, first, email, sub, region, spec, ine, intern, login, part, decale, site in raw
    ]


# ------------------------------------------------------------------ the table
def query_students(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                   descending: bool = False, offset: int = 0, limit: int = 50,
                   wave_round: tuple[int | None, int | None] | None = None) -> tuple[list[StudentRow], int]:
    """One page of the students in the user's scope matching ``filters``, and how many match in all."""
    clean = TABLE.clean(filters)
    wave_id, round_id = wave_round if wave_round is not None else current_round()
    offset, limit = clamp(offset, limit)
    with transaction() as session:
        published = published_assignment(session)
        where = _conditions(scopes.staff_scope(session, user), clean, wave_id, published)
        total = session.exec(_joined(select(sa.func.count(Student.id)).select_from(Student)).where(*where)).one()
        raw = session.exec(_rows_query(where, wave_id, published, sort, descending).offset(offset).limit(limit)).all()
        return _to_rows(session, list(raw), round_id), total


def iter_students(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                  descending: bool = False, chunk: int = 1000) -> Iterator[StudentRow]:
    """Every matching row, in the table's order, read by chunks (for the exports): never a whole list in memory.

    The scope and the filters are applied exactly as for ``query_students``.
    """
    clean = TABLE.clean(filters)
    wave_id, round_id = current_round()
    with transaction() as session:
        published = published_assignment(session)
        where = _conditions(scopes.staff_scope(session, user), clean, wave_id, published)
        result = session.execute(_rows_query(where, wave_id, published, sort, descending).execution_options(yield_per=chunk))
        for part in result.partitions(chunk):
            yield from _to_rows(session, list(part), round_id)


def filter_options(user: SignedInUser) -> dict[str, list[Choice]]:
    """The regions, subdivisions and specialties that occur in the user's scope (values are ids as text)."""
    with transaction() as session:
        scope = scopes.staff_scope(session, user)
        pairs = session.exec(
            select(Student.subdivision_id, Student.specialty_id).where(scopes.student_condition(scope)).distinct()
        ).all()
        subdivision_ids = {sub for sub, _ in pairs}
        specialty_ids = {spec for _, spec in pairs}
        subdivisions = session.exec(
            select(Subdivision.id, Subdivision.label, Subdivision.region_id).where(Subdivision.id.in_(subdivision_ids))
        ).all() if subdivision_ids else []
        region_ids = {region for *_, region in subdivisions}
        regions = session.exec(select(Region.id, Region.name).where(Region.id.in_(region_ids))).all() \
            if region_ids else []
        specialties = session.exec(select(Specialty.id, Specialty.label).where(Specialty.id.in_(specialty_ids))).all() \
            if specialty_ids else []

    return {"regions": choices(regions), "subdivisions": choices((i, label) for i, label, _ in subdivisions),
            "specialties": choices(specialties)}


def student_statistics(user: SignedInUser, filters: Mapping[str, object] | None = None,
                       wave_round: tuple[int | None, int | None] | None = None) -> list[Figure]:
    """The seed's "Pourcentages de la campagne en cours" for the filtered students: two aggregate queries."""
    clean = TABLE.clean(filters)
    wave_id, round_id = wave_round if wave_round is not None else current_round()
    with transaction() as session:
        published = published_assignment(session)
        where = _conditions(scopes.staff_scope(session, user), clean, wave_id, published)
        assigned = _assigned_exists(wave_id, published)
        students, signed_in, participating, decale, placed = session.exec(
            _joined(select(
                sa.func.count(Student.id),
                sa.func.count(User.last_login_at),
                sa.func.coalesce(sa.func.sum(sa.case((Student.participating, 1), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((Student.semestre_decale, 1), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((assigned, 1), else_=0)), 0),
            ).select_from(Student)).where(*where)
        ).one()
        sufficient = 0
        if round_id is not None and students:
            # Per student: how many posts carry a heart (participating students, as candidates.sufficient_students
            # counts them); then grouped by (specialty, subdivision, count) so the rule is applied per group.
            filtered = _joined(select(Student.id).select_from(Student)).where(*where).subquery()
            per_student = (
                select(Student.specialty_id.label("spec"), Student.subdivision_id.label("sub"),
                       sa.func.count(Application.id).label("rated"))
                .join(Application, Application.student_id == Student.id)
                .where(Student.id.in_(select(filtered.c.id)), Application.round_id == round_id,
                       Application.hearts > 0, Student.participating)
                .group_by(Student.id, Student.specialty_id, Student.subdivision_id)
                .subquery()
            )
            groups = session.exec(
                select(per_student.c.spec, per_student.c.sub, per_student.c.rated, sa.func.count())
                .group_by(per_student.c.spec, per_student.c.sub, per_student.c.rated)
            ).all()
            offered = posts_offered(session, session.get(Round, round_id).wave_id,
                                    {(spec, sub) for spec, sub, _, _ in groups})
            sufficient = sum(n for spec, sub, rated, n in groups
                             if rated >= required_wishes(offered.get((spec, sub), 0)))
    return [
        Figure("Étudiants connectés", percent(signed_in, students), key="signed_in"),
        Figure("Listes de vœux suffisantes", percent(sufficient, students), key="sufficient"),
        Figure("Participation à la campagne", percent(participating, students), key="participating"),
        Figure("Semestre décalé", percent(decale, students), key="decale"),
        Figure("Étudiants affectés", percent(placed, students), key="assigned"),
    ]


# ------------------------------------------------------------ a student's wishes
@dataclasses.dataclass(frozen=True)
class StudentWish:
    """One line of a student's wishes in the "Voir" dialog, ready to show."""

    site: str
    approval_number: str
    establishment: str
    post_type: str  # in French
    supervisor: str
    duration: str  # "6 mois", "1 an"
    hearts: int
    rank: str  # the supervisor's rank, "Non classé(e)" or "Non retenu(e)"
    result: str  # "Affecté(e)", "Non affecté(e)" (published rounds) or "En attente"
    round: str  # "Tour 1"


@dataclasses.dataclass(frozen=True)
class StudentWishes:
    """The "Voir" dialog: the student's name, INE, specialty, subdivision and wishes (``NO_STUDENT``: none)."""

    name: str
    ine: str
    specialty: str
    subdivision: str
    wishes: list[StudentWish]


NO_STUDENT = StudentWishes(name="", ine="", specialty="", subdivision="", wishes=[])


def student_wishes_detail(user: SignedInUser, student_id: int) -> StudentWishes:
    """A student's wishes in the campaign in progress (every round), with hearts, the supervisor's rank and result.

    Only for a coordinator/manager/admin whose scope covers the student; otherwise AccessDenied.
    """
    wave_id, _ = current_round()
    with transaction() as session:
        scope = scopes.staff_scope(session, user)
        found = session.exec(
            _joined(select(Student.id, User.first_name, User.last_name, Student.ine, Specialty.label,
                           Subdivision.label).select_from(Student))
            .where(Student.id == int(student_id), scopes.student_condition(scope))
        ).first()
        if found is None:
            raise AccessDenied(NOT_IN_SCOPE)
        sid, first, last, ine, specialty, subdivision = found
        if wave_id is None:
            return _student_wishes(first, last, ine, specialty, subdivision, [])
        supervisor = aliased(User)
        rows = session.exec(
            select(Application.post_id, Application.round_id, Application.hearts, Round.number, Round.status,
                   Site.name, Site.approval_number, Establishment.name, Post.post_type, Post.months,
                   supervisor.first_name, supervisor.last_name)
            .join(Round, Round.id == Application.round_id)
            .join(Post, Post.id == Application.post_id)
            .join(Site, Site.id == Post.site_id)
            .join(Establishment, Establishment.id == Site.establishment_id)
            .outerjoin(supervisor, supervisor.id == Site.supervisor_user_id)
            .where(Application.student_id == sid, Round.wave_id == wave_id)
            .order_by(Round.number, Application.hearts.desc(), Site.name)
        ).all()
        entries = {
            (round_id, post_id): (rank, refused)
            for round_id, post_id, rank, refused in session.exec(
                select(Ranking.round_id, Ranking.post_id, RankingEntry.rank, RankingEntry.refused)
                .join(RankingEntry, RankingEntry.ranking_id == Ranking.id)
                .join(Round, Round.id == Ranking.round_id)
                .where(RankingEntry.student_id == sid, Round.wave_id == wave_id)
            ).all()
        }
        assigned = {
            (round_id, post_id)
            for round_id, post_id in session.exec(
                select(Assignment.round_id, Assignment.post_id)
                .where(Assignment.student_id == sid, published_assignment(session))
            ).all()
        }
        # "Non affecté(e)" is a result too: only once the round's results are published.
        closed_rounds = set(published_round_ids(session))
    wishes = []
    for post_id, round_id, hearts, number, _status, site, approval, establishment, post_type, months, s_first, \
            s_last in rows:
        rank, refused = entries.get((round_id, post_id), (None, False))
        if (round_id, post_id) in assigned:
            result = "Affecté(e)"
        elif round_id in closed_rounds:
            result = "Non affecté(e)"
        else:
            result = "En attente"
        wishes.append(StudentWish(
            site=site,
            approval_number=approval,
            establishment=establishment,
            post_type=POST_TYPE_LABELS.get(post_type, post_type),
            supervisor=f"{s_first} {s_last.upper()}" if s_last else "",
            duration="1 an" if months == 12 else f"{months} mois",
            hearts=int(hearts),
            rank=str(rank) if rank else ("Non retenu(e)" if refused else "Non classé(e)"),
            result=result,
            round=f"Tour {number}",
        ))
    return _student_wishes(first, last, ine, specialty, subdivision, wishes)


def _student_wishes(first: str, last: str, ine: str, specialty: str, subdivision: str,
                    wishes: list[StudentWish]) -> StudentWishes:
    return StudentWishes(name=f"{first} {last.upper()}", ine=ine, specialty=specialty, subdivision=subdivision,
                         wishes=wishes)


# ------------------------------------------------------------------ the definition
TABLE = Table(
    name="students", file_stem="etudiants", noun="étudiants", unit="étudiant(s)",
    search_label="Filtre par nom, prénom, email, numéro INE, numéro interne",
    columns=TABLE_COLUMNS, filters=FILTERS, default_sort=DEFAULT_SORT, line=StudentLine,
    query=query_students, iterate=iter_students, statistics=student_statistics, options=filter_options,
)
export_columns = TABLE.export_columns
export_rows = TABLE.export_rows
