"""Small builders for service tests: a few rows, written through the same transaction helper as the app."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.calendar_plan import plan
from siimop_app.domain.roles import Role
from siimop_app.models import Campaign, Phase, RoleGrant, Round, Specialty, Student, Subdivision, User, UserEmail
from siimop_app.models import Wave, utcnow
from siimop_app.services import calendar
from siimop_app.services.auth import SignedInUser


def make_user(email: str, *roles: str, first: str = "Camille", last: str = "Durand",
              secondary: dict[str, bool] | None = None, active: bool = True, **scope) -> int:
    """A user with a validated main address, optional secondary addresses (address -> validated) and roles."""
    with transaction() as session:
        user = User(first_name=first, last_name=last, is_active=active)
        session.add(user)
        session.flush()
        session.add(UserEmail(user_id=user.id, email=email, kind="main", validated_at=utcnow()))
        for address, validated in (secondary or {}).items():
            session.add(UserEmail(user_id=user.id, email=address, kind="personal",
                                  validated_at=utcnow() if validated else None))
        for role in roles:
            session.add(RoleGrant(user_id=user.id, role=role, **scope))
        return user.id


def days_ago(days: float) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


def make_campaign(phase: str = "ranking", *, today: dt.date | None = None) -> dict[int, int]:
    """A campaign of one wave dated as the demo's (files, posts, two matched rounds, an in-person third) so that
    ``today`` (default: the app's today, ``SIIMOP_TODAY`` included) falls in ``phase`` ("closed": it is over).
    No people, posts or wishes. Returns {round number: round id}."""
    today = today or calendar.now().date()
    with transaction() as session:
        campaign = Campaign(name=f"Campagne Mai {today.year}")
        session.add(campaign)
        session.flush()
        wave = Wave(campaign_id=campaign.id, number=1, name=f"Vague 1 Campagne Mai {today.year}",
                    subtitle="Docteurs Juniors")
        session.add(wave)
        session.flush()
        rounds = {number: Round(wave_id=wave.id, number=number, in_person=number == 3) for number in (1, 2, 3)}
        session.add_all(rounds.values())
        session.flush()
        for planned in plan(today, phase):
            round_id = rounds[planned.round_number].id if planned.round_number else None
            session.add(Phase(wave_id=wave.id, round_id=round_id, kind=planned.kind, starts_on=planned.starts_on,
                              ends_on=planned.ends_on))
        return {number: round_.id for number, round_ in rounds.items()}


def make_student(email: str, *, first: str = "Rémi", last: str = "Thermidor", participating: bool = True,
                 ine: str = "0000000001A") -> SignedInUser:
    """A student of the first subdivision and DES of the reference data, as signed in (no wishes, no file)."""
    user_id = make_user(email, Role.STUDENT, first=first, last=last)
    with transaction() as session:
        subdivision = session.exec(select(Subdivision.id).order_by(Subdivision.id)).first()
        specialty = session.exec(select(Specialty.id).order_by(Specialty.id)).first()
        session.add(Student(user_id=user_id, ine=ine, intern_number=ine[:8], subdivision_id=subdivision,
                            specialty_id=specialty, participating=participating))
    return SignedInUser(user_id, first, last, email, (Role.STUDENT,))
