"""Assistance tickets (SPEC §8): they go to the managers of the requester's subdivision."""

from __future__ import annotations

import logging

from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.models import RoleGrant, Site, Student, SupportTicket
from siimop_app.services import audit
from siimop_app.services.auth import looks_like_email

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


FIELD_LABELS = {
    "full_name": "Nom complet",
    "email": "Adresse email",
    "requester_status": "Statut",
    "university": "Université de rattachement",
    "problem_type": "Problème",
    "subject": "Sujet",
    "description": "Description",
}
REQUIRED_FIELDS = ("full_name", "email", "requester_status", "problem_type", "subject", "description")
# The column sizes of SupportTicket: checked here so a long text gets a French message, not a database error.
MAX_LENGTHS = {"full_name": 200, "email": 254, "university": 120, "subject": 200, "description": 10000}


class TicketError(ValueError):
    """A ticket that cannot be recorded; the message is for the user, in French."""


def _refuse(message: str) -> None:
    log.info("support ticket refused: %s", message)
    raise TicketError(message)


def _subdivision_of(session: Session, user_id: int | None) -> int | None:
    """Where the requester works: their student file, else their first site, else the subdivision of a role grant."""
    if user_id is None:
        return None
    for query in (
        select(Student.subdivision_id).where(Student.user_id == user_id),
        select(Site.subdivision_id).where(Site.supervisor_user_id == user_id).order_by(Site.id),
        select(RoleGrant.subdivision_id)
        .where(RoleGrant.user_id == user_id, RoleGrant.subdivision_id.is_not(None))
        .order_by(RoleGrant.id),
    ):
        found = session.exec(query).first()
        if found is not None:
            return found
    return None


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
    missing = [FIELD_LABELS[key] for key in REQUIRED_FIELDS if not fields[key]]
    if missing:
        _refuse("Champs obligatoires manquants : " + ", ".join(missing) + ".")
    if not looks_like_email(fields["email"]):
        _refuse("L'adresse email n'est pas valide.")
    if requester_status not in REQUESTER_STATUSES or problem_type not in PROBLEM_TYPES:
        _refuse("Veuillez choisir un statut et un problème dans les listes proposées.")
    too_long = [f"{FIELD_LABELS[key]} ({limit} caractères)" for key, limit in MAX_LENGTHS.items() if len(fields[key]) > limit]
    if too_long:
        _refuse("Texte trop long : " + ", ".join(too_long) + ".")
    with transaction() as session:
        ticket = SupportTicket(user_id=user_id, subdivision_id=_subdivision_of(session, user_id), **fields)
        session.add(ticket)
        session.flush()
        audit.record(session, actor_user_id=user_id, action="open_ticket", entity="support_ticket",
                     entity_id=ticket.id, after={"subject": fields["subject"], "problem_type": problem_type})
        log.info("support ticket %s opened (subdivision %s)", ticket.id, ticket.subdivision_id)
        return ticket.id
