"""The record of each applied import: who loaded which file, when, and what it changed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from siimop_app.models._base import utcnow


class ImportBatch(SQLModel, table=True):
    """An applied import. The file itself is kept under the data folder (``storage_key``) for the history page."""

    __tablename__ = "import_batch"
    __table_args__ = (CheckConstraint("kind IN ('students', 'posts', 'staff')", name="ck_import_batch_kind"),)
    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")  # None: the command line
    kind: str = Field(max_length=10)
    wave_id: int | None = Field(default=None, foreign_key="wave.id")
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    size_bytes: int = 0
    storage_key: str = Field(max_length=255)
    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    absent: int = 0
    deactivated: int = 0
