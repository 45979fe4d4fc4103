"""A student's results (SPEC §6, "Résultats"): per published round of their wave, their post, or "non affecté(e)",
why, and what comes next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.calendar import DatedPhase, day_text, opens_at
from siimop_app.domain.roles import Role
from siimop_app.models import (
    Application,
    Assignment,
    Establishment,
    Phase,
    PhaseKind,
    Post,
    Round,
    Site,
    Specialty,
    Subdivision,
)
from siimop_app.services import calendar
from siimop_app.services.access import require_role
from siimop_app.services.auth import SignedInUser
from siimop_app.services.candidates import sufficient_students
from siimop_app.services.student_access import student_id_of

__all__ = ["StudentRoundResult", "round_result_for_student", "student_results"]


@dataclasses.dataclass(frozen=True)
class StudentRoundResult:
    """One published round as the student sees it."""

    round_id: int
    number: int
    title: str  # "Tour 1"
    assigned: bool
    post: dict[str, Any] | None  # post_id, specialty, site_name, establishment, subdivision, method
    status_text: str  # "Affecté(e) : …" or "Non affecté(e)"
    next_step: str  # what comes next, in French ("" once assigned)


def student_results(user: SignedInUser, at: dt.datetime | None = None) -> tuple[list[StudentRoundResult], str]:
    """What the Résultats page shows the signed-in student: their results in the current wave, and, while none is
    published, a notice saying when the first ones will be ("" when there are results or no campaign)."""
    require_role(user, Role.STUDENT)
    at = at or calendar.now()
    wave = calendar.current_wave(at)
    if wave is None:
        return [], ""
    with transaction() as session:
        student_id = student_id_of(session, user.user_id)
        found = round_result_for_student(session, student_id, wave.wave_id, at) if student_id else []
    if found:
        return found, ""
    upcoming = wave.current_or_next("results", at)
    return [], (f"Les résultats du premier tour seront publiés le {day_text(upcoming.starts_on)}." if upcoming
                else "Aucun résultat n'est encore publié.")


def round_result_for_student(session: Session, student_id: int, wave_id: int, at: dt.datetime) -> list[StudentRoundResult]:
    """The student's result per round of the wave published at ``at``, in order, until they are placed.

    A matched round is published when its "results" phase opens; an in-person round shows as soon as a
    manager recorded a placement. Unplaced: why when we know it (no wish, insufficient list) and what
    comes next (the next round's wishes, the in-person round, or the ARS / scolarité).
    """
    rounds = session.exec(select(Round).where(Round.wave_id == wave_id).order_by(Round.number)).all()
    phases = session.exec(select(Phase).where(Phase.wave_id == wave_id, Phase.round_id.is_not(None))).all()
    by_round: dict[int, dict[str, Phase]] = defaultdict(dict)
    for phase in phases:
        by_round[phase.round_id][phase.kind] = phase
    assignments = {
        rid: row for rid, *row in session.exec(
            select(Assignment.round_id, Assignment.post_id, Assignment.method, Specialty.label, Site.name,
                   Establishment.name, Subdivision.label)
            .join(Post, Post.id == Assignment.post_id)
            .join(Specialty, Specialty.id == Post.calling_specialty_id)
            .join(Site, Site.id == Post.site_id)
            .join(Establishment, Establishment.id == Site.establishment_id)
            .join(Subdivision, Subdivision.id == Post.subdivision_id)
            .join(Round, Round.id == Assignment.round_id)
            .where(Assignment.student_id == student_id, Round.wave_id == wave_id)
        ).all()
    }

    def dated(phase: Phase | None) -> DatedPhase | None:
        if phase is None:
            return None
        return DatedPhase(kind=phase.kind, round_number=None, starts_on=phase.starts_on, ends_on=phase.ends_on)

    out: list[StudentRoundResult] = []
    for index, round_ in enumerate(rounds):
        results_phase = dated(by_round[round_.id].get(PhaseKind.RESULTS.value))
        published = (results_phase is not None and opens_at(results_phase) <= at) or (
            round_.in_person and round_.id in assignments)
        if not published:
            break
        title = f"Tour {round_.number}"
        row = assignments.get(round_.id)
        if row is not None:
            post_id, method, specialty, site, establishment, subdivision = row
            post = {"post_id": post_id, "specialty": specialty, "site_name": site, "establishment": establishment,
                    "subdivision": subdivision, "method": method}
            out.append(StudentRoundResult(round_.id, round_.number, title, True, post,
                                          f"Affecté(e) : {site} – {establishment} ({subdivision})", ""))
            break
        if round_.in_person:
            out.append(StudentRoundResult(round_.id, round_.number, title, False, None, "Non affecté(e)",
                                          "Rapprochez-vous de votre ARS ou de votre scolarité."))
            continue
        why = ""
        rated = session.exec(
            select(sa.func.count()).select_from(Application)
            .where(Application.round_id == round_.id, Application.student_id == student_id, Application.hearts > 0)
        ).one()
        if not rated:
            why = "Vous n'aviez formulé aucun vœu pour ce tour. "
        elif student_id not in sufficient_students(session, round_.id, [student_id]):
            why = "Votre liste de vœux était insuffisante : elle n'a pas été prise en compte dans ce tour. "
        following = rounds[index + 1] if index + 1 < len(rounds) else None
        if following is None:
            nxt = "Rapprochez-vous de votre ARS ou de votre scolarité."
        elif following.in_person:
            phase = by_round[following.id].get(PhaseKind.IN_PERSON.value)
            when = f" du {day_text(phase.starts_on)} au {day_text(phase.ends_on)}" if phase else ""
            nxt = (f"Le tour {following.number} se déroule en présentiel{when} : "
                   "votre ARS ou votre scolarité vous indiquera les modalités.")
        else:
            phase = by_round[following.id].get(PhaseKind.WISHES.value)
            when = f" du {day_text(phase.starts_on)} au {day_text(phase.ends_on)}" if phase else ""
            nxt = f"Vous pourrez formuler de nouveaux vœux pour le tour {following.number}{when}, sur les places restantes."
        out.append(StudentRoundResult(round_.id, round_.number, title, False, None, "Non affecté(e)", why + nxt))
    return out
