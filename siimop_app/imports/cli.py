"""``python -m siimop_app.imports {students|posts|staff} FILE [--dry-run]``: load a campaign file.

Exit status: 0 when the file was applied (or would be, with ``--dry-run``), 1 when it has errors (nothing
was written), 2 for a usage error. The counts and every error are printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from siimop_app.services.imports import COMMAND_LINE, ImportRefused, run_import


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m siimop_app.imports", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("students", "posts", "staff"),
                        help="students (étudiants), posts (postes, terrains, responsables), staff (personnel)")
    parser.add_argument("file", type=Path, help="a .csv or .xlsx file (20 MB at most)")
    parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    parser.add_argument("--deactivate-absent", action="store_true",
                        help="deactivate the rows of the database absent from the file (students: not "
                             "participating; posts: 0 places; staff: role revoked)")
    parser.add_argument("--verbose", action="store_true", help="list every change and every absent row")
    parser.add_argument("--wave", type=int, default=None, help="posts: the wave's id (default: the latest wave)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if not args.file.is_file():
        print(f"Fichier introuvable : {args.file}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        report = run_import(args.kind, args.file.read_bytes(), args.file.name, actor=COMMAND_LINE,
                            apply=not args.dry_run, deactivate_absent=args.deactivate_absent, wave_id=args.wave)
    except ImportRefused as refused:
        print(str(refused), file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    print(f"{report.filename} ({report.file_description or 'illisible'}, sha256 {report.sha256[:16]}…)"
          + (f" — {report.wave_name}" if report.wave_name else ""))
    if report.errors:
        print(f"{len(report.errors)} erreur(s) : rien n'a été enregistré.")
        for error in report.errors:
            print(f"  {error}")
        return 1
    print(report.counts_text())
    _listing("Modifications :", report.changes, report.changed, 30, args.verbose)
    _listing("Absents du fichier :", report.absent_rows, report.absent, 10, args.verbose)
    verb = "Import appliqué" if report.applied else "Essai (--dry-run) : rien n'a été enregistré"
    print(f"{verb} en {seconds:.1f} s.")
    return 0


def _listing(title: str, lines: list[str], total: int, shown: int, verbose: bool) -> None:
    if not lines:
        return
    print(title)
    for line in lines if verbose else lines[:shown]:
        print(f"  {line}")
    if total > (len(lines) if verbose else min(shown, len(lines))):
        print(f"  … et {total - (len(lines) if verbose else min(shown, len(lines)))} autre(s)"
              + ("" if verbose else " (--verbose pour tout voir)"))
