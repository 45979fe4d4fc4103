"""The dry run ("simulation") of an open round (SPEC §6, issue 15): what the round would give if it closed now.

During the wishes and the ranking phases (checked here, on the server), a coordinator, manager or admin
runs the engine on the round's current data. Nothing is written but one audit row (who, when, the counts).

* **Same path as the close.** The snapshot is ``rounds.build_instance`` and the solve is
  ``rounds.solve_snapshot``, the very functions ``rounds.close_round`` calls: on the same data the
  projection is the close's result, assignment for assignment (tested). The solve runs in a thread of its own
  (HiGHS releases the GIL) beside the what-ifs below, which do not depend on its result.
* **National matching, local display.** Markets are national (a student may rate posts of any
  subdivision), so the engine always runs on the whole round; only what is *shown* is restricted to
  the viewer's scope (``services.scope``: a coordinator's specialty × subdivision, a manager's region,
  an admin everything): students by their specialty and subdivision, posts by theirs.
* **What fixing would give** — the engine solves an edited copy of the snapshot and the snapshot itself, on
  the markets the edit touches only (the students and posts connected to the edited posts through wishes: a
  change cannot reach further), both in its fast mode (deferred acceptance with the round's tie-break): the
  difference measures the fix, and two national what-ifs stay within the 5 s of a dry run whatever the
  close's optimiser costs. The snapshot's side is read off one deferred acceptance of the whole snapshot
  (markets are independent); the edited side is counted market by market, each count kept by its inputs, so a
  dry run after one move counts again only the market it touched:

  - *rankings*: each invalid or missing ranking of a post **in the viewer's scope** is replaced by one
    accepting its candidates in the supervisor's current order (the ranked ones by rank), then the
    candidates not yet ranked (the post's subdivision first, then in a stable order); refused candidates
    stay refused. Assumption: the supervisor fixes the ranking by completing it, not by reordering it.
  - *lists*: each insufficient list of a student **in the viewer's scope** is counted with the wishes it
    holds, and every valid ranking of a post the student rated takes them after its ranked candidates.
    Assumption: the student completes the list (we cannot know with which posts) and supervisors rank
    newcomers last — a lower bound.

  The gain is the difference in students placed over the whole round (a fix in the scope can place a
  student from elsewhere), with the people to contact, in the scope.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import logging
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app import matching
from siimop_app.db import transaction
from siimop_app.domain.calendar import PARIS
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import STAFF_ROLES
from siimop_app.domain.sufficiency import required_wishes
from siimop_app.matching.algorithms import deferred_acceptance
from siimop_app.models import (
    Application,
    Establishment,
    Post,
    PostSupervisor,
    Round,
    RoundStatus,
    Site,
    Specialty,
    Student,
    Subdivision,
    User,
    UserEmail,
)
from siimop_app.services import audit, calendar, rounds
from siimop_app.services.access import require_role
from siimop_app.services.auth import SignedInUser
from siimop_app.services.candidates import placed_in_wave, posts_offered
from siimop_app.services.overview import percent
from siimop_app.services.scope import Scope, post_condition, scope_of, student_condition

log = logging.getLogger(__name__)

DRY_RUN_ROLES = STAFF_ROLES
MAX_ROWS = 300  # rows of each list sent to the page; the totals are always complete

Progress = Callable[[str, float], None]

STEP_SNAPSHOT = "Photographie du tour (vœux, classements, places restantes)"
STEP_MATCH = "Appariement"
STEP_FIX_RANKINGS = "Simulation : classements corrigés"
STEP_FIX_LISTS = "Simulation : listes complétées"
STEP_DONE = "Simulation terminée"

STUDENT_REASONS = {
    "insufficient": "Liste insuffisante",
    "empty_list": "Aucun vœu sur un poste de ce tour",
    "refused": "Tous ses vœux refusés ou non classés",
    "outranked": "Devancé(e) : les postes qui l'ont classé(e) sont pourvus par des candidats mieux classés",
    "blocking_pair": "Résultat à vérifier",
}
POST_REASONS = {
    "no_candidates": "Aucun candidat",
    "none_ranked": "Aucun candidat retenu par le responsable",
    "candidates_placed_higher": "Ses candidats classés sont affectés sur des vœux qu'ils préfèrent",
    "candidates_placed_at_least_as_high": "Ses candidats classés sont affectés sur des vœux au moins aussi bien notés",
    "blocking_pair": "Résultat à vérifier",
}
RANKING_STATUS = {"invalid": "Classement non valide", "missing": "Classement manquant"}


class DryRunError(UserError):
    """A refused dry run; the message is for the user, in French."""


@dataclasses.dataclass(frozen=True)
class OpenRound:
    round_id: int
    round_number: int
    phase: str  # "wishes" or "ranking"
    ends_on: dt.date  # the open phase's last day (23:59, Paris)


def open_round(at: dt.datetime | None = None) -> OpenRound:
    """The matched round whose wishes or ranking phase is open now (the calendar, on the server)."""
    at = at or calendar.now()
    wave = calendar.current_wave(at)
    for kind in ("ranking", "wishes"):
        phase = wave.open_phase(kind, at) if wave else None
        round_id = wave.round_id(phase.round_number) if phase else None
        if round_id is None:
            continue
        with transaction() as session:
            round_ = session.get(Round, round_id)
            if round_ is None or round_.in_person or round_.status != RoundStatus.OPEN.value:
                continue
        return OpenRound(round_id, phase.round_number, kind, phase.ends_on)
    raise DryRunError("La simulation n'est possible que pendant la période des vœux ou du classement d'un tour "
                      "d'appariement encore ouvert.")


@dataclasses.dataclass(frozen=True)
class RateLine:
    """The projected rate of one specialty or subdivision of the scope."""

    label: str
    students: int
    placed: int
    insufficient: int  # students whose list is insufficient (never placed)
    rate: str  # "12/40 (30%)"
    unplaced: int


@dataclasses.dataclass(frozen=True)
class UnplacedStudent:
    student: str
    ine: str
    specialty: str
    subdivision: str
    code: str  # a key of STUDENT_REASONS
    reason: str  # in French, with the counts that explain it


@dataclasses.dataclass(frozen=True)
class EmptyPost:
    post_number: int
    site: str
    establishment: str
    subdivision: str
    specialty: str
    empty: int  # places that would stay empty
    places: int  # places offered in the round
    reason: str


@dataclasses.dataclass(frozen=True)
class RankingToFix:
    """A referent supervisor whose post's ranking is invalid or missing (one line per referent)."""

    supervisor: str
    email: str
    post_number: int
    site: str
    subdivision: str
    status: str  # a value of RANKING_STATUS
    problems: str


@dataclasses.dataclass(frozen=True)
class ListToComplete:
    """A student whose wish list is insufficient."""

    student: str
    ine: str
    specialty: str
    subdivision: str
    rated: int
    required: int
    missing: int


@dataclasses.dataclass(frozen=True)
class Fix:
    """One "what fixing would give" scenario."""

    gain: int  # students placed in addition, whole round
    count: int  # rankings (or lists) to fix in the scope
    people: list[RankingToFix] | list[ListToComplete]  # who to contact, in the scope (at most MAX_ROWS)

    def sentence(self, what: str, done: str) -> str:
        """"N étudiants de plus seraient affectés si les M classements non valides étaient corrigés"."""
        return f"{self.gain} étudiant(s) de plus seraient affecté(s) si les {self.count} {what} étaient {done}."


@dataclasses.dataclass(frozen=True)
class DryRunReport:
    round_id: int
    round_number: int
    phase: str
    at: str  # Paris time, for the page
    students: int  # in the scope: matched (sufficient list) + insufficient lists
    placed: int  # in the scope
    round_students: int  # whole round (matched + insufficient)
    round_placed: int
    by_specialty: list[RateLine]
    by_subdivision: list[RateLine]
    unplaced: list[UnplacedStudent]
    unplaced_total: int
    empty_posts: list[EmptyPost]
    empty_posts_total: int
    empty_places_total: int
    fix_rankings: Fix
    fix_lists: Fix
    projected: dict[int, int]  # student id -> post id, whole round (what the close would write)
    timings: dict[str, float]

    @property
    def rate(self) -> str:
        return percent(self.placed, self.students)

    def rankings_sentence(self) -> str:
        if not self.fix_rankings.count:
            return "Aucun classement non valide ou manquant dans votre périmètre."
        return self.fix_rankings.sentence("classements non valides ou manquants", "corrigés")

    def lists_sentence(self) -> str:
        if not self.fix_lists.count:
            return "Aucune liste de vœux insuffisante dans votre périmètre."
        return self.fix_lists.sentence("listes de vœux insuffisantes", "complétées")


def _name(first: str, last: str) -> str:
    return f"{first} {last.upper()}"


# ----------------------------------------------------------------------------- reading the round

@dataclasses.dataclass
class _Context:
    """Everything read in the snapshot's transaction, beside the instance itself."""

    students: dict[int, dict[str, Any]]  # in-scope participating students: name, ine, specialty, subdivision, user
    posts: dict[int, dict[str, Any]]  # in-scope posts of the wave: number, site, establishment, labels
    referents: dict[int, list[tuple[int, str, str]]]  # in-scope post -> (user id, name, main e-mail)
    insufficient: dict[int, dict[str, Any]]  # student -> {"wishes": {post: hearts}, "rated", "required"} (whole round)
    stored_order: dict[int, list[int]]  # post -> stored ranked students, by rank (invalid rankings)
    refused: dict[int, set[int]]  # post -> refused students (invalid rankings)


def insufficient_lists(session: Session, round_id: int, data: dict[str, Any],
                       wishes_read: list | None = None) -> dict[int, dict[str, Any]]:
    """The insufficient lists of the round (whole round): the wishes ``build_instance`` left out, of participating
    students not placed earlier — student id -> {"wishes": {post: hearts}, "rated", "required"}.

    ``wishes_read``: the wish rows ``build_instance`` already read (``read["wishes"]``), else they are read here."""
    wave_id = session.get(Round, round_id).wave_id
    matched = {int(s["id"]) for s in data["students"]}
    wave_posts = {int(p["id"]) for p in data["posts"]}
    wishes: dict[int, dict[int, int]] = defaultdict(dict)
    keys: dict[int, tuple[int, int]] = {}
    if wishes_read is None:
        wishes_read = session.exec(
            select(Application.student_id, Application.post_id, Application.hearts, Student.subdivision_id,
                   Student.specialty_id)
            .join(Student, Student.id == Application.student_id)
            .where(Application.round_id == round_id, Application.hearts > 0, Student.participating)
        ).all()
    for sid, pid, hearts, sub, spec in wishes_read:
        if sid not in matched:
            keys[sid] = (spec, sub)
            if pid in wave_posts:
                wishes[sid][pid] = hearts
    placed_before = placed_in_wave(session, wave_id, keys)
    offered = posts_offered(session, wave_id, keys.values())
    return {
        sid: {"wishes": wishes.get(sid, {}), "rated": len(wishes.get(sid, {})),
              "required": required_wishes(offered.get(key, 0))}
        for sid, key in keys.items() if sid not in placed_before
    }


def _read_context(session: Session, round_id: int, scope: Scope, data: dict[str, Any],
                  read: dict[str, Any]) -> _Context:
    round_ = session.get(Round, round_id)
    students = {
        sid: {"student": _name(first, last), "ine": ine, "specialty": spec, "subdivision": sub, "user_id": uid}
        for sid, uid, ine, first, last, spec, sub in session.exec(
            select(Student.id, Student.user_id, Student.ine, User.first_name, User.last_name, Specialty.label,
                   Subdivision.label)
            .join(User, User.id == Student.user_id)
            .join(Specialty, Specialty.id == Student.specialty_id)
            .join(Subdivision, Subdivision.id == Student.subdivision_id)
            .where(Student.participating, student_condition(scope))
        ).all()
    }
    posts = {
        pid: {"post_number": number, "site": site, "establishment": establishment, "subdivision": sub,
              "specialty": spec}
        for pid, number, site, establishment, sub, spec in session.exec(
            select(Post.id, Post.post_number, Site.name, Establishment.name, Subdivision.label, Specialty.label)
            .join(Site, Site.id == Post.site_id)
            .join(Establishment, Establishment.id == Site.establishment_id)
            .join(Subdivision, Subdivision.id == Post.subdivision_id)
            .join(Specialty, Specialty.id == Post.calling_specialty_id)
            .where(Post.wave_id == round_.wave_id, post_condition(scope))
        ).all()
    }
    referents: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for pid, uid, first, last, email in session.exec(
        select(PostSupervisor.post_id, User.id, User.first_name, User.last_name, UserEmail.email)
        .join(User, User.id == PostSupervisor.user_id)
        .outerjoin(UserEmail, sa.and_(UserEmail.user_id == User.id, UserEmail.kind == "main"))
        .join(Post, Post.id == PostSupervisor.post_id)
        .where(PostSupervisor.is_referent, Post.wave_id == round_.wave_id, post_condition(scope))
        .order_by(PostSupervisor.post_id, User.last_name)
    ).all():
        referents[pid].append((uid, _name(first, last), email or ""))

    insufficient = insufficient_lists(session, round_id, data, read["wishes"])
    # The stored order of the invalid rankings of the scope, for the "fixed rankings" scenario.
    to_fix = [int(p["id"]) for p in data["posts"]
              if p["ranking_status"] == "invalid" and int(p["id"]) in posts]
    stored_order: dict[int, list[int]] = defaultdict(list)
    refused: dict[int, set[int]] = defaultdict(set)
    for pid in to_fix:  # the entries build_instance read, in the stored order (rank, then student)
        entries = read["entries"].get(pid, {})
        refused[pid] = {sid for sid, (_rank, is_refused) in entries.items() if is_refused}
        stored_order[pid] = [sid for rank, sid in sorted((rank, sid) for sid, (rank, is_refused) in entries.items()
                                                         if not is_refused and rank is not None)]
    return _Context(students, posts, dict(referents), insufficient, dict(stored_order), dict(refused))


# ----------------------------------------------------------------------------- the scenarios

def _candidates(data: dict[str, Any]) -> dict[str, list[str]]:
    """Post id -> the students of the instance who rated it, in instance order."""
    found: dict[str, list[str]] = defaultdict(list)
    for student in data["students"]:
        for pid in student["wishes"]:
            found[pid].append(student["id"])
    return found


# Deferred acceptance's count of students placed, per market (wish-connected component) by what determines it: a
# dry run after one move finds every market of its what-ifs here but the one that move touched. Per process, bounded.
_PLACED: OrderedDict[bytes, int] = OrderedDict()
_PLACED_LOCK = threading.Lock()
_PLACED_KEEP = 8192  # a national what-if has ~600 markets; a few dozen bytes each


def _markets(data: dict[str, Any], seeds: set[str]) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """The parts of the instance connected to the posts ``seeds`` through wishes, market by market, as (students,
    posts): the only students and posts a change on those posts can affect (markets are independent; in practice,
    specialties). Posts no one rated make no market."""
    posts = {p["id"]: p for p in data["posts"]}
    students = {s["id"]: s for s in data["students"]}
    applicants = _candidates(data)
    seen_students: set[str] = set()
    seen_posts: set[str] = set()
    found = []
    for seed in sorted(seeds):
        if seed in seen_posts or not applicants.get(seed):
            continue
        seen_posts.add(seed)
        group: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [posts[seed]])
        stack = [seed]
        while stack:  # posts to open: each brings its applicants, each applicant the posts they rated
            for sid in applicants[stack.pop()]:
                if sid in seen_students:
                    continue
                seen_students.add(sid)
                group[0].append(students[sid])
                for pid in students[sid]["wishes"]:
                    if pid not in seen_posts:
                        seen_posts.add(pid)
                        group[1].append(posts[pid])
                        stack.append(pid)
        found.append(group)
    return found


def _placed(seed: int, markets: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]) -> int:
    """Students deferred acceptance (the engine's, the round's tie-break) places in ``markets``. Its result is the
    student-optimal stable matching of each market's tie-broken lists, unique and blind to the others: so the
    count is the sum over markets, each kept by its inputs (ids, wishes and hearts, places, rankings)."""
    total = 0
    for students, posts in markets:
        key = hashlib.sha256(repr((seed, [(s["id"], s["wishes"]) for s in students],
                                   [(p["id"], p["places"], p["ranking"]) for p in posts])).encode()).digest()
        with _PLACED_LOCK:
            placed = _PLACED.get(key)
            if placed is not None:
                _PLACED.move_to_end(key)
        if placed is None:
            component = matching.Instance.from_dict({"tie_break_seed": seed, "students": students, "posts": posts})
            placed = sum(1 for post in deferred_acceptance(component.compiled()) if post >= 0)
            with _PLACED_LOCK:
                _PLACED[key] = placed
                while len(_PLACED) > _PLACED_KEEP:
                    _PLACED.popitem(last=False)
        total += placed
    return total


def _gain(base: matching.Instance, baseline: list[int], edited: dict[str, Any], seeds: set[str]) -> int:
    """Students placed in addition when ``edited`` replaces the snapshot ``base``, on the markets the edit touches:
    both sides by the engine's fast mode (deferred acceptance with the round's tie-break, no improvement), so the
    difference measures the fix, not the optimiser, and a national what-if stays within a second.

    ``baseline``: deferred acceptance on the whole snapshot; markets being independent, its count over the
    market's students is the snapshot's side (the edit only adds students or rankings: the market of ``edited``
    holds whole markets of the snapshot). The edited side is counted market by market (:func:`_placed`)."""
    markets = _markets(edited, seeds)
    index = base.compiled().sindex
    before = sum(1 for students, _ in markets for s in students if s["id"] in index and baseline[index[s["id"]]] >= 0)
    return _placed(edited["tie_break_seed"], markets) - before


def _with_fixed_rankings(data: dict[str, Any], ctx: _Context, fixed: list[int]) -> dict[str, Any]:
    """A copy of the instance where each post of ``fixed`` accepts its candidates in the supervisor's current
    order, then the unranked ones (the post's subdivision first, then by id); refused ones stay refused."""
    candidates = _candidates(data)
    student_sub = {s["id"]: s["subdivision_id"] for s in data["students"]}
    wanted = {str(pid) for pid in fixed}
    posts = []
    for post in data["posts"]:
        if post["id"] in wanted:
            cands = candidates.get(post["id"], [])
            present = set(cands)
            order = [str(sid) for sid in ctx.stored_order.get(int(post["id"]), []) if str(sid) in present]
            skip = set(order) | {str(sid) for sid in ctx.refused.get(int(post["id"]), set())}
            rest = sorted((sid for sid in cands if sid not in skip),
                          key=lambda sid: (student_sub[sid] != post["subdivision_id"], int(sid)))
            post = {**post, "ranking": order + rest}
        posts.append(post)
    return {**data, "posts": posts}


def _with_counted_lists(data: dict[str, Any], ctx: _Context, counted: list[int]) -> dict[str, Any]:
    """A copy of the instance with the lists of ``counted`` taken as they are, each valid ranking of a post they
    rated taking them after its ranked candidates."""
    added: dict[str, list[str]] = defaultdict(list)
    students = list(data["students"])
    for sid in sorted(counted):
        wishes = {str(pid): hearts for pid, hearts in sorted(ctx.insufficient[sid]["wishes"].items())}
        students.append({"id": str(sid), "wishes": wishes})
        for pid in wishes:
            added[pid].append(str(sid))
    posts = [{**p, "ranking": p["ranking"] + added[p["id"]]} if p["ranking_status"] == "valid" and p["id"] in added
             else p for p in data["posts"]]
    return {**data, "students": students, "posts": posts}


# ----------------------------------------------------------------------------- the report

def _student_reason(code: str, sid: int, data_student: dict | None, statuses: dict[str, str],
                    ctx: _Context) -> str:
    if code == "insufficient":
        info = ctx.insufficient[sid]
        return f"Liste insuffisante : {info['rated']} vœu(x) sur {info['required']} requis"
    text = STUDENT_REASONS.get(code, code)
    if data_student is not None and code in ("refused", "outranked"):
        blocked = sum(1 for pid in data_student["wishes"] if statuses.get(pid) in RANKING_STATUS)
        if blocked:
            text += f" (dont {blocked} poste(s) au classement non valide ou manquant)"
    return text


def _tally(rows: list[tuple[str, bool, bool]]) -> list[RateLine]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for label, placed, insufficient in rows:
        counts[label][0] += 1
        counts[label][1] += placed
        counts[label][2] += insufficient
    return [RateLine(label=label, students=n, placed=p, insufficient=i, rate=percent(p, n), unplaced=n - p)
            for label, (n, p, i) in sorted(counts.items())]


def _statuses(data: dict[str, Any]) -> dict[str, str]:
    """Post id -> its ranking's status in the snapshot."""
    return {p["id"]: p["ranking_status"] for p in data["posts"]}


def _forward_only(progress: Progress | None) -> Progress:
    """``progress``, thread safe and never going back (the engine's steps and the what-ifs' run at once)."""
    lock = threading.Lock()
    last = [0.0]

    def notify(label: str, fraction: float) -> None:
        with lock:
            if fraction < last[0] or progress is None:
                return
            last[0] = fraction
        progress(label, fraction)

    return notify


def _what_ifs(data: dict[str, Any], instance: matching.Instance, ctx: _Context, timings: dict[str, float],
              notify: Progress) -> tuple[Fix, Fix]:
    """The two "what fixing would give" scenarios (fixed rankings, counted lists) of the viewer's scope."""
    statuses = _statuses(data)
    post_items = {p["id"]: p for p in data["posts"]}
    notify(STEP_FIX_RANKINGS, 0.5)
    baseline = functools.cache(lambda: deferred_acceptance(instance.compiled()))  # both what-ifs' snapshot side
    step = time.perf_counter()
    to_fix = sorted(int(pid) for pid, status in statuses.items() if status in RANKING_STATUS and int(pid) in ctx.posts)
    gain = 0
    if to_fix:
        gain = _gain(instance, baseline(), _with_fixed_rankings(data, ctx, to_fix), {str(pid) for pid in to_fix})
    supervisors = []
    for pid in to_fix:
        post = ctx.posts[pid]
        problems = post_items[str(pid)].get("ranking_problems", [])
        for uid, name, email in ctx.referents.get(pid, []) or [(None, "(aucun référent)", "")]:
            supervisors.append(RankingToFix(supervisor=name, email=email, post_number=post["post_number"],
                                            site=post["site"], subdivision=post["subdivision"],
                                            status=RANKING_STATUS[statuses[str(pid)]],
                                            problems=" ".join(problems) or "Aucun classement enregistré."))
    fix_rankings = Fix(gain, len(to_fix), supervisors[:MAX_ROWS])
    timings["fix_rankings"] = time.perf_counter() - step

    notify(STEP_FIX_LISTS, 0.75)
    step = time.perf_counter()
    lists = sorted(sid for sid in ctx.insufficient if sid in ctx.students)
    gain = 0
    if lists:
        seeds = {str(pid) for sid in lists for pid in ctx.insufficient[sid]["wishes"]}
        gain = _gain(instance, baseline(), _with_counted_lists(data, ctx, lists), seeds)
    listed = sorted((ListToComplete(**{k: ctx.students[sid][k] for k in ("student", "ine", "specialty", "subdivision")},
                                    rated=ctx.insufficient[sid]["rated"], required=ctx.insufficient[sid]["required"],
                                    missing=max(ctx.insufficient[sid]["required"] - ctx.insufficient[sid]["rated"], 0))
                     for sid in lists), key=lambda r: (r.subdivision, r.specialty, r.student))
    fix_lists = Fix(gain, len(lists), listed[:MAX_ROWS])
    timings["fix_lists"] = time.perf_counter() - step

    return fix_rankings, fix_lists


def run_dry_run(user: SignedInUser, *, progress: Progress | None = None) -> DryRunReport:
    """Project the open round's result for ``user``'s scope; nothing written but the audit row."""
    require_role(user, *DRY_RUN_ROLES)
    notify = _forward_only(progress)
    which = open_round()
    started = time.perf_counter()
    timings: dict[str, float] = {}
    notify(STEP_SNAPSHOT, 0.0)
    with transaction() as session:
        scope = scope_of(session, user.user_id, tuple(r for r in DRY_RUN_ROLES if r in user.roles))
        read: dict[str, Any] = {}
        data = rounds.build_instance(session, which.round_id, read)
        ctx = _read_context(session, which.round_id, scope, data, read)
    timings["snapshot"] = time.perf_counter() - started
    # The engine solves in a thread of its own (HiGHS releases the GIL) while this one counts the what-ifs, which
    # do not depend on its result, from the instance it hands over before solving (the one it solved before, if
    # the snapshot is unchanged). Not before the database is read: a thread busy in Python makes each row's read
    # wait for the GIL (reading the report's context took 0.4-1.1 s instead of 0.08 s).
    engine = ThreadPoolExecutor(max_workers=1, thread_name_prefix="siimop-dry-run-match")
    try:
        match_timings: dict[str, float] = {}
        handed: Future[matching.Instance] = Future()
        solving = engine.submit(rounds.solve_snapshot, data, on_instance=handed.set_result, timings=match_timings,
                                progress=lambda label, fraction: notify(label, 0.1 + fraction / 2))
        wait([handed, solving], return_when=FIRST_COMPLETED)
        if not handed.done():
            solving.result()  # the engine failed before it had an instance: its error
        fix_rankings, fix_lists = _what_ifs(data, handed.result(timeout=0), ctx, timings, notify)
        if not solving.done():
            notify(STEP_MATCH, 0.9)
        _, result, certificate = solving.result()
    finally:
        engine.shutdown(wait=False)
    timings.update(match_timings)
    if not certificate.ok:  # as the close would refuse to write it
        log.error("dry run of round %s: certificate not OK:\n%s", which.round_id, certificate.to_text())
        raise DryRunError("La vérification du résultat simulé a échoué : la simulation n'est pas fiable. "
                          f"{certificate.summary}")
    base_placed = len(result.assignments)
    statuses = _statuses(data)
    post_items = {p["id"]: p for p in data["posts"]}

    # What the scope sees.
    by_id = {int(s["id"]): s for s in data["students"]}
    reasons = result.explanations.get("unassigned_students", {})
    rows, unplaced = [], []
    for sid in sorted(set(by_id) | set(ctx.insufficient)):
        info = ctx.students.get(sid)
        if info is None:
            continue
        placed = str(sid) in result.assignments
        insufficient = sid in ctx.insufficient
        rows.append((info, placed, insufficient))
        if not placed:
            code = "insufficient" if insufficient else reasons.get(str(sid), {}).get("reason", "empty_list")
            unplaced.append(UnplacedStudent(**{k: info[k] for k in ("student", "ine", "specialty", "subdivision")},
                                            code=code, reason=_student_reason(code, sid, by_id.get(sid), statuses, ctx)))
    unplaced.sort(key=lambda r: (r.subdivision, r.specialty, r.student))
    empty = []
    for pid, why in result.explanations.get("unfilled_posts", {}).items():
        post = ctx.posts.get(int(pid))
        if post is None:
            continue
        status = statuses.get(pid)
        reason = (f"{RANKING_STATUS[status]} : ses candidats ne sont pas pris en compte"
                  if why["reason"] == "none_ranked" and status in RANKING_STATUS
                  else POST_REASONS.get(why["reason"], why["reason"]))
        places = post_items[pid]["places"]
        empty.append(EmptyPost(**post, empty=why["empty_places"], places=places, reason=reason))
    empty.sort(key=lambda r: (r.subdivision, r.specialty, r.post_number))
    in_scope_placed = sum(placed for _, placed, _ in rows)
    timings["total"] = time.perf_counter() - started
    report = DryRunReport(
        round_id=which.round_id, round_number=which.round_number, phase=which.phase,
        at=f"{calendar.now().astimezone(PARIS):%d/%m/%Y à %H:%M}",
        students=len(rows), placed=in_scope_placed,
        round_students=len(by_id) + len(ctx.insufficient), round_placed=base_placed,
        by_specialty=_tally([(info["specialty"], p, i) for info, p, i in rows]),
        by_subdivision=_tally([(info["subdivision"], p, i) for info, p, i in rows]),
        unplaced=unplaced[:MAX_ROWS], unplaced_total=len(unplaced),
        empty_posts=empty[:MAX_ROWS], empty_posts_total=len(empty),
        empty_places_total=sum(r.empty for r in empty),
        fix_rankings=fix_rankings, fix_lists=fix_lists,
        projected={int(s): int(p) for s, p in result.assignments.items()},
        timings=timings,
    )
    with transaction() as session:
        audit.record(session, actor_user_id=user.user_id, action="round.dry_run", entity="round",
                     entity_id=which.round_id,
                     after={"phase": which.phase, "students": report.students, "placed": report.placed,
                            "round_students": report.round_students, "round_placed": report.round_placed,
                            "unplaced": report.unplaced_total, "empty_places": report.empty_places_total,
                            "rankings_to_fix": fix_rankings.count, "gain_if_rankings_fixed": fix_rankings.gain,
                            "lists_to_fix": fix_lists.count, "gain_if_lists_counted": fix_lists.gain,
                            "seconds": round(timings["total"], 2)})
    notify(STEP_DONE, 1.0)
    log.info("dry run of round %s by user %s: %s placed in scope, %.2f s", which.round_id, user.user_id,
             report.rate, timings["total"])
    return report
