"""``python -m siimop_app.demo``: fill the configured database with a demo campaign."""

from __future__ import annotations

import argparse
import sys
import time

import sqlalchemy as sa

from siimop_app.db import get_engine
from siimop_app.demo.calendar_plan import DEMO_PHASES
from siimop_app.demo.generator import SCALES, DemoGenerator, erase_all, write
from siimop_app.migrations import upgrade_to_head
from siimop_app.models import Campaign
from siimop_app.reference import load_national_reference, reference_ids
from siimop_app.services.calendar import now


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m siimop_app.demo", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--phase", choices=DEMO_PHASES, default="ranking",
                        help="the phase of round 1 that today falls in (default: ranking)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reset", action="store_true", help="erase every row first")
    group.add_argument("--if-empty", action="store_true", help="do nothing if a campaign already exists")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    upgrade_to_head()
    engine = get_engine()
    with engine.begin() as connection:
        has_data = connection.execute(sa.select(sa.func.count()).select_from(Campaign)).scalar_one() > 0
        if has_data and args.if_empty:
            print("La base contient déjà une campagne : rien à faire.")
            return 0
        if has_data and not args.reset:
            print("La base contient déjà une campagne : relancez avec --reset pour la remplacer.", file=sys.stderr)
            return 2
        if args.reset:
            erase_all(connection)
        load_national_reference(connection)  # a no-op unless --reset erased it
        generator = DemoGenerator(scale=args.scale, seed=args.seed, today=now().date(), phase=args.phase,
                                  reference=reference_ids(connection))
        write(connection, generator.build())
    if engine.dialect.name == "postgresql":
        # After a bulk load the tables' visibility maps are empty: every index-only scan (the eligibility counts a
        # ranking board reads with each move) also reads the table, until autovacuum passes, which some servers
        # run without (the test machines'). VACUUM cannot run inside a transaction.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM"))
    r = generator.report
    r.seconds = time.perf_counter() - started
    print(
        f"Campagne de démonstration ({args.scale}, graine {args.seed}, phase « {args.phase} ») en {r.seconds:.1f} s : "
        f"{r.students} étudiants, {r.posts} postes, {r.places} places ({100 * r.places / r.students:.0f} %), "
        f"{r.applications} vœux ({r.applications / r.students:.1f} par étudiant, {r.insufficient_lists} listes "
        f"insuffisantes), {r.rankings} classements dont {r.valid_rankings} valides, {r.supervisors} responsables."
    )
    return 0
