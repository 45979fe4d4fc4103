"""Training sites (terrains de stage), the posts opened on them, and their supervisors."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from siimop_app.models._base import utcnow


class PostType(str, enum.Enum):
    SIMPLE = "simple"
    COUPLE = "couple"
    MIXTE = "mixte"


POST_TYPE_LABELS = {PostType.SIMPLE.value: "Simple", PostType.COUPLE.value: "Couplé", PostType.MIXTE.value: "Mixte"}


class Site(SQLModel, table=True):
    """A terrain de stage: a place and the supervisor who holds its approval."""

    id: int | None = Field(default=None, primary_key=True)
    approval_number: str = Field(max_length=30, index=True)
    site_number: str = Field(max_length=30, index=True)
    name: str = Field(max_length=200, index=True)
    is_university: bool = Field(default=True)
    approval_specialty_id: int = Field(foreign_key="specialty.id", index=True)
    option_id: int | None = Field(default=None, foreign_key="specialty_option.id")
    establishment_id: int = Field(foreign_key="establishment.id", index=True)
    subdivision_id: int = Field(foreign_key="subdivision.id", index=True)
    supervisor_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    description: str = Field(default="")
    descriptive_document_id: int | None = Field(default=None, foreign_key="document.id")


class Post(SQLModel, table=True):
    """A site on which the ARS opened places for one wave of a campaign.

    Places left are not stored: they are ``places_opened`` minus the post's
    assignments, computed in SQL so they can never drift.
    """

    __table_args__ = (
        CheckConstraint("post_type IN ('simple', 'couple', 'mixte')", name="ck_post_type"),
        CheckConstraint("places_opened >= 0", name="ck_post_places"),
        CheckConstraint("months IN (6, 12)", name="ck_post_months"),
        UniqueConstraint("wave_id", "post_number", name="uq_post_wave_number"),
        Index("ix_post_wave_specialty_subdivision", "wave_id", "calling_specialty_id", "subdivision_id"),
        Index("ix_post_wave_subdivision", "wave_id", "subdivision_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="wave.id")
    post_number: int
    site_id: int = Field(foreign_key="site.id", index=True)
    # The second site of a couplé (another site) or mixte (ambulatory) post.
    second_site_id: int | None = Field(default=None, foreign_key="site.id")
    post_type: str = Field(default=PostType.SIMPLE.value, max_length=10, index=True)
    months: int = Field(default=6)
    indication: str = Field(default="", max_length=300)
    decale: bool = Field(default=False, index=True)
    places_opened: int = Field(default=1)
    calling_specialty_id: int = Field(foreign_key="specialty.id")
    option_id: int | None = Field(default=None, foreign_key="specialty_option.id")
    # Denormalised from the main site: every coordinator table filters on it.
    subdivision_id: int = Field(foreign_key="subdivision.id")
    validated_by_ars: bool = Field(default=False, index=True)
    validated_at: dt.datetime | None = None
    updated_at: dt.datetime = Field(default_factory=utcnow)


class PostSupervisor(SQLModel, table=True):
    """A supervisor's access to a post: the référent ranks; the other only sees."""

    __tablename__ = "post_supervisor"
    __table_args__ = (UniqueConstraint("post_id", "user_id", name="uq_post_supervisor"),)
    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    is_referent: bool = Field(default=False)
