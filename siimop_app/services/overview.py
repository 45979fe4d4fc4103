"""Summaries shown on the home pages of each interface."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.domain.calendar import is_open
from siimop_app.models import (
    Post,
    Ranking,
    Region,
    Specialty,
    SpecialtyOption,
    Student,
    Subdivision,
    User,
)
from siimop_app.services import calendar
from siimop_app.services import scope as scopes


@dataclasses.dataclass(frozen=True)
class Figure:
    """One statistic as its tile shows it: the value ("3019/7384 (40%)") over its label; ``key`` names it for
    the code that reads one figure among several."""

    label: str
    value: str
    key: str = ""


@dataclasses.dataclass(frozen=True)
class Choice:
    """One entry of a select as a page shows it: the value sent back and the text read; ``group`` is the value of
    the entry it depends on in another select (a subdivision's region), empty when none."""

    value: str
    label: str
    group: str = ""


def choices(pairs: Iterable[tuple[object, str]]) -> list[Choice]:
    """A select's entries from (id, label) pairs, repeats dropped, in the order of the labels."""
    return [Choice(str(value), label) for value, label in sorted(set(pairs), key=lambda p: p[1])]


@dataclasses.dataclass(frozen=True)
class PhaseRow:
    """One phase of the wave's calendar on the managers' home: label, round ("Tour 2", "" for a wave's phase),
    first and last days (dd/mm/yyyy, the last "… 23h59"), and ``status`` "En cours" while it is open, else ""."""

    label: str
    round: str
    starts: str
    ends: str
    status: str = ""


def calendar_rows(wave: calendar.WaveCalendar | None, now: dt.datetime) -> list[PhaseRow]:
    """The phases of ``wave`` (none without a wave) as the managers' home lists them."""
    return [
        PhaseRow(
            label=calendar.PHASE_LABELS.get(p.kind, p.kind),
            round=f"Tour {p.round_number}" if p.round_number else "",
            starts=p.starts_on.strftime("%d/%m/%Y"),
            ends=p.ends_on.strftime("%d/%m/%Y") + " 23h59",
            status="En cours" if is_open(p, now) else "",
        )
        for p in (wave.phases if wave else ())
    ]


def percent(part: int, whole: int) -> str:
    """The seed's statistic format: "3019/7384 (40%)". Truncated, as the seed does: 99.9 % never reads 100 %."""
    share = 100 * part // whole if whole else 0
    return f"{part}/{whole} ({share}%)"


@dataclasses.dataclass(frozen=True)
class StudentSummary:
    """The student's record on Mon dossier; the default (every field empty) is nothing shown."""

    full_name: str = ""
    ine: str = ""
    intern_number: str = ""
    subdivision: str = ""
    region: str = ""
    specialty: str = ""
    option: str = ""
    semestre_decale: bool = False
    participating: bool = False


def student_summary(*, user_id: int) -> StudentSummary | None:
    with transaction() as session:
        row = session.exec(
            select(Student, User, Subdivision.label, Region.name, Specialty.label, SpecialtyOption.label)
            .join(User, User.id == Student.user_id)
            .join(Subdivision, Subdivision.id == Student.subdivision_id)
            .join(Region, Region.id == Subdivision.region_id)
            .join(Specialty, Specialty.id == Student.specialty_id)
            .outerjoin(SpecialtyOption, SpecialtyOption.id == Student.option_id)
            .where(Student.user_id == user_id)
        ).first()
    if row is None:
        return None
    student, user, subdivision, region, specialty, option = row
    return StudentSummary(
        full_name=f"{user.first_name} {user.last_name.upper()}",
        ine=student.ine,
        intern_number=student.intern_number,
        subdivision=subdivision,
        region=region,
        specialty=specialty,
        option=option or "Aucune option",
        semestre_decale=student.semestre_decale,
        participating=student.participating,
    )


def scope_figures(*, user_id: int, wave_id: int | None, roles: tuple[str, ...]) -> list[Figure]:
    """Headline figures for the coordinator/manager home, restricted to the user's scope, in a few aggregate queries."""
    with transaction() as session:
        scope = scopes.scope_of(session, user_id, roles)
        student_where = scopes.student_condition(scope)
        students, signed_in, participating, decale = session.exec(
            select(
                sa.func.count(Student.id),
                sa.func.count(User.last_login_at),
                sa.func.coalesce(sa.func.sum(sa.case((Student.participating, 1), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((Student.semestre_decale, 1), else_=0)), 0),
            )
            .join(User, User.id == Student.user_id)
            .where(student_where)
        ).one()
        post_where = sa.and_(scopes.post_condition(scope), Post.wave_id == wave_id) if wave_id else sa.false()
        posts, places, validated = session.exec(
            select(
                sa.func.count(Post.id),
                sa.func.coalesce(sa.func.sum(Post.places_opened), 0),
                sa.func.coalesce(sa.func.sum(sa.case((Post.validated_by_ars, 1), else_=0)), 0),
            ).where(post_where)
        ).one()
        valid_rankings = session.exec(
            select(sa.func.count(sa.distinct(Ranking.post_id)))
            .join(Post, Post.id == Ranking.post_id)
            .where(post_where, Ranking.is_valid)
        ).one()
    return [
        Figure("Étudiants connectés", percent(signed_in, students)),
        Figure("Participation à la campagne", percent(participating, students)),
        Figure("Semestre décalé", percent(decale, students)),
        Figure("Postes (places ouvertes)", f"{posts} ({places} places)"),
        Figure("Postes validés par l'ARS", percent(validated, posts)),
        Figure("Classements valides", percent(valid_rankings, posts)),
    ]
