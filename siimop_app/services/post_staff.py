"""One post as the staff see it (``/coordonnateur/postes/<id>``): its description, its ranking in the round the
staff follow with the ranking rules' verdict, its candidates and results, and whether the user may change it.

Read-only; the scope check is ``post_access.staff_post`` (unknown and foreign posts get the same answer).
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from siimop_app.domain.round_status import RoundStatus
from siimop_app.db import transaction
from siimop_app.models import (
    POST_TYPE_LABELS,
    Assignment,
    Establishment,
    Post,
    PostSupervisor,
    Region,
    Round,
    Site,
    Specialty,
    SpecialtyOption,
    Student,
    Subdivision,
    User,
    Wave,
)
from siimop_app.services.auth import SignedInUser
from siimop_app.services.post_access import can_manage_post, require_staff, staff_post
from siimop_app.services.post_table import NO_CHANGE, followed_round, full_name, last_changes, paris_text
from siimop_app.services.rankings import post_ranking
from siimop_app.services.results import published_assignment


@dataclasses.dataclass(frozen=True)
class StaffPost:
    """The post's own lines on the detail page; the default (``post_id`` 0) is nothing shown."""

    post_id: int = 0
    post_number: int = 0
    site_name: str = ""
    establishment: str = ""
    address: str = ""  # "80000 Amiens"
    approval_specialty: str = ""
    option: str = ""  # "Pas d'option" when none
    calling_specialty: str = ""
    approval_number: str = ""
    site_number: str = ""
    indication: str = ""
    subdivision: str = ""
    region: str = ""
    post_type: str = ""  # in French
    months: int = 0
    decale: bool = False
    description: str = ""
    rts: str = ""  # the referent supervisor's name, "" if none
    rts_last_login: str = ""  # Paris time, "X" if never
    places: int = 0
    assigned: int = 0
    validated_by_ars: bool = False
    last_change: str = ""


@dataclasses.dataclass(frozen=True)
class RankingSummary:
    """The ranking of the round the staff follow, with the ranking rules' verdict; ``round`` "": no round yet."""

    round: str = ""  # "Tour 1 – Vague 1 …"
    candidates: int = 0
    left_to_rank: int = 0
    retained: int = 0
    refused: int = 0
    places: int = 0
    valid: bool = False
    validity: str = ""  # the verdict, in French
    problems: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class StaffCandidate:
    """A candidate or an assigned student of the post (never the hearts)."""

    student_id: int
    name: str
    ine: str
    rank: str  # "1", "Non retenu(e)", "Non classé(e)" or "-"
    result: str  # "Affecté-e", "Non affecté-e" or "-"
    round: str
    assigned: bool


@dataclasses.dataclass(frozen=True)
class StaffPostView:
    post: StaffPost
    ranking: RankingSummary | None  # None: no round of the post's wave has begun
    candidates: list[StaffCandidate]
    can_manage: bool  # managers and admins of the post's region may change it


def post_detail_for_staff(user: SignedInUser, post_id: int) -> StaffPostView:
    """A post as coordinators and managers see it: description, ranking details with validity, candidates."""
    user = require_staff(user)
    with transaction() as session:
        post = staff_post(session, user, post_id)
        rts = aliased(User)
        site, establishment, city, postal, approval_specialty, option, specialty, subdivision, region = \
            _header_row(session, post)
        supervisors = session.exec(
            select(PostSupervisor.is_referent, rts.first_name, rts.last_name, rts.last_login_at)
            .join(rts, rts.id == PostSupervisor.user_id)
            .where(PostSupervisor.post_id == post.id)
            .order_by(PostSupervisor.is_referent.desc(), rts.id)
        ).all()
        assigned_rows = session.exec(
            select(Assignment.student_id, Assignment.round_id, Round.number, User.first_name, User.last_name,
                   Student.ine)
            .join(Round, Round.id == Assignment.round_id)
            .join(Student, Student.id == Assignment.student_id)
            .join(User, User.id == Student.user_id)
            .where(Assignment.post_id == post.id, published_assignment(session))
            .order_by(Round.number, User.last_name)
        ).all()
        round_id, round_number = followed_round(session, post.wave_id)
        wave_name = session.get(Wave, post.wave_id).name
        ranking_block = None
        candidates: list[StaffCandidate] = []
        if round_id is not None:
            found = post_ranking(session, post, round_id, round_number)
            cards, board, places, check = found.cards, found.board, found.places, found.check()
            round_closed = session.get(Round, round_id).status == RoundStatus.CLOSED.value
            assigned_here = {sid for sid, rid, *_ in assigned_rows if rid == round_id}
            round_label = f"Tour {round_number} – {wave_name}"
            ranks = {sid: rank for rank, sid in enumerate(board.ranked, start=1)}
            refused = set(board.refused)
            for sid, card in sorted(cards.items(), key=lambda item: (ranks.get(item[0], 10**6), item[1].last_name)):
                if sid in ranks:
                    rank_text = str(ranks[sid])
                elif sid in refused:
                    rank_text = "Non retenu(e)"
                else:
                    rank_text = "Non classé(e)"
                if sid in assigned_here:
                    result = "Affecté-e"
                elif round_closed:
                    result = "Non affecté-e"
                else:
                    result = "-"
                candidates.append(StaffCandidate(student_id=sid, name=card.full_name, ine=card.ine, rank=rank_text,
                                                 result=result, round=round_label, assigned=sid in assigned_here))
            valid = check.valid and bool(cards)
            if not cards:
                validity = "Aucune candidature sur ce poste pour ce tour."
            elif check.valid:
                validity = "Le classement du RTS est valide."
            else:
                validity = (f"Le classement du RTS n'est pas valide. Les candidatures du tour {round_number} "
                            "ne seront pas prises en compte pour l'appariement.")
            ranking_block = RankingSummary(
                round=round_label, candidates=len(cards), left_to_rank=len(board.unranked),
                retained=len(board.ranked), refused=len(board.refused), places=places, valid=valid,
                validity=validity, problems=list(check.problems) if cards else [],
            )
        listed = {c.student_id for c in candidates}
        for sid, rid, number, first, last, ine in assigned_rows:
            if sid not in listed or rid != round_id:
                candidates.append(StaffCandidate(student_id=sid, name=full_name(first, last), ine=ine, rank="-",
                                                 result="Affecté-e", round=f"Tour {number} – {wave_name}",
                                                 assigned=True))
        can_manage = can_manage_post(session, user, post.id)
        changes = last_changes(session, [post.id])
    referent = next(((first, last, login) for is_ref, first, last, login in supervisors if is_ref), None) or \
        (supervisors[0][1:] if supervisors else None)
    shown = StaffPost(
        post_id=post.id,
        post_number=post.post_number,
        site_name=site.name,
        establishment=establishment,
        address=" ".join(part for part in (postal, city) if part),
        approval_specialty=approval_specialty,
        option=option or "Pas d'option",
        calling_specialty=specialty,
        approval_number=site.approval_number,
        site_number=site.site_number,
        indication=post.indication,
        subdivision=subdivision,
        region=region,
        post_type=POST_TYPE_LABELS.get(post.post_type, post.post_type),
        months=post.months,
        decale=post.decale,
        description=site.description,
        rts=full_name(referent[0], referent[1]) if referent else "",
        rts_last_login=(paris_text(referent[2]) or "X") if referent else "X",
        places=post.places_opened,
        assigned=len(assigned_rows),
        validated_by_ars=post.validated_by_ars,
        last_change=changes.get(post.id, NO_CHANGE),
    )
    return StaffPostView(post=shown, ranking=ranking_block, candidates=candidates, can_manage=can_manage)


def _header_row(session: Session, post: Post):
    calling = aliased(Specialty)
    return session.exec(
        select(Site, Establishment.name, Establishment.city, Establishment.postal_code, Specialty.label,
               SpecialtyOption.label, calling.label, Subdivision.label, Region.name)
        .join(Establishment, Establishment.id == Site.establishment_id)
        .join(Specialty, Specialty.id == Site.approval_specialty_id)
        .outerjoin(SpecialtyOption, SpecialtyOption.id == Site.option_id)
        .where(Site.id == post.site_id)
        .join(calling, calling.id == post.calling_specialty_id)
        .join(Subdivision, Subdivision.id == post.subdivision_id)
        .join(Region, Region.id == Subdivision.region_id)
    ).one()
