"""Journeys, the run, its checks in the database and its figures (``python -m siimop_app.loadtest --help``).

Each simulated user holds one tab (one socket) for the whole run and acts every ``--think`` seconds (± 50 %):

* **supervisor** — opens the ranking board of a post they are the référent of, then moves a candidate per action
  (ranks the next unranked one, or moves a ranked one up or down): one ``ranking.*`` audit row each;
* **student** — opens "Mes vœux", rates two posts of the visible page and saves (one ``wishes.save`` audit row
  each), follows the redirect to the receipt, and comes back;
* **coordinator** — opens their home page with its live statistics and keeps it open (the server refreshes
  them every 10 s); counted, not timed;
* **idle** (``--idle``) — another supervisor who opens their ranking board and leaves the tab open, as most
  connected people do: the connected sessions a worker holds, beside the active ones;
* **sign-in** — opens /connexion, asks for a link, then opens the link (minted as the mail would carry it) and
  gets the session cookie (one ``sign_in`` audit row each), each time as another person.

Sessions are made the way the app makes them: a sign-in link, used once (``auth.consume_sign_in_link``).
Supervisors need the ranking phase open and students the wishes phase (``python -m siimop_app.demo --phase``);
an action the calendar refuses is counted as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import datetime as dt
import ipaddress
import os
import random
import resource
import socket
import sys
import time
from urllib.parse import quote, urlsplit

import uvloop

from siimop_app import routes

MAX_USERS = 3000
MAX_SECONDS = 1800


class Refused(SystemExit):
    pass


def check_loopback(url: str) -> None:
    """Refuse any target that is not this machine: the tool must never load someone else's server."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https", "postgresql", "postgresql+psycopg", "sqlite") or not host:
        if parts.scheme == "sqlite":
            return
        raise Refused(f"refused: {url!r} is not an http(s) or database URL on this machine")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as exc:
        raise Refused(f"refused: cannot resolve {host!r} ({exc})") from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise Refused(f"refused: {host!r} is not a loopback address ({', '.join(sorted(addresses))}): "
                      "the load tool only runs against this machine")


# -- sessions, made as the app makes them ----------------------------------------------------------------------
def mint_link(user_id: int) -> str:
    """A sign-in link's token for ``user_id``, as ``auth`` mails it (``<id>.<secret>``, only its hash stored)."""
    from siimop_app.db import transaction
    from siimop_app.models import SignInToken, UserEmail, utcnow
    from siimop_app.services import auth
    from sqlmodel import select

    secret, secret_hash = auth.new_secret()
    now = utcnow()
    with transaction() as session:
        email_id = session.exec(select(UserEmail.id).where(UserEmail.user_id == user_id, UserEmail.kind == "main")).first()
        token = SignInToken(user_id=user_id, email_id=email_id, secret_hash=secret_hash, created_at=now,
                            expires_at=now + dt.timedelta(minutes=30))
        session.add(token)
        session.flush()
        return f"{token.id}.{secret}"


def sign_in(user_id: int) -> str:
    from siimop_app.services import auth

    return auth.consume_sign_in_link(mint_link(user_id))


@dataclasses.dataclass
class Cast:
    supervisors: list[tuple[int, int]]  # (user id, post id)
    students: list[int]
    coordinators: list[int]
    sign_ins: list[tuple[int, str]]  # (user id, main address): a fresh person per sign-in
    idle: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # supervisors who only keep a tab open


def referent_boards() -> list[tuple[int, int]]:
    """(user id, post id): each active référent supervisor's first post with at least 3 candidates, by user id.
    The load tool takes its supervisors from the start of this list; a browser journey beside it from the end."""
    import sqlalchemy as sa
    from sqlmodel import select

    from siimop_app.db import transaction
    from siimop_app.models import Application, PostSupervisor, User

    with transaction() as session:
        rows = session.exec(
            select(PostSupervisor.user_id, PostSupervisor.post_id, sa.func.count(Application.id))
            .join(Application, Application.post_id == PostSupervisor.post_id)
            .join(User, User.id == PostSupervisor.user_id)
            .where(PostSupervisor.is_referent, User.is_active)
            .group_by(PostSupervisor.user_id, PostSupervisor.post_id)
            .having(sa.func.count(Application.id) >= 3)
            .order_by(PostSupervisor.user_id, PostSupervisor.post_id)
        ).all()
    seen, boards = set(), []
    for uid, pid, _ in rows:
        if uid not in seen:
            seen.add(uid)
            boards.append((uid, pid))
    return boards


def pick_cast(n_sup: int, n_stu: int, n_coord: int, n_sign: int, n_idle: int = 0) -> Cast:
    import sqlalchemy as sa
    from sqlmodel import select

    from siimop_app.db import transaction
    from siimop_app.models import Role, RoleGrant, Student, User, UserEmail

    supervisors = referent_boards()
    with transaction() as session:
        students = list(session.exec(
            select(Student.user_id).join(User, User.id == Student.user_id)
            .where(Student.participating, User.is_active).order_by(Student.id)).all())
        coordinators = list(session.exec(
            select(RoleGrant.user_id).where(RoleGrant.role == Role.COORDINATOR).distinct()
            .order_by(RoleGrant.user_id)).all())
        taken = (set(u for u, _ in supervisors[:n_sup + n_idle]) | set(students[:n_stu])
                 | set(coordinators[:n_coord]))
        people = session.exec(
            select(UserEmail.user_id, UserEmail.email).join(User, User.id == UserEmail.user_id)
            .where(UserEmail.kind == "main", UserEmail.validated_at.is_not(None), User.is_active)
            .order_by(sa.desc(UserEmail.user_id))).all()
    sign_ins = [(uid, email) for uid, email in people if uid not in taken][:n_sign]
    cast = Cast(supervisors[:n_sup], students[:n_stu], coordinators[:n_coord], sign_ins,
                supervisors[n_sup:n_sup + n_idle])
    short = [(what, want, len(got)) for what, want, got in (
        ("supervisors", n_sup, cast.supervisors), ("idle tabs", n_idle, cast.idle), ("students", n_stu, cast.students),
        ("coordinators", n_coord, cast.coordinators), ("sign-ins", n_sign, cast.sign_ins)) if len(got) < want]
    if short:
        raise Refused("not enough people in the database: " + ", ".join(f"{w} {g}/{n}" for w, n, g in short))
    return cast


# A student rates 2 to 6 posts between two saves (the demo's lists hold 9.3 wishes on average, saved once or a few
# times): a save writes the list, its receipt and its mail, several times a heart's work.
HEARTS_PER_SAVE = (2, 6)


# -- the run ---------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Figures:
    latencies: dict[str, list[float]] = dataclasses.field(default_factory=lambda: collections.defaultdict(list))
    errors: dict[str, int] = dataclasses.field(default_factory=lambda: collections.defaultdict(int))
    error_reasons: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    done: dict[str, int] = dataclasses.field(default_factory=lambda: collections.defaultdict(int))
    connected: int = 0
    peak_connected: int = 0
    stats_updates: int = 0
    # (when it was answered, kind, latency) of every answered action, and when the last user arrived: the
    # figures once everyone is there are the ones the ramp does not dilute.
    answered: list[tuple[float, str, float]] = dataclasses.field(default_factory=list)
    everyone_arrived_at: float = 0.0
    # How late the tool's own event loop wakes up: every latency it measures includes this delay, so a tool short
    # of CPU reports a slow server that is not (printed with the figures).
    loop_lags: list[float] = dataclasses.field(default_factory=list)
    # The tool's CPU seconds when the run started, when everyone had arrived and when it ended: making the sessions
    # before the run (a sign-in link minted and consumed per person, hashes included) is not the browsers' cost.
    cpu_at: dict[str, float] = dataclasses.field(default_factory=dict)

    def ok(self, kind: str, seconds: float) -> None:
        self.latencies[kind].append(seconds)
        self.done[kind] += 1
        self.answered.append((time.monotonic(), kind, seconds))

    def fail(self, kind: str, reason: str) -> None:
        self.errors[kind] += 1
        self.error_reasons[f"{kind}: {reason}"] += 1


def _state_key() -> str:
    from siimop_app.states.session import AppState

    return f"{AppState.get_full_name()}.session_cookie"


def _handler(state_cls, name: str) -> str:
    return f"{state_cls.get_full_name()}.{name}"


class Journeys:
    def __init__(self, base_url: str, figures: Figures, deadline: float, think: float, timeout: float):
        from siimop_app.pages.coordinator.home import CoordinatorHomeState
        from siimop_app.pages.sign_in import SignInState
        from siimop_app.pages.student.wishes import WishesState
        from siimop_app.pages.supervisor.ranking import RankingBoardState

        self.base_url, self.f, self.deadline, self.think, self.timeout = base_url, figures, deadline, think, timeout
        self.cookie_key = _state_key()
        self.board = RankingBoardState
        self.wishes = WishesState
        self.sign_in_state = SignInState
        self.coordinator_home = CoordinatorHomeState

    async def _pause(self) -> bool:
        wait = self.think * random.uniform(0.5, 1.5)
        if time.monotonic() + wait >= self.deadline:
            await asyncio.sleep(max(self.deadline - time.monotonic(), 0))  # stay connected to the end, idle
            return False
        await asyncio.sleep(wait)
        return True

    def _tab(self, cookie: str | None = None):
        from siimop_app.loadtest.client import Tab

        from siimop_app.states.session import SESSION_COOKIE

        # The cookie goes both ways a browser sends it: in the hydrate event's client storage and in the socket's
        # handshake, where the server finds it again when the state was lost (Redis restarted).
        return Tab(self.base_url, cookies={self.cookie_key: cookie} if cookie else {}, timeout=self.timeout,
                   cookie_header=f"{SESSION_COOKIE}={quote(cookie)}" if cookie else "")

    async def _open(self, tab, kind: str, path: str, params=None) -> bool:
        from siimop_app.loadtest.client import SocketError

        try:
            self.f.ok(f"{kind}.open", await tab.open(path, params))
        except SocketError as exc:
            # The browser tries again too (a worker that died while the page opened): the open is an error, the
            # tab goes on once it got the page.
            self.f.fail(f"{kind}.open", str(exc))
            if not await self._reconnect(tab, kind, path, params):
                return False
        self.f.connected += 1
        self.f.peak_connected = max(self.f.peak_connected, self.f.connected)
        return True

    async def _reconnect(self, tab, kind: str, path: str, params=None) -> bool:
        """What the browser does when its socket is lost (a worker killed, a restart, a worker handing clients
        over): reconnect with the same tab token, whose state the other workers find in Redis, and reload the
        page; again every 0.5-1.5 s until the run ends. A tab whose socket the server closed between two actions
        reconnects before the next one, as the browser does at once, so that only a click in flight is lost. The
        time until the page is back is reported as ``<kind>.reconnect``."""
        from siimop_app.loadtest.client import SocketError

        await tab.close()
        lost_at = time.monotonic()
        while time.monotonic() < self.deadline:
            await asyncio.sleep(random.uniform(0.5, 1.5))
            try:
                await tab.open(path, params)
            except SocketError:
                await tab.close()
                continue
            self.f.ok(f"{kind}.reconnect", time.monotonic() - lost_at)
            return True
        return False

    async def supervisor(self, cookie: str, post_id: int) -> None:
        from siimop_app.loadtest.client import SocketError

        tab = self._tab(cookie)
        path = routes.RANKING_BOARD.link(post_id=post_id)
        if not await self._open(tab, "supervisor", path, {"post_id": str(post_id)}):
            return
        suffix = self.board.get_full_name().rpartition(".")[2]
        try:
            while await self._pause():
                if not tab.connected() and not await self._reconnect(tab, "supervisor", path,
                                                                      {"post_id": str(post_id)}):
                    return
                ranked = tab.var(suffix, "ranked", []) or []
                unranked = tab.var(suffix, "unranked", []) or []
                if unranked:
                    action, student = "rank_last", unranked[0]["id"]
                elif len(ranked) >= 2:
                    action, student = random.choice([("move_up", ranked[-1]["id"]), ("move_down", ranked[0]["id"])])
                elif ranked:
                    action, student = "unrank", ranked[0]["id"]
                else:  # its state was lost with Redis and came back empty: reload the page, as its user would
                    self.f.fail("supervisor.move", "empty board")
                    try:
                        await tab.navigate(path, {"post_id": str(post_id)})
                    except SocketError:
                        if not await self._reconnect(tab, "supervisor", path, {"post_id": str(post_id)}):
                            return
                    continue
                try:
                    seconds = await tab.send(_handler(self.board, action), {"student_id": student}, answer=suffix)
                except SocketError as exc:
                    self.f.fail("supervisor.move", str(exc))
                    if await self._reconnect(tab, "supervisor", path, {"post_id": str(post_id)}):
                        continue
                    return
                if tab.error_toast or tab.var(suffix, "error"):
                    self.f.fail("supervisor.move", tab.error_toast or str(tab.var(suffix, "error")))
                elif _order(tab.var(suffix, "ranked", [])) == _order(ranked):
                    # An answer that leaves the board as it was is not a move the database can show (a late
                    # answer to an earlier click, say): counted as an error, not as a saved move.
                    self.f.fail("supervisor.move", "board unchanged")
                else:
                    self.f.ok("supervisor.move", seconds)
        finally:
            self.f.connected -= 1
            await tab.close()

    async def student(self, cookie: str) -> None:
        from siimop_app.loadtest.client import SocketError

        tab = self._tab(cookie)
        if not await self._open(tab, "student", routes.WISHES.path):
            return
        suffix = self.wishes.get_full_name().rpartition(".")[2]
        try:
            while await self._pause():
                if not tab.connected() and not await self._reconnect(tab, "student", routes.WISHES.path):
                    return
                rows = tab.var(suffix, "rows", []) or []
                if len(rows) < 2:
                    self.f.fail("student.save", f"no post to rate ({tab.var(suffix, 'error') or 'empty page'})")
                    return
                try:
                    # One action every few seconds, as a person reading the posts between two clicks: a few hearts
                    # (HEARTS_PER_SAVE), the save (which opens the receipt), back to the list.
                    for i, row in enumerate(random.sample(rows, min(len(rows), random.randint(*HEARTS_PER_SAVE)))):
                        if i and not await self._pause():
                            return
                        seconds = await tab.send(_handler(self.wishes, "set_hearts"),
                                                 {"post_id": row["post_id"], "hearts": random.randint(1, 5)},
                                                 answer=suffix)
                        if tab.error_toast or tab.var(suffix, "error"):
                            self.f.fail("student.rate", tab.error_toast or str(tab.var(suffix, "error")))
                        else:
                            self.f.ok("student.rate", seconds)
                    if not await self._pause():
                        return
                    seconds = await tab.send(_handler(self.wishes, "save"), redirects=True)
                    error = tab.error_toast or tab.var(suffix, "error")
                    if error or tab.path != routes.WISHES_RECEIPT.path:
                        self.f.fail("student.save", str(error or f"stayed on {tab.path}"))
                    else:
                        self.f.ok("student.save", seconds)
                    if not await self._pause():
                        return
                    self.f.ok("student.back", await tab.navigate(routes.WISHES.path))
                except SocketError as exc:
                    self.f.fail("student.save", str(exc))
                    if await self._reconnect(tab, "student", routes.WISHES.path):
                        continue
                    return
        finally:
            self.f.connected -= 1
            await tab.close()

    async def coordinator(self, cookie: str) -> None:
        tab = self._tab(cookie)
        if not await self._open(tab, "coordinator", routes.STUDENT_TABLE.path):
            return
        try:
            await self._hold(tab, "coordinator", routes.STUDENT_TABLE.path,
                             refreshes=(self.coordinator_home.get_full_name().rpartition(".")[2], "stats_refreshed"))
        finally:
            self.f.connected -= 1
            await tab.close()

    async def idle_supervisor(self, cookie: str, post_id: int) -> None:
        """A tab left open on a ranking board: most of the sessions connected at any time do nothing."""
        tab = self._tab(cookie)
        path, params = routes.RANKING_BOARD.link(post_id=post_id), {"post_id": str(post_id)}
        if not await self._open(tab, "idle", path, params):
            return
        try:
            await self._hold(tab, "idle", path, params)
        finally:
            self.f.connected -= 1
            await tab.close()

    async def _hold(self, tab, kind: str, path: str, params=None, refreshes: tuple[str, str] | None = None) -> None:
        """Keep the page open to the end of the run; when the server goes away, reconnect and reload it as the
        browser does. ``refreshes`` names the var the server bumps with each live-statistics push."""
        def pushed() -> int:
            return (tab.var(*refreshes, 0) or 0) if refreshes else 0

        start = pushed()
        while time.monotonic() < self.deadline:
            await asyncio.sleep(min(1.0, max(self.deadline - time.monotonic(), 0)))
            if not tab.connected():
                self.f.stats_updates += pushed() - start
                if not await self._reconnect(tab, kind, path, params):
                    return
                start = pushed()
        self.f.stats_updates += pushed() - start

    async def sign_ins(self, people: list[tuple[int, str]]) -> None:
        from siimop_app.loadtest.client import SocketError

        for user_id, address in people:
            if not await self._pause():
                return
            tab = self._tab()
            if not await self._open(tab, "signin", routes.SIGN_IN.path):
                continue
            try:
                form = self.sign_in_state.get_full_name().rpartition(".")[2]
                seconds = await tab.send(_handler(self.sign_in_state, "request_link"), {"form_data": {"email": address}},
                                         answer=form)
                if not tab.var(form, "sent_message"):
                    self.f.fail("signin.request", "no confirmation shown")
                    continue
                self.f.ok("signin.request", seconds)
                link = await asyncio.to_thread(mint_link, user_id)  # the link the mail carries
                seconds = await tab.navigate(routes.SIGN_IN_LINK.link(token=link), {"token": link})
                cookie = tab.var("app_state", "session_cookie", "")
                if cookie and tab.path != routes.SIGN_IN.path:  # signed in, and sent on to their home page
                    self.f.ok("signin.link", seconds)
                else:
                    self.f.fail("signin.link", "no session cookie")
            except SocketError as exc:
                self.f.fail("signin", str(exc))
            finally:
                self.f.connected -= 1
                await tab.close()


def _order(board: list[dict] | None) -> list[int]:
    return [card["id"] for card in board or []]


def last_audit_id() -> int:
    """The audit trail's high-water mark before a run: the rows after it are the run's, and only the run's (a
    time window would also take the last moves of a run just before)."""
    import sqlalchemy as sa
    from sqlmodel import select

    from siimop_app.db import transaction
    from siimop_app.models import AuditEntry

    with transaction() as session:
        return session.exec(select(sa.func.coalesce(sa.func.max(AuditEntry.id), 0))).one()


def _verify(after_id: int, cast: Cast) -> dict[str, int]:
    import sqlalchemy as sa
    from sqlmodel import select

    from siimop_app.db import transaction
    from siimop_app.models import AuditEntry

    def count(condition, users) -> int:
        if not users:
            return 0
        with transaction() as session:
            return session.exec(select(sa.func.count()).select_from(AuditEntry).where(
                AuditEntry.id > after_id, condition, AuditEntry.actor_user_id.in_(list(users)))).one()

    return {
        "supervisor.move": count(AuditEntry.action.like("ranking.%"), [u for u, _ in cast.supervisors]),
        "student.save": count(AuditEntry.action == "wishes.save", cast.students),
        "signin.link": count(AuditEntry.action == "sign_in", [u for u, _ in cast.sign_ins]),
    }


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# Page opens and reconnections are reported apart from the actions' latencies.
NOT_ACTIONS = (".open", ".reconnect")


def report(f: Figures, seconds: float, verified: dict[str, int], ended_at: float | None = None) -> tuple[str, bool]:
    lines = [f"{'action':18} {'n':>6} {'err':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
    all_lat, all_err = [], 0
    for kind in sorted(set(f.latencies) | set(f.errors)):
        lat = f.latencies.get(kind, [])
        err = f.errors.get(kind, 0)
        all_err += err
        if not kind.endswith(NOT_ACTIONS):
            all_lat += lat
        lines.append(f"{kind:18} {len(lat):6} {err:5} {_pct(lat, 50) * 1000:8.0f} {_pct(lat, 95) * 1000:8.0f} "
                     f"{_pct(lat, 99) * 1000:8.0f}")
    events = sum(len(v) for v in f.latencies.values())
    total = events + all_err
    lines.append(f"actions (not counting page opens): p50 {_pct(all_lat, 50) * 1000:.0f} ms, "
                 f"p95 {_pct(all_lat, 95) * 1000:.0f} ms, p99 {_pct(all_lat, 99) * 1000:.0f} ms")
    lines.append(f"error rate {all_err / total * 100 if total else 0:.2f} % ({all_err}/{total}); "
                 f"{events / seconds:.1f} events/s over {seconds:.0f} s; peak {f.peak_connected} open tabs; "
                 f"{f.stats_updates} live-statistics refreshes received")
    if f.loop_lags:
        lines.append(f"load tool's own event loop late by p50 {_pct(f.loop_lags, 50) * 1000:.0f} ms, p95 "
                     f"{_pct(f.loop_lags, 95) * 1000:.0f} ms (included in the latencies above)")
    if {"start", "arrived", "end"} <= f.cpu_at.keys():
        run_cpu = f.cpu_at["end"] - f.cpu_at["start"]
        line = f"load tool's CPU during the run: {run_cpu:.0f} s ({run_cpu / seconds:.2f} cores)"
        if ended_at and ended_at - f.everyone_arrived_at >= 1:
            steady_cpu = f.cpu_at["end"] - f.cpu_at["arrived"]
            line += f", {steady_cpu / (ended_at - f.everyone_arrived_at):.2f} cores once everyone arrived"
        lines.append(line)
    if ended_at and f.everyone_arrived_at and ended_at - f.everyone_arrived_at >= 1:
        window = ended_at - f.everyone_arrived_at
        steady = [(kind, lat) for at, kind, lat in f.answered if at >= f.everyone_arrived_at]
        steady_lat = [lat for kind, lat in steady if not kind.endswith(NOT_ACTIONS)]
        lines.append(f"once everyone arrived ({window:.0f} s): {len(steady) / window:.1f} events/s; actions p50 "
                     f"{_pct(steady_lat, 50) * 1000:.0f} ms, p95 {_pct(steady_lat, 95) * 1000:.0f} ms, "
                     f"p99 {_pct(steady_lat, 99) * 1000:.0f} ms")
    ok = True
    for kind, rows in verified.items():
        claimed = f.done.get(kind, 0)
        # More rows than answers is normal after a fault: a click can land while its answer is lost with the socket.
        lost = f" ({rows - claimed} whose answer was lost or late)" if rows > claimed else ""
        lines.append(f"database: {rows} {kind} row(s) written for {claimed} answered by the server{lost}")
        ok &= rows >= claimed
    if f.error_reasons:  # after a fault, which one cost what: sockets lost, the database away, Redis restarted
        lines.append("errors by reason: " + " | ".join(f"{n} × {reason[:160]}"
                                                       for reason, n in f.error_reasons.most_common(8)))
    lines.append(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return "\n".join(lines), ok


def _tool_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _watch_loop(figures: Figures, deadline: float, every: float = 0.1) -> None:
    while time.monotonic() < deadline:
        asked = time.monotonic()
        await asyncio.sleep(every)
        figures.loop_lags.append(time.monotonic() - asked - every)


async def _run(args, cast: Cast, cookies: dict) -> tuple[Figures, float]:
    figures = Figures()
    figures.cpu_at["start"] = _tool_cpu()
    start = time.monotonic()
    deadline = start + args.duration
    watcher = asyncio.create_task(_watch_loop(figures, deadline))
    journeys = Journeys(args.url, figures, deadline, args.think, args.timeout)
    tasks = []
    everyone = ([("supervisor", c) for c in cast.supervisors] + [("student", s) for s in cast.students]
                + [("coordinator", c) for c in cast.coordinators] + [("idle", c) for c in cast.idle])
    random.shuffle(everyone)
    step = args.ramp / max(len(everyone), 1)
    for i, (kind, who) in enumerate(everyone):
        if kind == "supervisor":
            tasks.append(asyncio.create_task(journeys.supervisor(cookies[who[0]], who[1])))
        elif kind == "idle":
            tasks.append(asyncio.create_task(journeys.idle_supervisor(cookies[who[0]], who[1])))
        elif kind == "student":
            tasks.append(asyncio.create_task(journeys.student(cookies[who])))
        else:
            tasks.append(asyncio.create_task(journeys.coordinator(cookies[who])))
        if step:
            await asyncio.sleep(step)
    figures.everyone_arrived_at = time.monotonic()
    figures.cpu_at["arrived"] = _tool_cpu()
    if cast.sign_ins:
        per = max(len(cast.sign_ins) // max(args.sign_in_tabs, 1), 1)
        for i in range(0, len(cast.sign_ins), per):
            tasks.append(asyncio.create_task(journeys.sign_ins(cast.sign_ins[i:i + per])))
    await asyncio.gather(*tasks, watcher)
    figures.cpu_at["end"] = _tool_cpu()
    return figures, time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m siimop_app.loadtest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the backend (loopback only)")
    parser.add_argument("--supervisors", type=int, default=10)
    parser.add_argument("--students", type=int, default=0)
    parser.add_argument("--coordinators", type=int, default=0)
    parser.add_argument("--idle", type=int, default=0,
                        help="more supervisors who open their ranking board and leave the tab open, doing nothing")
    parser.add_argument("--sign-ins", type=int, default=0, help="sign-ins in all (each by another person)")
    parser.add_argument("--sign-in-tabs", type=int, default=2, help="tabs signing in at the same time")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds over which the users arrive")
    parser.add_argument("--think", type=float, default=2.0, help="seconds between a user's actions (± 50 %%)")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds without an answer = an error")
    args = parser.parse_args(argv)

    users = args.supervisors + args.idle + args.students + args.coordinators + args.sign_ins
    if not 0 < users <= MAX_USERS:
        raise Refused(f"refused: between 1 and {MAX_USERS} users (asked {users})")
    if not 0 < args.duration <= MAX_SECONDS:
        raise Refused(f"refused: a run lasts at most {MAX_SECONDS} s")
    check_loopback(args.url)
    from siimop_app.settings import get_settings

    check_loopback(get_settings().database_url)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * users + 256)), hard))

    since = last_audit_id()
    cast = pick_cast(args.supervisors, args.students, args.coordinators, args.sign_ins, args.idle)
    t0 = time.perf_counter()
    cookies = {uid: sign_in(uid) for uid in {u for u, _ in cast.supervisors + cast.idle} | set(cast.students)
               | set(cast.coordinators)}
    print(f"{len(cookies)} sessions made in {time.perf_counter() - t0:.1f} s; running {args.duration:.0f} s "
          f"against {args.url} ...", flush=True)
    # On uvloop, as the server's workers (siimop_app/prod.py): the tool shares the machine's cores with the server
    # it measures, and every frame it reads or writes costs less there.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        figures, seconds = runner.run(_run(args, cast, cookies))
    ended_at = time.monotonic()
    text, ok = report(figures, seconds, _verify(since, cast), ended_at)
    print(text, flush=True)
    if not ok:
        print("FAILED: the database holds fewer changes than the server confirmed", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
