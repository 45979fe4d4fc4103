"""Supervisors' rankings (SPEC §5): reading a post's board and saving each move.

Every move is one transaction: the phase is open, the user is the post's référent,
the student is a candidate, the rank is in range — else nothing changes and a
French message says why. The ranking's validity is recomputed by the pure rules
(``domain.ranking_rules``) and stored with the ranking, so coordinators' tables and
the round close read the same verdict; an audit row records who moved whom.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app import routes
from siimop_app.db import hot, hot_transaction, transaction
from siimop_app.domain.ranking_edit import Board, RankingEditError, apply
from siimop_app.domain.ranking_rules import RankingCheck
from siimop_app.domain.round_status import RoundStatus
from siimop_app.models import (
    POST_TYPE_LABELS,
    Application,
    Assignment,
    Establishment,
    Post,
    PostSupervisor,
    Ranking,
    RankingEntry,
    Round,
    Site,
    Student,
    User,
    UserEmail,
    utcnow,
)
from siimop_app.services import audit, calendar, post_access
from siimop_app.services.access import AccessDenied
from siimop_app.services.auth import SignedInUser
from siimop_app.services.candidates import (
    CANDIDATES_WITH_ENTRIES,
    CandidateCard,
    candidate_of_row,
    ranking_round_in_view,
)
from siimop_app.services.candidates import eligible as eligible_students
from siimop_app.services.documents import DocumentInfo, documents_of_student
from siimop_app.services.posts import supervisor_post_cards
from siimop_app.services.ranking_verdicts import board_check

log = logging.getLogger(__name__)

__all__ = ["AccessDenied", "RankingEditError", "RankingView", "apply_move", "ranking_board", "ranking_posts"]


@dataclasses.dataclass(frozen=True)
class RankingView:
    post_id: int
    round_id: int | None
    round_number: int | None
    title: str
    access_label: str
    other_supervisors: tuple[str, ...]
    places: int
    editable: bool
    notice: str  # why the board is read-only or empty, in French ("" when editable)
    cards: dict[int, CandidateCard]
    board: Board
    check: RankingCheck


# The statements of a ranking move, built once with bind parameters: a move runs each of them on every event
# (issue 13), and building and keying a statement cost more Python than running it. Marked ``hot``: on PostgreSQL
# a move and a board's opening (``hot_transaction``) run them on the driver's cursor, compiled once (db.py).
_RANKING = Ranking.__table__
_ENTRY = RankingEntry.__table__
_ROUND = Round.__table__
_POST_TABLE = Post.__table__
_ASSIGNMENT = Assignment.__table__
_EARLIER_ROUND = _ROUND.alias("earlier_round")
_PLACES_TAKEN_BEFORE = (
    sa.select(sa.func.count()).select_from(_ASSIGNMENT)
    .join(_EARLIER_ROUND, _EARLIER_ROUND.c.id == _ASSIGNMENT.c.round_id)
    .where(_ASSIGNMENT.c.post_id == sa.bindparam("post_id"), _EARLIER_ROUND.c.number < sa.bindparam("round_number"))
)
# A board's round: its status and the places its post's earlier rounds filled, one statement. A move shares the
# lock of the round's row alone (not of the counted assignments).
_ROUND_STATUS_AND_TAKEN = hot(sa.select(_ROUND.c.status, _PLACES_TAKEN_BEFORE.scalar_subquery()).where(
    _ROUND.c.id == sa.bindparam("round_id")))
_ROUND_STATUS_AND_TAKEN_SHARED = hot(_ROUND_STATUS_AND_TAKEN.with_for_update(read=True, of=_ROUND))
_RANKING_ID = hot(sa.select(_RANKING.c.id).where(_RANKING.c.round_id == sa.bindparam("round_id"),
                                                 _RANKING.c.post_id == sa.bindparam("post_id")))
_RANKING_ID_LOCKED = hot(_RANKING_ID.with_for_update())
_UPDATE_ENTRY = hot(sa.update(_ENTRY).where(_ENTRY.c.id == sa.bindparam("entry_id"))
                    .values(rank=sa.bindparam("rank"), refused=sa.bindparam("refused")))
_INSERT_ENTRY = hot(sa.insert(_ENTRY).inline())  # the parameters name the columns; no id read back


def places_for_round(session: Session, post: Post | sa.Row, round_number: int | None) -> int:
    """Places offered in this round: those opened minus those filled in earlier rounds."""
    if round_number is None:
        return post.places_opened
    taken = session.execute(_PLACES_TAKEN_BEFORE, {"post_id": post.id, "round_number": round_number}).scalar_one()
    return _places_left(post.places_opened, taken)


def _places_left(opened: int, taken: int) -> int:
    return max(opened - taken, 0)


# The board's header in one statement built once: the post's site and establishment on each row of its
# supervisors (the référent first). It was two ORM queries loading whole rows, a quarter of a board's opening, and
# every tab opens its board again after a fault (issue 13).
_SITE, _ESTABLISHMENT, _SUPERVISOR = Site.__table__, Establishment.__table__, PostSupervisor.__table__
_USER_TABLE, _EMAIL = User.__table__, UserEmail.__table__
_HEADER = hot(
    sa.select(_SITE.c.name, _ESTABLISHMENT.c.name, _SUPERVISOR.c.is_referent, _USER_TABLE.c.id,
              _USER_TABLE.c.first_name, _USER_TABLE.c.last_name, _EMAIL.c.email)
    .select_from(_SUPERVISOR)
    .join(_POST_TABLE, _POST_TABLE.c.id == _SUPERVISOR.c.post_id)
    .join(_SITE, _SITE.c.id == _POST_TABLE.c.site_id)
    .join(_ESTABLISHMENT, _ESTABLISHMENT.c.id == _SITE.c.establishment_id)
    .join(_USER_TABLE, _USER_TABLE.c.id == _SUPERVISOR.c.user_id)
    .outerjoin(_EMAIL, sa.and_(_EMAIL.c.user_id == _USER_TABLE.c.id, _EMAIL.c.kind == "main"))
    .where(_SUPERVISOR.c.post_id == sa.bindparam("post_id"))
    .order_by(_SUPERVISOR.c.is_referent.desc(), _USER_TABLE.c.id)
)


def _header(session: Session, post: Post | sa.Row, user: SignedInUser, is_referent: bool) -> tuple[str, str, tuple[str, ...]]:
    rows = session.execute(_HEADER, {"post_id": post.id}).all()  # the reader supervises it: never empty
    site_name, establishment = rows[0][:2] if rows else ("", "")
    referent = next((row for row in rows if row.is_referent), None)
    name = f"{referent.first_name} {referent.last_name}".upper() if referent else ""
    title = " - ".join(part for part in (name, establishment, site_name) if part)
    kind = POST_TYPE_LABELS[post.post_type].lower()
    access = "Accès référent" if is_referent else "Accès non référent"
    others = tuple(
        f"{row.first_name} {row.last_name.upper()} {row.email or ''}".strip()
        for row in rows
        if row.id != user.user_id and post.post_type != "simple"
    )
    return title, f"Poste {kind} : {access}", others


class _Entry(NamedTuple):
    id: int
    rank: int | None
    refused: bool


def _candidates_and_entries(session: Session, post: Post | sa.Row, round_id: int,
                            ranking_id: int | None) -> tuple[dict[int, CandidateCard], dict[int, _Entry]]:
    """The post's candidates by student and their entries in the ranking (if it exists yet): one statement."""
    cards: dict[int, CandidateCard] = {}
    entries: dict[int, _Entry] = {}
    rows = session.execute(CANDIDATES_WITH_ENTRIES, {"round_id": round_id, "post_id": post.id, "wave_id": post.wave_id,
                                                     "ranking_id": ranking_id}).all()  # one fetch, not one per row
    for row in rows:
        card = candidate_of_row(row, post)
        if card is None:
            continue
        cards[card.student_id] = card
        entry_id, rank, refused = row[-3:]
        if entry_id is not None:
            entries[card.student_id] = _Entry(entry_id, rank, refused)
    return cards, entries


def _board(cards: dict[int, CandidateCard], entries: dict[int, sa.Row]) -> Board:
    ranked = sorted((e.rank, sid) for sid, e in entries.items() if sid in cards and e.rank is not None)
    refused = [sid for sid in cards if sid in entries and entries[sid].refused]
    placed = {sid for _, sid in ranked} | set(refused)
    return Board(
        ranked=tuple(sid for _, sid in ranked),
        unranked=tuple(sid for sid in cards if sid not in placed),
        refused=tuple(refused),
    )


def check_board(board: Board, cards: dict[int, CandidateCard], places: int) -> RankingCheck:
    """The ranking rules' verdict on a board of these candidates for ``places`` places."""
    return board_check(board, {sid: card.is_local for sid, card in cards.items()}, places)


@dataclasses.dataclass(frozen=True)
class PostRanking:
    """A post's ranking in a round as the rules see it: its candidates, the supervisor's board, the places."""

    cards: dict[int, CandidateCard]
    ranking: Ranking | None
    board: Board
    places: int

    def check(self, places: int | None = None) -> RankingCheck:
        """The verdict with the post's places, or with ``places`` (what a change of places would make of it)."""
        return check_board(self.board, self.cards, self.places if places is None else places)


def post_ranking(session: Session, post: Post, round_id: int, round_number: int | None) -> PostRanking:
    """The ranking of ``post`` in the round (read, never written): for the staff's views of a post."""
    ranking = session.exec(select(Ranking).where(Ranking.round_id == round_id, Ranking.post_id == post.id)).first()
    cards, entries = _candidates_and_entries(session, post, round_id, ranking.id if ranking else None)
    board = _board(cards, entries)
    return PostRanking(cards, ranking, board, places_for_round(session, post, round_number))


_READ_CALENDAR = object()
_NO_HEADER = ("", "", ())


def _load(session: Session, user: SignedInUser, post_id: int, *, for_update: bool, wave=_READ_CALENDAR,
          referent: bool = False, header: bool = True) -> tuple[RankingView, int | None, dict[int, _Entry]]:
    """The post's board as ``user`` may see it (AccessDenied unless they supervise it, as référent when
    ``referent``), its ranking's id (None before the first move) and its entries.

    ``wave``: the current wave when the caller has just read it (a move, after ``require_open``): the calendar
    is read once per event, not twice (issue 13: it was a third of a move's queries). ``header``: False for a
    move, which changes neither the title nor the other supervisors (the page keeps those of its load).
    ``for_update``: the ranking row is locked, and the round's row shared-locked, so that a round close waits for
    a move in flight (its snapshot then sees the move) and a move after the close's claim sees the round closing.
    """
    post = post_access.supervised_board_post(session, user, post_id, referent=referent)
    is_referent = post.is_referent
    if wave is _READ_CALENDAR:
        wave = calendar.current_wave()
    if wave is not None and post.wave_id != wave.wave_id:
        wave = None
    round_id, round_number, phase_open, notice = ranking_round_in_view(wave)
    places = post.places_opened
    ranking_id = None
    cards: dict[int, CandidateCard] = {}
    entries: dict[int, _Entry] = {}
    if round_id is not None:
        status, taken = session.execute(_ROUND_STATUS_AND_TAKEN_SHARED if for_update else _ROUND_STATUS_AND_TAKEN,
                                        {"round_id": round_id, "post_id": post.id, "round_number": round_number}).one()
        places = _places_left(post.places_opened, taken)
        if status != RoundStatus.OPEN.value:
            # Once the round is closed (or closing) its rankings are part of the stored matching: frozen.
            phase_open = False
            notice = notice or "Ce tour est clôturé : le classement ne peut plus être modifié."
        ranking_id = session.execute(_RANKING_ID_LOCKED if for_update else _RANKING_ID,
                                     {"round_id": round_id, "post_id": post.id}).scalar_one_or_none()
        cards, entries = _candidates_and_entries(session, post, round_id, ranking_id)
    title, access_label, others = _header(session, post, user, is_referent) if header else _NO_HEADER
    board = _board(cards, entries)
    if not is_referent and not notice:
        notice = "Vous n'êtes pas le responsable référent de ce poste : vous voyez le classement sans pouvoir le modifier."
    view = RankingView(
        post_id=post.id,
        round_id=round_id,
        round_number=round_number,
        title=title,
        access_label=access_label,
        other_supervisors=others,
        places=places,
        editable=phase_open and is_referent,
        notice=notice,
        cards=cards,
        board=board,
        check=check_board(board, cards, places),
    )
    return view, ranking_id, entries


def ranking_board(user: SignedInUser, post_id: int) -> RankingView:
    """The post's ranking as its supervisor sees it (read-only unless référent during the ranking phase)."""
    with hot_transaction() as session:
        view, _, _ = _load(session, user, post_id, for_update=False)
        return view


_UPDATE_RANKING = hot(sa.update(_RANKING).where(_RANKING.c.id == sa.bindparam("ranking_id"))
                   .values({column: sa.bindparam(column) for column in
                            ("is_valid", "problems", "updated_at", "updated_by_user_id")}))


def apply_move(user: SignedInUser, post_id: int, action: str, student_id: int, position: int | None = None) -> RankingView:
    """Apply one move and save it; raises AccessDenied, PhaseClosedError or RankingEditError (French) otherwise.

    The view returned carries no header (title, access, other supervisors): a move does not change them."""
    with hot_transaction() as session:
        opened = calendar.require_open("ranking")
        view, ranking_id, entries = _load(session, user, post_id, for_update=True, wave=opened.wave, referent=True,
                                       header=False)
        if not view.editable or view.round_id is None:
            raise RankingEditError(view.notice or "Le classement ne peut pas être modifié.")
        board = apply(view.board, action, student_id, position)
        if board == view.board:
            return view
        check = check_board(board, view.cards, view.places)
        verdict = {"is_valid": check.valid, "problems": "\n".join(check.problems), "updated_at": utcnow(),
                   "updated_by_user_id": user.user_id}
        # Table-level statements, not the ORM's unit of work: a move is a hot path (issue 13), and the rows
        # written here are not read back as objects in this transaction.
        if ranking_id is None:
            ranking_id = session.execute(
                sa.insert(_RANKING).values(round_id=view.round_id, post_id=post_id, **verdict).returning(_RANKING.c.id)
            ).scalar_one()
        else:
            session.execute(_UPDATE_RANKING, {"ranking_id": ranking_id, **verdict})
        updates, inserts = [], []
        for sid in view.cards:
            after = board.state_of(sid)
            if after == view.board.state_of(sid):
                continue  # an unranked candidate simply has no entry
            rank, refused = after
            if sid in entries:
                updates.append({"entry_id": entries[sid].id, "rank": rank, "refused": refused})
            else:
                inserts.append({"ranking_id": ranking_id, "student_id": sid, "rank": rank, "refused": refused})
        # Bulk statements: moving a candidate to the top renumbers the whole list in one round trip.
        if updates:
            session.execute(_UPDATE_ENTRY, updates)
        if inserts:
            session.execute(_INSERT_ENTRY, inserts)
        rank_before, refused_before = view.board.state_of(student_id)
        rank_after, refused_after = board.state_of(student_id)
        audit.record(
            session,
            actor_user_id=user.user_id,
            action=f"ranking.{action}",
            entity="ranking",
            entity_id=ranking_id,
            before={"student_id": student_id, "rank": rank_before, "refused": refused_before},
            after={"student_id": student_id, "rank": rank_after, "refused": refused_after, "valid": check.valid},
        )
        return dataclasses.replace(view, board=board, check=check)


@dataclasses.dataclass(frozen=True)
class RankingPostLine:
    """One post of "Classement des candidatures" as its row shows it: the post, its link to the board, how many
    candidates it has and where its ranking stands."""

    post_id: int
    specialty: str
    site_name: str
    establishment: str
    supervisor: str
    subdivision: str
    decale: bool
    places_text: str
    href: str
    candidates: int
    ranking_status: str
    ranking_valid: bool


def ranking_posts(user: SignedInUser, wave_id: int) -> list[RankingPostLine]:
    """"Classement des candidatures": the supervisor's posts with their status, candidates and validity."""
    now = calendar.now()
    with transaction() as session:
        cards = supervisor_post_cards(session, user_id=user.user_id, wave_id=wave_id)
        wave = calendar.current_wave(now)
        round_id, *_ = ranking_round_in_view(wave if wave and wave.wave_id == wave_id else None)
        post_ids = [card.post_id for card in cards]
        counts: dict[int, int] = {}
        validity: dict[int, bool] = {}
        if round_id is not None and post_ids:
            pairs = session.exec(
                select(Application.post_id, Application.student_id)
                .where(Application.round_id == round_id, Application.post_id.in_(post_ids), Application.hearts > 0)
            ).all()
            eligible = eligible_students(session, round_id, list({sid for _, sid in pairs}))
            for pid, sid in pairs:
                counts[pid] = counts.get(pid, 0) + (sid in eligible)
            validity = dict(session.exec(
                select(Ranking.post_id, Ranking.is_valid)
                .where(Ranking.round_id == round_id, Ranking.post_id.in_(post_ids))
            ).all())
    rows = []
    for card in cards:
        if not counts.get(card.post_id):
            status = "Aucune candidature"
        elif card.post_id in validity:
            status = "Classement valide" if validity[card.post_id] else "Classement non valide"
        else:
            status = "Classement non commencé"
        rows.append(RankingPostLine(
            post_id=card.post_id, specialty=card.specialty, site_name=card.site_name,
            establishment=card.establishment, supervisor=card.supervisor, subdivision=card.subdivision,
            decale=card.decale, places_text=card.places_text, href=routes.RANKING_BOARD.link(post_id=card.post_id),
            candidates=counts.get(card.post_id, 0), ranking_status=status,
            ranking_valid=validity.get(card.post_id, False),
        ))
    return rows


@dataclasses.dataclass(frozen=True)
class CandidateFile:
    """The "Dossier candidature": always fully shaped (the default is no file), so the dialog never reads a missing
    field."""

    student_id: int = 0
    full_name: str = ""
    presentation: str = ""
    documents: list[DocumentInfo] = dataclasses.field(default_factory=list)


def candidate_file(user: SignedInUser, post_id: int, student_id: int) -> CandidateFile:
    """The "Dossier candidature" of one of the post's candidates: presentation text and documents."""
    with transaction() as session:
        view, _, _ = _load(session, user, post_id, for_update=False, header=False)
        card = view.cards.get(student_id)
        if card is None:
            raise AccessDenied("Cet étudiant ne fait pas partie des candidatures de ce poste.")
        student = session.get(Student, student_id)
        return CandidateFile(student_id=student_id, full_name=card.full_name, presentation=student.presentation or "",
                             documents=documents_of_student(session, student_id))
