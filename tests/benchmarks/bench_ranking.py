"""Benchmark: a ranking move on a post with 300 candidates, measured through the page's state.

    python tests/benchmarks/bench_ranking.py [--candidates 300] [--moves 60] [--database-url URL] [--quick]

Prints the server time of a move (event handler → transaction saved → banner
recomputed → lists rebuilt), its CPU time in this process and its SQL statements (what
each event costs a worker, whatever else runs on the machine), and the size of the
ranking page's state sent to the browser. Targets (issue 4): under 150 ms per move, under 200 KB of state. Figures
are printed, never asserted. Default database: a throwaway SQLite file; with ``--database-url
postgresql+psycopg://USER@HOST:5432/postgres`` a database created on that server for the run and dropped afterwards
(the server's own databases are never touched).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=300)
    parser.add_argument("--moves", type=int, default=60)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL (a throwaway database is made on it)")
    parser.add_argument("--quick", action="store_true", help="30 candidates, 8 moves (the test suite runs this)")
    args = parser.parse_args()
    if args.quick:
        args.candidates, args.moves = 30, 8

    from tests.benchmarks.throwaway import throwaway_database

    with throwaway_database(args.database_url):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    import reflex as rx
    from reflex.istate.data import PageData
    from reflex.utils.format import json_dumps
    import sqlalchemy as sa
    from sqlmodel import select

    import siimop_app.siimop_app  # noqa: F401  (registers the route arguments)
    from siimop_app.db import get_engine, transaction
    from siimop_app.demo.cli import main as demo_main
    from siimop_app.models import Application, Post, PostSupervisor, Round, Site, Student, User, UserEmail
    from siimop_app.pages.supervisor.ranking import RankingBoardState
    from siimop_app.services import auth
    from siimop_app.settings import get_settings
    from tests.services.mailbox import links_for, token_of

    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    with transaction() as session:
        rts = session.exec(select(UserEmail.user_id).where(UserEmail.email == "rts@demo.siimop.fr")).one()
        post = session.exec(
            select(Post).join(PostSupervisor, PostSupervisor.post_id == Post.id)
            .join(Site, Site.id == Post.site_id)
            .where(PostSupervisor.user_id == rts, PostSupervisor.is_referent, Post.post_type == "couple")
        ).one()
        round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
        others = session.exec(
            select(Post.id).where(Post.calling_specialty_id == post.calling_specialty_id,
                                  Post.subdivision_id == post.subdivision_id, Post.id != post.id).limit(12)
        ).all()
        template = session.exec(select(Student).where(Student.subdivision_id == post.subdivision_id)).first()
        for n in range(args.candidates):
            user = User(first_name="Candidat", last_name=f"Bench{n:04d}")
            session.add(user)
            session.flush()
            student = Student(user_id=user.id, ine=f"BENCH{n:06d}", intern_number=f"{n:08d}",
                              subdivision_id=template.subdivision_id if n % 2 else template.subdivision_id + 1,
                              specialty_id=post.calling_specialty_id)
            session.add(student)
            session.flush()
            for post_id in [post.id, *others]:
                session.add(Application(round_id=round_id, student_id=student.id, post_id=post_id, hearts=3))
    auth.request_sign_in("rts@demo.siimop.fr")
    auth.wait_for_sign_in_mails()
    cookie = auth.consume_sign_in_link(token_of(links_for(get_settings().outbox_dir, "rts@demo.siimop.fr")[-1]))

    root = rx.State(_reflex_internal_init=True)
    root.rx_router_page = PageData(path="/rts/classement/[post_id]", params={"post_id": str(post.id)})
    state = root.get_substate(RankingBoardState.get_full_name().split("."))
    state.session_cookie = cookie
    started = time.perf_counter()
    loop = asyncio.new_event_loop()
    loop.run_until_complete(state.load())  # async: its database work in a thread, as the server runs it
    load_ms = 1000 * (time.perf_counter() - started)
    candidates = len(state.unranked)

    timings: list[float] = []
    cpu: list[float] = []
    queries: list[int] = []
    statements = [0]
    sa.event.listen(get_engine(), "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))

    def timed(handler, *handler_args) -> None:
        statements[0] = 0
        began, began_cpu = time.perf_counter(), time.process_time()
        result = handler(*handler_args)
        if inspect.iscoroutine(result):  # an async handler (its database work in a thread), as Reflex awaits it
            loop.run_until_complete(result)
        timings.append(1000 * (time.perf_counter() - began))
        cpu.append(1000 * (time.process_time() - began_cpu))
        queries.append(statements[0])
        if state.error:
            raise SystemExit(f"move refused: {state.error}")

    ids = [card.id for card in state.unranked]
    for sid in ids:  # rank everyone (300 moves) — the first measured series
        timed(state.rank_last, sid)
    rank_all_ms, rank_all_cpu, rank_all_queries = list(timings), list(cpu), list(queries)
    timings.clear()
    cpu.clear()
    queries.clear()
    database_cpu_before = _local_postgres_cpu()
    for i in range(args.moves):
        sid = ids[(i * 37) % len(ids)]
        kind = i % 4
        if kind == 0:
            timed(state.move_up, sid)
        elif kind == 1:
            timed(state.move_down, sid)
        elif kind == 2:
            timed(state.set_rank, sid, str(1 + (i * 53) % len(ids)))
        else:
            timed(state.refuse, sid)
            timed(state.rank_last, sid)
    database_cpu = _local_postgres_cpu() - database_cpu_before
    state_bytes = len(json_dumps(state.dict()).encode())
    board_bytes = len(json_dumps({k: getattr(state, k) for k in ("ranked", "unranked", "refused", "problems")}).encode())

    def summary(values: list[float]) -> str:
        values = sorted(values)
        return (f"median {statistics.median(values):.1f} ms, p95 {values[int(0.95 * (len(values) - 1))]:.1f} ms, "
                f"max {values[-1]:.1f} ms ({len(values)} moves)")

    backend = os.environ["REFLEX_DB_URL"].split(":", 1)[0]
    print(f"Ranking benchmark on {backend}: post with {candidates} candidates")
    print(f"  page load (on_load):           {load_ms:.1f} ms")
    print(f"  ranking everyone, per move:    {summary(rank_all_ms)}")
    print(f"    CPU (this process) per move: {summary(rank_all_cpu)}; SQL statements per move: "
          f"{statistics.median(rank_all_queries):.0f} median")
    print(f"  arrows / rank field / refuse:  {summary(timings)}   target < 150 ms")
    print(f"    CPU (this process) per move: {summary(cpu)}; SQL statements per move: "
          f"{statistics.median(queries):.0f} median")
    if backend.startswith("postgresql") and database_cpu > 0:
        # The database shares the machine's cores with the workers under load: its share of a move counts too.
        print(f"    PostgreSQL's CPU per move:   {1000 * database_cpu / len(timings):.1f} ms (its processes on this "
              f"machine, whatever else they served meanwhile)")
    print(f"  state sent to the browser:     {state_bytes / 1024:.1f} KB (board lists {board_bytes / 1024:.1f} KB)"
          f"   target < 200 KB")
    print(f"  ranking valid at the end:      {state.valid} ({len(state.problems)} problem(s))")
    return 0


def _local_postgres_cpu() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (0 when none is local)."""
    import psutil

    total = 0.0
    for process in psutil.process_iter(["name"]):
        try:
            if (process.info["name"] or "").startswith("postgres"):
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.Error:  # ended meanwhile, or not ours to read
            continue
    return total


if __name__ == "__main__":
    raise SystemExit(main())
