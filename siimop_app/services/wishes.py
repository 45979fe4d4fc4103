"""A student's wishes (0–5 hearts per post) in the round the Mes vœux page shows, and saving them (SPEC §4).

* Saving is only possible while the "wishes" phase is open; it writes the round of that phase. Hearts are
  integers 0–5; a post outside the student's specialty or wave, or a bad value, refuses the whole submission in
  French and writes nothing.
* A row is upserted per post given; a post set to 0 keeps its row at 0 ("never assign me there") if it had one,
  and gets no row otherwise (0 and "not rated" mean the same to the matching).
* Each submission is one transaction with one audit row, which is its receipt (``services.receipts``).

Which round is shown and whether it can change: ``services.wish_window``; the posts to rate:
``services.wish_posts``; the recorded list and its sufficiency: ``services.wish_lists``.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.errors import UserError
from siimop_app.domain.sufficiency import MAX_HEARTS, check_sufficiency
from siimop_app.models import Application, Post, Round, utcnow
from siimop_app.services import calendar
from siimop_app.services.auth import SignedInUser
from siimop_app.services.calendar import PhaseClosedError
from siimop_app.services.candidates import placed_in_wave
from siimop_app.services.posts import assigned_count_subquery
from siimop_app.services.receipts import Receipt, issue_receipt, receipt_entries, receipt_round
from siimop_app.services.student_access import signed_in_student_record
from siimop_app.services.wish_lists import NO_SUFFICIENCY, Sufficiency, hearts_in_round, offered_to
from siimop_app.services.wish_window import wishes_window
from siimop_app.validation import parse_int

__all__ = ["BAD_HEARTS", "NO_SUFFICIENCY", "CounterBasis", "Sufficiency", "WishError", "carried_over_hearts", "counter",
           "counter_with_basis", "current_hearts", "save_wishes", "sufficiency_for"]

NOT_PARTICIPATING = "Vous ne participez pas à cette campagne : vous ne pouvez pas enregistrer de vœux."
NOT_YOUR_POST = "Le poste {ref} ne fait pas partie des postes de votre spécialité dans cette vague."
BAD_HEARTS = "Le nombre de cœurs doit être un nombre entier entre 0 et 5 (poste {ref})."


class WishError(UserError, ValueError):
    """A refused submission; the message is for the student, in French."""


def _valid_hearts(value, ref) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_HEARTS:
        if isinstance(value, str) and value.strip().isdigit() and 0 <= int(value) <= MAX_HEARTS:
            return int(value)
        raise WishError(BAD_HEARTS.format(ref=ref))
    return value


def current_hearts(user: SignedInUser) -> dict[int, int]:
    """The student's saved hearts (post id → hearts) in the round the wishes page shows."""
    window = wishes_window()
    with transaction() as session:
        student = signed_in_student_record(session, user)
        return hearts_in_round(session, student.id, window.round_id)


def carried_over_hearts(user: SignedInUser) -> dict[int, int]:
    """Round 2's pre-filled hearts (issue 15): while a later matched round's wishes are open, for a student not
    placed in the wave who has not saved wishes in that round yet, the hearts they gave in the previous matched
    round on the posts still offered (places left) — post id → hearts; empty otherwise.

    They are proposed as *unsaved changes* by the wishes page, not written at the close: a list enters the
    matching only once its student saves it and gets its receipt, as in round 1.
    """
    window = wishes_window()
    if not window.editable or window.round_id is None or (window.round_number or 1) <= 1:
        return {}
    with transaction() as session:
        student = signed_in_student_record(session, user)
        if not student.participating or placed_in_wave(session, window.wave_id, [student.id]):
            return {}
        if hearts_in_round(session, student.id, window.round_id) or any(
                receipt_round(entry) == window.round_id for entry in receipt_entries(session, student)):
            return {}  # the student already chose their list for this round
        previous = session.exec(
            select(Round.id).where(Round.wave_id == window.wave_id, Round.number < window.round_number,
                                   Round.in_person.is_(False))
            .order_by(Round.number.desc())
        ).first()
        if previous is None:
            return {}
        assigned = assigned_count_subquery(session, published_only=False)  # the offer counts every placement
        rows = session.exec(
            select(Application.post_id, Application.hearts)
            .join(Post, Post.id == Application.post_id)
            .outerjoin(assigned, assigned.c.post_id == Post.id)
            .where(Application.round_id == previous, Application.student_id == student.id, Application.hearts > 0,
                   Post.wave_id == window.wave_id, Post.calling_specialty_id == student.specialty_id,
                   Post.places_opened > sa.func.coalesce(assigned.c.assigned, 0))
        ).all()
    return {post_id: hearts for post_id, hearts in rows}


@dataclasses.dataclass(frozen=True)
class CounterBasis:
    """What the live counter needs besides the hearts, read when Mes vœux loads: the student, the round shown
    and the posts offered to their specialty in their subdivision. A heart click reuses it and reads only the
    saved hearts (issue 13: 2 statements instead of 5). A staff change to the offer shows at the next load or
    filter; the save always recomputes the list's sufficiency from the database (its receipt)."""

    user_id: int
    student_id: int
    round_id: int | None
    offered: int


def counter_with_basis(user: SignedInUser, draft: dict[int, int] | None = None) -> tuple[CounterBasis, Sufficiency]:
    """The live counter of ``user`` with its basis read afresh, in one transaction: what the page's load, filters
    and paging show (and keep for the heart clicks that follow)."""
    window = wishes_window()
    with transaction() as session:
        student = signed_in_student_record(session, user)
        basis = CounterBasis(user.user_id, student.id, window.round_id, offered_to(session, student, window.wave_id))
        return basis, _count(session, basis, draft)


def counter(basis: CounterBasis, draft: dict[int, int] | None = None) -> Sufficiency:
    """The live counter on a basis already read: the saved hearts of the shown round, with ``draft`` (unsaved
    changes) applied."""
    with transaction() as session:
        return _count(session, basis, draft)


def _count(session: Session, basis: CounterBasis, draft: dict[int, int] | None) -> Sufficiency:
    hearts = hearts_in_round(session, basis.student_id, basis.round_id)
    for post_id, value in (draft or {}).items():
        hearts[int(post_id)] = _valid_hearts(value, post_id)
    return check_sufficiency(hearts=list(hearts.values()), posts_offered=basis.offered)


def sufficiency_for(user: SignedInUser, draft: dict[int, int] | None = None) -> Sufficiency:
    """The live counter of ``user``, its basis read afresh."""
    return counter_with_basis(user, draft)[1]


_APPLICATION = Application.__table__
_APPLICATIONS_OF = sa.select(_APPLICATION.c.post_id, _APPLICATION.c.id, _APPLICATION.c.hearts).where(
    _APPLICATION.c.round_id == sa.bindparam("round_id"), _APPLICATION.c.student_id == sa.bindparam("student_id"))
_INSERT_APPLICATION = sa.insert(_APPLICATION)
_UPDATE_HEARTS = (sa.update(_APPLICATION).where(_APPLICATION.c.id == sa.bindparam("application_id"))
                  .values(hearts=sa.bindparam("new_hearts"), updated_at=sa.bindparam("moment")))


def save_wishes(user: SignedInUser, hearts_by_post: dict[int, int]) -> Receipt:
    """Record the student's hearts for the open round; returns the receipt (and mails it)."""
    opened = calendar.require_open("wishes")
    if opened.round_id is None:
        raise PhaseClosedError("Aucun tour n'est associé à la période des vœux : cette action n'est pas possible.")
    round_id = opened.round_id
    cleaned: dict[int, int] = {}
    for raw_post, raw_hearts in (hearts_by_post or {}).items():
        post_id = parse_int(raw_post)
        if post_id is None:
            raise WishError(NOT_YOUR_POST.format(ref=repr(str(raw_post))[:40]))
        cleaned[post_id] = _valid_hearts(raw_hearts, f"{post_id}")
    moment = utcnow().replace(microsecond=0)
    with transaction() as session:
        student = signed_in_student_record(session, user)
        if not student.participating:
            raise WishError(NOT_PARTICIPATING)
        if placed_in_wave(session, opened.wave.wave_id, [student.id]):
            raise WishError("Vous êtes déjà affecté(e) pour cette vague : vous ne pouvez plus formuler de vœux.")
        if cleaned:
            allowed = set(session.exec(
                select(Post.id).where(Post.id.in_(list(cleaned)), Post.wave_id == opened.wave.wave_id,
                                      Post.calling_specialty_id == student.specialty_id)
            ).all())
            for post_id in cleaned:
                if post_id not in allowed:
                    raise WishError(NOT_YOUR_POST.format(ref=f"{post_id}"))
        # Table-level statements, not the ORM's unit of work: a save is a hot path (issue 13), and its rows are not
        # read back as objects. One statement for the rows changed, one for the rows added.
        existing = {post_id: (app_id, hearts) for post_id, app_id, hearts in
                    session.execute(_APPLICATIONS_OF, {"round_id": round_id, "student_id": student.id})}
        before = {post_id: hearts for post_id, (_, hearts) in existing.items()}
        after = dict(before)
        updates, inserts = [], []
        for post_id, value in cleaned.items():
            if post_id not in existing:
                if value == 0:
                    continue
                inserts.append({"round_id": round_id, "student_id": student.id, "post_id": post_id, "hearts": value,
                                "updated_at": moment})
            elif existing[post_id][1] == value:
                continue
            else:
                updates.append({"application_id": existing[post_id][0], "new_hearts": value, "moment": moment})
            after[post_id] = value
        if updates:
            session.execute(_UPDATE_HEARTS, updates)
        if inserts:
            session.execute(_INSERT_APPLICATION, inserts)
        receipt = issue_receipt(session, user=user, student=student, round_id=round_id,
                                round_number=opened.phase.round_number, wave_id=opened.wave.wave_id,
                                before=before, after=after, moment=moment)
    return receipt
