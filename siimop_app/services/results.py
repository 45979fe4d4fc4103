"""Affectations: the published results of a supervisor's posts (seed, "Affectations").

A round's results are published when its "results" phase starts (00:00 Europe/Paris
on that day): before then nothing of the round shows, even if its assignments are
already stored (the round was closed early, or a manager is still checking them).

One query whatever the number of posts (two when the caller has no WaveCalendar):
every post of the supervisor, left-joined to its assignments in the published rounds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.calendar import DatedPhase, opens_at
from siimop_app.models import (
    POST_TYPE_LABELS,
    Assignment,
    Establishment,
    Phase,
    PhaseKind,
    Post,
    PostSupervisor,
    Round,
    Site,
    Specialty,
    Student,
    Subdivision,
    User,
)
from siimop_app.services import calendar as calendar_service
from siimop_app.services.calendar import WaveCalendar

RESULTS = PhaseKind.RESULTS.value


@dataclasses.dataclass(frozen=True)
class AssignedStudent:
    full_name: str
    specialty: str


@dataclasses.dataclass(frozen=True)
class ResultCard:
    """One of the supervisor's posts in a published round, ready to show, with the students placed on it."""

    post_id: int
    specialty: str
    post_type: str  # "Couplé"
    duration: str  # "1 an"
    site_name: str
    establishment: str
    subdivision: str
    places_opened: int
    filled: int
    filled_text: str  # "1 / 2 postes pourvus"
    students: list[AssignedStudent]


@dataclasses.dataclass(frozen=True)
class ResultRound:
    """A published round: ``none_filled``, none of the supervisor's posts got an assignment in it."""

    round_id: int
    number: int
    title: str  # "Tour 1"
    published_on: dt.date
    none_filled: bool
    cards: list[ResultCard]


def _duration(months: int) -> str:
    return "1 an" if months == 12 else f"{months} mois"


def _full_name(first: str, last: str) -> str:
    return f"{first} {last.upper()}".strip()


def _results_calendar(session: Session, wave_id: int) -> tuple[list[DatedPhase], dict[int, int]]:
    """The wave's "results" phases and its rounds ({round id: number}), when no WaveCalendar was given."""
    rows = session.exec(
        select(Round.id, Round.number, Phase.starts_on, Phase.ends_on)
        .join(Phase, Phase.round_id == Round.id)
        .where(Round.wave_id == wave_id, Phase.wave_id == wave_id, Phase.kind == RESULTS)
    ).all()
    phases = [DatedPhase(kind=RESULTS, round_number=number, starts_on=starts, ends_on=ends)
              for _, number, starts, ends in rows]
    return phases, {round_id: number for round_id, number, _, _ in rows}


def published_rounds(phases: Iterable[DatedPhase], round_numbers: dict[int, int],
                     at: dt.datetime) -> list[tuple[int, int, dt.date]]:
    """(round id, number, publication day) of each round whose "results" phase has started at ``at``, in order."""
    ids = {number: round_id for round_id, number in round_numbers.items()}
    published = [
        (ids[p.round_number], p.round_number, p.starts_on)
        for p in phases
        if p.kind == RESULTS and p.round_number in ids and opens_at(p) <= at
    ]
    return sorted(published, key=lambda item: item[1])


def published_round_ids(session: Session, at: dt.datetime | None = None) -> list[int]:
    """The rounds (of every wave) whose results are published at ``at``: the one rule for whatever shows results.

    The rule of ``results.published_rounds`` (the round's "results" phase has started), plus the in-person
    round, whose assignments are published as soon as they are recorded (as on the students' page). Read once
    per event when ``at`` is now (``calendar.read_once``: a staff table's page and statistics both ask).
    """
    if at is None:
        return list(calendar_service.once(("published rounds",),
                                          lambda: _published_round_ids(session, calendar_service.now())))
    return _published_round_ids(session, at)


def _published_round_ids(session: Session, at: dt.datetime) -> list[int]:
    rows = session.exec(
        select(Round.id, Round.wave_id, Round.number, Phase.starts_on, Phase.ends_on)
        .join(Phase, sa.and_(Phase.round_id == Round.id, Phase.kind == PhaseKind.RESULTS.value))
    ).all()
    by_wave: dict[int, tuple[list[DatedPhase], dict[int, int]]] = {}
    for round_id, wave_id, number, starts, ends in rows:
        phases, numbers = by_wave.setdefault(wave_id, ([], {}))
        phases.append(DatedPhase(kind=PhaseKind.RESULTS.value, round_number=number, starts_on=starts, ends_on=ends))
        numbers[round_id] = number
    ids = {round_id for phases, numbers in by_wave.values() for round_id, _, _ in published_rounds(phases, numbers, at)}
    recorded = select(Assignment.id).where(Assignment.round_id == Round.id).correlate(Round).exists()
    ids.update(session.exec(select(Round.id).where(Round.in_person == sa.true(), recorded)).all())
    return sorted(ids)


def published_assignment(session: Session, at: dt.datetime | None = None):
    """SQL condition on ``Assignment``: its round's results are published. Every table, count and detail that
    shows assignments to staff, supervisors or students filters with it (the round close and the places offered
    in a round count every stored assignment instead)."""
    return Assignment.round_id.in_(published_round_ids(session, at) or [-1])


def next_results_phase(calendar: WaveCalendar, at: dt.datetime) -> DatedPhase | None:
    """The first "results" phase of a round still to be published at ``at`` (before any: the first round's)."""
    upcoming = [p for p in calendar.phases if p.kind == RESULTS and p.round_number and opens_at(p) > at]
    return min(upcoming, key=lambda p: p.starts_on, default=None)


def _post_rows(session: Session, *, user_id: int, wave_id: int, round_ids: list[int]):
    """Each post of the supervisor, once per assignment in ``round_ids`` (once with NULLs when it has none)."""
    access = aliased(PostSupervisor)
    student_user = aliased(User)
    student_specialty = aliased(Specialty)
    return session.exec(
        select(
            Post.id,
            Post.post_type,
            Post.months,
            Post.places_opened,
            Specialty.label,
            Site.name,
            Establishment.name,
            Subdivision.label,
            Assignment.round_id,
            student_user.first_name,
            student_user.last_name,
            student_specialty.label,
        )
        .join(access, sa.and_(access.post_id == Post.id, access.user_id == user_id))
        .join(Site, Site.id == Post.site_id)
        .join(Specialty, Specialty.id == Post.calling_specialty_id)
        .join(Establishment, Establishment.id == Site.establishment_id)
        .join(Subdivision, Subdivision.id == Post.subdivision_id)
        .outerjoin(Assignment, sa.and_(Assignment.post_id == Post.id, Assignment.round_id.in_(round_ids)))
        .outerjoin(Student, Student.id == Assignment.student_id)
        .outerjoin(student_user, student_user.id == Student.user_id)
        .outerjoin(student_specialty, student_specialty.id == Student.specialty_id)
        .where(Post.wave_id == wave_id)
        .order_by(Specialty.label, Site.name, Post.post_number, student_user.last_name, student_user.first_name)
    ).all()


def supervisor_results(*, user_id: int, wave_id: int, at: dt.datetime,
                       calendar: WaveCalendar | None = None) -> list[ResultRound]:
    """The wave's published rounds, in order, each with the cards of every post the supervisor is attached to.

    ``none_filled``: none of the supervisor's posts got an assignment in that round (the seed's
    message; ``none_filled(rounds)`` says it for every published round). A round whose results day
    is still ahead at ``at`` is left out, whatever assignments it already has.

    ``calendar``: the wave's calendar when the caller holds it (one query); else it is read (two).
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be timezone-aware")
    with transaction() as session:
        if calendar is not None and calendar.wave_id == wave_id:
            phases, round_numbers = calendar.phases, calendar.round_numbers
        else:
            phases, round_numbers = _results_calendar(session, wave_id)
        published = published_rounds(phases, round_numbers, at)
        if not published:
            return []
        rows = _post_rows(session, user_id=user_id, wave_id=wave_id, round_ids=[rid for rid, _, _ in published])

    posts: dict[int, dict] = {}  # post id -> the card's fixed fields, in the query's order
    placed: dict[tuple[int, int], list[AssignedStudent]] = defaultdict(list)  # (round id, post id) -> students
    for (post_id, post_type, months, places, specialty, site, establishment, subdivision,
         round_id, first, last, student_specialty) in rows:
        posts.setdefault(post_id, {
            "post_id": post_id,
            "specialty": specialty,
            "post_type": POST_TYPE_LABELS[post_type],
            "duration": _duration(months),
            "site_name": site,
            "establishment": establishment,
            "subdivision": subdivision,
            "places_opened": places,
        })
        if round_id is not None:
            placed[(round_id, post_id)].append(
                AssignedStudent(full_name=_full_name(first or "", last or ""), specialty=student_specialty or "")
            )

    rounds = []
    for round_id, number, day in published:
        cards = []
        for post_id, post in posts.items():
            students = placed.get((round_id, post_id), [])
            cards.append(ResultCard(
                **post,
                filled=len(students),
                filled_text=f"{len(students)} / {post['places_opened']} postes pourvus",
                students=students,
            ))
        rounds.append(ResultRound(
            round_id=round_id,
            number=number,
            title=f"Tour {number}",
            published_on=day,
            none_filled=not any(card.filled for card in cards),
            cards=cards,
        ))
    return rounds


def none_filled(rounds: list[ResultRound]) -> bool:
    """Whether none of the supervisor's posts got any assignment in the published rounds (True when none is published)."""
    return all(r.none_filled for r in rounds)
