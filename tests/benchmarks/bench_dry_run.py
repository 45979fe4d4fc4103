"""Benchmark: the dry run of round 1 of the national demo, then the real close on the same data.

    python tests/benchmarks/bench_dry_run.py [--quick] [--database-url URL]

Loads the demo (``--phase ranking``; ``--quick``: the small demo) into a throwaway database — a SQLite
file, or, with ``--database-url postgresql+psycopg://USER@HOST:5432/postgres``, a database created on
that server for the run and dropped afterwards — runs the dry run as the admin (whole country; twice: the
first solves the round, the second reuses that solve as repeated runs on unchanged data do), the
manager (a region) and the coordinator (a specialty in a subdivision), printing the time of each step
(target: under 5 s) — between the admin's first run and the others the process is made cold again and warmed
as a starting worker is (``services.warm_up``), so the next run is the first dry run of the day; then one
supervisor moves one candidate of their ranking and the admin runs it again
(exact mode re-solves that one market: the others are remembered), once in a market of typical size and
once in the largest one (the worst case), and that last projection is compared with a solve from scratch;
then it ends the ranking phase, closes the round and checks that the close wrote exactly the projected
assignments. Figures are printed, never asserted (but a disagreement is reported and makes the exit code 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL (a throwaway database is made on it)")
    parser.add_argument("--quick", action="store_true", help="the small demo instead of the national one")
    args = parser.parse_args()

    from tests.benchmarks.throwaway import throwaway_database

    with throwaway_database(args.database_url) as _url:
        return _run(args)


def _run(args) -> int:
    from sqlmodel import select

    from siimop_app import matching
    from siimop_app.db import get_engine, transaction
    from siimop_app.demo.cli import main as demo_main
    from siimop_app.demo.generator import DEMO_ACCOUNTS
    from siimop_app.matching.exact import markets
    from siimop_app.matching.memo import MARKETS
    from siimop_app.models import Assignment, Phase, Ranking, RankingEntry, Round, UserEmail
    from siimop_app.services import auth, calendar, dry_run, rounds, warm_up
    from siimop_app.settings import get_settings

    def signed_in(account: str) -> auth.SignedInUser:
        with transaction() as session:
            user_id = session.exec(select(UserEmail.user_id).where(UserEmail.email == DEMO_ACCOUNTS[account][2])).one()
            return auth.SignedInUser(user_id, "", "", DEMO_ACCOUNTS[account][2], auth._roles(session, user_id))

    def move_one_candidate(round_id: int, market: str | None) -> str:
        """One supervisor swaps two ranked candidates of the same subdivision status (the ranking stays valid),
        on a post of ``market`` (an id of the exact solve's stats), or else of a market of median size."""
        with transaction() as session:
            data = rounds.build_instance(session, round_id)
        c = matching.Instance.from_dict(data).compiled()
        found = markets(c)
        size = {c.pids[p]: len(students) for students, posts in found for p in posts}
        market_of = {c.pids[p]: f"M{i + 1}" for i, (_, posts) in enumerate(found) for p in posts}
        posts = sorted((size[p["id"]], int(p["id"])) for p in data["posts"]
                       if p["ranking_status"] == "valid" and len(p["ranking"]) >= 2 and p["id"] in size
                       and market in (None, market_of[p["id"]]))
        sub = {s["id"]: s["subdivision_id"] for s in data["students"]}
        subdivision = {p["id"]: p["subdivision_id"] for p in data["posts"]}
        target = sorted(len(students) for students, _ in found)[len(found) // 2]
        for market_size, pid in sorted(posts, key=lambda sp: (abs(sp[0] - target), -sp[0], sp[1])):
            ranking = next(p["ranking"] for p in data["posts"] if p["id"] == str(pid))
            local = [sub[s] == subdivision[str(pid)] for s in ranking]
            pair = next(((i, j) for i in range(len(ranking)) for j in range(i + 1, len(ranking))
                         if local[i] == local[j]), None)
            if pair is None:
                continue
            a, b = (int(ranking[k]) for k in pair)
            with transaction() as session:
                ranking_id = session.exec(select(Ranking.id).where(Ranking.round_id == round_id,
                                                                   Ranking.post_id == pid)).one()
                rows = {e.student_id: e for e in session.exec(select(RankingEntry).where(
                    RankingEntry.ranking_id == ranking_id, RankingEntry.student_id.in_((a, b)))).all()}
                rows[a].rank, rows[b].rank = rows[b].rank, rows[a].rank
                session.add_all(rows.values())
            return (f"post {pid} (market {market_of[str(pid)]}, {market_size} students): its candidates "
                    f"{pair[0] + 1} and {pair[1] + 1} swapped")
        return "no ranking to change"

    def timed_dry_run(account: str, label: str):
        cpu = time.process_time()
        report = dry_run.run_dry_run(signed_in(account))
        cpu = time.process_time() - cpu
        t = report.timings
        print(f"dry run as {label} on {dialect}: " + ", ".join(
            f"{step} {t[step]:.2f} s" for step in ("snapshot", "match", "check", "fix_rankings", "fix_lists"))
            + f" — total {t['total']:.2f} s, CPU {cpu:.2f} s (target < 5 s; load {os.getloadavg()[0]:.1f})")
        print(f"  scope: {report.rate} placed, {report.unplaced_total} unplaced, {report.empty_places_total} "
              f"empty places; round: {report.round_placed}/{report.round_students}")
        print(f"  {report.rankings_sentence()}")
        print(f"  {report.lists_sentence()}")
        return report

    status = 0
    started = time.perf_counter()
    assert demo_main(["--scale", "small" if args.quick else "national", "--phase", "ranking"]) == 0
    dialect = get_engine().dialect.name
    print(f"demo loaded in {time.perf_counter() - started:.1f} s ({dialect})")
    reports = {}
    # The first run solves the round (the close's exact optimiser); the next ones, on unchanged data, reuse
    # it as a manager's repeated runs and the close would. CPU seconds are the figure a loaded machine keeps.
    reports["admin"] = timed_dry_run("admin", "admin (first: solves the round)")
    # A worker starting afresh (nothing solved in the process) warms the engine before anyone asks
    # (services.warm_up, what each worker pays at start); then the first dry run of the day.
    MARKETS.clear()
    rounds._SOLVED.clear()
    dry_run._PLACED.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    warm_up.warm_dry_run()
    print(f"warm-up at a worker's start: {time.perf_counter() - wall:.2f} s, CPU {time.process_time() - cpu:.2f} s "
          f"(load {os.getloadavg()[0]:.1f})")
    for account, label in (("admin", "admin (first after the warm-up)"), ("admin", "admin (again)"),
                           ("manager", "manager"), ("coordinator", "coordinator")):
        reports[account] = timed_dry_run(account, label)
    round_id = reports["admin"].round_id

    # A new snapshot after one change: only the changed market is solved again (matching.memo).
    with transaction() as session:
        data = rounds.build_instance(session, round_id)
    seconds = rounds.solve_snapshot(data)[1].timings["exact_markets"]  # the first run's, remembered
    slowest = max(seconds, key=lambda market: (seconds[market], market))
    for market, label in ((None, "a market of median size"),
                          (slowest, f"the market slowest to solve ({seconds[slowest]:.1f} s cold)")):
        print(f"one ranking changed in {label}: {move_one_candidate(round_id, market)}")
        before = MARKETS.info()
        reports["admin"] = timed_dry_run("admin", f"admin (after one change in {label})")
        after = MARKETS.info()
        print(f"  markets reused: {after['hits'] - before['hits']} of "
              f"{after['hits'] + after['misses'] - before['hits'] - before['misses']}")
    with transaction() as session:
        data = rounds.build_instance(session, round_id)
    _, warm, _ = rounds.solve_snapshot(data)  # the last dry run's result (same snapshot)
    MARKETS.clear()
    started = time.perf_counter()
    cold = matching.solve(matching.Instance.from_dict(data), mode="exact",
                          time_limit=get_settings().matching_time_limit)
    same_as_cold = cold.to_json() == warm.to_json()
    print(f"the last projection solved from scratch ({time.perf_counter() - started:.2f} s): identical result, "
          f"stats and proofs: {same_as_cold}")
    status = 0 if same_as_cold else 1

    yesterday = calendar.now().date() - dt.timedelta(days=1)
    with transaction() as session:
        for phase in session.exec(select(Phase).where(Phase.kind == "ranking")).all():
            phase.ends_on, phase.starts_on = yesterday, min(phase.starts_on, yesterday)
            session.add(phase)
        assert session.exec(select(Round.id).where(Round.number == 1)).one() == round_id
    closed = rounds.close_round(round_id=round_id, actor_user_id=None)
    with transaction() as session:
        written = dict(session.exec(select(Assignment.student_id, Assignment.post_id)
                                    .where(Assignment.round_id == round_id)).all())
    same = written == reports["admin"].projected
    print(f"close: {closed.students_placed} placed in {closed.timings['total']:.2f} s (the dry run's solve reused); "
          f"identical to the dry run's projection: {same}")
    status = status if same else 1
    return status


if __name__ == "__main__":
    sys.exit(main())
