"""Reading posts as their cards show them (seed: "Carte Terrain de stage")."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from siimop_app import routes
from siimop_app.db import transaction
from siimop_app.models import (
    POST_TYPE_LABELS,
    Assignment,
    Establishment,
    Post,
    PostSupervisor,
    Site,
    Specialty,
    SpecialtyOption,
    Subdivision,
    User,
)
from siimop_app.services.results import published_assignment


@dataclasses.dataclass(frozen=True)
class PostCard:
    """The 12 fields of the seed's post card, ready to show, plus its link ("" when the card links nowhere)."""

    post_id: int
    specialty: str
    option: str
    type_and_access: str
    duration: str
    post_number: int
    decale: bool
    site_name: str
    indication: str
    establishment: str
    supervisor: str
    subdivision: str
    places_left: int
    places_opened: int
    places_text: str
    href: str = ""

    def as_dict(self) -> dict:
        # Shallow: every field is a plain value. ``dataclasses.asdict`` deep-copies field by field, and was 15 % of
        # Mes vœux's page load (issue 13).
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


def assigned_count_subquery(session: Session, *, published_only: bool = True):
    """Assignments per post across the wave's rounds: places left = opened − assigned. Shown to people, only the
    published ones count (a round's placements do not show before its results); the offer of a later round
    counts them all (``published_only=False``)."""
    return (
        select(Assignment.post_id, sa.func.count().label("assigned"))
        .where(published_assignment(session) if published_only else sa.true())
        .group_by(Assignment.post_id)
        .subquery()
    )


def _duration(months: int) -> str:
    return "1 an" if months == 12 else f"{months} mois"


def card_of(post: Post, *, site_name: str, specialty: str, option: str | None, establishment: str, subdivision: str,
            supervisor_first: str | None, supervisor_last: str | None, assigned: int, type_and_access: str, href: str = "") -> PostCard:
    """The seed's card of a post from the columns the card queries select (one home for its wording)."""
    places_left = max(post.places_opened - assigned, 0)
    return PostCard(
        post_id=post.id,
        specialty=specialty,
        option=option or "Aucune option",
        type_and_access=type_and_access,
        duration=_duration(post.months),
        post_number=post.post_number,
        decale=post.decale,
        site_name=site_name,
        indication=post.indication,
        establishment=establishment,
        supervisor=f"{supervisor_first or ''} {(supervisor_last or '').upper()}".strip(),
        subdivision=subdivision,
        places_left=places_left,
        places_opened=post.places_opened,
        places_text=f"{places_left} poste(s) restant à attribuer sur les {post.places_opened} poste(s) ouvert(s)",
        href=href,
    )


def supervisor_post_cards(session: Session, *, user_id: int, wave_id: int) -> list[PostCard]:
    """The posts a supervisor is attached to (référent or not) in a wave, in one query."""
    assigned = assigned_count_subquery(session)
    access = aliased(PostSupervisor)
    site_supervisor = aliased(User)
    rows = session.exec(
        select(
            Post,
            access.is_referent,
            Site.name,
            Specialty.label,
            SpecialtyOption.label,
            Establishment.name,
            Subdivision.label,
            site_supervisor.first_name,
            site_supervisor.last_name,
            sa.func.coalesce(assigned.c.assigned, 0),
        )
        .join(access, sa.and_(access.post_id == Post.id, access.user_id == user_id))
        .join(Site, Site.id == Post.site_id)
        .join(Specialty, Specialty.id == Post.calling_specialty_id)
        .join(Establishment, Establishment.id == Site.establishment_id)
        .join(Subdivision, Subdivision.id == Post.subdivision_id)
        .outerjoin(SpecialtyOption, SpecialtyOption.id == Post.option_id)
        .outerjoin(site_supervisor, site_supervisor.id == Site.supervisor_user_id)
        .outerjoin(assigned, assigned.c.post_id == Post.id)
        .where(Post.wave_id == wave_id)
        .order_by(Specialty.label, Site.name, Post.post_number)
    ).all()
    cards = []
    for post, is_referent, site_name, specialty, option, establishment, subdivision, first, last, taken in rows:
        access_text = "Accès référent" if is_referent else "Accès non référent"
        cards.append(card_of(post, site_name=site_name, specialty=specialty, option=option,
                             establishment=establishment, subdivision=subdivision, supervisor_first=first,
                             supervisor_last=last, assigned=taken,
                             type_and_access=f"{POST_TYPE_LABELS[post.post_type]} : {access_text}",
                             href=routes.SUPERVISOR_POST.link(post_id=post.id)))
    return cards


def list_supervisor_posts(*, user_id: int, wave_id: int) -> list[PostCard]:
    with transaction() as session:
        return supervisor_post_cards(session, user_id=user_id, wave_id=wave_id)
