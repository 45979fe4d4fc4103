"""A round closed while tabs keep acting (issue 13, item 4): the crowd of tabs, the manager's close from the page,
and the checks that the close wrote what the same close writes without load. Used by the production test
(``tests/prod/test_round_close_under_load.py``, the small demo) and by the benchmark at national scale
(``tests/benchmarks/bench_close_under_load.py``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import random
import threading
import time
from dataclasses import dataclass, field

from sqlmodel import func, select

from siimop_app.db import transaction
from siimop_app.loadtest.client import SocketError, Tab
from siimop_app.loadtest.run import sign_in
from siimop_app.models import (
    Assignment,
    AuditEntry,
    Phase,
    Ranking,
    RankingEntry,
    Round,
    RoleGrant,
    UserEmail,
    utcnow,
)
from siimop_app.pages.manager.rounds import ManagerRoundsState
from siimop_app.pages.supervisor.ranking import RankingBoardState
from siimop_app.services import auth, calendar_admin, rounds
from siimop_app.services.calendar import PARIS
from siimop_app.states.session import AppState

COOKIE = f"{AppState.get_full_name()}.session_cookie"
BOARD = RankingBoardState.get_full_name()
BOARD_SUFFIX = BOARD.rpartition(".")[2]
ROUNDS = ManagerRoundsState.get_full_name()
ROUNDS_SUFFIX = ROUNDS.rpartition(".")[2]
PHASE_CLOSED = ("La période « Classement des candidatures » n'est pas ouverte : "
                "cette action n'est pas possible aujourd'hui.")


@dataclass
class Outcome:
    """What one tab saw: moves answered as saved, refusals (their messages), failures of the socket."""

    saved: int = 0
    refused: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reloads: int = 0
    answers: str = ""  # "s" saved, "r" refused, in the order the tab got them


class Crowd(threading.Thread):
    """The supervisors' tabs, on an event loop of their own: a move every ``think`` seconds each (50–150 ms in the
    test), a board reload every fifth action, until told to stop; the students' tabs reload their wishes page."""

    def __init__(self, base_url: str, boards: list[tuple[str, int]], students: list[str],
                 think: tuple[float, float] = (0.05, 0.15)):
        super().__init__(daemon=True)
        self.base_url, self.boards, self.students, self.think = base_url, boards, students, think
        self.outcomes = [Outcome() for _ in boards]
        self.student_outcomes = [Outcome() for _ in students]
        self.opened = threading.Event()  # every tab has its board loaded
        self.stopping = threading.Event()

    def run(self) -> None:
        asyncio.run(self._all())

    async def _all(self) -> None:
        tabs = [Tab(self.base_url, cookies={COOKIE: cookie}, timeout=30) for cookie, _ in self.boards]
        await asyncio.gather(*(self._open(tab, post_id, outcome)
                               for tab, (_, post_id), outcome in zip(tabs, self.boards, self.outcomes)))
        self.opened.set()
        await asyncio.gather(*(self._supervisor(tab, post_id, outcome)
                               for tab, (_, post_id), outcome in zip(tabs, self.boards, self.outcomes)),
                             *(self._student(cookie, outcome)
                               for cookie, outcome in zip(self.students, self.student_outcomes)))

    async def _student(self, cookie: str, outcome: Outcome) -> None:
        tab = Tab(self.base_url, cookies={COOKIE: cookie}, timeout=30)
        try:
            await tab.open("/etudiant/voeux")
            while not self.stopping.is_set():
                await asyncio.sleep(random.uniform(2 * self.think[0], 2 * self.think[1]))
                await tab.navigate("/etudiant/voeux")
                outcome.reloads += 1
        except SocketError as exc:
            outcome.failures.append(str(exc))
        finally:
            await tab.close()

    @staticmethod
    async def _open(tab: Tab, post_id: int, outcome: Outcome) -> None:
        try:
            await tab.open(f"/rts/classement/{post_id}", {"post_id": str(post_id)})
        except SocketError as exc:
            outcome.failures.append(f"open: {exc}")

    async def _supervisor(self, tab: Tab, post_id: int, outcome: Outcome) -> None:
        path, params = f"/rts/classement/{post_id}", {"post_id": str(post_id)}
        try:
            step = 0
            while not self.stopping.is_set() and not outcome.failures:
                step += 1
                if step % 5 == 0:
                    await tab.navigate(path, params)
                    outcome.reloads += 1
                    continue
                ranked = tab.var(BOARD_SUFFIX, "ranked", []) or []
                unranked = tab.var(BOARD_SUFFIX, "unranked", []) or []
                if unranked:
                    action, student = "rank_last", unranked[0]["id"]
                else:
                    action, student = random.choice([("move_up", ranked[-1]["id"]), ("move_down", ranked[0]["id"])])
                await tab.send(f"{BOARD}.{action}", {"student_id": student}, answer=BOARD_SUFFIX)
                if error := tab.var(BOARD_SUFFIX, "error"):
                    outcome.refused.append(error)
                    outcome.answers += "r"
                else:
                    outcome.saved += 1
                    outcome.answers += "s"
                await asyncio.sleep(random.uniform(*self.think))
        except SocketError as exc:
            outcome.failures.append(str(exc))
        finally:
            await tab.close()

    def wait_for(self, condition, what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.is_alive(), f"the tabs stopped: {self.outcomes}"
            assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s: {self.outcomes}"
            time.sleep(0.1)

    def stop(self) -> list[Outcome]:
        self.stopping.set()
        self.join(60)
        assert not self.is_alive(), "the tabs did not stop"
        return self.outcomes


def _manager() -> tuple[auth.SignedInUser, str]:
    with transaction() as session:
        user_id = session.exec(
            select(RoleGrant.user_id).join(UserEmail, UserEmail.user_id == RoleGrant.user_id)
            .where(RoleGrant.role == "manager", UserEmail.email == "ars@demo.siimop.fr")).one()
    cookie = sign_in(user_id)
    user = auth.resolve_session(cookie)
    assert user is not None
    return user, cookie


def _end_ranking_phase(manager: auth.SignedInUser, round_id: int) -> None:
    """The manager moves the end of round 1's ranking to yesterday (Paris), as on the calendar page."""
    with transaction() as session:
        phase = session.exec(select(Phase).where(Phase.round_id == round_id, Phase.kind == "ranking")).one()
    yesterday = dt.datetime.now(PARIS).date() - dt.timedelta(days=1)
    calendar_admin.set_phase_dates(manager, phase.id, min(phase.starts_on, yesterday).isoformat(),
                                   yesterday.isoformat())


async def _close_from_the_page(base_url: str, cookie: str, round_id: int) -> str:
    """The manager's "Clôturer" then "Confirmer" on Tours d'appariement; returns the page's final message."""
    tab = Tab(base_url, cookies={COOKIE: cookie}, timeout=30)
    await tab.open("/gestionnaire/tours")
    try:
        await tab.send(f"{ROUNDS}.ask_close", {"round_id": round_id}, answer=ROUNDS_SUFFIX)
        assert tab.var(ROUNDS_SUFFIX, "error") == "" and tab.var(ROUNDS_SUFFIX, "confirm_open") is True
        await tab.send(f"{ROUNDS}.confirm", answer=ROUNDS_SUFFIX)
        deadline = time.monotonic() + 90
        while not (tab.var(ROUNDS_SUFFIX, "message") or tab.var(ROUNDS_SUFFIX, "error")):
            assert time.monotonic() < deadline, "the close did not finish within 90 s"
            await asyncio.sleep(0.2)
        assert tab.var(ROUNDS_SUFFIX, "error") == "", tab.var(ROUNDS_SUFFIX, "error")
        return tab.var(ROUNDS_SUFFIX, "message")
    finally:
        await tab.close()


def _moves_recorded(user_ids: list[int], since: dt.datetime) -> int:
    with transaction() as session:
        return session.exec(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action.like("ranking.%"), AuditEntry.actor_user_id.in_(user_ids), AuditEntry.at >= since)).one()




@dataclass
class CloseFigures:
    seconds: float  # from "Confirmer" to the page's message
    message: str
    placed: int
    moves_saved: int
    moves_refused: int
    reloads: int


def close_round_under_load(base_url: str, boards: list[tuple[int, int]], students: list[int], round_id: int,
                           think: tuple[float, float] = (0.05, 0.15)) -> CloseFigures:
    """While the supervisors of ``boards`` (user id, post id) rank and the ``students`` reload their wishes page,
    the manager ends round ``round_id``'s ranking phase, then closes the round from Tours d'appariement. Asserts
    that the close wrote what the same close writes on the same data without load, and that nothing is
    half-written; returns what it measured."""
    started = utcnow()
    supervisors = [user_id for user_id, _ in boards]
    manager, manager_cookie = _manager()
    crowd = Crowd(base_url, [(sign_in(user_id), post_id) for user_id, post_id in boards],
                  [sign_in(user_id) for user_id in students], think)
    crowd.start()
    assert crowd.opened.wait(120), "the boards did not load"
    patience = 30 + 10 * think[1]
    try:
        # The ranking phase is open: the tabs' moves are saved, on every worker.
        crowd.wait_for(lambda: all(o.saved >= 3 for o in crowd.outcomes), "three saved moves per tab", patience)
        assert not any(o.refused for o in crowd.outcomes), [o.refused for o in crowd.outcomes]

        _end_ranking_phase(manager, round_id)
        # The phase moved under their feet: each tab's next moves are refused, in French, with the reason.
        crowd.wait_for(lambda: all(len(o.refused) >= 2 for o in crowd.outcomes), "two refused moves per tab",
                       patience)

        # The same close without load: the round's data now, snapshotted and solved here, with no server involved.
        with transaction() as session:
            data = rounds.build_instance(session, round_id)
        _, expected, certificate = rounds.solve_snapshot(data)
        assert certificate.ok and expected.assignments

        refused_before_close = sum(len(o.refused) for o in crowd.outcomes)
        # In a thread of its own: the Playwright tests before the production test leave an event loop running.
        clock = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            message = pool.submit(asyncio.run, _close_from_the_page(base_url, manager_cookie, round_id)).result()
        seconds = time.perf_counter() - clock
        # The tabs kept acting through the close, and still do.
        crowd.wait_for(lambda: sum(len(o.refused) for o in crowd.outcomes) >= refused_before_close + len(boards),
                       "refusals after the close", patience)
    finally:
        outcomes = crowd.stop()

    assert all(not o.failures for o in outcomes + crowd.student_outcomes), [o.failures for o in outcomes]
    assert all(o.reloads >= 1 for o in outcomes + crowd.student_outcomes)
    assert {text for o in outcomes for text in o.refused} == {PHASE_CLOSED}
    assert message.startswith(f"Tour 1 clôturé : {len(expected.assignments)}/"), message

    with transaction() as session:
        round_ = session.get(Round, round_id)
        assert round_.status == "closed"
        # The close snapshotted exactly the data solved without load: no move slipped in between.
        assert round_.instance_json == rounds._canonical(data)
        written = dict(session.exec(select(Assignment.student_id, Assignment.post_id)
                                    .where(Assignment.round_id == round_id)).all())
        assert written == {int(s): int(p) for s, p in expected.assignments.items()}
        assert session.exec(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "round.close", AuditEntry.entity_id == round_id)).one() == 1
        # Every ranking of the round reads 1..n: no move half-written.
        ranks: dict[int, list[int]] = {}
        for ranking_id, rank in session.exec(
                select(RankingEntry.ranking_id, RankingEntry.rank).join(Ranking, Ranking.id == RankingEntry.ranking_id)
                .where(Ranking.round_id == round_id, RankingEntry.rank.is_not(None))):
            ranks.setdefault(ranking_id, []).append(rank)
        assert all(sorted(r) == list(range(1, len(r) + 1)) for r in ranks.values())
    # Every move a tab saw saved is in the database; once refused, a tab never saw a move saved again, and none
    # landed after the close.
    saved = sum(o.saved for o in outcomes)
    assert _moves_recorded(supervisors, started) == saved
    assert all("rs" not in o.answers for o in outcomes), [o.answers for o in outcomes]
    assert _moves_recorded(supervisors, round_.closed_at) == 0
    return CloseFigures(seconds=seconds, message=message, placed=len(written), moves_saved=saved,
                        moves_refused=sum(len(o.refused) for o in outcomes),
                        reloads=sum(o.reloads for o in outcomes + crowd.student_outcomes))
