"""Benchmark: the student's Mes vœux page, measured through its state, on the national demo (wishes phase).

    python tests/benchmarks/bench_wishes.py [--database-url postgresql+psycopg://USER@HOST:5432/postgres]
                                            [--repeat 20] [--quick]

Per event (page load, heart click, filter, next page, save, the receipt page it opens): the CPU time of this process and the SQL statements
(what each event costs a worker, whatever else runs on the machine), the wall time, and the bytes of the delta
sent back to the browser. Default database: a throwaway SQLite file; with ``--database-url`` a throwaway database
is created on that PostgreSQL server and dropped afterwards. ``--quick``: the small demo, 3 repeats. Figures are
printed, never asserted.
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


def run(repeat: int, scale: str) -> None:
    import reflex as rx
    import sqlalchemy as sa
    from reflex.utils.format import json_dumps

    import siimop_app.siimop_app  # noqa: F401  (registers every page and state)
    from siimop_app.db import get_engine
    from siimop_app.demo.cli import main as demo_main
    from siimop_app.pages.student.wishes import WishesReceiptState, WishesState
    from siimop_app.services import auth, outbox
    from siimop_app.settings import get_settings
    from tests.services.mailbox import links_for, token_of

    started = time.perf_counter()
    assert demo_main(["--scale", scale, "--phase", "wishes", "--reset"]) == 0
    print(f"{scale} demo in {time.perf_counter() - started:.1f} s")
    address = "etudiant@demo.siimop.fr"
    auth.request_sign_in(address)
    auth.wait_for_sign_in_mails()
    cookie = auth.consume_sign_in_link(token_of(links_for(get_settings().outbox_dir, address)[-1]))

    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(WishesState.get_full_name().split("."))
    state.session_cookie = cookie
    loop = asyncio.new_event_loop()
    statements = [0]
    sa.event.listen(get_engine(), "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))

    def done(result):
        """A handler's result as Reflex gets it: awaited when the handler is async (its database work in a thread)."""
        return loop.run_until_complete(result) if inspect.iscoroutine(result) else result

    def measure(label: str, event, times: int, prepare=None) -> None:
        wall, cpu, queries, sent = [], [], [], []
        for i in range(times):
            if prepare is not None:  # not measured
                prepare(i)
            root._clean()
            statements[0] = 0
            began, began_cpu = time.perf_counter(), time.process_time()
            done(event(i))
            wall.append(1000 * (time.perf_counter() - began))
            cpu.append(1000 * (time.process_time() - began_cpu))
            queries.append(statements[0])
            sent.append(len(json_dumps(root.get_delta()).encode()))
            if state.error:
                raise SystemExit(f"{label}: {state.error}")
        print(f"  {label:<34} CPU {statistics.median(cpu):6.1f} ms, {statistics.median(queries):3.0f} SQL, "
              f"wall {statistics.median(wall):6.1f} ms, delta {statistics.median(sent):7.0f} B  (median of {times})")

    print(f"Mes vœux ({scale} demo, {os.environ['REFLEX_DB_URL'].split(':', 1)[0]})")
    measure("page load (on_load)", lambda i: state.load(), repeat)
    print(f"    {state.total} posts offered, {len(state.rows)} shown")
    measure("heart click", lambda i: state.set_hearts(state.rows[i % len(state.rows)].post_id, 1 + i % 5), repeat)
    measure("filter (post type, back)", lambda i: state.set_filter("type", "couple" if i % 2 == 0 else "all"), repeat)
    done(state.set_filter("type", "all"))  # every post again, for the pages
    measure("next / previous page", lambda i: state.next_page() if i % 2 == 0 else state.previous_page(), repeat)

    def change_hearts(i):
        outbox.wait_until_sent()  # the last receipt's mail: its sending is not the next event's
        for row in state.rows[:3]:
            done(state.set_hearts(row.post_id, 1 + (i + row.post_id) % 5))

    measure("save (3 hearts changed)", lambda i: state.save(), max(3, repeat // 4), prepare=change_hearts)
    receipt_page = root.get_substate(WishesReceiptState.get_full_name().split("."))

    def save_first(i):
        change_hearts(i)
        done(state.save())
        outbox.wait_until_sent()

    measure("receipt page (after the save)", lambda i: receipt_page.load(), max(3, repeat // 4), prepare=save_first)
    measure("receipt page (opened again)", lambda i: receipt_page.load(), repeat)
    outbox.wait_until_sent()  # the receipts' mails, before the database goes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL (a throwaway database is made)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="the small demo, 3 repeats")
    args = parser.parse_args()
    scale, repeat = ("small", 3) if args.quick else ("national", args.repeat)

    from tests.benchmarks.throwaway import throwaway_database

    with throwaway_database(args.database_url):
        run(repeat, scale)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
