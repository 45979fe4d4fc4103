"""People and scopes (back office): managers and admins find people, grant and revoke roles with their scope,
change a person's main address (only a manager can, SPEC §8), deactivate or reactivate an account. Every change
is audited; a person's page shows who did what, when.

A manager acts only inside their region (or subdivision): on people who study, supervise or hold a role there,
and grants only scopes inside it; an admin acts everywhere and alone names admins.
"""

from __future__ import annotations

import dataclasses
import json
import logging

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain import import_rules as rules
from siimop_app.domain.calendar import PARIS
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import Role
from siimop_app.models import (
    AuditEntry,
    Region,
    RoleGrant,
    Site,
    Specialty,
    Student,
    Subdivision,
    User,
    UserEmail,
    UserSession,
    utcnow,
)
from siimop_app.models.people import MANAGER_ROLES
from siimop_app.services import audit
from siimop_app.services.access import ROLE_INTERFACE_LABELS, AccessDenied
from siimop_app.services.auth import SignedInUser
from siimop_app.services.imports import IMPORT_ROLES, Actor, actor_for

log = logging.getLogger(__name__)

GRANTABLE = (Role.SUPERVISOR, Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
NOT_YOURS = "Cette personne n'est pas dans votre périmètre."


class PeopleError(UserError, ValueError):
    """A change that cannot be made; the message is for the user, in French."""


@dataclasses.dataclass(frozen=True)
class PersonRow:
    user_id: int
    name: str
    email: str
    roles: str
    active: bool


EMAIL_KINDS = {"main": "principale", "personal": "personnelle", "professional": "professionnelle"}


@dataclasses.dataclass(frozen=True)
class PersonHeader:
    """Who the page is about; the default (``user_id`` 0) is nobody selected."""

    user_id: int = 0
    name: str = ""
    active: bool = False
    student: str = ""  # "Étudiant : INE …, subdivision, specialty"; "" for anyone else


@dataclasses.dataclass(frozen=True)
class EmailLine:
    email: str
    kind: str  # in French: "principale", "personnelle", "professionnelle"
    validated: str  # "validée" or "non validée"


@dataclasses.dataclass(frozen=True)
class GrantLine:
    id: int
    label: str
    scope: str  # "SUBDI AMIENS, PÉDIATRIE"; "" for a scope-less role


@dataclasses.dataclass(frozen=True)
class HistoryLine:
    at: str  # Paris time
    who: str
    action: str
    detail: str  # "avant … ; après …", "" when the entry carries nothing


@dataclasses.dataclass(frozen=True)
class PersonPage:
    header: PersonHeader
    student_ine: str  # "" when the person is not a student
    emails: list[EmailLine]
    grants: list[GrantLine]
    history: list[HistoryLine]


def place_choices() -> dict[str, list[list[str]]]:
    """Every region, subdivision and specialty as [id, label] pairs, for the grant form's lists (public data)."""
    with transaction() as session:
        return {
            "regions": [[str(i), n] for i, n in session.exec(select(Region.id, Region.name).order_by(Region.name))],
            "subdivisions": [[str(i), n] for i, n in
                             session.exec(select(Subdivision.id, Subdivision.label).order_by(Subdivision.label))],
            "specialties": [[str(i), n] for i, n in
                            session.exec(select(Specialty.id, Specialty.label).order_by(Specialty.label))],
        }


def _people_in_scope(actor: Actor):
    """The ids of the people a manager may act on, as a SQL selectable (None: everyone)."""
    if actor.subdivision_ids is None:
        return None
    subdivisions = list(actor.subdivision_ids)
    regions = select(Subdivision.region_id).where(Subdivision.id.in_(subdivisions))
    return sa.union(
        select(Student.user_id).where(Student.subdivision_id.in_(subdivisions)),
        select(Site.supervisor_user_id).where(Site.subdivision_id.in_(subdivisions),
                                              Site.supervisor_user_id.is_not(None)),
        select(RoleGrant.user_id).where(sa.or_(RoleGrant.subdivision_id.in_(subdivisions),
                                               RoleGrant.region_id.in_(regions))),
    )


def _check_person(session: Session, actor: Actor, user_id: int) -> User:
    person = session.get(User, user_id)
    scope = _people_in_scope(actor)
    if person is None or (scope is not None and user_id not in set(session.exec(scope).scalars().all())):
        raise AccessDenied(NOT_YOURS)
    return person


def search(user: SignedInUser | None, text: str, limit: int = 50) -> list[PersonRow]:
    actor = actor_for(user)
    words = [w for w in (text or "").split() if w][:4]
    if not words:
        return []
    main_email = (select(UserEmail.email).where(UserEmail.user_id == User.id, UserEmail.kind == "main")
                  .order_by(UserEmail.id).limit(1).scalar_subquery())
    query = select(User, main_email)
    for word in words:
        pattern = f"%{word.lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.last_name).like(pattern),
                                   sa.func.lower(User.first_name).like(pattern),
                                   User.id.in_(select(UserEmail.user_id).where(UserEmail.email.like(pattern)))))
    scope = _people_in_scope(actor)
    if scope is not None:
        query = query.where(User.id.in_(scope))
    with transaction() as session:
        rows = session.exec(query.order_by(User.last_name, User.first_name).limit(limit)).all()
        roles: dict[int, set[str]] = {}
        for user_id, role in session.exec(select(RoleGrant.user_id, RoleGrant.role)
                                          .where(RoleGrant.user_id.in_([u.id for u, _ in rows]))).all():
            roles.setdefault(user_id, set()).add(role)
    return [PersonRow(u.id, f"{u.last_name.upper()} {u.first_name}", email or "",
                      ", ".join(ROLE_INTERFACE_LABELS[r] for r in sorted(roles.get(u.id, ()))), u.is_active)
            for u, email in rows]


def _scope_label(session: Session, grant: RoleGrant) -> str:
    parts = []
    if grant.region_id:
        parts.append(session.get(Region, grant.region_id).name)
    if grant.subdivision_id:
        parts.append(session.get(Subdivision, grant.subdivision_id).label)
    if grant.specialty_id:
        parts.append(session.get(Specialty, grant.specialty_id).label)
    return ", ".join(parts) or ("tout le pays" if grant.role in MANAGER_ROLES else "")


def person(user: SignedInUser | None, user_id: int) -> PersonPage:
    """A person's page: identity, addresses, roles with their scope, and the history of changes about them."""
    actor = actor_for(user)
    with transaction() as session:
        target = _check_person(session, actor, user_id)
        emails = session.exec(select(UserEmail).where(UserEmail.user_id == user_id).order_by(UserEmail.id)).all()
        grants = session.exec(select(RoleGrant).where(RoleGrant.user_id == user_id).order_by(RoleGrant.id)).all()
        student = session.exec(select(Student).where(Student.user_id == user_id)).first()
        entity_filter = sa.and_(AuditEntry.entity == "user", AuditEntry.entity_id == user_id)
        if student is not None:
            entity_filter = sa.or_(entity_filter, sa.and_(AuditEntry.entity == "student",
                                                          AuditEntry.entity_id == student.id))
        history = session.exec(select(AuditEntry, User).outerjoin(User, User.id == AuditEntry.actor_user_id)
                               .where(entity_filter, AuditEntry.action.not_in(("sign_in", "sign_out")))
                               .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(100)).all()
        student_text = (f"Étudiant : INE {student.ine}, {session.get(Subdivision, student.subdivision_id).label}, "
                        f"{session.get(Specialty, student.specialty_id).label}") if student else ""
        return PersonPage(
            header=PersonHeader(user_id=target.id, name=f"{target.first_name} {target.last_name.upper()}",
                                active=target.is_active, student=student_text),
            student_ine=student.ine if student else "",
            emails=[EmailLine(e.email, EMAIL_KINDS.get(e.kind, e.kind),
                              "validée" if e.validated_at is not None else "non validée") for e in emails],
            grants=[GrantLine(g.id, ROLE_INTERFACE_LABELS[g.role], _scope_label(session, g)) for g in grants],
            history=[HistoryLine(at=entry.at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M"),
                                 who=f"{who.first_name} {who.last_name.upper()}" if who else "système",
                                 action=entry.action, detail=_detail(entry.before_json or "", entry.after_json or ""))
                     for entry, who in history],
        )


def _detail(before: str, after: str) -> str:
    """An audit entry's before/after JSON as one line: "avant email : a@x ; après email : b@x"."""
    def short(text: str) -> str:
        try:
            value = json.loads(text) if text else None
        except json.JSONDecodeError:
            return text
        return ", ".join(f"{k} : {v}" for k, v in value.items()) if isinstance(value, dict) else ""

    parts = [p for p in (short(before) and "avant " + short(before), short(after) and "après " + short(after)) if p]
    return " ; ".join(parts)


def grant_role(user: SignedInUser | None, user_id: int, role: str, *, region_id: int | None = None,
               subdivision_id: int | None = None, specialty_id: int | None = None) -> RoleGrant:
    actor = actor_for(user)
    if role not in GRANTABLE:
        raise PeopleError("Rôle inconnu.")
    if role == Role.ADMIN and not actor.is_admin:
        raise AccessDenied("Seul un administrateur peut nommer un administrateur.")
    if role == Role.COORDINATOR and (subdivision_id is None or specialty_id is None or region_id is not None):
        raise PeopleError("Un coordonnateur est rattaché à une subdivision et à une spécialité.")
    if role == Role.MANAGER and ((region_id is None) == (subdivision_id is None) or specialty_id is not None):
        raise PeopleError("Un gestionnaire est rattaché à une région ou à une subdivision.")
    if role in (Role.SUPERVISOR, Role.ADMIN):
        region_id = subdivision_id = specialty_id = None
    with transaction() as session:
        _check_person(session, actor, user_id)
        if actor.subdivision_ids is not None and role in (Role.COORDINATOR, Role.MANAGER):
            covered = ({subdivision_id} if subdivision_id is not None else set(session.exec(
                select(Subdivision.id).where(Subdivision.region_id == region_id)).all()))
            if not covered or not covered <= actor.subdivision_ids:
                raise AccessDenied("Ce périmètre n'est pas dans le vôtre.")
        exists = session.exec(select(RoleGrant).where(
            RoleGrant.user_id == user_id, RoleGrant.role == role, RoleGrant.region_id == region_id,
            RoleGrant.subdivision_id == subdivision_id, RoleGrant.specialty_id == specialty_id)).first()
        if exists:
            raise PeopleError("Cette personne a déjà ce rôle avec ce périmètre.")
        grant = RoleGrant(user_id=user_id, role=role, region_id=region_id, subdivision_id=subdivision_id,
                          specialty_id=specialty_id)
        session.add(grant)
        session.flush()
        audit.record(session, actor_user_id=actor.user_id, action="grant.create", entity="user", entity_id=user_id,
                     after={"grant_id": grant.id, "role": role, "region_id": region_id,
                            "subdivision_id": subdivision_id, "specialty_id": specialty_id})
        return grant


def revoke_grant(user: SignedInUser | None, grant_id: int) -> None:
    actor = actor_for(user)
    with transaction() as session:
        grant = session.get(RoleGrant, grant_id)
        if grant is None:
            raise AccessDenied(NOT_YOURS)
        _check_person(session, actor, grant.user_id)
        if grant.role == Role.ADMIN and not actor.is_admin:
            raise AccessDenied("Seul un administrateur peut retirer ce rôle.")
        if actor.subdivision_ids is not None and grant.role in (Role.COORDINATOR, Role.MANAGER):
            covered = ({grant.subdivision_id} if grant.subdivision_id is not None else set(session.exec(
                select(Subdivision.id).where(Subdivision.region_id == grant.region_id)).all()))
            if grant.region_id is None and grant.subdivision_id is None or not covered <= actor.subdivision_ids:
                raise AccessDenied("Ce périmètre n'est pas dans le vôtre.")
        if grant.user_id == actor.user_id and grant.role in MANAGER_ROLES:
            raise PeopleError("Vous ne pouvez pas retirer votre propre rôle de gestion.")
        before = {"grant_id": grant.id, "role": grant.role, "region_id": grant.region_id,
                  "subdivision_id": grant.subdivision_id, "specialty_id": grant.specialty_id}
        target_id = grant.user_id
        session.delete(grant)
        audit.record(session, actor_user_id=actor.user_id, action="grant.revoke", entity="user",
                     entity_id=target_id, before=before)


def change_main_email(user: SignedInUser | None, user_id: int, address: str) -> str:
    """The main address changes only through a manager: validated here (the manager vouches for it)."""
    actor = actor_for(user)
    try:
        new = rules.parse_email(address)
    except rules.CellError as error:
        raise PeopleError(str(error)[0].upper() + str(error)[1:] + ".") from None
    with transaction() as session:
        _check_person(session, actor, user_id)
        owner = session.exec(select(UserEmail).where(UserEmail.email == new)).first()
        main = session.exec(select(UserEmail).where(UserEmail.user_id == user_id, UserEmail.kind == "main")
                            .order_by(UserEmail.id)).first()
        if owner is not None and owner.user_id != user_id:
            raise PeopleError(f"« {new} » est déjà l'adresse d'une autre personne.")
        before = main.email if main else None
        if owner is not None and owner.id != (main.id if main else None):
            # One of the person's secondary addresses becomes the main one, and the old main a secondary one.
            owner.kind, owner.validated_at = "main", owner.validated_at or utcnow()
            session.add(owner)
            if main is not None:
                main.kind = "personal"
                session.add(main)
        elif main is None:
            session.add(UserEmail(user_id=user_id, email=new, kind="main", validated_at=utcnow()))
        elif main.email != new:
            main.email, main.validated_at = new, utcnow()
            session.add(main)
        audit.record(session, actor_user_id=actor.user_id, action="user.main_email", entity="user",
                     entity_id=user_id, before={"email": before}, after={"email": new})
        return new


def set_active(user: SignedInUser | None, user_id: int, active: bool) -> None:
    """Deactivating an account closes its sessions at once; it no longer receives sign-in links."""
    actor = actor_for(user)
    if user_id == actor.user_id:
        raise PeopleError("Vous ne pouvez pas désactiver votre propre compte.")
    with transaction() as session:
        target = _check_person(session, actor, user_id)
        if target.is_active == active:
            return
        target.is_active = active
        session.add(target)
        if not active:
            session.execute(sa.update(UserSession).where(UserSession.user_id == user_id,
                                                         UserSession.revoked_at.is_(None))
                            .values(revoked_at=utcnow()))
        audit.record(session, actor_user_id=actor.user_id, action="user.activate" if active else "user.deactivate",
                     entity="user", entity_id=user_id, before={"is_active": not active}, after={"is_active": active})


__all__ = ["IMPORT_ROLES", "PeopleError", "change_main_email", "grant_role", "person", "revoke_grant", "search",
           "set_active"]
