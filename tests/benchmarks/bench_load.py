"""Benchmark: active supervisors stepped up against a running backend, with the load tool (issue 13).

    python tests/benchmarks/bench_load.py --url http://127.0.0.1:8400 [--steps 25,50,100,150] [--duration 30]
        [--think 2] [--idle 1700 --ramp 90] [--server-pid PID] [--redis-url URL] [--browser] [--quick]

Start the backend first on the national demo in the ranking phase, with the production command (2 workers and
Redis here; ``SIIMOP_WORKERS=1`` without ``REFLEX_REDIS_URL`` for one), warm-up off so that the first step is not
measured during the start's dry run:

    REFLEX_DB_URL=postgresql+psycopg://postgres@127.0.0.1:5432/siimop_load python -m siimop_app.demo \\
        --scale national --phase ranking --reset
    REFLEX_DB_URL=... REFLEX_REDIS_URL=redis://127.0.0.1:6379/6 SIIMOP_WORKERS=2 SIIMOP_PORT=8400 \\
        SIIMOP_WARM_DRY_RUN=0 python -m siimop_app.prod

Figures depend on the machine (the same code cost 6.5 ms of server CPU per event on one 2-core machine and
17.5 ms on another): run ``tests/benchmarks/bench_ranking.py --candidates 44 --database-url …`` first and compare
its CPU per move with the README's before comparing capacities.

Each step runs ``python -m siimop_app.loadtest`` (every move checked in the database) and prints its p50/p95/p99,
error rate and events/s. With ``--idle``, that many more tabs stay open on a board doing nothing (2,000 connected
sessions of which 300 active: ``--steps 300 --idle 1700 --ramp 90``). With ``--redis-url`` (default
``REFLEX_REDIS_URL``), the memory of the whole Redis server before and after. With ``--server-pid``, the resident
memory of that process tree before and after (per open tab) and the CPU time it spent per answered event. The
machine's load average is printed with every step: on a shared machine figures move with it. With ``--browser``,
once the step's tabs are open, a supervisor in Chromium signs in and moves cards (``bench_browser.py``): what a
person sees at that load.
Figures are printed, never asserted. ``--quick`` is a smoke run (2 supervisors, 4 s) for the test suite, which
needs a backend it does not start: it prints a notice and exits 0 when none answers.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _rss_kb(pid: int) -> int:
    import psutil

    root = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) // 1024


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of the server's process tree (its workers included)."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _redis_kb(url: str) -> int:
    """Memory the Redis server uses (its states, kept until they expire); 0 without Redis."""
    if not url:
        return 0
    import redis

    return redis.Redis.from_url(url).info("memory")["used_memory"] // 1024


def _browser_beside(url: str, after: float) -> str:
    """bench_browser.py's figures, run once the load tool's tabs are open (``after`` seconds: the tool makes about
    70 sessions a second, then opens its tabs over the ramp)."""
    time.sleep(after)
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "benchmarks" / "bench_browser.py"), "--url", url,
                          "--moves", "30"], cwd=ROOT, capture_output=True, text=True, env=os.environ.copy())
    return run.stdout.strip() or run.stderr.strip()[-2000:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8400")
    parser.add_argument("--steps", default="25,50,100,150")
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument("--idle", type=int, default=0,
                        help="more tabs held open on a ranking board, doing nothing (connected sessions)")
    parser.add_argument("--ramp", type=float, default=0, help="seconds over which tabs open (default: duration/3, "
                        "at most 10 s)")
    parser.add_argument("--server-pid", type=int, default=0)
    parser.add_argument("--redis-url", default=os.environ.get("REFLEX_REDIS_URL", ""),
                        help="the server's Redis, to print the memory its states take")
    parser.add_argument("--browser", action="store_true",
                        help="during each step, once every tab is open, a supervisor in Chromium (bench_browser.py)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.duration = "2", 4
        try:
            urllib.request.urlopen(f"{args.url}/ping", timeout=2)
        except OSError:
            print(f"no backend at {args.url}: nothing measured (start one, see the docstring)")
            return 0
    for users in [int(s) for s in args.steps.split(",")]:
        tabs = users + args.idle
        before = _rss_kb(args.server_pid) if args.server_pid else 0
        redis_before = _redis_kb(args.redis_url)
        cpu_before = _cpu_seconds(args.server_pid) if args.server_pid else 0.0
        ramp = args.ramp or min(10.0, args.duration / 3)
        tool = subprocess.Popen([sys.executable, "-m", "siimop_app.loadtest", "--url", args.url, "--supervisors",
                                 str(users), "--idle", str(args.idle), "--duration", str(args.duration),
                                 "--think", str(args.think), "--ramp", str(ramp)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=os.environ.copy())
        browser = _browser_beside(args.url, after=ramp + tabs / 50) if args.browser else ""
        stdout, stderr = tool.communicate()
        run = subprocess.CompletedProcess(tool.args, tool.returncode, stdout, stderr)
        after = _rss_kb(args.server_pid) if args.server_pid else 0
        redis_after = _redis_kb(args.redis_url)
        cpu = _cpu_seconds(args.server_pid) - cpu_before if args.server_pid else 0.0
        idle = f" and {args.idle} idle tabs" if args.idle else ""
        print(f"=== {users} active supervisors, one move every {args.think:g} s each{idle} ===")
        print(run.stdout.strip() or run.stderr.strip()[-2000:])
        if browser:
            print(browser)
        if args.redis_url:
            print(f"Redis memory: {redis_before / 1024:.0f} MB before, {redis_after / 1024:.0f} MB after "
                  f"({(redis_after - redis_before) / max(tabs, 1):.1f} KB per tab opened)")
        if args.server_pid:
            print(f"server memory: {before / 1024:.0f} MB before, {after / 1024:.0f} MB after "
                  f"({(after - before) / max(tabs, 1):.0f} KB per tab opened, read as the step ends: a worker gives "
                  "it back later, see worker_memory.py)")
            # Every socket message the server handled in the step: page opens (hydrate + on_load) and actions.
            events = sum(int(line.split()[1]) for line in run.stdout.splitlines()
                         if line.split()[:1] and line.split()[0].endswith((".move", ".open")) and len(line.split()) > 1
                         and line.split()[1].isdigit())
            print(f"server CPU: {cpu:.1f} s for {events} answered events ({1000 * cpu / max(events, 1):.1f} ms per "
                  "event, page opens included; the machine's other load does not count)")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
