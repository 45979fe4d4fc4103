"""Campaigns, their waves, rounds and the dated phases of the calendar."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from siimop_app.domain.round_status import RoundStatus  # noqa: F401  (re-exported)
from siimop_app.models._base import utcnow


class PhaseKind(str, enum.Enum):
    """The dated phases of a wave; wishes, ranking and results repeat per round."""

    STUDENT_FILES = "student_files"  # students upload their file
    POSTS = "posts"  # supervisors check their posts ("Mes postes")
    WISHES = "wishes"
    RANKING = "ranking"
    RESULTS = "results"
    IN_PERSON = "in_person"  # round 3, outside the platform
    MANAGEMENT = "management"  # coordinators' and managers' tables


class Campaign(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)  # "Campagne Mai 2024"
    news_url: str = Field(default="", max_length=300)
    created_at: dt.datetime = Field(default_factory=utcnow)


class Wave(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "number", name="uq_wave_campaign_number"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    number: int
    name: str = Field(max_length=120)  # "Vague 2 Campagne Mai 2024"
    subtitle: str = Field(default="", max_length=120)  # "Semestre décalé"


class Round(SQLModel, table=True):
    """A round (tour) of a wave. Closing it stores the matching's instance, result and certificate."""

    __tablename__ = "matching_round"
    __table_args__ = (
        UniqueConstraint("wave_id", "number", name="uq_round_wave_number"),
        CheckConstraint("status IN ('open', 'closing', 'closed')", name="ck_round_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    number: int
    in_person: bool = Field(default=False)
    status: str = Field(default=RoundStatus.OPEN.value, max_length=10)
    closed_at: dt.datetime | None = None
    closed_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    instance_json: str | None = None
    result_json: str | None = None
    certificate: str | None = None
    # Set once the result e-mails of the round went out (students and supervisors), so they go once.
    results_notified_at: dt.datetime | None = None


class Phase(SQLModel, table=True):
    """One dated phase: open from ``starts_on`` 00:00 to ``ends_on`` 23:59, Europe/Paris."""

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ck_phase_dates"),
        UniqueConstraint("wave_id", "kind", "round_id", name="uq_phase_wave_kind_round"),
        Index("ix_phase_dates", "starts_on", "ends_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    round_id: int | None = Field(default=None, foreign_key="matching_round.id")
    kind: str = Field(max_length=20)
    starts_on: dt.date
    ends_on: dt.date


class CalendarVersion(SQLModel, table=True):
    """One row (id 1) whose ``version`` becomes a new random number, in the same transaction, with every change to
    a campaign, a wave, a phase or a round's wave or number: database triggers write it (migration 8b3d1f6a2c90),
    whoever changes the calendar. Each event reads it with the session check, and a worker reads the calendar
    itself again only when the version differs from the one it last read (``services.calendar``). Random rather
    than counted: a database erased and filled again never hands back a version a worker already knows."""

    __tablename__ = "calendar_version"
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
