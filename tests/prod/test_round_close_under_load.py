"""A round closed while the load runs gives the same result as without load (issue 13, item 4).

Against the production command (two workers, Redis, PostgreSQL), supervisors' tabs — socket clients of the load
tool, one per supervisor, each on its own board — rank candidates and reload their boards without pause, and
students' tabs reload their wishes page (read-only since the wishes phase ended) over and over. While
they do, the manager ends the ranking phase (the calendar page's service) and every tab's next move is refused with
the calendar's French message; then the manager closes round 1 from "Tours d'appariement" (the page's background
close, over its own socket) while the tabs keep trying. Afterwards:

* the assignments written are those of the same close made on the same data without load (the round's snapshot,
  built and solved in this process, no server involved), and the snapshot the close stored is that very data;
* nothing is half-written: every move a tab saw saved is in the database (one audit row each), none after the
  phase ended, every ranking of the round reads 1..n, one ``round.close`` row, the round closed.

It closes round 1 of the package's demo campaign, so it runs after the other production tests (file order).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import random
import threading
import time
from dataclasses import dataclass, field

import pytest
from sqlmodel import func, select

from siimop_app.db import get_engine, transaction
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
    Student,
    UserEmail,
    utcnow,
)
from siimop_app.pages.manager.rounds import ManagerRoundsState
from siimop_app.pages.supervisor.ranking import RankingBoardState
from siimop_app.services import auth, calendar_admin, rounds
from siimop_app.services.calendar import PARIS
from siimop_app.states.session import AppState
from tests.prod.conftest import ProdServer
from tests.prod.test_faults import _boards

pytestmark = pytest.mark.prod

SUPERVISORS = 6
STUDENTS = 4
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
    """The supervisors' tabs, on an event loop of their own: a move every 50–150 ms each, a board reload every
    fifth action, until told to stop."""

    def __init__(self, server: ProdServer, boards: list[tuple[str, int]], students: list[str]):
        super().__init__(daemon=True)
        self.server, self.boards, self.students = server, boards, students
        self.outcomes = [Outcome() for _ in boards]
        self.student_outcomes = [Outcome() for _ in students]
        self.opened = threading.Event()  # every tab has its board loaded
        self.stopping = threading.Event()

    def run(self) -> None:
        asyncio.run(self._all())

    async def _all(self) -> None:
        tabs = [Tab(self.server.base_url, cookies={COOKIE: cookie}, timeout=30) for cookie, _ in self.boards]
        await asyncio.gather(*(self._open(tab, post_id, outcome)
                               for tab, (_, post_id), outcome in zip(tabs, self.boards, self.outcomes)))
        self.opened.set()
        await asyncio.gather(*(self._supervisor(tab, post_id, outcome)
                               for tab, (_, post_id), outcome in zip(tabs, self.boards, self.outcomes)),
                             *(self._student(cookie, outcome)
                               for cookie, outcome in zip(self.students, self.student_outcomes)))

    async def _student(self, cookie: str, outcome: Outcome) -> None:
        tab = Tab(self.server.base_url, cookies={COOKIE: cookie}, timeout=30)
        try:
            await tab.open("/etudiant/voeux")
            while not self.stopping.is_set():
                await asyncio.sleep(random.uniform(0.1, 0.3))
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
                await asyncio.sleep(random.uniform(0.05, 0.15))
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


async def _close_from_the_page(server: ProdServer, cookie: str, round_id: int) -> str:
    """The manager's "Clôturer" then "Confirmer" on Tours d'appariement; returns the page's final message."""
    tab = Tab(server.base_url, cookies={COOKIE: cookie}, timeout=30)
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


def test_a_round_closed_under_load_writes_what_the_same_close_writes_without_load(prod_server: ProdServer):
    started = utcnow()
    boards = _boards(SUPERVISORS)
    with transaction() as session:
        supervisors = [session.exec(select(UserEmail.user_id).where(UserEmail.email == address)).one()
                       for address, _ in boards]
        round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
        students = session.exec(select(Student.user_id).where(Student.participating).order_by(Student.id)
                                .limit(STUDENTS)).all()
    manager, manager_cookie = _manager()
    crowd = Crowd(prod_server, [(sign_in(user_id), post_id) for user_id, (_, post_id) in zip(supervisors, boards)],
                  [sign_in(user_id) for user_id in students])
    crowd.start()
    assert crowd.opened.wait(60), "the boards did not load"
    try:
        # The ranking phase is open: the tabs' moves are saved, on both workers.
        crowd.wait_for(lambda: all(o.saved >= 3 for o in crowd.outcomes), "three saved moves per tab")
        assert not any(o.refused for o in crowd.outcomes), [o.refused for o in crowd.outcomes]

        _end_ranking_phase(manager, round_id)
        # The phase moved under their feet: each tab's next moves are refused, in French, with the reason.
        crowd.wait_for(lambda: all(len(o.refused) >= 2 for o in crowd.outcomes), "two refused moves per tab")

        # The same close without load: the round's data now, snapshotted and solved here, with no server involved.
        with transaction() as session:
            data = rounds.build_instance(session, round_id)
        _, expected, certificate = rounds.solve_snapshot(data)
        assert certificate.ok and expected.assignments

        refused_before_close = sum(len(o.refused) for o in crowd.outcomes)
        # In a thread of its own: the Playwright tests before this one leave an event loop running in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            message = pool.submit(asyncio.run, _close_from_the_page(prod_server, manager_cookie, round_id)).result()
        # The tabs kept acting through the close, and still do.
        crowd.wait_for(lambda: sum(len(o.refused) for o in crowd.outcomes) >= refused_before_close + SUPERVISORS,
                       "refusals after the close")
    finally:
        outcomes = crowd.stop()

    assert all(not o.failures for o in outcomes + crowd.student_outcomes), [o.failures for o in outcomes]
    assert all(o.reloads >= 1 for o in outcomes + crowd.student_outcomes)
    assert {text for o in outcomes for text in o.refused} == {PHASE_CLOSED}
    assert message.startswith(f"Tour 1 clôturé : {len(expected.assignments)}/")

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
    assert _moves_recorded(supervisors, started) == sum(o.saved for o in outcomes)
    assert all("rs" not in o.answers for o in outcomes), [o.answers for o in outcomes]
    assert _moves_recorded(supervisors, round_.closed_at) == 0
    get_engine().dispose()
