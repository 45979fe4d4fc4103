"""Round 3, in person (SPEC §6): the managers record each placement by hand during that round's in-person phase.

Every rule is checked on the server before a placement is written, and the same check gives the confirmation a
manager reads first (``preview_manual``): the round is in person and open, its in-person phase is under way, the
post is in the wave and in the manager's scope, open to the student's specialty, with a place left, and the
student is not yet placed in the wave. A placement can be cancelled (a typing mistake) while that phase is open.
Each write is one transaction with an audit row.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.calendar import DatedPhase, closes_at, day_text, opens_at
from siimop_app.models import Assignment, Establishment, Phase, PhaseKind, Post, Round, RoundStatus, Site, Student, User
from siimop_app.services import audit, calendar
from siimop_app.services.rounds import CLOSE_ROLES, RoundError
from siimop_app.services.scope import post_condition, scope_of

__all__ = ["ManualPlacement", "assign_manually", "cancel_manual", "preview_manual"]


@dataclasses.dataclass(frozen=True)
class ManualPlacement:
    """An in-person placement as checked before it is written: what the manager confirms."""

    round_id: int
    round_number: int
    student_id: int
    student_name: str
    ine: str
    post_id: int
    post_number: int
    post_label: str
    places_left_after: int

    def confirmation(self) -> str:
        return (f"Affecter {self.student_name} (INE {self.ine}) au poste n° {self.post_number} ({self.post_label}) "
                f"pour le tour {self.round_number} ? Il restera {self.places_left_after} place(s) sur ce poste. "
                "L'étudiant verra ce résultat dès l'enregistrement.")


def _require_in_person_phase(session: Session, round_: Round) -> None:
    """Round 3 placements belong to its in-person phase only (SPEC §6), checked here, on the server."""
    phase = session.exec(
        select(Phase).where(Phase.round_id == round_.id, Phase.kind == PhaseKind.IN_PERSON.value)
    ).first()
    dated = phase and DatedPhase(kind=phase.kind, round_number=round_.number, starts_on=phase.starts_on,
                                 ends_on=phase.ends_on)
    now = calendar.now()
    if dated is None or not (opens_at(dated) <= now < closes_at(dated)):
        when = f" (du {day_text(phase.starts_on)} au {day_text(phase.ends_on)})" if phase else ""
        raise RoundError(f"Les affectations du tour {round_.number} en présentiel ne se saisissent que pendant "
                         f"sa période{when}.")


def _check_manual(session: Session, *, round_id: int, student_id: int, post_id: int,
                  actor_user_id: int) -> ManualPlacement:
    """Every rule of an in-person placement; French ``RoundError`` for the first that fails."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise RoundError("Ce tour n'existe pas.")
    if not round_.in_person:
        raise RoundError("Les affectations manuelles ne concernent que le tour en présentiel.")
    if round_.status != RoundStatus.OPEN.value:
        raise RoundError("Ce tour est clôturé : il n'est plus possible d'y affecter un étudiant.")
    _require_in_person_phase(session, round_)
    post = session.get(Post, post_id)
    if post is None or post.wave_id != round_.wave_id:
        raise RoundError("Ce poste n'appartient pas à cette vague.")
    student = session.get(Student, student_id)
    if student is None:
        raise RoundError("Cet étudiant n'existe pas.")
    scope = scope_of(session, actor_user_id, CLOSE_ROLES)
    in_scope = session.exec(
        select(sa.func.count()).select_from(Post).where(Post.id == post_id, post_condition(scope))
    ).one()
    if not in_scope:
        raise RoundError("Ce poste ne relève pas de votre périmètre de gestionnaire.")
    if post.calling_specialty_id != student.specialty_id:
        raise RoundError("Ce poste n'est pas ouvert à la spécialité de cet étudiant.")
    earlier = session.exec(
        select(Round.number).join(Assignment, Assignment.round_id == Round.id)
        .where(Round.wave_id == round_.wave_id, Assignment.student_id == student_id)
    ).first()
    if earlier is not None:
        raise RoundError(f"Cet étudiant est déjà affecté dans cette vague (tour {earlier}).")
    filled = session.exec(
        select(sa.func.count()).select_from(Assignment).join(Round, Round.id == Assignment.round_id)
        .where(Round.wave_id == round_.wave_id, Assignment.post_id == post_id)
    ).one()
    if filled >= post.places_opened:
        raise RoundError("Ce poste n'a plus de place disponible.")
    site, establishment = session.exec(
        select(Site.name, Establishment.name).join(Establishment, Establishment.id == Site.establishment_id)
        .where(Site.id == post.site_id)
    ).one()
    user = session.get(User, student.user_id)
    return ManualPlacement(
        round_id=round_id, round_number=round_.number, student_id=student_id,
        student_name=f"{user.first_name} {user.last_name.upper()}", ine=student.ine, post_id=post_id,
        post_number=post.post_number, post_label=f"{site} – {establishment}",
        places_left_after=post.places_opened - filled - 1,
    )


def preview_manual(*, round_id: int, student_id: int, post_id: int, actor_user_id: int) -> ManualPlacement:
    """What ``assign_manually`` would write, checked by the same rules, writing nothing."""
    with transaction() as session:
        return _check_manual(session, round_id=round_id, student_id=student_id, post_id=post_id,
                             actor_user_id=actor_user_id)


def assign_manually(*, round_id: int, student_id: int, post_id: int, actor_user_id: int) -> ManualPlacement:
    """Record an in-person (round 3) placement: during that round's in-person phase; a manager whose scope
    covers the post; a place left; the student not yet placed in the wave. One transaction, audited;
    French ``RoundError`` otherwise."""
    with transaction() as session:
        # A no-op UPDATE first: it locks the round's row (PostgreSQL) / takes the write lock (SQLite),
        # so two managers placing on the same round are serialised and cannot overfill a post.
        session.execute(sa.update(Round).where(Round.id == round_id).values(status=Round.status))
        placement = _check_manual(session, round_id=round_id, student_id=student_id, post_id=post_id,
                                  actor_user_id=actor_user_id)
        assignment = Assignment(round_id=round_id, student_id=student_id, post_id=post_id, method="manual",
                                created_by_user_id=actor_user_id)
        session.add(assignment)
        session.flush()
        audit.record(
            session,
            actor_user_id=actor_user_id,
            action="assignment.manual",
            entity="assignment",
            entity_id=assignment.id,
            after={"round_id": round_id, "round_number": placement.round_number, "student_id": student_id,
                   "post_id": post_id, "places_left": placement.places_left_after},
        )
        return placement


def cancel_manual(*, assignment_id: int, actor_user_id: int) -> None:
    """Undo an in-person placement while that phase is open (a typing mistake); audited with what it was."""
    with transaction() as session:
        assignment = session.get(Assignment, assignment_id)
        if assignment is None or assignment.method != "manual":
            raise RoundError("Cette affectation n'existe pas ou n'a pas été saisie en présentiel.")
        session.execute(sa.update(Round).where(Round.id == assignment.round_id).values(status=Round.status))
        round_ = session.get(Round, assignment.round_id)
        if round_.status != RoundStatus.OPEN.value:
            raise RoundError("Ce tour est clôturé : ses affectations ne peuvent plus être annulées.")
        _require_in_person_phase(session, round_)
        scope = scope_of(session, actor_user_id, CLOSE_ROLES)
        in_scope = session.exec(
            select(sa.func.count()).select_from(Post).where(Post.id == assignment.post_id, post_condition(scope))
        ).one()
        if not in_scope:
            raise RoundError("Ce poste ne relève pas de votre périmètre de gestionnaire.")
        before = {"round_id": round_.id, "round_number": round_.number, "student_id": assignment.student_id,
                  "post_id": assignment.post_id, "created_by_user_id": assignment.created_by_user_id}
        session.delete(assignment)
        audit.record(session, actor_user_id=actor_user_id, action="assignment.manual_cancel", entity="assignment",
                     entity_id=assignment_id, before=before)
