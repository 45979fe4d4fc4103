"""Benchmark: round 1 of the national demo closed from the manager's page while supervisors and students keep acting.

    python tests/benchmarks/bench_close_under_load.py --url http://127.0.0.1:8400 [--supervisors 300]
        [--students 100] [--think 2]

Against a running production server on the national demo in the ranking phase (see ``bench_load.py`` for the
two commands), on the database of ``REFLEX_DB_URL``: the supervisors' tabs rank (one move every ``--think`` s ± 50 %
each), the students' tabs reload their wishes page; the manager ends the ranking phase, then closes round 1 from
"Tours d'appariement". It checks what the production test checks at small scale
(``tests/prod/close_under_load.py``): the assignments written are those of the same close without load, the
snapshot is the data of the moment, no move half-written or landed after the phase ended; and prints the close's
time under load. It closes round 1: re-create the demo (``--reset``) before measuring anything else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8400")
    parser.add_argument("--supervisors", type=int, default=300)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--think", type=float, default=2.0)
    args = parser.parse_args()

    from sqlmodel import select

    from siimop_app.db import transaction
    from siimop_app.loadtest.run import check_loopback, pick_cast
    from siimop_app.models import Round
    from siimop_app.settings import get_settings
    from tests.prod.close_under_load import close_round_under_load

    check_loopback(args.url)
    check_loopback(get_settings().database_url)
    cast = pick_cast(args.supervisors, args.students, 0, 0)
    with transaction() as session:
        round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
    figures = close_round_under_load(args.url, cast.supervisors, cast.students, round_id,
                                     think=(args.think / 2, args.think * 1.5))
    print(f"round 1 closed under load ({args.supervisors} supervisors moving every {args.think:g} s ± 50 %, "
          f"{args.students} students reloading): {figures.seconds:.1f} s from \"Confirmer\" to the message")
    print(f"  {figures.message}")
    print(f"  {figures.placed} students placed, the same assignments as the close without load on the same data")
    print(f"  {figures.moves_saved} moves saved before the phase ended, all in the database; "
          f"{figures.moves_refused} refused after (the calendar's message), none landed; {figures.reloads} page "
          "reloads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
