"""Fill rates of the staff user's scope (SPEC §7 charts): places assigned / places opened, by specialty and by
subdivision, for the posts of the current wave (the posts table's wave), one grouped query each.

The posts are those of ``supervisor_table.post_conditions``: the scope (``scope.post_condition``), the wave,
then the region/subdivision/specialty filters, which can only narrow. A post's assignments are counted over
every round of its wave (posts belong to one wave).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.models import Assignment, Post, Specialty, Subdivision
from siimop_app.services.auth import SignedInUser
from siimop_app.services.post_table import staff_wave_id
from siimop_app.services.results import published_assignment
from siimop_app.services.scope import staff_scope
from siimop_app.services.supervisor_table import TABLE, post_conditions


@dataclasses.dataclass(frozen=True)
class FillRate:
    """One bar of a fill-rate chart and its line in the table below it."""

    label: str  # the specialty or the subdivision
    opened: int  # places opened
    assigned: int  # places assigned
    posts: int
    rate: int  # whole percent (the bar's length)
    text: str  # "12/40 (30%)"


@dataclasses.dataclass(frozen=True)
class FillRates:
    specialties: list[FillRate]
    subdivisions: list[FillRate]


def _rate(assigned: int, opened: int) -> int:
    """Whole percent, truncated like ``overview.percent`` (99.9 % never reads 100 %)."""
    return 100 * assigned // opened if opened else 0


def _grouped(session: Session, where: list, label) -> list[FillRate]:
    assigned = (
        select(Assignment.post_id, sa.func.count().label("assigned")).where(published_assignment(session))
        .group_by(Assignment.post_id).subquery()
    )
    rows = session.exec(
        select(label, sa.func.coalesce(sa.func.sum(Post.places_opened), 0),
               sa.func.coalesce(sa.func.sum(sa.func.coalesce(assigned.c.assigned, 0)), 0),
               sa.func.count(Post.id))
        .select_from(Post)
        .join(Subdivision, Subdivision.id == Post.subdivision_id)
        .join(Specialty, Specialty.id == Post.calling_specialty_id)
        .outerjoin(assigned, assigned.c.post_id == Post.id)
        .where(*where)
        .group_by(label)
        .order_by(label)
    ).all()
    return [
        FillRate(label=name, opened=int(opened), assigned=int(taken), posts=int(posts),
                 rate=_rate(int(taken), int(opened)), text=f"{int(taken)}/{int(opened)} ({_rate(int(taken), int(opened))}%)")
        for name, opened, taken, posts in rows
    ]


def fill_rates(user: SignedInUser, filters: Mapping[str, object] | None = None) -> FillRates:
    """By specialty and by subdivision: per label, places opened, assigned, posts and the rate (%)."""
    clean = TABLE.clean(filters)
    with transaction() as session:
        where = post_conditions(staff_scope(session, user), clean, staff_wave_id(session))
        return FillRates(specialties=_grouped(session, where, Specialty.label),
                         subdivisions=_grouped(session, where, Subdivision.label))
