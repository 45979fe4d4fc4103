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
from .exact import DEFAULT_NODE_LIMIT
from .solve import DEFAULT_TIME_LIMIT, MODES, solve


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m siimop_app.matching",
                                 description="SiiMOP matching engine: weakly stable matchings; exact mode places "
                                             "the proven maximum number of students.")
    sub = ap.add_subparsers(dest="command", required=True)
    sp = sub.add_parser("solve", help="compute a matching")
    sp.add_argument("instance")
    sp.add_argument("-o", "--output", help="write the result JSON here (default: stdout)")
    sp.add_argument("--mode", choices=MODES, default="exact",
                    help="exact: proven maximum number placed, then hearts (default); fast: the heuristic alone")
    sp.add_argument("--no-improve", action="store_true",
                    help="fast mode: return the deferred-acceptance baseline (exact mode: warm start from it)")
    sp.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT,
                    help=f"seconds for the whole solve; the best matching found and its proven bound are kept "
                         f"when it runs out (default {DEFAULT_TIME_LIMIT:g})")
    sp.add_argument("--node-limit", type=int, default=DEFAULT_NODE_LIMIT,
                    help=f"exact mode: branch-and-bound nodes per integer program, a deterministic work limit "
                         f"(default {DEFAULT_NODE_LIMIT})")
    sp.add_argument("--threads", type=int, default=None,
                    help="exact mode: markets searched at once, one single-threaded HiGHS search each; the "
                         "result does not depend on it (default 2, 1 on a one-core machine)")
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
            res = solve(inst, mode=args.mode, improve=not args.no_improve, time_limit=args.time_limit,
                        node_limit=args.node_limit, threads=args.threads)
            text = res.to_json(include_timings=args.timings)
            if args.output:
                with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(text)
                st = res.stats
                f = st["final"]
                proof = ("proven maximum" if st["optimal"] else
                         f"not proven maximum: at most {st['upper_bound']} (gap {st['gap']})")
                print(f"{f['students_placed']}/{st['students']} students placed ({args.mode} mode, {proof}), "
                      f"{f['places_filled']}/{st['places']} places filled -> {args.output}")
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
