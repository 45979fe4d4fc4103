"""What students and supervisors say: wishes (hearts), rankings, private observations, results."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from siimop_app.models._base import utcnow


class Application(SQLModel, table=True):
    """A student's wish for a post in one round, rated 0–5 hearts (0 = never assign me there)."""

    __table_args__ = (
        UniqueConstraint("round_id", "student_id", "post_id", name="uq_application"),
        CheckConstraint("hearts BETWEEN 0 AND 5", name="ck_application_hearts"),
        Index("ix_application_round_post", "round_id", "post_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="matching_round.id")
    student_id: int = Field(foreign_key="student.id", index=True)
    post_id: int = Field(foreign_key="post.id")
    hearts: int = Field(default=0)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class Ranking(SQLModel, table=True):
    """A supervisor's ranking of one post's candidates in one round, with its last computed validity."""

    __table_args__ = (UniqueConstraint("round_id", "post_id", name="uq_ranking_round_post"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="matching_round.id")
    post_id: int = Field(foreign_key="post.id", index=True)
    is_valid: bool = Field(default=False, index=True)
    problems: str = Field(default="")  # failing rules, one per line, in French
    updated_at: dt.datetime = Field(default_factory=utcnow)
    updated_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")


class RankingEntry(SQLModel, table=True):
    """One candidate in a ranking: ranked (``rank`` set), refused, or neither (still unranked)."""

    __tablename__ = "ranking_entry"
    __table_args__ = (
        UniqueConstraint("ranking_id", "student_id", name="uq_ranking_entry_student"),
        CheckConstraint("NOT (refused AND rank IS NOT NULL)", name="ck_ranking_entry_state"),
        CheckConstraint("rank IS NULL OR rank >= 1", name="ck_ranking_entry_rank"),
    )
    id: int | None = Field(default=None, primary_key=True)
    ranking_id: int = Field(foreign_key="ranking.id", index=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    rank: int | None = None
    refused: bool = Field(default=False)


class Observation(SQLModel, table=True):
    """A supervisor's private notes on a candidate ("Vos observations personnelles"): only the author reads them."""

    __table_args__ = (UniqueConstraint("author_user_id", "student_id", name="uq_observation_author_student"),)
    id: int | None = Field(default=None, primary_key=True)
    author_user_id: int = Field(foreign_key="app_user.id", index=True)
    student_id: int = Field(foreign_key="student.id")
    text: str = Field(default="")
    updated_at: dt.datetime = Field(default_factory=utcnow)


class Assignment(SQLModel, table=True):
    """A result: a student placed on a post in a round, by the matching or by a manager (round 3)."""

    __table_args__ = (
        UniqueConstraint("round_id", "student_id", name="uq_assignment_round_student"),
        CheckConstraint("method IN ('matching', 'manual')", name="ck_assignment_method"),
        Index("ix_assignment_post", "post_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="matching_round.id", index=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    post_id: int = Field(foreign_key="post.id")
    method: str = Field(default="matching", max_length=10)
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
