"""Assistance tickets (SPEC §8): they go to the managers of the requester's subdivision."""

from __future__ import annotations

import logging

from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.models import Site, Student, SupportTicket
from siimop_app.services import audit

log = logging.getLogger(__name__)

REQUESTER_STATUSES = (
    "Étudiant / Docteur Junior",
    "Praticien hospitalier ou libéral",
    "Coordonnateur",
    "Gestionnaire ARS / Scolarité",
)
PROBLEM_TYPES = (
    "Connexion",
    "Données d'un poste erronées (demande de correction)",
    "Dossier étudiant",
    "Vœux",
    "Classement des candidatures",
    "Affectations",
    "Autre",
)


class TicketError(ValueError):
    """A ticket that cannot be recorded; the message is for the user, in French."""


def _subdivision_of(session: Session, user_id: int | None) -> int | None:
    if user_id is None:
        return None
    student_subdivision = session.exec(select(Student.subdivision_id).where(Student.user_id == user_id)).first()
    if student_subdivision is not None:
        return student_subdivision
    return session.exec(select(Site.subdivision_id).where(Site.supervisor_user_id == user_id)).first()


def open_ticket(
    *,
    user_id: int | None,
    full_name: str,
    email: str,
    requester_status: str,
    university: str,
    problem_type: str,
    subject: str,
    description: str,
) -> int:
    fields = {
        "full_name": full_name.strip(),
        "email": email.strip().lower(),
        "requester_status": requester_status,
        "university": university.strip(),
        "problem_type": problem_type,
        "subject": subject.strip(),
        "description": description.strip(),
    }
    missing = [label for key, label in (
        ("full_name", "Nom complet"), ("email", "Adresse email"), ("requester_status", "Statut"),
        ("problem_type", "Problème"), ("subject", "Sujet"), ("description", "Description"),
    ) if not fields[key]]
    if missing:
        raise TicketError("Champs obligatoires manquants : " + ", ".join(missing) + ".")
    if "@" not in fields["email"]:
        raise TicketError("L'adresse email n'est pas valide.")
    if requester_status not in REQUESTER_STATUSES or problem_type not in PROBLEM_TYPES:
        raise TicketError("Veuillez choisir un statut et un problème dans les listes proposées.")
    if len(fields["subject"]) > 200 or len(fields["description"]) > 10000:
        raise TicketError("Le sujet (200 caractères) ou la description (10 000 caractères) est trop long.")
    with transaction() as session:
        ticket = SupportTicket(user_id=user_id, subdivision_id=_subdivision_of(session, user_id), **fields)
        session.add(ticket)
        session.flush()
        audit.record(session, actor_user_id=user_id, action="open_ticket", entity="support_ticket",
                     entity_id=ticket.id, after={"subject": fields["subject"], "problem_type": problem_type})
        log.info("support ticket %s opened (subdivision %s)", ticket.id, ticket.subdivision_id)
        return ticket.id
