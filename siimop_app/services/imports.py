"""Load students, posts (with their sites and supervisors) and staff from a file: all or nothing, idempotent.

``run_import`` reads the file, checks every cell (``domain.import_rules``), compares every row with the
database on its natural key (INE; post number in the wave; approval and site numbers; e-mail for people) and
reports new, changed, unchanged and absent rows and every error. With ``apply=True`` and no error, it writes
everything in one transaction, with an audit row per created or changed row (before/after) and an
``ImportBatch`` for the history; one error anywhere and nothing is written.

Rows absent from the file are reported, never deleted. Deactivating them is an explicit option
(students: no longer participating; posts: 0 places; staff: the grant revoked), refused for students and
posts once the matching of a round of the campaign has run.

Everything is read and written in bulk (a few queries per table, never one per row): a national file
(7,400 students, 6,000 posts) imports in seconds. A manager's import is limited to their region (or
subdivision); an admin's, and the command line's, to nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app import routes
from siimop_app.db import transaction
from siimop_app.demo import reference_data as ref
from siimop_app.domain import import_rules as rules
from siimop_app.domain.calendar import PARIS
from siimop_app.domain.errors import UserError
from siimop_app.domain.import_rules import RowError, quoted
from siimop_app.domain.roles import Role
from siimop_app.domain.round_status import RoundStatus
from siimop_app.imports.reading import UnreadableFile, read_table
from siimop_app.models import (
    POST_TYPE_LABELS,
    Assignment,
    AuditEntry,
    Campaign,
    Establishment,
    ImportBatch,
    Post,
    PostSupervisor,
    Region,
    RoleGrant,
    Round,
    Site,
    Specialty,
    SpecialtyOption,
    Student,
    Subdivision,
    User,
    UserEmail,
    Wave,
    utcnow,
)
from siimop_app.models.people import MANAGER_ROLES, STAFF_ROLES
from siimop_app.services import audit
from siimop_app.services.access import AccessDenied, require_role
from siimop_app.services.auth import SignedInUser
from siimop_app.services.documents import clean_filename
from siimop_app.services.ranking_verdicts import refresh_open_verdicts
from siimop_app.settings import get_settings

log = logging.getLogger(__name__)

IMPORT_ROLES = MANAGER_ROLES
CHUNK = 900  # bound parameters per IN (...) and rows per bulk statement
MAX_LISTED = 1000  # changes and absent rows listed in a report (the counts are always complete)


class ImportRefused(UserError, ValueError):
    """An import that cannot even start (no wave, no right); the message is for the user, in French."""


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who imports: ``user_id`` None is the command line; ``subdivision_ids`` None is the whole country."""

    user_id: int | None
    subdivision_ids: frozenset[int] | None
    is_admin: bool

    def covers(self, subdivision_id: int | None) -> bool:
        return self.subdivision_ids is None or subdivision_id in self.subdivision_ids


COMMAND_LINE = Actor(user_id=None, subdivision_ids=None, is_admin=True)


def actor_for(user: SignedInUser | None) -> Actor:
    """A manager imports inside their region(s) or subdivision(s); an admin everywhere."""
    user = require_role(user, *IMPORT_ROLES)
    if Role.ADMIN in user.roles:
        return Actor(user.user_id, None, True)
    with transaction() as session:
        grants = session.exec(select(RoleGrant).where(RoleGrant.user_id == user.user_id,
                                                      RoleGrant.role == Role.MANAGER)).all()
        allowed: set[int] = set()
        for grant in grants:
            if grant.region_id is None and grant.subdivision_id is None:
                return Actor(user.user_id, None, False)
            if grant.subdivision_id is not None:
                allowed.add(grant.subdivision_id)
            else:
                allowed.update(session.exec(select(Subdivision.id).where(Subdivision.region_id == grant.region_id)))
    return Actor(user.user_id, frozenset(allowed), False)


@dataclasses.dataclass(frozen=True)
class ImportCounts:
    """A report's counts as the preview's cards show them (``NO_COUNTS``: no preview)."""

    rows: int
    new: int
    changed: int
    unchanged: int
    absent: int  # in the database, not in the file


NO_COUNTS = ImportCounts(rows=0, new=0, changed=0, unchanged=0, absent=0)


@dataclasses.dataclass
class ImportReport:
    kind: str
    filename: str
    sha256: str = ""
    size_bytes: int = 0
    file_description: str = ""
    wave_name: str = ""
    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    absent: int = 0
    deactivated: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)
    changes: list[str] = dataclasses.field(default_factory=list)  # "ligne 5 — INE …: Subdivision : A → B"
    absent_rows: list[str] = dataclasses.field(default_factory=list)
    applied: bool = False
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> ImportCounts:
        return ImportCounts(rows=self.rows, new=self.new, changed=self.changed, unchanged=self.unchanged,
                            absent=self.absent)

    def counts_text(self) -> str:
        text = (f"{self.rows} ligne(s) : {self.new} nouvelle(s), {self.changed} modifiée(s), "
                f"{self.unchanged} inchangée(s) ; {self.absent} présente(s) en base mais absente(s) du fichier")
        return text + (f", dont {self.deactivated} désactivée(s)" if self.deactivated else "")


# ----------------------------------------------------------------------------------------------- helpers
def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert(connection: sa.Connection, model, rows: list[dict]) -> list[int]:
    """Bulk INSERT returning the new ids in the order of ``rows`` (one statement per chunk)."""
    table = model.__table__
    ids: list[int] = []
    for chunk in _chunks(rows, 2000):
        ids.extend(connection.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), chunk).scalars().all())
    return ids


def _update(connection: sa.Connection, model, rows: list[dict]) -> None:
    """Bulk UPDATE by id; rows are grouped by the set of columns they change (an executemany per group)."""
    table = model.__table__
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(k for k in row if k != "id"))].append(row)
    for columns, group in groups.items():
        statement = (table.update().where(table.c.id == sa.bindparam("b_id"))
                     .values({c: sa.bindparam(f"b_{c}") for c in columns}))
        for chunk in _chunks(group, 2000):
            connection.execute(statement, [{"b_id": r["id"], **{f"b_{c}": r[c] for c in columns}} for r in chunk])


def _in_chunks(session: Session, statement_for, values: list) -> list:
    rows = []
    for chunk in _chunks(sorted(set(values), key=str)):
        rows.extend(session.exec(statement_for(chunk)).all())
    return rows


class _Audit:
    """Audit rows gathered during an import and written in bulk with it."""

    def __init__(self, actor: Actor) -> None:
        self.actor, self.rows, self.now = actor, [], utcnow()

    def add(self, action: str, entity: str, entity_id: int | None, before=None, after=None) -> None:
        self.rows.append({"at": self.now, "actor_user_id": self.actor.user_id, "action": action, "entity": entity,
                          "entity_id": entity_id, "before_json": audit.to_json(before),
                          "after_json": audit.to_json(after)})

    def write(self, connection: sa.Connection) -> None:
        for chunk in _chunks(self.rows, 2000):
            connection.execute(AuditEntry.__table__.insert(), chunk)


def _references(session: Session) -> rules.References:
    full_labels = {s.code: s.full_label for s in ref.SPECIALTIES}
    subdivisions = session.exec(select(Subdivision)).all()
    specialties = session.exec(select(Specialty)).all()
    options = session.exec(select(SpecialtyOption)).all()
    regions = session.exec(select(Region)).all()
    return rules.References(
        subdivisions=rules.Lookup.build("une subdivision", (
            (s.id, s.label, (s.code, s.label.removeprefix("SUBDI "))) for s in subdivisions)),
        specialties=rules.Lookup.build("une spécialité", (
            (s.id, s.label, (s.code, full_labels.get(s.code, ""))) for s in specialties)),
        options=rules.Lookup.build("une option", ((o.id, o.label, (o.code,)) for o in options)),
        regions=rules.Lookup.build("une région", ((r.id, r.name, (r.code,)) for r in regions)),
        option_specialty={o.id: o.specialty_id for o in options},
        subdivision_region={s.id: s.region_id for s in subdivisions},
    )


def _owners(session: Session, emails: list[str]) -> dict[str, int]:
    """Address → user id, for every address of anyone (main or secondary)."""
    return dict(_in_chunks(session, lambda chunk: select(UserEmail.email, UserEmail.user_id)
                           .where(UserEmail.email.in_(chunk)), emails))


def _matched_round(session: Session, wave_ids: list[int] | None = None) -> int | None:
    """The number of a round whose matching has run (in the latest campaign, or in these waves), else None."""
    query = select(Round.number).join(Wave, Wave.id == Round.wave_id).where(Round.status == RoundStatus.CLOSED.value)
    if wave_ids is None:
        latest = session.exec(select(Campaign.id).order_by(Campaign.id.desc())).first()
        query = query.where(Wave.campaign_id == latest)
    else:
        query = query.where(Round.wave_id.in_(wave_ids))
    return session.exec(query.order_by(Round.number)).first()


def _create_people(connection: sa.Connection, people: list[dict], role: str, now, audit_rows: _Audit) -> list[int]:
    """New users with their validated main address (they sign in by link) and one role grant each."""
    ids = _insert(connection, User, [{"first_name": p["first_name"], "last_name": p["last_name"],
                                      "phone": p.get("phone", ""), "is_active": True, "created_at": now,
                                      "last_login_at": None} for p in people])
    _insert(connection, UserEmail, [{"user_id": i, "email": p["email"], "kind": "main", "validated_at": now,
                                     "created_at": now} for i, p in zip(ids, people)])
    if role:
        _insert(connection, RoleGrant, [{"user_id": i, "role": role, "region_id": None, "subdivision_id": None,
                                         "specialty_id": None} for i in ids])
    for i, p in zip(ids, people):
        audit_rows.add("import.user.create", "user", i,
                       after={"first_name": p["first_name"], "last_name": p["last_name"], "email": p["email"]})
    return ids


def _label(refs: rules.References, field: str, value) -> str:
    lookups = {"subdivision_id": refs.subdivisions, "specialty_id": refs.specialties,
               "calling_specialty_id": refs.specialties, "option_id": refs.options}
    if value is None or value == "":
        return "(vide)"
    if field in lookups:
        return lookups[field].labels.get(value, str(value))
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


FIELD_LABELS = {
    "intern_number": "Numéro d'interne", "last_name": "Nom", "first_name": "Prénom", "email": "Adresse e-mail",
    "subdivision_id": "Subdivision", "specialty_id": "Spécialité", "option_id": "Option",
    "semestre_decale": "Semestre décalé", "participating": "Participe", "phone": "Téléphone",
    "calling_specialty_id": "Spécialité", "post_type": "Type de poste", "months": "Durée (mois)",
    "places_opened": "Places", "decale": "Décalé", "indication": "Indication", "site": "Terrain de stage",
    "second_site": "Terrain de stage 2", "supervisors": "Responsables",
}


def _describe(refs: rules.References, line: int, what: str, before: dict, after: dict) -> str:
    parts = [f"{FIELD_LABELS.get(k, k)} : {_label(refs, k, before[k])} → {_label(refs, k, after[k])}"
             for k in after if before.get(k) != after[k]]
    return f"ligne {line} — {what} : " + " ; ".join(parts)


# ---------------------------------------------------------------------------------------------- students
STUDENT_FIELDS = ("intern_number", "subdivision_id", "specialty_id", "option_id", "semestre_decale", "participating")
USER_FIELDS = ("last_name", "first_name", "phone")


def _import_students(session: Session, actor: Actor, rows: list[dict], refs: rules.References,
                     report: ImportReport, errors: list[RowError], apply: bool, deactivate: bool,
                     audit_rows: _Audit) -> None:
    header = {c.key: c.header for c in rules.FORMATS["students"]}
    main_email = (select(UserEmail.email).where(UserEmail.user_id == Student.user_id, UserEmail.kind == "main")
                  .order_by(UserEmail.id).limit(1).scalar_subquery())
    existing = {}
    for student, user, email in session.exec(
            select(Student, User, main_email).join(User, User.id == Student.user_id)).all():
        existing[student.ine] = (student, user, email)
    owners = _owners(session, [r["email"] for r in rows])
    new, student_updates, user_updates, email_updates = [], [], [], []
    for row in rows:
        line, found = row["line"], existing.get(row["ine"])
        owner = owners.get(row["email"])
        if found is None:
            if owner is not None:
                errors.append(RowError(line, header["email"], f"{quoted(row['email'])} est déjà l'adresse d'une "
                                                              "autre personne"))
                continue
            new.append(row)
            continue
        student, user, email = found
        if not actor.covers(student.subdivision_id):
            errors.append(RowError(line, header["ine"], f"l'étudiant {row['ine']} relève d'une subdivision hors "
                                                        "de votre périmètre"))
            continue
        if owner is not None and owner != user.id:
            errors.append(RowError(line, header["email"], f"{quoted(row['email'])} est déjà l'adresse d'une "
                                                          "autre personne"))
            continue
        before = {**{f: getattr(student, f) for f in STUDENT_FIELDS}, **{f: getattr(user, f) for f in USER_FIELDS}}
        after = {f: row[f] for f in (*STUDENT_FIELDS, *USER_FIELDS)}
        if owner is None:  # a new main address; one already among the person's addresses changes nothing
            before["email"], after["email"] = email, row["email"]
        if before == after:
            report.unchanged += 1
            continue
        report.changed += 1
        if len(report.changes) < MAX_LISTED:
            report.changes.append(_describe(refs, line, f"INE {row['ine']}", before, after))
        changed_student = {f: row[f] for f in STUDENT_FIELDS if getattr(student, f) != row[f]}
        if changed_student:
            student_updates.append({"id": student.id, **changed_student})
        changed_user = {f: row[f] for f in USER_FIELDS if getattr(user, f) != row[f]}
        if changed_user:
            user_updates.append({"id": user.id, **changed_user})
        if "email" in after:
            email_updates.append((user.id, row["email"]))
        audit_rows.add("import.student.update", "student", student.id,
                       before={k: v for k, v in before.items() if after[k] != v},
                       after={k: v for k, v in after.items() if before[k] != v})
    report.new = len(new)
    in_file = {r["ine"] for r in rows}
    absent = [(s, u) for ine, (s, u, _) in sorted(existing.items())
              if ine not in in_file and s.participating and actor.covers(s.subdivision_id)]
    report.absent = len(absent)
    report.absent_rows = [f"INE {s.ine} — {u.last_name.upper()} {u.first_name}" for s, u in absent[:MAX_LISTED]]
    if deactivate and absent:
        matched = _matched_round(session)
        if matched is not None:
            errors.append(RowError(0, "", f"Désactivation refusée : l'appariement du tour {matched} a déjà été "
                                          "calculé avec ces étudiants."))
    if errors or not apply:
        return
    connection, now = session.connection(), audit_rows.now
    user_ids = _create_people(connection, new, Role.STUDENT, now, audit_rows)
    student_ids = _insert(connection, Student, [{"user_id": uid, "ine": r["ine"], "intern_number": r["intern_number"],
                                                 "subdivision_id": r["subdivision_id"],
                                                 "specialty_id": r["specialty_id"], "option_id": r["option_id"],
                                                 "semestre_decale": r["semestre_decale"],
                                                 "participating": r["participating"], "presentation": ""}
                                                for uid, r in zip(user_ids, new)])
    for sid, r in zip(student_ids, new):
        audit_rows.add("import.student.create", "student", sid, after={f: r[f] for f in ("ine", *STUDENT_FIELDS)})
    _update(connection, Student, student_updates)
    _update(connection, User, user_updates)
    for user_id, address in email_updates:
        connection.execute(sa.update(UserEmail).where(UserEmail.user_id == user_id, UserEmail.kind == "main")
                           .values(email=address, validated_at=now))
    if deactivate and absent:
        _update(connection, Student, [{"id": s.id, "participating": False} for s, _ in absent])
        for s, _ in absent:
            audit_rows.add("import.student.deactivate", "student", s.id, before={"participating": True},
                           after={"participating": False})
        report.deactivated = len(absent)


# ------------------------------------------------------------------------------------------------- posts
POST_FIELDS = ("calling_specialty_id", "option_id", "subdivision_id", "post_type", "months", "places_opened",
               "decale", "indication")


def _supervisors(session: Session, connection, rows: list[dict], header: dict, errors: list[RowError],
                 apply: bool, audit_rows: _Audit) -> dict[str, int]:
    """E-mail → user id of every supervisor of the file; new ones are created (when applying)."""
    people: dict[str, tuple[int, str, dict]] = {}
    for row in rows:
        for n, site in (("", row["site"]), ("2", row["second_site"])):
            if site is not None:
                people.setdefault(site["supervisor"]["email"], (row["line"], n, site["supervisor"]))
    owners = _owners(session, list(people))
    users = {u.id: u for u in _in_chunks(session, lambda c: select(User).where(User.id.in_(c)), list(owners.values()))}
    ids: dict[str, int] = {}
    renamed = []
    for email, (line, n, person) in people.items():
        user = users.get(owners.get(email, -1))
        if user is None:
            continue
        if rules.fold(user.last_name) != rules.fold(person["last_name"]):
            errors.append(RowError(line, header[f"supervisor_email{n}"],
                                   f"{quoted(email)} est l'adresse de {user.first_name} {user.last_name.upper()}, "
                                   f"pas de {person['first_name']} {person['last_name']}"))
            continue
        ids[email] = user.id
        if user.first_name != person["first_name"]:
            renamed.append({"id": user.id, "first_name": person["first_name"]})
            audit_rows.add("import.user.update", "user", user.id, before={"first_name": user.first_name},
                           after={"first_name": person["first_name"]})
    if errors or not apply:
        return ids
    now = audit_rows.now
    new = [person for email, (_, _, person) in people.items() if email not in owners]
    for person, user_id in zip(new, _create_people(connection, new, Role.SUPERVISOR, now, audit_rows)):
        ids[person["email"]] = user_id
    _update(connection, User, renamed)
    holders = set(_in_chunks(session, lambda c: select(RoleGrant.user_id).where(
        RoleGrant.user_id.in_(c), RoleGrant.role == Role.SUPERVISOR), list(ids.values())))
    missing = sorted(set(ids.values()) - holders)
    _insert(connection, RoleGrant, [{"user_id": uid, "role": Role.SUPERVISOR, "region_id": None, "subdivision_id": None,
                                     "specialty_id": None} for uid in missing])
    for uid in missing:
        audit_rows.add("import.grant.create", "user", uid, after={"role": Role.SUPERVISOR})
    return ids


def _import_posts(session: Session, actor: Actor, rows: list[dict], refs: rules.References, report: ImportReport,
                  errors: list[RowError], apply: bool, deactivate: bool, audit_rows: _Audit, wave: Wave) -> None:
    header = {c.key: c.header for c in rules.FORMATS["posts"]}
    connection = session.connection()
    existing_posts = {p.post_number: p for p in session.exec(select(Post).where(Post.wave_id == wave.id)).all()}
    for row in rows:
        post = existing_posts.get(row["post_number"])
        if post is not None and not actor.covers(post.subdivision_id):
            errors.append(RowError(row["line"], header["post_number"], f"le poste n° {post.post_number} relève "
                                                                       "d'une subdivision hors de votre périmètre"))
    errors.extend(_frozen_by_matching(session, rows, existing_posts, wave, header))
    supervisor_ids = _supervisors(session, connection, rows, header, errors, apply, audit_rows)
    post_ids = [p.id for p in existing_posts.values()]
    current_supervisors: dict[int, set[tuple[int, bool]]] = defaultdict(set)
    for post_id, user_id, is_referent in _in_chunks(session, lambda c: select(
            PostSupervisor.post_id, PostSupervisor.user_id, PostSupervisor.is_referent)
            .where(PostSupervisor.post_id.in_(c)), post_ids):
        current_supervisors[post_id].add((user_id, is_referent))
    sites = {}
    for site in session.exec(select(Site).order_by(Site.id)).all():
        sites.setdefault((site.approval_number, site.site_number), site)
    establishments = {}
    for e in session.exec(select(Establishment).order_by(Establishment.id)).all():
        establishments.setdefault((rules.fold(e.name), e.subdivision_id), e.id)

    # Establishments and sites first (a site may serve several posts of the file).
    wanted_sites: dict[tuple[str, str], dict] = {}
    for row in rows:
        for site in (row["site"], row["second_site"]):
            if site is not None:
                site.setdefault("specialty_id", row["calling_specialty_id"])
                wanted_sites.setdefault((site["approval_number"], site["site_number"]), site)
    in_file = {r["post_number"] for r in rows}
    absent_posts = [p for number, p in sorted(existing_posts.items())
                    if number not in in_file and p.places_opened > 0 and actor.covers(p.subdivision_id)]
    if deactivate and absent_posts:
        matched = _matched_round(session, [wave.id])
        if matched is not None:
            errors.append(RowError(0, "", f"Désactivation refusée : l'appariement du tour {matched} a déjà été "
                                          "calculé avec ces postes."))
    if not errors:
        new_establishments = {}
        for site in wanted_sites.values():
            key = (rules.fold(site["establishment"]), site["subdivision_id"])
            if key not in establishments:
                new_establishments.setdefault(key, {"name": site["establishment"], "city": site["city"],
                                                    "postal_code": "", "subdivision_id": site["subdivision_id"]})
        if apply:
            for key, ident in zip(new_establishments, _insert(connection, Establishment,
                                                              list(new_establishments.values()))):
                establishments[key] = ident
                audit_rows.add("import.establishment.create", "establishment", ident, after=new_establishments[key])
        site_ids, site_changed = {}, set()
        new_sites, site_updates = [], []
        for key, site in wanted_sites.items():
            values = {"name": site["name"], "is_university": site["is_university"],
                      "establishment_id": establishments.get((rules.fold(site["establishment"]),
                                                              site["subdivision_id"])),
                      "subdivision_id": site["subdivision_id"],
                      "supervisor_user_id": supervisor_ids.get(site["supervisor"]["email"])}
            old = sites.get(key)
            if old is None:
                new_sites.append((key, {"approval_number": key[0], "site_number": key[1],
                                        "approval_specialty_id": site["specialty_id"], "option_id": None,
                                        "description": "", "descriptive_document_id": None, **values}))
                site_changed.add(key)
                continue
            site_ids[key] = old.id
            before = {k: getattr(old, k) for k in values}
            if apply and before != values or not apply and _site_differs(old, site, establishments, supervisor_ids):
                site_changed.add(key)
                if apply:
                    site_updates.append({"id": old.id, **{k: v for k, v in values.items() if before[k] != v}})
                    audit_rows.add("import.site.update", "site", old.id,
                                   before={k: v for k, v in before.items() if values[k] != v},
                                   after={k: v for k, v in values.items() if before[k] != v})
        if apply:
            for (key, values), ident in zip(new_sites, _insert(connection, Site, [v for _, v in new_sites])):
                site_ids[key] = ident
                audit_rows.add("import.site.create", "site", ident, after=values)
            _update(connection, Site, site_updates)

        new_posts, post_updates, supervisor_sets = [], [], {}
        for row in rows:
            site_key = (row["site"]["approval_number"], row["site"]["site_number"])
            second = row["second_site"]
            second_key = (second["approval_number"], second["site_number"]) if second else None
            values = {f: row[f] for f in POST_FIELDS}
            people = [(supervisor_ids.get(row["site"]["supervisor"]["email"]), row["referent"] == 1)]
            if second:
                people.append((supervisor_ids.get(second["supervisor"]["email"]), row["referent"] == 2))
            wanted_people = _merge_supervisors(people)
            old = existing_posts.get(row["post_number"])
            if old is None:
                new_posts.append((row, site_key, second_key, values, wanted_people))
                continue
            before = {f: getattr(old, f) for f in POST_FIELDS}
            sites_moved = (site_ids.get(site_key) != old.site_id
                           or (site_ids.get(second_key) if second_key else None) != old.second_site_id)
            people_changed = wanted_people != current_supervisors.get(old.id, set())
            if before == values and not sites_moved and not people_changed \
                    and site_key not in site_changed and second_key not in site_changed:
                report.unchanged += 1
                continue
            report.changed += 1
            after = dict(values)
            if sites_moved or site_key in site_changed or second_key in site_changed:
                before["site"], after["site"] = "…", " / ".join(site_key)
            if people_changed:
                before["supervisors"], after["supervisors"] = "…", "modifiés"
            if len(report.changes) < MAX_LISTED:
                report.changes.append(_describe(refs, row["line"], f"poste n° {row['post_number']}", before, after))
            if apply:
                update = {k: v for k, v in values.items() if before[k] != v}
                update["site_id"] = site_ids[site_key]
                update["second_site_id"] = site_ids[second_key] if second_key else None
                update["updated_at"] = audit_rows.now
                post_updates.append({"id": old.id, **update})
                if people_changed:
                    supervisor_sets[old.id] = wanted_people
                audit_rows.add("import.post.update", "post", old.id,
                               before={k: v for k, v in before.items() if after.get(k) != v},
                               after={k: v for k, v in after.items() if before.get(k) != v})
        report.new = len(new_posts)
        if apply:
            ids = _insert(connection, Post, [
                {"wave_id": wave.id, "post_number": row["post_number"], "site_id": site_ids[site_key],
                 "second_site_id": site_ids[second_key] if second_key else None, "validated_by_ars": False,
                 "validated_at": None, "updated_at": audit_rows.now, **values}
                for row, site_key, second_key, values, _ in new_posts])
            for post_id, (row, _, _, values, people) in zip(ids, new_posts):
                supervisor_sets[post_id] = people
                audit_rows.add("import.post.create", "post", post_id, after={"post_number": row["post_number"],
                                                                             **values})
            _update(connection, Post, post_updates)
            replaced = [pid for pid in supervisor_sets if pid in current_supervisors]
            for chunk in _chunks(replaced):
                connection.execute(sa.delete(PostSupervisor).where(PostSupervisor.post_id.in_(chunk)))
            _insert(connection, PostSupervisor, [{"post_id": pid, "user_id": uid, "is_referent": referent}
                                                 for pid, people in supervisor_sets.items()
                                                 for uid, referent in sorted(people)])
    report.absent = len(absent_posts)
    report.absent_rows = [f"poste n° {p.post_number}" for p in absent_posts[:MAX_LISTED]]
    if apply and not errors and deactivate and absent_posts:
        _update(connection, Post, [{"id": p.id, "places_opened": 0, "updated_at": audit_rows.now}
                                   for p in absent_posts])
        for p in absent_posts:
            audit_rows.add("import.post.deactivate", "post", p.id, before={"places_opened": p.places_opened},
                           after={"places_opened": 0})
        report.deactivated = len(absent_posts)


def _merge_supervisors(people: list[tuple[int | None, bool]]) -> set[tuple[int | None, bool]]:
    """One row per person: the same supervisor on both sites of a post is référent if either says so."""
    merged: dict[int | None, bool] = {}
    for user_id, referent in people:
        merged[user_id] = merged.get(user_id, False) or referent
    return set(merged.items())


def _site_differs(old: Site, site: dict, establishments: dict, supervisor_ids: dict) -> bool:
    """For a preview (nothing created yet): whether applying would change this existing site."""
    establishment = establishments.get((rules.fold(site["establishment"]), site["subdivision_id"]))
    return (old.name != site["name"] or old.is_university != site["is_university"]
            or old.establishment_id != establishment or old.subdivision_id != site["subdivision_id"]
            or old.supervisor_user_id != supervisor_ids.get(site["supervisor"]["email"]))


# ------------------------------------------------------------------------------------------------- staff
GRANT_KEY = ("role", "region_id", "subdivision_id", "specialty_id")


def _grant_in_scope(actor: Actor, grant: dict, refs: rules.References) -> bool:
    if grant["role"] == Role.ADMIN:
        return actor.is_admin
    if actor.subdivision_ids is None:
        return True
    if grant["subdivision_id"] is not None:
        return grant["subdivision_id"] in actor.subdivision_ids
    if grant["region_id"] is not None:
        region_subdivisions = {s for s, r in refs.subdivision_region.items() if r == grant["region_id"]}
        return region_subdivisions <= actor.subdivision_ids
    return False


def _import_staff(session: Session, actor: Actor, rows: list[dict], refs: rules.References, report: ImportReport,
                  errors: list[RowError], apply: bool, deactivate: bool, audit_rows: _Audit) -> None:
    header = {c.key: c.header for c in rules.FORMATS["staff"]}
    for row in rows:
        if not _grant_in_scope(actor, row, refs):
            errors.append(RowError(row["line"], header["role"] if row["role"] == Role.ADMIN else header["subdivision"],
                                   "seul un administrateur peut nommer un administrateur" if row["role"] == Role.ADMIN
                                   else "ce périmètre n'est pas dans le vôtre"))
    owners = _owners(session, [r["email"] for r in rows])
    users = {u.id: u for u in _in_chunks(session, lambda c: select(User).where(User.id.in_(c)), list(owners.values()))}
    grants = session.exec(select(RoleGrant, UserEmail.email, User)
                          .join(User, User.id == RoleGrant.user_id)
                          .outerjoin(UserEmail, sa.and_(UserEmail.user_id == RoleGrant.user_id,
                                                        UserEmail.kind == "main"))
                          .where(RoleGrant.role.in_(STAFF_ROLES))).all()
    held = {(g.user_id, *(getattr(g, k) for k in GRANT_KEY)) for g, _, _ in grants}
    new_people: dict[str, dict] = {}
    new_grants, renamed = [], {}
    for row in rows:
        user = users.get(owners.get(row["email"], -1))
        if user is not None and rules.fold(user.last_name) != rules.fold(row["last_name"]):
            errors.append(RowError(row["line"], header["email"],
                                   f"{quoted(row['email'])} est l'adresse de {user.first_name} "
                                   f"{user.last_name.upper()}, pas de {row['first_name']} {row['last_name']}"))
            continue
        if user is None:
            new_people.setdefault(row["email"], row)
            new_grants.append(row)
            continue
        if (user.id, *(row[k] for k in GRANT_KEY)) not in held:
            new_grants.append(row)
        elif user.first_name != row["first_name"]:
            report.changed += 1
            if len(report.changes) < MAX_LISTED:
                report.changes.append(_describe(refs, row["line"], row["email"], {"first_name": user.first_name},
                                                {"first_name": row["first_name"]}))
        else:
            report.unchanged += 1
        if user.first_name != row["first_name"]:
            renamed[user.id] = (user.first_name, row["first_name"])
    report.new = len(new_grants)
    in_file = {(r["email"], *(r[k] for k in GRANT_KEY)) for r in rows}
    absent = [(g, email, user) for g, email, user in grants
              if g.role != Role.ADMIN and (email, *(getattr(g, k) for k in GRANT_KEY)) not in in_file
              and _grant_in_scope(actor, {k: getattr(g, k) for k in GRANT_KEY}, refs)]
    absent.sort(key=lambda item: (item[2].last_name, item[2].first_name, item[0].id))
    report.absent = len(absent)
    report.absent_rows = [f"{rules.ROLE_LABELS[g.role]} {user.last_name.upper()} {user.first_name} ({email})"
                          + _scope_text(refs, g) for g, email, user in absent[:MAX_LISTED]]
    if errors or not apply:
        return
    connection = session.connection()
    people = list(new_people.values())
    for person, user_id in zip(people, _create_people(connection, people, "", audit_rows.now, audit_rows)):
        owners[person["email"]] = user_id
    _update(connection, User, [{"id": uid, "first_name": after} for uid, (_, after) in renamed.items()])
    for uid, (before, after) in renamed.items():
        audit_rows.add("import.user.update", "user", uid, before={"first_name": before}, after={"first_name": after})
    grant_rows = [{"user_id": owners[r["email"]], **{k: r[k] for k in GRANT_KEY}} for r in new_grants]
    for ident, grant in zip(_insert(connection, RoleGrant, grant_rows), grant_rows):
        audit_rows.add("import.grant.create", "user", grant["user_id"], after={"grant_id": ident, **grant})
    if deactivate and absent:
        for chunk in _chunks([g.id for g, _, _ in absent]):
            connection.execute(sa.delete(RoleGrant).where(RoleGrant.id.in_(chunk)))
        for g, _, _ in absent:
            audit_rows.add("import.grant.revoke", "user", g.user_id,
                           before={"grant_id": g.id, **{k: getattr(g, k) for k in GRANT_KEY}})
        report.deactivated = len(absent)


def _scope_text(refs: rules.References, grant: RoleGrant) -> str:
    parts = [lookup.labels.get(value, "") for lookup, value in (
        (refs.regions, grant.region_id), (refs.subdivisions, grant.subdivision_id),
        (refs.specialties, grant.specialty_id)) if value is not None]
    return f" — {', '.join(parts)}" if parts else ""


# ------------------------------------------------------------------------------------------------ running
def _wave(session: Session, wave_id: int | None) -> Wave:
    if wave_id is not None:
        wave = session.get(Wave, wave_id)
    else:
        wave = session.exec(select(Wave).join(Campaign, Campaign.id == Wave.campaign_id)
                            .order_by(Campaign.id.desc(), Wave.number.desc())).first()
    if wave is None:
        raise ImportRefused("Aucune vague de campagne n'existe : créez la campagne et sa vague avant d'importer "
                            "les postes.")
    return wave


def storage_path(storage_key: str) -> Path:
    return get_settings().data_dir / "imports" / storage_key


def run_import(kind: str, data: bytes, filename: str, *, actor: Actor = COMMAND_LINE, apply: bool = False,
               deactivate_absent: bool = False, wave_id: int | None = None) -> ImportReport:
    """Check a file against the database and, with ``apply`` and no error, load it (one transaction)."""
    if kind not in rules.KINDS:
        raise ImportRefused(f"Type d'import inconnu : {kind}.")
    filename = clean_filename(filename)
    report = ImportReport(kind=kind, filename=filename, size_bytes=len(data),
                          sha256=hashlib.sha256(data).hexdigest())
    try:
        table = read_table(data, filename)
        report.file_description = table.description
        columns, errors = rules.match_headers(kind, table.headers)
        if errors:
            report.errors = [str(e) for e in errors]
            return report
        raw_rows = []
        for line, cells in table.rows:
            raw_rows.append((line, {key: cells[index] if index < len(cells) else ""
                                    for key, index in columns.items()}))
            if len(raw_rows) > rules.MAX_ROWS:
                raise UnreadableFile(f"Le fichier dépasse {rules.MAX_ROWS} lignes.")
    except UnreadableFile as refused:
        report.errors = [str(refused)]
        return report
    report.rows = len(raw_rows)
    if not raw_rows:
        report.errors = ["Le fichier ne contient aucune ligne de données sous la ligne des titres."]
        return report
    return _check_and_apply(kind, raw_rows, report, data=data, actor=actor, apply=apply,
                            deactivate_absent=deactivate_absent, wave_id=wave_id)


def student_values(user: SignedInUser | None, ine: str) -> dict[str, str]:
    """One student as the import's columns (the correction form's starting values), if in the user's scope."""
    actor = actor_for(user)
    ine = (ine or "").replace(" ", "").upper()
    with transaction() as session:
        row = session.exec(select(Student, User).join(User, User.id == Student.user_id)
                           .where(Student.ine == ine)).first()
        if row is None or not actor.covers(row[0].subdivision_id):
            raise ImportRefused(f"Aucun étudiant de votre périmètre n'a l'INE « {ine} ».")
        student, user_row = row
        email = session.exec(select(UserEmail.email).where(UserEmail.user_id == user_row.id, UserEmail.kind == "main")
                             .order_by(UserEmail.id)).first() or ""
        option = session.get(SpecialtyOption, student.option_id) if student.option_id else None
        return {"ine": student.ine, "intern_number": student.intern_number, "last_name": user_row.last_name,
                "first_name": user_row.first_name, "email": email,
                "subdivision": session.get(Subdivision, student.subdivision_id).label,
                "specialty": session.get(Specialty, student.specialty_id).label,
                "option": option.label if option else "",
                "semestre_decale": "oui" if student.semestre_decale else "non",
                "participating": "oui" if student.participating else "non", "phone": user_row.phone}


def correct_student(user: SignedInUser | None, values: dict[str, str]) -> ImportReport:
    """A manager's correction of one student in a form, with exactly the import's checks (matched on the INE,
    which must exist: a form corrects, an import creates)."""
    actor = actor_for(user)
    student_values(user, str(values.get("ine", "")))  # exists and is in scope
    return correct_one("students", values, actor=actor)


def correct_one(kind: str, values: dict[str, str], *, actor: Actor, wave_id: int | None = None) -> ImportReport:
    """One row checked and applied as an import of a one-line file (rows absent from it are not reported);
    ``wave_id``: the wave of a post (else the latest)."""
    if kind not in ("students", "posts"):
        raise ImportRefused(f"Type de correction inconnu : {kind}.")
    report = ImportReport(kind=kind, filename="(formulaire)", rows=1)
    cells = {c.key: str(values.get(c.key, "") or "") for c in rules.FORMATS[kind]}
    report = _check_and_apply(kind, [(1, cells)], report, data=None, actor=actor, apply=True,
                              deactivate_absent=False, wave_id=wave_id)
    report.absent, report.absent_rows = 0, []
    report.errors = [e.replace("ligne 1, colonne ", "", 1) for e in report.errors]
    report.changes = [c.replace("ligne 1 — ", "", 1) for c in report.changes]
    return report


# Once a round's matching has run with a post, what the students rated and were assigned to stays as it was:
# the DES and option that could rate it, its subdivision (local candidates, ranking rules), its type, length,
# timing and sites. Its wording, supervisors and référent, and more places, may still change.
FROZEN_AFTER_MATCHING = ("calling_specialty_id", "option_id", "subdivision_id", "post_type", "months", "decale")
_FROZEN_HEADERS = {"calling_specialty_id": "specialty", "option_id": "option", "subdivision_id": "subdivision",
                   "post_type": "post_type", "months": "months", "decale": "decale"}


def _yes_no(value: bool) -> str:
    return "oui" if value else "non"


def post_values(user: SignedInUser | None, post_id: int) -> dict[str, str]:
    """One post as the import's columns (the correction form's starting values), if in the user's scope."""
    actor = actor_for(user)
    with transaction() as session:
        post = session.get(Post, post_id)
        if post is None or not actor.covers(post.subdivision_id):
            raise ImportRefused("Ce poste n'existe pas ou n'est pas dans votre périmètre.")
        return _post_columns(session, post)


def _post_columns(session: Session, post: Post) -> dict[str, str]:
    """``post`` as the import's columns: three statements (its labels, its supervisors, its sites with their
    establishment, supervisor and that supervisor's main address), whatever its number of sites."""
    specialty, option, subdivision = session.exec(select(
        select(Specialty.label).where(Specialty.id == post.calling_specialty_id).scalar_subquery(),
        select(SpecialtyOption.label).where(SpecialtyOption.id == post.option_id).scalar_subquery(),
        select(Subdivision.label).where(Subdivision.id == post.subdivision_id).scalar_subquery(),
    )).one()
    referents = dict(session.exec(select(PostSupervisor.user_id, PostSupervisor.is_referent)
                                  .where(PostSupervisor.post_id == post.id)).all())
    main_email = (select(UserEmail.email).where(UserEmail.user_id == User.id, UserEmail.kind == "main")
                  .order_by(UserEmail.id).limit(1).correlate(User).scalar_subquery())
    sites = {row[0].id: row for row in session.exec(
        select(Site, Establishment.name, Establishment.city, User.id, User.last_name, User.first_name, main_email)
        .join(Establishment, Establishment.id == Site.establishment_id)
        .outerjoin(User, User.id == Site.supervisor_user_id)
        .where(Site.id.in_([i for i in (post.site_id, post.second_site_id) if i]))
    ).all()}
    values = {"post_number": str(post.post_number), "specialty": specialty, "option": option or "",
              "subdivision": subdivision, "post_type": POST_TYPE_LABELS.get(post.post_type, post.post_type),
              "months": str(post.months), "places": str(post.places_opened), "decale": _yes_no(post.decale),
              "indication": post.indication, "referent": "1"}
    for n, site_id in (("", post.site_id), ("2", post.second_site_id)):
        if site_id not in sites:
            continue
        site, establishment, city, supervisor_id, last, first, email = sites[site_id]
        values.update({f"approval_number{n}": site.approval_number, f"site_number{n}": site.site_number,
                       f"site_name{n}": site.name, f"establishment{n}": establishment, f"city{n}": city,
                       f"is_university{n}": _yes_no(site.is_university), f"supervisor_last{n}": last or "",
                       f"supervisor_first{n}": first or "", f"supervisor_email{n}": email or ""})
        if n and supervisor_id is not None and referents.get(supervisor_id) \
                and not referents.get(sites[post.site_id][0].supervisor_user_id):
            values["referent"] = "2"
    return {c.key: values.get(c.key, "") for c in rules.FORMATS["posts"]}


def correct_post(user: SignedInUser | None, post_id: int, values: dict[str, str]) -> ImportReport:
    """A manager's (their region) or admin's correction of one post in a form, with exactly the import's checks
    and audit (before/after), including what a matched round freezes (``_frozen_by_matching``). The post number
    is the key and stays."""
    actor = actor_for(user)
    current = post_values(user, post_id)  # exists and is in scope
    cells = {c.key: str(values.get(c.key, "") or "").strip() for c in rules.FORMATS["posts"]}
    cells["post_number"] = current["post_number"]
    with transaction() as session:
        wave_id = session.get(Post, post_id).wave_id
    return correct_one("posts", cells, actor=actor, wave_id=wave_id)


def _frozen_by_matching(session: Session, rows: list[dict], existing_posts: dict[int, Post], wave: Wave,
                        header: dict[str, str]) -> list[RowError]:
    """Changes to existing posts that would break what is done: places below the students already assigned,
    and — once a round's matching has run with the wave's posts — the fields it used (``FROZEN_AFTER_MATCHING``)
    and the sites. The same rule for a file and for the correction form."""
    touched = {row["post_number"]: existing_posts[row["post_number"]] for row in rows
               if row["post_number"] in existing_posts}
    if not touched:
        return []
    ids = [post.id for post in touched.values()]
    assigned = dict(_in_chunks(session, lambda c: select(Assignment.post_id, sa.func.count())
                                                  .where(Assignment.post_id.in_(c)).group_by(Assignment.post_id), ids))
    matched = _matched_round(session, [wave.id])
    site_keys = {}
    if matched is not None:
        site_ids = [i for post in touched.values() for i in (post.site_id, post.second_site_id) if i]
        site_keys = {i: (a, n) for i, a, n in _in_chunks(session, lambda c: select(
            Site.id, Site.approval_number, Site.site_number).where(Site.id.in_(c)), site_ids)}
    why = f"l'appariement du tour {matched} a déjà été calculé avec ce poste : cette valeur ne peut plus changer"
    errors = []
    for row in rows:
        post = touched.get(row["post_number"])
        if post is None:
            continue
        taken = assigned.get(post.id, 0)
        if row["places_opened"] < taken:
            errors.append(RowError(row["line"], header["places"], f"{taken} étudiant(s) sont déjà affecté(s) à ce "
                                                                  "poste : le nombre de places ne peut pas être inférieur"))
        if matched is None:
            continue
        errors.extend(RowError(row["line"], header[_FROZEN_HEADERS[field]], why)
                      for field in FROZEN_AFTER_MATCHING if row[field] != getattr(post, field))
        for n, which, site_id in (("", "site", post.site_id), ("2", "second_site", post.second_site_id)):
            wanted = row[which]
            now = (wanted["approval_number"], wanted["site_number"]) if wanted else None
            if now != site_keys.get(site_id):
                errors.append(RowError(row["line"], header[f"site_number{n}"], why))
    return errors


def _refresh_ranking_verdicts(session: Session, audit_rows: _Audit) -> None:
    """Students or posts changed while rankings may be open: the stored verdicts follow (a deactivated candidate
    leaves the boards, a new post raises the wishes a list needs), audited with the import."""
    session.flush()
    session.expire_all()  # the rows were written with Core statements: reload what the session holds
    for ranking_id, before, after in refresh_open_verdicts(session):
        audit_rows.add("ranking.revalidate", "ranking", ranking_id, before={"valid": before}, after={"valid": after})
    session.flush()


def _check_and_apply(kind: str, raw_rows: list, report: ImportReport, *, data: bytes | None, actor: Actor,
                     apply: bool, deactivate_absent: bool, wave_id: int | None) -> ImportReport:
    session = Session(_engine(), expire_on_commit=False)
    try:
        refs = _references(session)
        validated = rules.validate(kind, raw_rows, refs)
        del raw_rows
        errors = list(validated.errors)
        rows = validated.rows
        if kind in ("students", "posts"):
            # Checked on every row, even one with another error, so that the file's errors all show at once.
            outside = {r["line"] for r in validated.all_rows
                       if r.get("subdivision_id") is not None and not actor.covers(r["subdivision_id"])}
            header = next(c.header for c in rules.FORMATS[kind] if c.key == "subdivision")
            errors.extend(RowError(line, header, "cette subdivision n'est pas dans votre périmètre")
                          for line in sorted(outside))
            rows = [r for r in rows if r["line"] not in outside]
        audit_rows = _Audit(actor)
        wave = None
        if kind == "posts":
            wave = _wave(session, wave_id)
            report.wave_name = wave.name
            _import_posts(session, actor, rows, refs, report, errors, apply, deactivate_absent,
                          audit_rows, wave)
        elif kind == "students":
            _import_students(session, actor, rows, refs, report, errors, apply, deactivate_absent,
                             audit_rows)
        else:
            _import_staff(session, actor, validated.rows, refs, report, errors, apply, deactivate_absent,
                          audit_rows)
        if apply and not errors and kind in ("students", "posts") and (report.new or report.changed
                                                                       or report.deactivated):
            _refresh_ranking_verdicts(session, audit_rows)
        order = {c.header: index for index, c in enumerate(rules.FORMATS[kind])}
        report.errors = [str(e) for e in sorted(errors, key=lambda e: (e.line, order.get(e.column, -1)))]
        if report.errors or not apply:
            session.rollback()
            if report.errors:
                report.new = report.changed = report.unchanged = 0
            return report
        if data is None:  # a correction from a form: audited row by row, no file to keep
            audit_rows.write(session.connection())
            session.commit()
            report.applied = True
            return report
        filename = report.filename
        storage_key = f"{report.sha256}{Path(filename).suffix.lower()}"
        batch = ImportBatch(actor_user_id=actor.user_id, kind=kind, wave_id=wave.id if wave else None,
                            filename=filename[:255], sha256=report.sha256, size_bytes=len(data),
                            storage_key=storage_key, rows=report.rows, new=report.new, changed=report.changed,
                            unchanged=report.unchanged, absent=report.absent, deactivated=report.deactivated)
        session.add(batch)
        session.flush()
        audit_rows.add(f"import.{kind}", "import_batch", batch.id,
                       after={"filename": filename, "sha256": report.sha256, "counts": report.counts_text()})
        audit_rows.write(session.connection())
        path = storage_path(storage_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(data)
        session.commit()
        report.applied, report.batch_id = True, batch.id
        log.info("import %s %r (%s) applied by user %s: %s", kind, filename, report.sha256[:12], actor.user_id,
                 report.counts_text())
        return report
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _engine():
    from siimop_app.db import get_engine

    return get_engine()


# ------------------------------------------------------------------------------------------------ history
# The authenticated routes of ``import_routes`` (the page prefixes a path with the backend's address).
def template_path(kind: str) -> str:
    return routes.IMPORT_TEMPLATE.link(kind=kind)


def batch_path(batch_id: int) -> str:
    return routes.IMPORT_FILE.link(batch_id=batch_id)


@dataclasses.dataclass(frozen=True)
class ImportBatchLine:
    """One applied import as "Historique des imports" shows it; ``href`` is "" when this user may not download
    its file."""

    id: int
    at: str  # Paris time, "31/12/2026 14:05"
    who: str
    kind_label: str
    filename: str
    href: str
    sha256: str
    digest: str  # the digest's start, as the table shows it
    rows: int
    new: int
    changed: int
    unchanged: int
    absent: int
    deactivated: int


def history(user: SignedInUser | None, limit: int = 200) -> list[ImportBatchLine]:
    """The applied imports, newest first. Everyone who may import sees the list (names, digests, counts); a stored
    file, which holds personal data, is downloadable by an admin or by the manager who loaded it."""
    actor = actor_for(user)
    with transaction() as session:
        query = (select(ImportBatch, User).outerjoin(User, User.id == ImportBatch.actor_user_id)
                 .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(limit))
        rows = session.exec(query).all()
    return [
        ImportBatchLine(
            id=b.id, at=b.created_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M"), kind_label=rules.KIND_LABELS[b.kind],
            who=f"{u.first_name} {u.last_name.upper()}" if u else "ligne de commande", filename=b.filename,
            href=batch_path(b.id) if actor.is_admin or b.actor_user_id == actor.user_id else "",
            sha256=b.sha256, digest=b.sha256[:16] + "…", rows=b.rows, new=b.new, changed=b.changed,
            unchanged=b.unchanged, absent=b.absent, deactivated=b.deactivated,
        )
        for b, u in rows
    ]


def readable_batch(user: SignedInUser | None, batch_id: int) -> ImportBatch | None:
    """The batch whose stored file this user may download: an admin any, a manager their own imports."""
    try:
        actor = actor_for(user)
    except AccessDenied:
        return None
    with transaction() as session:
        batch = session.get(ImportBatch, batch_id)
    if batch is None or not (actor.is_admin or batch.actor_user_id == actor.user_id):
        return None
    return batch


def template(user: SignedInUser | None, kind: str) -> bytes:
    """The XLSX template of a format, with today's reference names in its drop-down lists."""
    from siimop_app.imports.templates import build_template

    require_role(user, *IMPORT_ROLES)
    if kind not in rules.KINDS:
        raise ImportRefused(f"Type d'import inconnu : {kind}.")
    with transaction() as session:
        subdivisions = session.exec(select(Subdivision.label).order_by(Subdivision.label)).all()
        specialties = session.exec(select(Specialty.label).order_by(Specialty.label)).all()
        regions = session.exec(select(Region.name).order_by(Region.name)).all()
    return build_template(kind, subdivisions=subdivisions, specialties=specialties, regions=regions)


def save_pending(data: bytes, filename: str) -> str:
    """Keep an uploaded file between its preview and "Appliquer" (server side, never in the page's state)."""
    import secrets

    token = secrets.token_hex(16) + Path(clean_filename(filename)).suffix.lower()
    path = storage_path(f"pending/{token}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return token


def load_pending(token: str) -> bytes | None:
    name = Path(token).name  # the token comes back from the browser's session state: never a path
    if not name or name != token:
        return None
    try:
        return storage_path(f"pending/{name}").read_bytes()
    except OSError:
        return None


def drop_pending(token: str) -> None:
    if token and Path(token).name == token:
        storage_path(f"pending/{token}").unlink(missing_ok=True)


def report_json(report: ImportReport) -> str:
    return json.dumps(dataclasses.asdict(report), ensure_ascii=False)
