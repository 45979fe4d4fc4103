"""Browsing the posts a student rates (SPEC §4): the posts of **their specialty in the current wave** (any
subdivision), with places left, filtered and paged in SQL, each with the student's saved hearts.

Round 2 offers only the places left: a post every place of which is taken (by any stored placement, as the round
close counts them) is not shown. The student's own subdivision comes first.

``TABLE`` puts the list on the table kit (``services.table_kit``): its filters (selects, the subdivision narrowed by
the region, the checkbox "Seulement mes postes notés"), its paging; its lines are ``WishCard``s; no statistics, no
export. Only a student reads it, and only their specialty's posts (``signed_in_student``).
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.models import (
    POST_TYPE_LABELS,
    Application,
    Establishment,
    Post,
    Region,
    Site,
    Specialty,
    SpecialtyOption,
    Student,
    Subdivision,
    User,
)
from siimop_app.services.auth import SignedInUser
from siimop_app.services.documents import download_path
from siimop_app.services.overview import Choice
from siimop_app.services.posts import PostCard, assigned_count_subquery, card_of
from siimop_app.services.queries import contains
from siimop_app.services.student_access import StudentRecord, signed_in_student_record
from siimop_app.services.table_kit import Filter, Table
from siimop_app.services.wish_window import wishes_window
from siimop_app.validation import parse_int

MAX_PAGE_SIZE = 100
PAGE_SIZE = 20
DECALE_FILTER = {"oui": True, "non": False}


@dataclasses.dataclass(frozen=True)
class WishCard(PostCard):
    """One post as Mes vœux shows it: the seed's card, the student's **saved** hearts (the unsaved ones are the
    page state's), whether it is in the student's subdivision, what its supervisor wrote and its PDF."""

    saved: int = 0
    local: bool = False
    description: str = ""
    file_path: str = ""


FILTERS = (
    Filter("region", "Région", "Toutes", options="regions"),
    Filter("subdivision", "Subdivision", "Toutes", options="subdivisions", narrowed_by="region"),
    Filter("type", "Type de poste", "Tous", choices=(("simple", "Simple"), ("couple", "Couplé"), ("mixte", "Mixte"))),
    Filter("months", "Durée", "Toutes", choices=(("6", "6 mois"), ("12", "1 an"))),
    Filter("decale", "Décalé", "Tous", choices=(("oui", "Décalé"), ("non", "Non décalé"))),
    Filter("rated", "Seulement mes postes notés", kind="check"),
)


def _card_query(session: Session, student: Student | StudentRecord, wave_id: int, round_id: int | None):
    """One query for the cards of the student's specialty in the wave, with places and the student's hearts."""
    # Which posts a round offers depends on every stored placement (as the round close counts them).
    assigned = assigned_count_subquery(session, published_only=False)
    site_supervisor = aliased(User)
    hearts = (
        sa.func.coalesce(Application.hearts, 0)
        if round_id is not None else sa.literal(0)
    )
    query = (
        select(
            Post,
            Site.name,
            Specialty.label,
            SpecialtyOption.label,
            Establishment.name,
            Subdivision.label,
            site_supervisor.first_name,
            site_supervisor.last_name,
            sa.func.coalesce(assigned.c.assigned, 0),
            hearts.label("hearts"),
            Site.description,
            Site.descriptive_document_id,
        )
        .join(Site, Site.id == Post.site_id)
        .join(Specialty, Specialty.id == Post.calling_specialty_id)
        .join(Establishment, Establishment.id == Site.establishment_id)
        .join(Subdivision, Subdivision.id == Post.subdivision_id)
        .outerjoin(SpecialtyOption, SpecialtyOption.id == Post.option_id)
        .outerjoin(site_supervisor, site_supervisor.id == Site.supervisor_user_id)
        .outerjoin(assigned, assigned.c.post_id == Post.id)
        .where(Post.wave_id == wave_id, Post.calling_specialty_id == student.specialty_id,
               # Round 2 offers only the places left.
               Post.places_opened > sa.func.coalesce(assigned.c.assigned, 0))
    )
    if round_id is not None:
        query = query.outerjoin(Application, sa.and_(
            Application.post_id == Post.id, Application.round_id == round_id, Application.student_id == student.id))
    return query, site_supervisor


def _apply_filters(query, filters: dict[str, str], site_supervisor, round_id: int | None):
    region = parse_int(filters["region"])
    if region is not None:
        query = query.where(Subdivision.region_id == region)
    subdivision = parse_int(filters["subdivision"])
    if subdivision is not None:
        query = query.where(Post.subdivision_id == subdivision)
    if filters["type"] in POST_TYPE_LABELS:
        query = query.where(Post.post_type == filters["type"])
    months = parse_int(filters["months"])
    if months in (6, 12):
        query = query.where(Post.months == months)
    decale = DECALE_FILTER.get(filters["decale"])
    if decale is not None:
        query = query.where(Post.decale == decale)
    if filters["rated"]:
        query = query.where(Application.hearts > 0) if round_id is not None else query.where(sa.false())
    text = " ".join(filters["q"].split())
    if text:
        supervisor_name = sa.func.coalesce(site_supervisor.first_name, "") + " " + sa.func.coalesce(
            site_supervisor.last_name, "")
        fields = (Site.name, Establishment.name, Post.indication, supervisor_name, site_supervisor.last_name)
        query = query.where(sa.or_(*(contains(f, text) for f in fields)))
    return query


def browse_posts(user: SignedInUser, *, filters: dict | None = None, offset: int = 0,
                 limit: int = PAGE_SIZE) -> tuple[list[WishCard], int]:
    """One page of the posts of the student's specialty in the current wave, with the student's saved hearts.

    Filters (all optional, cleaned by ``TABLE.clean``): ``region`` / ``subdivision`` (ids), ``type``
    (simple/couple/mixte), ``months`` (6/12), ``decale`` ("oui"/"non"), ``q`` (site, establishment, supervisor,
    indication), ``rated`` (ticked: the posts the student gave hearts). The student's own subdivision comes first.
    Returns (cards, total).
    """
    window = wishes_window()
    offset = max(0, int(offset or 0))
    limit = min(MAX_PAGE_SIZE, max(1, int(limit or PAGE_SIZE)))
    with transaction() as session:
        student = signed_in_student_record(session, user)
        if window.wave_id is None:
            return [], 0
        query, site_supervisor = _card_query(session, student, window.wave_id, window.round_id)
        query = _apply_filters(query, TABLE.clean(filters), site_supervisor, window.round_id)
        # The total rides on every row of the page (a window count): one statement of nine joins, not two (issue
        # 13: planning it is most of its cost). Only a page past the end, which has no row, counts apart.
        rows = session.exec(
            query.add_columns(sa.func.count().over())
            .order_by((Post.subdivision_id != student.subdivision_id), Subdivision.label, Site.name,
                      Post.post_number).offset(offset).limit(limit)
        ).all()
        if rows:
            total = rows[0][-1]
        else:
            total = session.exec(select(sa.func.count()).select_from(query.order_by(None).subquery())).one()
    result = []
    for (post, site_name, specialty, option, establishment, subdivision, first, last, taken, hearts,
         description, document_id, _) in rows:
        card = card_of(post, site_name=site_name, specialty=specialty, option=option, establishment=establishment,
                       subdivision=subdivision, supervisor_first=first, supervisor_last=last, assigned=taken,
                       type_and_access=POST_TYPE_LABELS[post.post_type])
        result.append(WishCard(**card.as_dict(), saved=int(hearts or 0),
                               local=post.subdivision_id == student.subdivision_id,
                               # What the supervisor wrote about the post, and its descriptive PDF (SPEC §2).
                               description=description or "",
                               file_path=download_path(document_id, inline=True) if document_id else ""))
    return result, int(total)


def filter_options(user: SignedInUser) -> dict[str, list[Choice]]:
    """The regions and subdivisions that hold posts of the student's specialty in the wave (for the filters); a
    subdivision's ``group`` is its region."""
    window = wishes_window()
    with transaction() as session:
        student = signed_in_student_record(session, user)
        if window.wave_id is None:
            return {"regions": [], "subdivisions": []}
        rows = session.exec(
            select(Region.id, Region.name, Subdivision.id, Subdivision.label)
            .join(Subdivision, Subdivision.region_id == Region.id)
            .join(Post, Post.subdivision_id == Subdivision.id)
            .where(Post.wave_id == window.wave_id, Post.calling_specialty_id == student.specialty_id)
            .distinct()
        ).all()
    regions = sorted({(rid, name) for rid, name, _, _ in rows}, key=lambda r: r[1])
    subdivisions = sorted({(sid, label, rid) for rid, _, sid, label in rows}, key=lambda s: s[1])
    return {
        "regions": [Choice(str(rid), name) for rid, name in regions],
        "subdivisions": [Choice(str(sid), label, str(rid)) for sid, label, rid in subdivisions],
    }


def _query(user: SignedInUser, *, filters, sort, descending, offset, limit) -> tuple[list[WishCard], int]:
    """The kit's query: one fixed order (the student's subdivision first), whatever the sort."""
    return browse_posts(user, filters=filters, offset=offset, limit=limit)


TABLE = Table(
    name="wishes", file_stem="", noun="postes", unit="poste(s)", search_label="Recherche", columns=(),
    filters=FILTERS, default_sort="", line=WishCard, query=_query, iterate=None, statistics=None,
    options=filter_options, page_size=PAGE_SIZE,
)
