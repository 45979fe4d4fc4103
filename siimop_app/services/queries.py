"""SQL pieces every table service shares: a LIKE-safe text search, a person's main address, NULLs-last sorting.

They build SQLAlchemy expressions (no Reflex; only ``main_email`` reads, in the caller's session), so each table
keeps its own joins and says which columns its text filter searches.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.models import User, UserEmail


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, text: str) -> sa.ColumnElement[bool]:
    """Case-insensitive "``column`` contains ``text``", wildcards in ``text`` taken literally."""
    return sa.func.lower(column).like(f"%{escape_like(text.lower())}%", escape="\\")


def main_email_of(user_id, correlate=User):
    """The main address of the person whose id is ``user_id`` (a column of ``correlate``), as a scalar subquery."""
    return (
        select(sa.func.min(UserEmail.email))
        .where(UserEmail.user_id == user_id, UserEmail.kind == "main")
        .correlate(correlate)
        .scalar_subquery()
    )


def main_email(session: Session, user_id: int) -> str:
    """Where a person's mail goes: their main address, else their first one ("" if they have none)."""
    return session.exec(
        select(UserEmail.email).where(UserEmail.user_id == user_id).order_by((UserEmail.kind != "main"), UserEmail.id)
    ).first() or ""


def main_email_contains(user_id, text: str, correlate=User) -> sa.ColumnElement[bool]:
    """Whether the main address of ``user_id`` contains ``text`` (an EXISTS, so it never multiplies rows)."""
    return (
        select(UserEmail.id)
        .where(UserEmail.user_id == user_id, UserEmail.kind == "main", contains(UserEmail.email, text))
        .correlate(correlate)
        .exists()
    )


def person_matches(word: str) -> sa.ColumnElement[bool]:
    """A ``User`` whose last name, first name or main address contains ``word``."""
    return sa.or_(contains(User.last_name, word), contains(User.first_name, word),
                  main_email_contains(User.id, word))


def ordered(primary, descending: bool, *then) -> list:
    """ORDER BY ``primary`` (NULLs last in both directions, the same on SQLite and PostgreSQL), then ``then``."""
    return [sa.case((primary.is_(None), 1), else_=0), primary.desc() if descending else primary.asc(), *then]


def clamp(offset: int, limit: int, *, most: int = 500) -> tuple[int, int]:
    """A page request as sane numbers: offset ≥ 0, 1 ≤ limit ≤ ``most``."""
    return max(0, int(offset)), max(1, min(int(limit), most))
