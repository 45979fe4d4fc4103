"""The coordinators' results table ("Résultats", seed: "Affectations" of the coordinator's journey).

One row per assignment (``Assignment``: a student placed on a post in a round, by the
matching or by hand), for coordinators, managers and admins. Everything is restricted
in SQL by the user's scope on the STUDENT (``scope.student_condition``): filters only
narrow it, so a forged filter value outside the scope yields nothing.

A round's rows show only once its results are published, with the same rule as the
supervisors' and the students' pages: its "results" phase has started
(``results.published_rounds``, 00:00 Europe/Paris that day), or, for the in-person
round, as soon as an assignment is recorded. Sorting goes through a whitelist, paging
is done by the database, and the exports stream the same query.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import (
    Assignment,
    Post,
    Region,
    Round,
    Site,
    Specialty,
    Student,
    Subdivision,
    User,
    Wave,
)
from siimop_app.services import scope as scopes
from siimop_app.services.auth import SignedInUser
from siimop_app.services.overview import Choice, Figure, choices, percent
from siimop_app.services.queries import clamp, contains, ordered
from siimop_app.services.results import published_round_ids
from siimop_app.services.table_kit import REGION, SPECIALTY, SUBDIVISION, Column, Filter, Table, line_class
from siimop_app.validation import parse_int

METHODS = {"appariement": "matching", "manuel": "manual"}
METHOD_LABELS = {"matching": "Appariement", "manual": "Manuel"}

# The seed's columns in its order, then the round and how the student was placed.
TABLE_COLUMNS = (
    Column("wave", "Vague", width=28),
    Column("round", "Tour", width=8, source="round_label"),
    Column("region", "Région", width=24),
    Column("subdivision", "Subdivision", width=22),
    Column("specialty", "Spécialité", width=30),
    Column("first_name", "Prénom étudiant", width=16),
    Column("last_name", "Nom étudiant", width=18),
    Column("ine", "Numéro INE", width=14),
    Column("intern_number", "Numéro interne", width=14),
    Column("decale", "Décalage", width=10),
    Column("approval_number", "Numéro agrément", width=16),
    Column("site_number", "Numéro terrain", width=14),
    Column("site_name", "Nom terrain", width=36),
    Column("indication", "Indication poste", width=30),
    Column("months", "Durée du poste en mois", kind="number", width=10),
    Column("calling_specialty", "Spécialité d'appel", width=30),
    Column("rts_first_name", "Prénom RTS", width=16),
    Column("rts_last_name", "Nom RTS", width=18),
    Column("post_decale", "Poste Décalé", width=10),
    Column("method", "Mode d'affectation", width=14, source="method_label"),
)
FILTERS = (
    Filter("wave", "Filtre par vague", "Toutes", options="waves"),
    Filter("round", "Filtre par tour", options="rounds"),
    REGION, SUBDIVISION, SPECIALTY,
    Filter("method", "Mode d'affectation", choices=(("appariement", "Appariement"), ("manuel", "Manuel"))),
)
COLUMNS = tuple((c.key, c.label) for c in TABLE_COLUMNS)
DEFAULT_SORT = "last_name"
ResultLine = line_class(__name__, "ResultLine", TABLE_COLUMNS)


@dataclasses.dataclass(frozen=True)
class ResultRow:
    id: int  # the assignment's id
    wave: str
    round_number: int
    region: str
    subdivision: str
    specialty: str
    first_name: str
    last_name: str
    ine: str
    intern_number: str
    decale: bool
    approval_number: str
    site_number: str
    site_name: str
    indication: str
    months: int
    calling_specialty: str
    rts_first_name: str
    rts_last_name: str
    post_decale: bool
    method: str  # "matching" | "manual"

    @property
    def round_label(self) -> str:
        return f"Tour {self.round_number}"

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)

    def as_dict(self) -> dict[str, object]:
        """Plain values for the page: booleans as the seed's words."""
        return {"id": self.id, **TABLE.screen_values(self)}


# ------------------------------------------------------------------ helpers
_STUDENT_USER = aliased(User, name="student_user")
_RTS = aliased(User, name="rts_user")
_CALLING = aliased(Specialty, name="calling_specialty")


def _joined(query):
    return (
        query.join(Round, Round.id == Assignment.round_id)
        .join(Wave, Wave.id == Round.wave_id)
        .join(Student, Student.id == Assignment.student_id)
        .join(_STUDENT_USER, _STUDENT_USER.id == Student.user_id)
        .join(Subdivision, Subdivision.id == Student.subdivision_id)
        .join(Region, Region.id == Subdivision.region_id)
        .join(Specialty, Specialty.id == Student.specialty_id)
        .join(Post, Post.id == Assignment.post_id)
        .join(Site, Site.id == Post.site_id)
        .join(_CALLING, _CALLING.id == Post.calling_specialty_id)
        .outerjoin(_RTS, _RTS.id == Site.supervisor_user_id)
    )


def _conditions(scope: scopes.Scope, filters: dict[str, str], published: list[int]) -> list:
    """The scope and the publication first, then each filter: filters can only narrow them."""
    where = [scopes.student_condition(scope), Assignment.round_id.in_(published or [-1])]
    text = filters["q"]
    if text:
        where.append(sa.or_(*(
            contains(column, text)
            for column in (_STUDENT_USER.last_name, _STUDENT_USER.first_name, Student.ine, Student.intern_number,
                           Site.name, Site.approval_number, _RTS.last_name, _RTS.first_name)
        )))
    for key, column in (("wave", Round.wave_id), ("round", Assignment.round_id), ("region", Subdivision.region_id),
                        ("subdivision", Student.subdivision_id), ("specialty", Student.specialty_id)):
        if filters[key]:
            wanted = parse_int(filters[key])
            where.append(column == wanted if wanted is not None else sa.false())
    if filters["method"]:
        method = METHODS.get(filters["method"].lower())
        where.append(Assignment.method == method if method else sa.false())
    return where


def _rows_query(where: list, sort: str, descending: bool):
    sort_columns = {
        "wave": Wave.name,
        "round": Round.number,
        "region": Region.name,
        "subdivision": Subdivision.label,
        "specialty": Specialty.label,
        "first_name": sa.func.lower(_STUDENT_USER.first_name),
        "last_name": sa.func.lower(_STUDENT_USER.last_name),
        "ine": Student.ine,
        "intern_number": Student.intern_number,
        "decale": Student.semestre_decale,
        "approval_number": Site.approval_number,
        "site_number": Site.site_number,
        "site_name": sa.func.lower(Site.name),
        "indication": Post.indication,
        "months": Post.months,
        "calling_specialty": _CALLING.label,
        "rts_first_name": sa.func.lower(_RTS.first_name),
        "rts_last_name": sa.func.lower(_RTS.last_name),
        "post_decale": Post.decale,
        "method": Assignment.method,
    }
    order = ordered(sort_columns[TABLE.sort_key(sort)], descending, sa.func.lower(_STUDENT_USER.last_name),
                    sa.func.lower(_STUDENT_USER.first_name), Round.number, Assignment.id)
    return _joined(
        select(Assignment.id, Wave.name, Round.number, Region.name, Subdivision.label, Specialty.label,
               _STUDENT_USER.first_name, _STUDENT_USER.last_name, Student.ine, Student.intern_number,
               Student.semestre_decale, Site.approval_number, Site.site_number, Site.name, Post.indication,
               Post.months, _CALLING.label, _RTS.first_name, _RTS.last_name, Post.decale, Assignment.method)
        .select_from(Assignment)
    ).where(*where).order_by(*order)


def _to_row(raw) -> ResultRow:
    (aid, wave, number, region, sub, spec, first, last, ine, intern, decale, approval, site_number, site,
     indication, months, calling, rts_first, rts_last, post_decale, method) = raw
    return ResultRow(
        id=aid, wave=wave, round_number=number, region=region, subdivision=sub, specialty=spec,
        first_name=first or "", last_name=(last or "").upper(), ine=ine or "", intern_number=intern or "",
        decale=bool(decale), approval_number=approval or "", site_number=site_number or "", site_name=site or "",
        indication=indication or "", months=int(months or 0), calling_specialty=calling or "",
        rts_first_name=rts_first or "", rts_last_name=(rts_last or "").upper(), post_decale=bool(post_decale),
        method=method or "",
    )


# ------------------------------------------------------------------ the table
def query_results(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                  descending: bool = False, offset: int = 0, limit: int = 50,
                  at: dt.datetime | None = None) -> tuple[list[ResultRow], int]:
    """One page of the published assignments of the user's scope matching ``filters``, and how many match."""
    clean = TABLE.clean(filters)
    offset, limit = clamp(offset, limit)
    with transaction() as session:
        where = _conditions(scopes.staff_scope(session, user), clean, published_round_ids(session, at))
        total = session.exec(_joined(select(sa.func.count(Assignment.id)).select_from(Assignment)).where(*where)).one()
        raw = session.exec(_rows_query(where, sort, descending).offset(offset).limit(limit)).all()
        return [_to_row(r) for r in raw], total


def iter_results(user: SignedInUser, *, filters: Mapping[str, object] | None = None, sort: str = DEFAULT_SORT,
                 descending: bool = False, chunk: int = 1000, at: dt.datetime | None = None) -> Iterator[ResultRow]:
    """Every matching row, in the table's order, read by chunks (for the exports); same scope and filters."""
    clean = TABLE.clean(filters)
    with transaction() as session:
        where = _conditions(scopes.staff_scope(session, user), clean, published_round_ids(session, at))
        result = session.execute(_rows_query(where, sort, descending).execution_options(yield_per=chunk))
        for part in result.partitions(chunk):
            yield from (_to_row(r) for r in part)


def filter_options(user: SignedInUser, at: dt.datetime | None = None) -> dict[str, list[Choice]]:
    """The published waves and rounds, and the regions, subdivisions and specialties of the user's scope."""
    with transaction() as session:
        scope = scopes.staff_scope(session, user)
        published = published_round_ids(session, at)
        rounds = session.exec(
            select(Round.id, Round.number, Round.in_person, Wave.id, Wave.name)
            .join(Wave, Wave.id == Round.wave_id)
            .where(Round.id.in_(published or [-1]))
            .order_by(Wave.id, Round.number)
        ).all()
        rows = session.exec(
            select(Region.id, Region.name, Subdivision.id, Subdivision.label, Specialty.id, Specialty.label)
            .select_from(Student)
            .join(Subdivision, Subdivision.id == Student.subdivision_id)
            .join(Region, Region.id == Subdivision.region_id)
            .join(Specialty, Specialty.id == Student.specialty_id)
            .where(scopes.student_condition(scope))
            .distinct()
        ).all()

    waves = {}
    for *_, wave_id, wave_name in rounds:
        waves.setdefault(wave_id, wave_name)
    return {
        "waves": [Choice(str(i), name) for i, name in waves.items()],
        "rounds": [Choice(str(rid), f"{name} · Tour {number}" + (" (présentiel)" if in_person else ""))
                   for rid, number, in_person, _, name in rounds],
        "regions": choices((r[0], r[1]) for r in rows),
        "subdivisions": choices((r[2], r[3]) for r in rows),
        "specialties": choices((r[4], r[5]) for r in rows),
    }


def result_statistics(user: SignedInUser, filters: Mapping[str, object] | None = None,
                      at: dt.datetime | None = None) -> list[Figure]:
    """The filtered results' figures, in the seed's "n/N (p%)" style.

    * "Étudiants affectés": distinct students among the filtered rows / the students of the scope
      (narrowed by the region, subdivision and specialty filters);
    * "Places pourvues": the published assignments (of the chosen wave, round and method) on the scope's
      posts, whoever the student, / the places opened on those posts; the region, subdivision and specialty
      filters apply to the post's subdivision and calling specialty, the text filter does not apply; the
      waves counted are the chosen wave or round's, else every wave with a published round.
    """
    clean = TABLE.clean(filters)
    with transaction() as session:
        scope = scopes.staff_scope(session, user)
        published = published_round_ids(session, at)
        where = _conditions(scope, clean, published)
        placed = session.exec(
            _joined(select(sa.func.count(sa.distinct(Assignment.student_id))).select_from(Assignment)).where(*where)
        ).one()
        student_where = [scopes.student_condition(scope)]
        post_where = [scopes.post_condition(scope)]
        for key, student_column, post_column in (
                ("region", Subdivision.region_id, Subdivision.region_id),
                ("subdivision", Student.subdivision_id, Post.subdivision_id),
                ("specialty", Student.specialty_id, Post.calling_specialty_id)):
            if clean[key]:
                wanted = parse_int(clean[key])
                student_where.append(student_column == wanted if wanted is not None else sa.false())
                post_where.append(post_column == wanted if wanted is not None else sa.false())
        students = session.exec(
            select(sa.func.count(Student.id)).select_from(Student)
            .join(Subdivision, Subdivision.id == Student.subdivision_id).where(*student_where)
        ).one()
        # The waves shown: the chosen round's or wave's, else those with a published round.
        wave_rounds = select(Round.wave_id).where(Round.id.in_(published or [-1])).correlate(None)
        for key, column in (("round", Round.id), ("wave", Round.wave_id)):
            if clean[key]:
                wanted = parse_int(clean[key])
                wave_rounds = wave_rounds.where(column == wanted if wanted is not None else sa.false())
        post_where.append(Post.wave_id.in_(wave_rounds))
        opened = session.exec(
            select(sa.func.coalesce(sa.func.sum(Post.places_opened), 0)).select_from(Post)
            .join(Subdivision, Subdivision.id == Post.subdivision_id).where(*post_where)
        ).one()
        scope_posts = (select(Post.id).join(Subdivision, Subdivision.id == Post.subdivision_id).where(*post_where)
                       .correlate(None))
        filled_where = [Assignment.round_id.in_(published or [-1]), Assignment.post_id.in_(scope_posts)]
        for key, column in (("wave", Round.wave_id), ("round", Assignment.round_id)):
            if clean[key]:
                wanted = parse_int(clean[key])
                filled_where.append(column == wanted if wanted is not None else sa.false())
        if clean["method"]:
            method = METHODS.get(clean["method"].lower())
            filled_where.append(Assignment.method == method if method else sa.false())
        filled = session.exec(
            select(sa.func.count(Assignment.id)).select_from(Assignment)
            .join(Round, Round.id == Assignment.round_id).where(*filled_where)
        ).one()
    return [
        Figure("Étudiants affectés", percent(placed, students), key="assigned"),
        Figure("Places pourvues", percent(filled, int(opened)), key="places"),
    ]


# ------------------------------------------------------------------ exports


# ------------------------------------------------------------------ the definition
TABLE = Table(
    name="results", file_stem="resultats", noun="résultats", unit="affectation(s)",
    search_label="Filtre par étudiant, terrain, responsable de terrain de stage",
    columns=TABLE_COLUMNS, filters=FILTERS, default_sort=DEFAULT_SORT, line=ResultLine,
    query=query_results, iterate=iter_results, statistics=result_statistics, options=filter_options,
)
export_columns = TABLE.export_columns
export_rows = TABLE.export_rows
