"""What the manager's "Tours d'appariement" page reads and does: the rounds of the latest wave, and
in-person (round 3) placements typed as an INE and a post number. Closing a round is services.rounds."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.domain.calendar import PARIS
from siimop_app.models import Assignment, Campaign, Post, Round, Student, User, Wave
from siimop_app.services import rounds
from siimop_app.services.access import require_role
from siimop_app.services.auth import SignedInUser
from siimop_app.validation import parse_int

STATUS_LABELS = {"open": "Ouvert", "closing": "Clôture en cours", "closed": "Clôturé"}


def _latest_wave_id(session) -> int | None:
    return session.exec(
        select(Wave.id).join(Campaign, Campaign.id == Wave.campaign_id).order_by(Campaign.id.desc(), Wave.number.desc())
    ).first()


def list_rounds(user: SignedInUser) -> list[dict]:
    require_role(user, *rounds.CLOSE_ROLES)
    with transaction() as session:
        wave_id = _latest_wave_id(session)
        if wave_id is None:
            return []
        placed = dict(session.exec(
            select(Assignment.round_id, sa.func.count()).join(Round, Round.id == Assignment.round_id)
            .where(Round.wave_id == wave_id).group_by(Assignment.round_id)
        ).all())
        rows = session.exec(
            select(Round, User.first_name, User.last_name)
            .outerjoin(User, User.id == Round.closed_by_user_id)
            .where(Round.wave_id == wave_id).order_by(Round.number)
        ).all()
    return [
        {
            "id": round_.id,
            "number": round_.number,
            "title": f"Tour {round_.number}" + (" (en présentiel)" if round_.in_person else ""),
            "in_person": round_.in_person,
            "status": round_.status,
            "status_label": STATUS_LABELS.get(round_.status, round_.status),
            "closed": (
                f"le {round_.closed_at.astimezone(PARIS):%d/%m/%Y à %H:%M}"
                + (f" par {first} {last.upper()}" if first else " (opérateur)")
            ) if round_.closed_at else "",
            "placed": placed.get(round_.id, 0),
            "notified": round_.results_notified_at is not None,
        }
        for round_, first, last in rows
    ]


def assign_in_person(user: SignedInUser, *, round_id: int, ine: str, post_number: str) -> str:
    """Place the student with this INE on the post with this number (same wave); returns a French confirmation."""
    require_role(user, *rounds.CLOSE_ROLES)
    ine, number = ine.strip().upper(), parse_int(post_number)
    if not ine or number is None:
        raise rounds.RoundError("Indiquez le numéro INE de l'étudiant et le numéro du poste.")
    with transaction() as session:
        round_ = session.get(Round, round_id)
        student = session.exec(select(Student).where(Student.ine == ine)).first()
        post = session.exec(
            select(Post).where(Post.wave_id == (round_.wave_id if round_ else -1), Post.post_number == number)
        ).first()
    if round_ is None or student is None or post is None:
        raise rounds.RoundError("Étudiant ou poste introuvable dans cette vague (vérifiez le numéro INE et le numéro du poste).")
    rounds.assign_manually(round_id=round_id, student_id=student.id, post_id=post.id, actor_user_id=user.user_id)
    return f"L'étudiant {ine} est affecté au poste n° {post_number}."
