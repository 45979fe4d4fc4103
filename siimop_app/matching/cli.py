"""Command line: ``python -m siimop_app.matching solve|check|explain ...``.

Exit codes: 0 success; 1 ``check`` found violations; 2 bad input (malformed
instance or result, unreadable file, unknown id) or bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys

from .check import _read_result, check
from .explain import explain_post, explain_student
from .instance import Instance, InstanceError
from .solve import DEFAULT_TIME_LIMIT, solve


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m siimop_app.matching",
                                 description="SiiMOP matching engine (weakly stable, student-optimal baseline).")
    sub = ap.add_subparsers(dest="command", required=True)
    sp = sub.add_parser("solve", help="compute a matching")
    sp.add_argument("instance")
    sp.add_argument("-o", "--output", help="write the result JSON here (default: stdout)")
    sp.add_argument("--no-improve", action="store_true", help="return the deferred-acceptance baseline")
    sp.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT,
                    help=f"seconds for the improvement before falling back to the baseline "
                         f"(default {DEFAULT_TIME_LIMIT:g})")
    sp.add_argument("--timings", action="store_true",
                    help="add stats.timings_s (makes the output non-reproducible)")
    cp = sub.add_parser("check", help="verify a result: acceptability, capacities, weak stability")
    cp.add_argument("instance")
    cp.add_argument("result")
    ep = sub.add_parser("explain", help="explain the outcome of a student or a post")
    ep.add_argument("instance")
    ep.add_argument("result")
    who = ep.add_mutually_exclusive_group(required=True)
    who.add_argument("--student", metavar="ID")
    who.add_argument("--post", metavar="ID")
    ep.add_argument("--json", action="store_true", help="print the explanation as JSON")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        inst = Instance.load(args.instance)
        if args.command == "solve":
            res = solve(inst, improve=not args.no_improve, time_limit=args.time_limit)
            text = res.to_json(include_timings=args.timings)
            if args.output:
                with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(text)
                f = res.stats["final"]
                print(f"{f['students_placed']}/{res.stats['students']} students placed, "
                      f"{f['places_filled']}/{res.stats['places']} places filled -> {args.output}")
            else:
                sys.stdout.write(text)
            return 0
        result = _read_result(args.result)
        if args.command == "check":
            cert = check(inst, result)
            print(cert.to_text())
            return 0 if cert.ok else 1
        if args.student is not None:
            exp = explain_student(inst, result, args.student)
        else:
            exp = explain_post(inst, result, args.post)
        if args.json:
            print(json.dumps(exp.to_dict(), sort_keys=True, indent=2, ensure_ascii=False))
        else:
            print(exp.to_text())
        return 0
    except InstanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
