"""What the manager's "Tours d'appariement" page reads and does: the rounds of a wave (today's by default), and
in-person (round 3) placements typed as an INE and a post number. Closing a round is services.rounds."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.domain.calendar import PARIS
from siimop_app.domain.round_status import RoundStatus
from siimop_app.models import Assignment, Campaign, Post, Round, Site, Student, User, Wave
from siimop_app.services import calendar, in_person, rounds
from siimop_app.services.access import require_role
from siimop_app.services.auth import SignedInUser
from siimop_app.services.overview import Choice
from siimop_app.services.scope import post_condition, scope_of
from siimop_app.validation import parse_int

STATUS_LABELS = {RoundStatus.OPEN: "Ouvert", RoundStatus.CLOSING: "Clôture en cours", RoundStatus.CLOSED: "Clôturé"}


@dataclasses.dataclass(frozen=True)
class RoundCard:
    """A round as its card on the page shows it."""

    id: int
    number: int
    title: str  # "Tour 3 (en présentiel)"
    in_person: bool
    status: str  # a RoundStatus value
    status_label: str
    closed: str  # "le 02/06/2026 à 10:15 par Arnaud MONIER", or "" while open
    placed: int
    notified: bool


@dataclasses.dataclass(frozen=True)
class Placement:
    """An in-person placement as its line shows it (the manager may cancel it)."""

    id: int  # the assignment
    student: str
    ine: str
    post_number: int
    site: str
    when: str  # Paris time


def _waves(session) -> list[tuple[int, str]]:
    """Every wave, newest campaign first: (id, "Campagne — Vague")."""
    return [(wave_id, f"{campaign} — {wave}") for wave_id, campaign, wave in session.exec(
        select(Wave.id, Campaign.name, Wave.name).join(Campaign, Campaign.id == Wave.campaign_id)
        .order_by(Campaign.id.desc(), Wave.number.desc())
    ).all()]


def wave_choices(user: SignedInUser) -> list[Choice]:
    """The waves whose rounds the page can show: a closed campaign's rounds stay readable, and a campaign's
    first wave stays reachable once its second one ("Semestre décalé") exists."""
    require_role(user, *rounds.CLOSE_ROLES)
    with transaction() as session:
        return [Choice(str(wave_id), label) for wave_id, label in _waves(session)]


def default_wave_id(user: SignedInUser) -> int | None:
    """The wave the page opens on: the one whose calendar runs today, else the newest."""
    require_role(user, *rounds.CLOSE_ROLES)
    current = calendar.current_wave()
    if current is not None:
        return current.wave_id
    with transaction() as session:
        waves = _waves(session)
    return waves[0][0] if waves else None


def list_rounds(user: SignedInUser, wave_id: int | None = None) -> list[RoundCard]:
    """The rounds of ``wave_id`` (default: ``default_wave_id``)."""
    require_role(user, *rounds.CLOSE_ROLES)
    if wave_id is None:
        wave_id = default_wave_id(user)
    with transaction() as session:
        if wave_id is None or session.get(Wave, wave_id) is None:
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
        RoundCard(
            id=round_.id,
            number=round_.number,
            title=f"Tour {round_.number}" + (" (en présentiel)" if round_.in_person else ""),
            in_person=round_.in_person,
            status=round_.status,
            status_label=STATUS_LABELS.get(round_.status, round_.status),
            closed=(
                f"le {round_.closed_at.astimezone(PARIS):%d/%m/%Y à %H:%M}"
                + (f" par {first} {last.upper()}" if first else " (opérateur)")
            ) if round_.closed_at else "",
            placed=placed.get(round_.id, 0),
            notified=round_.results_notified_at is not None,
        )
        for round_, first, last in rows
    ]


def _resolve(session, round_id: int, ine: str, post_number: str) -> tuple[int, int]:
    """(student id, post id) typed as an INE and a post number of the round's wave."""
    ine, number = str(ine).strip().upper(), parse_int(post_number, lo=1)
    if not ine or number is None:
        raise rounds.RoundError("Indiquez le numéro INE de l'étudiant et le numéro du poste.")
    round_ = session.get(Round, round_id)
    student = session.exec(select(Student).where(Student.ine == ine)).first()
    post = session.exec(
        select(Post).where(Post.wave_id == (round_.wave_id if round_ else -1), Post.post_number == number)
    ).first()
    if round_ is None or student is None or post is None:
        raise rounds.RoundError("Étudiant ou poste introuvable dans cette vague (vérifiez le numéro INE et le numéro du poste).")
    return student.id, post.id


def preview_in_person(user: SignedInUser, *, round_id: int, ine: str, post_number: str) -> in_person.ManualPlacement:
    """The placement the manager is about to confirm, checked by every rule, nothing written."""
    require_role(user, *rounds.CLOSE_ROLES)
    with transaction() as session:
        student_id, post_id = _resolve(session, round_id, ine, post_number)
    return in_person.preview_manual(round_id=round_id, student_id=student_id, post_id=post_id,
                                 actor_user_id=user.user_id)


def assign_in_person(user: SignedInUser, *, round_id: int, ine: str, post_number: str) -> str:
    """Place the student with this INE on the post with this number (same wave); returns a French confirmation."""
    require_role(user, *rounds.CLOSE_ROLES)
    with transaction() as session:
        student_id, post_id = _resolve(session, round_id, ine, post_number)
    placed = in_person.assign_manually(round_id=round_id, student_id=student_id, post_id=post_id,
                                    actor_user_id=user.user_id)
    return f"{placed.student_name} (INE {placed.ine}) est affecté(e) au poste n° {placed.post_number}."


def cancel_in_person(user: SignedInUser, *, assignment_id: int) -> str:
    require_role(user, *rounds.CLOSE_ROLES)
    in_person.cancel_manual(assignment_id=assignment_id, actor_user_id=user.user_id)
    return "L'affectation a été annulée."


def in_person_placements(user: SignedInUser, round_id: int) -> list[Placement]:
    """The in-person placements of a round on posts of the manager's scope, newest first."""
    require_role(user, *rounds.CLOSE_ROLES)
    with transaction() as session:
        scope = scope_of(session, user.user_id, rounds.CLOSE_ROLES)
        rows = session.exec(
            select(Assignment.id, Assignment.created_at, User.first_name, User.last_name, Student.ine, Post.post_number,
                   Site.name)
            .join(Student, Student.id == Assignment.student_id)
            .join(User, User.id == Student.user_id)
            .join(Post, Post.id == Assignment.post_id)
            .join(Site, Site.id == Post.site_id)
            .where(Assignment.round_id == round_id, Assignment.method == "manual", post_condition(scope))
            .order_by(Assignment.created_at.desc(), Assignment.id.desc())
        ).all()
    return [
        Placement(id=aid, student=f"{first} {last.upper()}", ine=ine, post_number=number, site=site,
                  when=f"{created.astimezone(PARIS):%d/%m/%Y %H:%M}" if created else "")
        for aid, created, first, last, ine, number, site in rows
    ]


def close_preview(user: SignedInUser, round_id: int) -> str:
    """What closing this round will do, in counts, for the manager to confirm (nothing written)."""
    require_role(user, *rounds.CLOSE_ROLES)
    rounds.require_closable(round_id)
    with transaction() as session:
        data = rounds.build_instance(session, round_id)
    snapshot, counts = data["snapshot"], data["snapshot"]["rankings"]
    places = sum(post["places"] for post in data["posts"])
    return (
        f"Clôturer le tour {data['round']['number']} lance l'appariement de {len(data['students'])} étudiant(s) "
        f"aux listes suffisantes sur {places} place(s). {snapshot['excluded_insufficient_lists']} liste(s) "
        f"insuffisante(s) ne seront pas prises en compte. Classements : {counts['valid']} valide(s), "
        f"{counts['invalid']} non valide(s) et {counts['missing']} manquant(s) — les candidats des classements non "
        "valides ou manquants ne seront pas considérés sur ces postes. Les affectations seront enregistrées "
        "définitivement : cette action est irréversible."
    )
