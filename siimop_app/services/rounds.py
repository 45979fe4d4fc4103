"""Closing a matched round (SPEC §6): snapshot → matching → check → one write.

Closing a round is the one moment the platform writes results. It is built so that it
happens exactly once and either completely or not at all:

1. **Claim** — a conditional ``UPDATE … SET status='closing' WHERE status='open'``,
   committed in its own short transaction: a concurrent close (another manager, a
   second click, the CLI) finds nothing to claim and gets a French ``RoundError``.
   An already closed round returns its stored report and changes nothing.
2. **Snapshot** (:func:`build_instance`) — the round as a matching instance: the
   participating students with a sufficient list (``candidates.sufficient_students``,
   the rule's one home) not yet placed in the wave, their wishes with one heart or
   more, every post of the wave with its places left, and each post's ranking *only if
   it is valid*: validity is re-checked here with ``domain.ranking_rules`` from the
   stored entries and the candidates, never trusted from ``Ranking.is_valid``. An
   invalid or missing ranking gives an empty ranking (SPEC §5: that post's candidates
   are not considered in the round). A few grouped queries, none per student or post.
3. **Match** (``matching.solve``) and **check** (``matching.check``): nothing is written
   unless the certificate is OK.
4. **Write** — one transaction: every ``Assignment`` (bulk ``executemany``), the round's
   instance/result JSON, certificate, ``status='closed'``, ``closed_at``/``closed_by``,
   one audit row. The final transition is again conditional (``WHERE status='closing'``).

Any failure after the claim puts the round back to ``open`` (the write transaction
rolled back: no assignment, no JSON). If the process dies between the claim and the
release, the round stays ``closing``: ``python -m siimop_app.rounds_cli release``
gives it back (see that module).

The tie-break seed of a round is its database id (documented, reproducible): the same
round snapshot always gives the same bytes of result.

Round 3's in-person placements are recorded by hand (``services.in_person``); a student reads their results
through ``services.student_results``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app import matching
from siimop_app.db import transaction
from siimop_app.domain.calendar import DatedPhase, closes_at, day_text
from siimop_app.domain.errors import UserError
from siimop_app.domain.ranking_rules import Candidate, check_ranking
from siimop_app.models import (
    Application,
    Assignment,
    Phase,
    PhaseKind,
    Post,
    Ranking,
    RankingEntry,
    RoleGrant,
    Round,
    RoundStatus,
    Student,
    utcnow,
)
from siimop_app.models.people import MANAGER_ROLES
from siimop_app.services import audit, calendar
from siimop_app.services.candidates import sufficient_students
from siimop_app.settings import get_settings

log = logging.getLogger(__name__)

__all__ = [
    "CLOSE_ROLES",
    "CloseReport",
    "RoundError",
    "build_instance",
    "check_stored",
    "close_round",
    "release_claim",
    "require_closable",
    "solve_snapshot",
]

Progress = Callable[[str, float], None]

STEP_SNAPSHOT = "Photographie du tour (vœux, classements, places restantes)"
STEP_MATCH = "Appariement"
STEP_CHECK = "Vérification du résultat"
STEP_WRITE = "Écriture des affectations"
STEP_DONE = "Tour clôturé"

CLOSE_ROLES = MANAGER_ROLES


class RoundError(UserError):
    """A refused round action; the message is for the user, in French."""


@dataclasses.dataclass(frozen=True)
class CloseReport:
    """What a close did (or, for an already closed round, what it had done)."""

    round_id: int
    round_number: int
    wave_id: int
    already_closed: bool  # True: nothing was done now, the stored outcome is reported
    students: int  # students in the matching (sufficient list, not placed earlier)
    students_placed: int
    places_offered: int  # places left at the start of the round
    excluded_insufficient: int  # participating students whose list was insufficient
    rankings_valid: int
    rankings_ignored: int  # invalid rankings (their candidates not considered)
    certificate: str
    certificate_ok: bool
    closed_at: dt.datetime | None
    closed_by_user_id: int | None
    timings: dict[str, float]  # seconds per step: snapshot, match, check, write, total (empty if already closed)

    @property
    def places_filled(self) -> int:
        return self.students_placed

    def summary(self) -> str:
        """One French line for a manager or an operator."""
        pct = f" ({100 * self.students_placed / self.students:.0f} %)" if self.students else ""
        return (f"Tour {self.round_number} clôturé : {self.students_placed}/{self.students} étudiants affectés{pct}, "
                f"{self.students_placed}/{self.places_offered} places pourvues.")


# ----------------------------------------------------------------------------- snapshot

def _taken_by_other_rounds(session: Session, round_: Round) -> list[tuple[int, int]]:
    """(student id, post id) of the wave's assignments made in the other rounds."""
    return session.exec(
        select(Assignment.student_id, Assignment.post_id)
        .join(Round, Round.id == Assignment.round_id)
        .where(Round.wave_id == round_.wave_id, Round.id != round_.id)
    ).all()


def build_instance(session: Session, round_id: int, read: dict[str, Any] | None = None) -> dict[str, Any]:
    """The round as a matching instance (``siimop_app.matching`` JSON format), ids as strings.

    ``read``, when given, receives what was read beside the instance so that a caller need not read it again
    (the dry run): ``wishes`` (the rows student, post, hearts, subdivision, specialty of participating students)
    and ``entries`` (post id -> student id -> (rank, refused) of every ranking of the round).

    Extra informative fields (ignored by the engine): top-level ``round`` and ``snapshot``
    (counts of excluded students and ignored rankings), per student ``subdivision_id``, per post
    ``places_opened``, ``subdivision_id`` and ``ranking_status`` (``valid`` / ``invalid`` /
    ``missing`` / ``no_candidates``) with the failing rules of an invalid ranking.
    """
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise RoundError("Ce tour n'existe pas.")
    taken = _taken_by_other_rounds(session, round_)
    placed_before = {sid for sid, _ in taken}
    filled: dict[int, int] = defaultdict(int)
    for _, pid in taken:
        filled[pid] += 1

    posts = session.exec(
        select(Post.id, Post.places_opened, Post.subdivision_id).where(Post.wave_id == round_.wave_id).order_by(Post.id)
    ).all()
    post_sub = {pid: sub for pid, _, sub in posts}
    places_left = {pid: max(opened - filled.get(pid, 0), 0) for pid, opened, _ in posts}

    # Wishes with one heart or more of participating students; the sufficient ones make the candidates.
    wishes = session.exec(
        select(Application.student_id, Application.post_id, Application.hearts, Student.subdivision_id,
               Student.specialty_id)
        .join(Student, Student.id == Application.student_id)
        .where(Application.round_id == round_id, Application.hearts > 0, Student.participating)
        .order_by(Application.student_id, Application.post_id)
    ).all()
    sufficient = sufficient_students(session, round_id)
    student_sub: dict[int, int] = {}
    student_wishes: dict[int, dict[str, int]] = defaultdict(dict)
    candidates: dict[int, list[int]] = defaultdict(list)  # post id -> candidate student ids
    insufficient: set[int] = set()
    skipped_placed: set[int] = set()
    for sid, pid, hearts, sub, _spec in wishes:
        if sid not in sufficient:
            insufficient.add(sid)
            continue
        if pid not in post_sub:
            continue  # a wish on a post of another wave: not offered in this round
        if sid in placed_before:
            skipped_placed.add(sid)
            continue  # placed in an earlier round: no longer a candidate anywhere (as on the ranking page)
        student_sub[sid] = sub
        candidates[pid].append(sid)
        student_wishes[sid][str(pid)] = hearts

    # Rankings: entries of every ranking of the round, re-checked against the candidates.
    entry_rows = session.exec(
        select(Ranking.post_id, RankingEntry.student_id, RankingEntry.rank, RankingEntry.refused)
        .join(RankingEntry, RankingEntry.ranking_id == Ranking.id)
        .where(Ranking.round_id == round_id)
    ).all()
    ranked_posts = set(session.exec(select(Ranking.post_id).where(Ranking.round_id == round_id)).all())
    entries: dict[int, dict[int, tuple[int | None, bool]]] = defaultdict(dict)
    for pid, sid, rank, refused in entry_rows:
        entries[pid][sid] = (rank, refused)

    if read is not None:
        read.update(wishes=wishes, entries=entries)
    in_instance = set(student_wishes)
    post_items = []
    counts = {"valid": 0, "invalid": 0, "missing": 0, "no_candidates": 0}
    for pid, opened, sub in posts:
        cands = candidates.get(pid, [])
        item: dict[str, Any] = {"id": str(pid), "places": places_left[pid], "places_opened": opened,
                                "subdivision_id": sub, "ranking": []}
        if not cands:
            status = "no_candidates"
        elif pid not in ranked_posts:
            status = "missing"
        else:
            ranking_entries = entries.get(pid, {})
            local = {sid: student_sub[sid] == sub for sid in cands}
            ranked = sorted((ranking_entries[sid][0], sid) for sid in cands
                            if sid in ranking_entries and ranking_entries[sid][0] is not None)
            refused = [sid for sid in cands if sid in ranking_entries and ranking_entries[sid][1]]
            placed = {sid for _, sid in ranked} | set(refused)
            verdict = check_ranking(
                places=places_left[pid],
                ranked=[Candidate(sid, local[sid]) for _, sid in ranked],
                unranked=[Candidate(sid, local[sid]) for sid in cands if sid not in placed],
                refused=[Candidate(sid, local[sid]) for sid in refused],
            )
            if verdict.valid:
                status = "valid"
                item["ranking"] = [str(sid) for _, sid in ranked if sid in in_instance]
            else:
                status = "invalid"
                item["ranking_problems"] = list(verdict.problems)
        counts[status] += 1
        item["ranking_status"] = status
        post_items.append(item)

    students = [
        {"id": str(sid), "subdivision_id": student_sub[sid], "wishes": student_wishes[sid]}
        for sid in sorted(student_wishes)
    ]
    return {
        "tie_break_seed": round_.id,
        "round": {"id": round_.id, "number": round_.number, "wave_id": round_.wave_id},
        "snapshot": {
            "excluded_insufficient_lists": len(insufficient),
            "excluded_placed_earlier": len(skipped_placed),
            "rankings": counts,
        },
        "students": students,
        "posts": post_items,
    }


# ----------------------------------------------------------------------------- closing

def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _report_from_stored(round_: Round) -> CloseReport:
    instance = json.loads(round_.instance_json or "{}")
    result = json.loads(round_.result_json or "{}")
    stats = result.get("stats", {})
    snapshot = instance.get("snapshot", {})
    rankings = snapshot.get("rankings", {})
    certificate = round_.certificate or ""
    return CloseReport(
        round_id=round_.id,
        round_number=round_.number,
        wave_id=round_.wave_id,
        already_closed=True,
        students=stats.get("students", 0),
        students_placed=len(result.get("assignments", {})),
        places_offered=stats.get("places", 0),
        excluded_insufficient=snapshot.get("excluded_insufficient_lists", 0),
        rankings_valid=rankings.get("valid", 0),
        rankings_ignored=rankings.get("invalid", 0),
        certificate=certificate,
        certificate_ok=certificate.startswith("OK"),
        closed_at=round_.closed_at,
        closed_by_user_id=round_.closed_by_user_id,
        timings={},
    )


def _holds_role(session: Session, user_id: int, roles: tuple[str, ...]) -> bool:
    return session.exec(
        select(sa.func.count()).select_from(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.role.in_(roles))
    ).one() > 0


def _require_ranking_over(session: Session, round_: Round) -> None:
    """The calendar, on the server: a round closes only once its supervisors' ranking phase has ended."""
    ranking = session.exec(
        select(Phase).where(Phase.round_id == round_.id, Phase.kind == PhaseKind.RANKING.value)
    ).first()
    if round_.status == RoundStatus.OPEN.value and ranking is not None:
        phase = DatedPhase(kind=ranking.kind, round_number=round_.number, starts_on=ranking.starts_on,
                           ends_on=ranking.ends_on)
        if calendar.now() < closes_at(phase):
            raise RoundError(
                f"Le classement du tour {round_.number} est ouvert jusqu'au {day_text(ranking.ends_on)} à 23h59 : "
                "le tour ne peut pas encore être clôturé."
            )


def _require_matched_and_due(round_: Round | None) -> Round:
    if round_ is None:
        raise RoundError("Ce tour n'existe pas.")
    if round_.in_person:
        raise RoundError(f"Le tour {round_.number} se déroule en présentiel : "
                         "ses affectations sont saisies par les gestionnaires, il ne se clôture pas par appariement.")
    return round_


def require_closable(round_id: int) -> None:
    """The checks a close makes before claiming the round (for the confirmation shown before it)."""
    with transaction() as session:
        round_ = _require_matched_and_due(session.get(Round, round_id))
        if round_.status != RoundStatus.OPEN.value:
            raise RoundError(f"Le tour {round_.number} n'est plus ouvert.")
        _require_ranking_over(session, round_)


def _claim(round_id: int, actor_user_id: int | None) -> CloseReport | None:
    """Move the round from open to closing (committed), or return the stored report of a closed round."""
    with transaction() as session:
        round_ = _require_matched_and_due(session.get(Round, round_id))
        if actor_user_id is not None and not _holds_role(session, actor_user_id, CLOSE_ROLES):
            raise RoundError("Seul un gestionnaire peut clôturer un tour.")
        _require_ranking_over(session, round_)
        claimed = session.execute(
            sa.update(Round).where(Round.id == round_id, Round.status == RoundStatus.OPEN.value)
            .values(status=RoundStatus.CLOSING.value)
        ).rowcount
        if claimed == 1:
            return None
        session.refresh(round_)
        if round_.status == RoundStatus.CLOSED.value:
            return _report_from_stored(round_)
        raise RoundError("Ce tour est déjà en cours de clôture.")


def release_claim(round_id: int) -> bool:
    """Put a round left in ``closing`` back to ``open`` (True if it was closing). Never touches a closed round."""
    with transaction() as session:
        return session.execute(
            sa.update(Round).where(Round.id == round_id, Round.status == RoundStatus.CLOSING.value)
            .values(status=RoundStatus.OPEN.value)
        ).rowcount == 1


def _insert_assignments(session: Session, rows: list[dict[str, Any]]) -> None:
    """All the round's assignments in one bulk statement (executemany / insertmanyvalues)."""
    if rows:
        session.execute(sa.insert(Assignment), rows)


_SOLVED: dict[str, tuple[matching.Instance, matching.Result, matching.Certificate]] = {}
_SOLVED_LOCK = threading.Lock()
_SOLVING: dict[str, threading.Event] = {}  # snapshots being solved now, set when that solve ends
_SOLVED_KEEP = 2  # national results weigh a few MB: the last two snapshots are enough (dry run, then close)


def _fully_proven(result: matching.Result) -> bool:
    """Every market's number placed and hearts proven optimal: no time limit cut the search, so solving the
    same snapshot again would give this very result (the solver is single-threaded with a pinned seed)."""
    markets = (result.stats.get("exact") or {}).get("markets")
    return bool(markets) and all(m["proven_optimal"] and m["hearts_proven_optimal"] for m in markets)


def solve_snapshot(data: dict[str, Any], *, on_instance: Callable[[matching.Instance], None] | None = None,
                   timings: dict[str, float] | None = None,
                   progress: Progress | None = None) -> tuple[matching.Instance, matching.Result, matching.Certificate]:
    """Snapshot → matching → check: the one path shared by the real close and the dry run
    (``services.dry_run``), so that a projection made on the same data is exactly the close's result.

    A snapshot already solved in this process to a fully proven result is not solved again (the national
    optimiser takes tens of seconds): dry runs repeated on unchanged data, and the close that follows them,
    reuse it — the same result the solver would give again, by construction.

    ``on_instance`` is called with the snapshot's instance (compiled) as soon as it is known, before the solve:
    the dry run's what-ifs start from it while the engine runs."""
    notify = progress or (lambda _label, _fraction: None)
    timings = {} if timings is None else timings
    notify(STEP_MATCH, 0.25)
    step = time.perf_counter()
    settings = get_settings()  # one database's snapshot (and budget): never another's result
    key = _sha256(f"{settings.database_url}\n{settings.matching_time_limit}\n{_canonical(data)}")
    solved, solving = _solved_or_claim(key)
    while solving is None and solved is None:
        # The same snapshot is being solved by another thread (the warm-up at a worker's start, a colleague's dry
        # run): wait for its result rather than run the same search beside it on the same cores.
        _wait_for_solve(key)
        solved, solving = _solved_or_claim(key)
    if solved is not None:
        if on_instance is not None:
            on_instance(solved[0])
        timings["match"] = time.perf_counter() - step
        timings["check"] = 0.0
        return solved
    try:
        return _solve_and_keep(key, data, on_instance, timings, notify, step, settings)
    finally:
        with _SOLVED_LOCK:
            _SOLVING.pop(key).set()


def _solved_or_claim(key: str):
    """(the kept result, None), or (None, the event this thread now owns: it solves), or (None, None): another
    thread is solving this snapshot."""
    with _SOLVED_LOCK:  # dry runs run in background tasks: several threads may ask at once
        solved = _SOLVED.pop(key, None)
        if solved is not None:
            _SOLVED[key] = solved  # most recently used last
            return solved, None
        if key in _SOLVING:
            return None, None
        _SOLVING[key] = threading.Event()
        return None, _SOLVING[key]


def _wait_for_solve(key: str) -> None:
    """Returns once the thread solving this snapshot is done (kept or not: an unproven result is solved again)."""
    with _SOLVED_LOCK:
        event = _SOLVING.get(key)
    if event is not None:
        event.wait()


def _solve_and_keep(key, data, on_instance, timings, notify, step, settings):
    """The solve itself, by the one thread that claimed ``key``; a fully proven, checked result is kept."""
    instance = matching.Instance.from_dict(data)
    if on_instance is not None:
        instance.compiled()  # once, before anyone else reads it
        on_instance(instance)
    # Exact mode (HiGHS), within the round's time budget: the most students a weakly stable matching can place.
    result = matching.solve(instance, mode="exact", time_limit=settings.matching_time_limit,
                            threads=settings.matching_threads)
    timings["match"] = time.perf_counter() - step

    notify(STEP_CHECK, 0.6)
    step = time.perf_counter()
    certificate = matching.check(instance, result.to_dict())
    timings["check"] = time.perf_counter() - step
    if certificate.ok and _fully_proven(result):
        with _SOLVED_LOCK:
            _SOLVED[key] = (instance, result, certificate)
            while len(_SOLVED) > _SOLVED_KEEP:
                _SOLVED.pop(next(iter(_SOLVED)))
    return instance, result, certificate


def close_round(*, round_id: int, actor_user_id: int | None, progress: Progress | None = None) -> CloseReport:
    """Close a matched round: claim it, snapshot, solve, check, write everything in one transaction.

    Idempotent (a closed round returns its stored report), exclusive (a concurrent call gets
    ``RoundError("Ce tour est déjà en cours de clôture.")``) and all-or-nothing (any failure puts the
    round back to ``open`` with nothing written). ``actor_user_id`` None = an operator's CLI run;
    otherwise the user must hold a manager or admin grant. ``progress(label, fraction)`` is called at
    each step, in French.
    """
    notify = progress or (lambda _label, _fraction: None)
    stored = _claim(round_id, actor_user_id)
    if stored is not None:
        notify(STEP_DONE, 1.0)
        return stored
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        notify(STEP_SNAPSHOT, 0.0)
        with transaction() as session:
            round_ = session.get(Round, round_id)
            data = build_instance(session, round_id)
        timings["snapshot"] = time.perf_counter() - started

        _instance, result, certificate = solve_snapshot(data, timings=timings, progress=notify)
        if not certificate.ok:
            log.error("round %s: the matching's certificate is not OK:\n%s", round_id, certificate.to_text())
            raise RoundError("La vérification du résultat de l'appariement a échoué : rien n'a été enregistré. "
                             f"{certificate.summary}")

        notify(STEP_WRITE, 0.75)
        step = time.perf_counter()
        instance_json = _canonical(data)
        result_json = result.to_json()
        certificate_text = certificate.to_text()
        closed_at = utcnow()
        rows = [
            {"round_id": round_id, "student_id": int(sid), "post_id": int(pid), "method": "matching",
             "created_at": closed_at, "created_by_user_id": actor_user_id}
            for sid, pid in result.assignments.items()
        ]
        with transaction() as session:
            done = session.execute(
                sa.update(Round).where(Round.id == round_id, Round.status == RoundStatus.CLOSING.value)
                .values(status=RoundStatus.CLOSED.value, closed_at=closed_at, closed_by_user_id=actor_user_id,
                        instance_json=instance_json, result_json=result_json, certificate=certificate_text)
            ).rowcount
            if done != 1:
                raise RoundError("La clôture de ce tour a été interrompue (le tour n'est plus en cours de clôture) : "
                                 "rien n'a été enregistré.")
            _insert_assignments(session, rows)
            snapshot = data["snapshot"]
            audit.record(
                session,
                actor_user_id=actor_user_id,
                action="round.close",
                entity="round",
                entity_id=round_id,
                before={"status": RoundStatus.OPEN.value},
                after={
                    "status": RoundStatus.CLOSED.value,
                    "students": len(data["students"]),
                    "students_placed": len(rows),
                    "places_offered": result.stats.get("places", 0),
                    "certificate": certificate.summary,
                    "instance_sha256": _sha256(instance_json),
                    "result_sha256": _sha256(result_json),
                    "excluded_insufficient_lists": snapshot["excluded_insufficient_lists"],
                    "rankings": snapshot["rankings"],
                },
            )
        timings["write"] = time.perf_counter() - step
    except BaseException:
        try:
            release_claim(round_id)
        except Exception:  # the original error matters more; the operator can release with the CLI
            log.exception("round %s: could not release the claim after a failed close", round_id)
        raise
    timings["total"] = time.perf_counter() - started
    notify(STEP_DONE, 1.0)
    rankings = data["snapshot"]["rankings"]
    return CloseReport(
        round_id=round_id,
        round_number=round_.number,
        wave_id=round_.wave_id,
        already_closed=False,
        students=len(data["students"]),
        students_placed=len(rows),
        places_offered=result.stats.get("places", 0),
        excluded_insufficient=data["snapshot"]["excluded_insufficient_lists"],
        rankings_valid=rankings["valid"],
        rankings_ignored=rankings["invalid"],
        certificate=certificate_text,
        certificate_ok=True,
        closed_at=closed_at,
        closed_by_user_id=actor_user_id,
        timings=timings,
    )


def check_stored(round_id: int) -> matching.Certificate:
    """Re-run the engine's check on the round's stored instance and result (RoundError if not closed)."""
    with transaction() as session:
        round_ = session.get(Round, round_id)
        if round_ is None:
            raise RoundError("Ce tour n'existe pas.")
        if round_.status != RoundStatus.CLOSED.value or not round_.instance_json or not round_.result_json:
            raise RoundError(f"Le tour {round_.number} n'est pas clôturé : il n'y a rien à vérifier.")
        instance_json, result_json = round_.instance_json, round_.result_json
    instance = matching.Instance.from_dict(json.loads(instance_json))
    return matching.check(instance, json.loads(result_json))
