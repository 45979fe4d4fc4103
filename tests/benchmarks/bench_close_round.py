"""Benchmark: closing round 1 of the national demo (7,400 students, ~6,000 posts, ~68,000 wishes).

    python tests/benchmarks/bench_close_round.py [--database-url URL] [--scale national|small] [--quick]

Loads the demo in its results phase (``--phase results``: a round closes only once its
ranking phase is over, and the rankings are then final) into a throwaway database — a SQLite file, or, with
``--database-url postgresql+psycopg://USER@HOST:5432/postgres``, a database created on that
server for the run and dropped afterwards — then closes round 1 through the service and
prints the time of each step (snapshot, match, check, write) and the total (target: under
10 s), the students placed and the places filled. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL (a throwaway database is made on it)")
    parser.add_argument("--scale", default="national", choices=["small", "national"])
    parser.add_argument("--quick", action="store_true", help="the small demo (the test suite runs this)")
    args = parser.parse_args()
    if args.quick:
        args.scale = "small"

    import sqlalchemy as sa

    from tests.benchmarks.throwaway import throwaway_database

    from sqlmodel import select

    from siimop_app.db import get_engine, transaction
    from siimop_app.demo.cli import main as demo_main
    from siimop_app.models import Assignment, Round
    from siimop_app.services import rounds

    with throwaway_database(args.database_url or ""):
        started = time.perf_counter()
        if demo_main(["--scale", args.scale, "--phase", "results"]) != 0:
            raise SystemExit("the demo could not be loaded")
        print(f"demo loaded in {time.perf_counter() - started:.1f} s ({get_engine().dialect.name})")
        with transaction() as session:
            round_id = session.exec(select(Round.id).where(Round.number == 1)).one()

        marks: list[tuple[str, float]] = []
        report = rounds.close_round(round_id=round_id, actor_user_id=None,
                                    progress=lambda label, _f: marks.append((label, time.perf_counter())))
        t = report.timings
        print(f"close round 1 on {get_engine().dialect.name}:")
        for step in ("snapshot", "match", "check", "write"):
            print(f"  {step:<9} {t[step]:6.2f} s")
        print(f"  {'total':<9} {t['total']:6.2f} s   (target < 10 s)")
        print(f"  students in the matching {report.students}, placed {report.students_placed} "
              f"({100 * report.students_placed / max(report.students, 1):.1f} %), places filled "
              f"{report.places_filled}/{report.places_offered}; insufficient lists left out {report.excluded_insufficient} "
              f"(placed of all participating: {100 * report.students_placed / max(report.students + report.excluded_insufficient, 1):.1f} %); "
              f"rankings valid {report.rankings_valid}, invalid (ignored) {report.rankings_ignored}")
        print(f"  {report.certificate}")
        with transaction() as session:
            stored = session.exec(select(sa.func.count()).select_from(Assignment)).one()
            round_ = session.get(Round, round_id)
            print(f"  stored: {stored} assignments, instance {len(round_.instance_json) / 1e6:.1f} MB, "
                  f"result {len(round_.result_json) / 1e6:.1f} MB")
        started = time.perf_counter()
        again = rounds.close_round(round_id=round_id, actor_user_id=None)
        print(f"  second close (idempotent): {time.perf_counter() - started:.2f} s, already_closed={again.already_closed}")
        started = time.perf_counter()
        certificate = rounds.check_stored(round_id)
        print(f"  re-check of the stored instance/result: {time.perf_counter() - started:.2f} s, ok={certificate.ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
