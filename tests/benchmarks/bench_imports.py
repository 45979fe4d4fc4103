"""Benchmark: importing a national students file (7,400 rows) and posts file (6,000 posts).

    python tests/benchmarks/bench_imports.py [--quick] [--database-url URL]

On a freshly migrated throwaway database (a SQLite file, or with ``--database-url
postgresql+psycopg://USER@HOST:5432/postgres`` a database created on that server and dropped after),
with a campaign and its wave, it times for each file (CSV and XLSX): the first import (everything new),
the same file again (everything unchanged), a dry run, and a file with 200 changed rows; it prints the peak
memory of the process (ru_maxrss) too, and each step's CPU time in this process (on a busy machine the wall
time grows with the load; the CPU time much less). ``--quick`` uses 1/10 of the rows. Targets: under 30 s per file,
bounded memory. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL (a throwaway database is made)")
    parser.add_argument("--quick", action="store_true", help="1/10 of the national size")
    args = parser.parse_args()


    from tests.benchmarks.throwaway import throwaway_database

    from siimop_app.db import get_engine, transaction
    from siimop_app.migrations import upgrade_to_head
    from siimop_app.models import Campaign, Wave
    from siimop_app.services.imports import run_import
    from tests.services.import_files import csv_bytes, national_posts, national_students, xlsx_bytes

    students_n, posts_n = (740, 600) if args.quick else (7400, 6000)
    with throwaway_database(args.database_url or "") as url:
        upgrade_to_head(url)
        with transaction() as session:
            campaign = Campaign(name="Campagne Mai 2027")
            session.add(campaign)
            session.flush()
            session.add(Wave(campaign_id=campaign.id, number=1, name="Vague 1 Campagne Mai 2027"))
        print(f"database: {get_engine().dialect.name}; {students_n} students, {posts_n} posts")
        for kind, rows in (("students", national_students(students_n)), ("posts", national_posts(posts_n))):
            files = {"csv": csv_bytes(kind, rows, encoding="cp1252"), "xlsx": xlsx_bytes(kind, rows)}
            changed = [dict(r) for r in rows]
            for row in changed[:200]:
                if kind == "students":
                    row["semestre_decale"] = "oui" if row["semestre_decale"] == "non" else "non"
                else:
                    row["places"] = int(row["places"]) + 1
            for fmt, data in files.items():
                name = f"{kind}.{fmt}"
                first = "first import" if fmt == "csv" else "same rows, as xlsx"
                steps = [(first, data, True), ("same file again", data, True), ("dry run", data, False)]
                if fmt == "csv":
                    steps.append(("200 rows changed", csv_bytes(kind, changed), True))
                for label, payload, apply in steps:
                    started, cpu = time.perf_counter(), time.process_time()
                    report = run_import(kind, payload, name, apply=apply)
                    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                    assert report.ok, report.errors[:5]
                    print(f"  {name:14} {len(payload) / 1e6:5.1f} MB  {label:18} {seconds:6.2f} s "
                          f"(this process's CPU {cpu:5.2f} s)  "
                          f"new {report.new:5}  changed {report.changed:4}  unchanged {report.unchanged:5}")
                if fmt == "csv":
                    # The next format starts from the same state: put the first file back.
                    run_import(kind, data, name, apply=True)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of the process: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
