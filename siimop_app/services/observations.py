"""A supervisor's private observations on a candidate ("Vos observations personnelles").

Only their author ever reads them: every function takes the acting user and reads
or writes that user's own row, so there is no way to name someone else's notes.
A supervisor may keep notes only on their candidates (``candidates.is_candidate_of_supervisor``).
"""

from __future__ import annotations

from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.roles import Role
from siimop_app.models import Observation, utcnow
from siimop_app.services import audit, candidates
from siimop_app.services.access import AccessDenied
from siimop_app.services.auth import SignedInUser
from siimop_app.validation import UserInputError

MAX_LENGTH = 5000


def _require_candidate(session: Session, user: SignedInUser, student_id: int) -> None:
    if Role.SUPERVISOR not in user.roles or not candidates.is_candidate_of_supervisor(session, user.user_id, student_id):
        raise AccessDenied("Cet étudiant n'a pas candidaté sur vos postes.")


def read(user: SignedInUser, student_id: int) -> str:
    with transaction() as session:
        _require_candidate(session, user, student_id)
        note = session.exec(
            select(Observation.text).where(Observation.author_user_id == user.user_id,
                                           Observation.student_id == student_id)
        ).first()
        return note or ""


def save(user: SignedInUser, student_id: int, text: str) -> str:
    text = text.strip()
    if len(text) > MAX_LENGTH:
        raise UserInputError(f"Vos observations ne peuvent pas dépasser {MAX_LENGTH} caractères.")
    with transaction() as session:
        _require_candidate(session, user, student_id)
        note = session.exec(
            select(Observation).where(Observation.author_user_id == user.user_id, Observation.student_id == student_id)
        ).first()
        before = note.text if note else None
        if note is None:
            note = Observation(author_user_id=user.user_id, student_id=student_id)
        note.text = text
        note.updated_at = utcnow()
        session.add(note)
        session.flush()
        # The trail says who changed their notes and when, not what they wrote: the notes stay private.
        audit.record(session, actor_user_id=user.user_id, action="observation.save", entity="observation",
                     entity_id=note.id, before={"length": len(before)} if before is not None else None,
                     after={"length": len(text)})
        return text
