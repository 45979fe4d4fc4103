"""The stored verdict of rankings (``Ranking.is_valid``) kept true when something other than a move changes it.

A ranking's verdict depends on its candidates (who applied, whose list is sufficient, who is local) and on the
post's places. A move re-checks it (``rankings.apply_move``); everything else that changes those inputs while a
round is open — a correction of places, a students or posts file (a student deactivated or moved to another
subdivision, a post added or closed, which changes how many wishes students of that specialty must give) —
calls :func:`refresh_open_verdicts`. The coordinators' tables count and filter on the stored verdict; the round
close re-checks every ranking anyway.

Computed in bulk, a few queries per open round however many rankings it holds: an import of the national files
re-checks every ranking in one pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.domain.ranking_edit import Board
from siimop_app.domain.ranking_rules import Candidate, RankingCheck, check_ranking
from siimop_app.domain.round_status import RoundStatus
from siimop_app.models import Application, Assignment, Post, Ranking, RankingEntry, Round, Student
from siimop_app.services.candidates import eligible

CHUNK = 900  # under SQLite's and PostgreSQL's limits on bound parameters


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def board_check(board: Board, is_local: dict[int, bool], places: int) -> RankingCheck:
    """The ranking rules' verdict on ``board`` whose candidates' locality is ``is_local``."""
    def candidates(ids):
        return [Candidate(sid, is_local[sid]) for sid in ids]

    return check_ranking(places=places, ranked=candidates(board.ranked), unranked=candidates(board.unranked),
                         refused=candidates(board.refused))


def _stored_board(entries: list[RankingEntry], candidates: Iterable[int]) -> Board:
    """The board as the supervisor left it, restricted to today's candidates (as the ranking page shows it)."""
    kept = set(candidates)
    ranked = sorted((e.rank, e.student_id) for e in entries if e.student_id in kept and e.rank is not None)
    refused = tuple(e.student_id for e in entries if e.student_id in kept and e.refused)
    placed = {sid for _, sid in ranked} | set(refused)
    return Board(ranked=tuple(sid for _, sid in ranked),
                 unranked=tuple(sorted(kept - placed)), refused=refused)


def _round_verdicts(session: Session, round_: Round, rankings: list[tuple[Ranking, Post]]) -> list[tuple[int, bool,
                                                                                                        bool]]:
    post_ids = [post.id for _, post in rankings]
    applicants: dict[int, list[tuple[int, int]]] = defaultdict(list)  # post → (student, student's subdivision)
    taken: dict[int, int] = defaultdict(int)
    for chunk in _chunks(post_ids):
        for post_id, student_id, subdivision_id in session.exec(
                select(Application.post_id, Student.id, Student.subdivision_id)
                .join(Student, Student.id == Application.student_id)
                .where(Application.round_id == round_.id, Application.hearts > 0, Student.participating,
                       Application.post_id.in_(chunk))).all():
            applicants[post_id].append((student_id, subdivision_id))
        for post_id, count in session.exec(
                select(Assignment.post_id, sa.func.count()).join(Round, Round.id == Assignment.round_id)
                .where(Round.wave_id == round_.wave_id, Round.number < round_.number, Assignment.post_id.in_(chunk))
                .group_by(Assignment.post_id)).all():
            taken[post_id] = count
    kept = eligible(session, round_.id, sorted({sid for pairs in applicants.values() for sid, _ in pairs}))
    entries: dict[int, list[RankingEntry]] = defaultdict(list)
    for chunk in _chunks([ranking.id for ranking, _ in rankings]):
        for entry in session.exec(select(RankingEntry).where(RankingEntry.ranking_id.in_(chunk))).all():
            entries[entry.ranking_id].append(entry)
    changed = []
    for ranking, post in rankings:
        is_local = {sid: sub == post.subdivision_id for sid, sub in applicants[post.id] if sid in kept}
        places = max(post.places_opened - taken[post.id], 0)
        valid = board_check(_stored_board(entries[ranking.id], is_local), is_local, places).valid
        if ranking.is_valid != valid:
            changed.append((ranking.id, ranking.is_valid, valid))
            ranking.is_valid = valid
            session.add(ranking)
    return changed


def refresh_open_verdicts(session: Session, post_ids: Iterable[int] | None = None) -> list[tuple[int, bool, bool]]:
    """Re-check the stored verdict of the rankings of open rounds (of ``post_ids`` only, when given) and store
    those that changed; returns (ranking id, before, after) for each, for the caller's audit row.

    Reads through ``session``: call it after the change is flushed (and after ``session.expire_all()`` when the
    change was written with Core statements, which the session's objects do not see)."""
    query = (select(Ranking, Post, Round).join(Post, Post.id == Ranking.post_id)
             .join(Round, Round.id == Ranking.round_id).where(Round.status == RoundStatus.OPEN.value).order_by(Ranking.id))
    wanted = None if post_ids is None else sorted(set(post_ids))
    rows = []
    if wanted is None:
        rows = session.exec(query).all()
    else:
        for chunk in _chunks(wanted):
            rows.extend(session.exec(query.where(Ranking.post_id.in_(chunk))).all())
    by_round: dict[int, tuple[Round, list[tuple[Ranking, Post]]]] = {}
    for ranking, post, round_ in rows:
        by_round.setdefault(round_.id, (round_, []))[1].append((ranking, post))
    changed = []
    for round_, rankings in by_round.values():
        changed.extend(_round_verdicts(session, round_, rankings))
    return changed
