"""Benchmark: the coordinators' tables on the national demo (7,400 students, ~6,000 posts).

    python tests/benchmarks/bench_tables.py [--database-url postgresql+psycopg://USER@HOST:5432/postgres]
                                            [--only students|posts|pages] [--repeat 5] [--quick]

Default database: a throwaway SQLite file; with ``--database-url`` a throwaway
database is created on that PostgreSQL server and dropped afterwards. Figures are
printed, never asserted. Targets (issue 6): filter/sort/page query < 300 ms, page
state < 200 KB, export of every student to Excel < 5 s and to CSV < 1 s. ``--quick``
runs every section once on the small demo (the test suite runs this).

Sections: ``students``, ``posts`` and ``pages`` (the other pages' events, CPU and SQL statements each: the
calendar read, Mon dossier, the receipt, Mes postes and a post's detail, the staff's post detail, Gestion des
étudiants and Simulation du tour's loads, a student's wishes dialog).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


@dataclasses.dataclass
class Context:
    repeat: int
    outbox: Path


_STATEMENTS = [0]
_LAST_COST: dict[str, float] = {}  # of the last ``_timed`` call: median CPU ms and SQL statements per call


def _count_statements() -> None:
    import sqlalchemy as sa

    from siimop_app.db import get_engine

    sa.event.listen(get_engine(), "before_cursor_execute", lambda *_: _STATEMENTS.__setitem__(0, _STATEMENTS[0] + 1))


def _timed(fn: Callable, repeat: int) -> tuple[float, float, object]:
    """(median ms, max ms, last result); an async handler's result is awaited, as Reflex does. Also keeps the
    median CPU time of this process and SQL statements per call in ``_LAST_COST`` (what an event costs a worker,
    whatever else runs on the machine)."""
    from tests.states.reflex_state import settle

    times, cpu, statements, result = [], [], [], None
    for _ in range(repeat):
        _STATEMENTS[0] = 0
        started, started_cpu = time.perf_counter(), time.process_time()
        result = settle(fn())
        times.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - started_cpu))
        statements.append(_STATEMENTS[0])
    _LAST_COST.update(cpu=statistics.median(cpu), statements=statistics.median(statements))
    return statistics.median(times), max(times), result


def _cost() -> str:
    return f"CPU {_LAST_COST['cpu']:.1f} ms, {_LAST_COST['statements']:.0f} SQL"


def _cookie(ctx: Context, address: str) -> str:
    from siimop_app.services import auth
    from tests.services.mailbox import links_for, token_of

    auth.request_sign_in(address)
    auth.wait_for_sign_in_mails()
    return auth.consume_sign_in_link(token_of(links_for(ctx.outbox, address)[-1]))


# ------------------------------------------------------------------ students
def bench_students(ctx: Context) -> None:
    import reflex as rx
    from reflex.utils.format import json_dumps

    import siimop_app.siimop_app  # noqa: F401
    from siimop_app.pages.coordinator.home import CoordinatorHomeState
    from siimop_app.services import auth, exports, student_table
    from tests.states.reflex_state import settle

    cookie = _cookie(ctx, "admin@demo.siimop.fr")
    admin = auth.resolve_session(cookie)
    wave_round = student_table.current_round()
    options = student_table.filter_options(admin)
    region = options["regions"][0].value
    print("== students (admin: the whole country)")
    cases = [
        ("no filter, name order, page 1", {}, "last_name", False, 0),
        ("no filter, last sign-in desc, page 100", {}, "last_login", True, 99 * 50),
        ("text 'mar', email order", {"q": "mar"}, "email", False, 0),
        ("region + participating + not assigned", {"region": region, "participation": "oui",
                                                    "affectation": "non_affecte"}, "specialty", False, 0),
        ("assignment order (correlated site), last page", {}, "assignment", True, 7350),
    ]
    for label, filters, sort, desc, offset in cases:
        median, worst, (rows, total) = _timed(
            lambda: student_table.query_students(admin, filters=filters, sort=sort, descending=desc,
                                                 offset=offset, limit=50, wave_round=wave_round), ctx.repeat)
        print(f"  query {label:<48} {median:7.1f} ms median, {worst:7.1f} max  ({len(rows)} rows of {total})"
              f"   target < 300 ms")
    median, worst, stats = _timed(lambda: student_table.student_statistics(admin, {}, wave_round=wave_round),
                                  ctx.repeat)
    print(f"  statistics (5 percentages, whole country)            {median:7.1f} ms median, {worst:7.1f} max  "
          f"{[s.value for s in stats]}")

    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(CoordinatorHomeState.get_full_name().split("."))
    state.session_cookie = cookie
    median, worst, _ = _timed(state.load, ctx.repeat)
    print(f"  page load (guard, figures, options, page, statistics) {median:7.1f} ms median, {worst:7.1f} max  ({_cost()})")
    median, worst, _ = _timed(lambda: settle(state.set_filter("decale", "oui")), ctx.repeat)
    print(f"  filter event (rows + statistics)                      {median:7.1f} ms median, {worst:7.1f} max  ({_cost()})")
    settle(state.set_filter("decale", "all"))
    median, worst, _ = _timed(lambda: settle(state.sort_by("ine")), ctx.repeat)
    print(f"  sort event                                            {median:7.1f} ms median, {worst:7.1f} max  ({_cost()})")
    median, worst, _ = _timed(state.next_page, ctx.repeat)
    print(f"  next page event                                       {median:7.1f} ms median, {worst:7.1f} max  ({_cost()})")
    _bench_live(ctx, student_table.TABLE, cookie, state._filters())
    state_bytes = len(json_dumps(state.dict()).encode())
    rows_bytes = len(json_dumps(state.rows).encode())
    print(f"  page state sent to the browser: {state_bytes / 1024:.1f} KB (rows {rows_bytes / 1024:.1f} KB, "
          f"{len(state.rows)} rows)   target < 200 KB")

    columns = student_table.export_columns()
    for fmt, writer, target in (("CSV", exports.write_csv, 1), ("Excel", exports.write_xlsx, 5)):
        out = io.BytesIO()
        started = time.perf_counter()
        count = writer(columns, student_table.export_rows(admin), out)
        elapsed = time.perf_counter() - started
        print(f"  export of every student to {fmt:<5}: {elapsed:5.2f} s, {count} rows, "
              f"{len(out.getvalue()) / 1e6:.2f} MB   target < {target} s")
    from starlette.testclient import TestClient

    from siimop_app.file_routes import files_api
    from siimop_app.states.session import SESSION_COOKIE

    client = TestClient(files_api)
    client.cookies.set(SESSION_COOKIE, cookie)
    for fmt in ("csv", "xlsx"):
        started = time.perf_counter()
        response = client.get(f"/files/exports/students.{fmt}")
        print(f"  export route /files/exports/students.{fmt}: {time.perf_counter() - started:5.2f} s, "
              f"HTTP {response.status_code}, {len(response.content) / 1e6:.2f} MB")


# ------------------------------------------------------------------ posts
def bench_posts(ctx: Context) -> None:
    """Gestion des postes through its page state: the admin (whole country) and the ARS manager (one region)."""
    _bench_posts_as(ctx, "admin@demo.siimop.fr", "admin: the whole country")
    _bench_posts_as(ctx, "ars@demo.siimop.fr", "ARS manager: one region")


def _bench_posts_as(ctx: Context, address: str, who: str) -> None:
    import reflex as rx
    from reflex.utils.format import json_dumps

    import siimop_app.siimop_app  # noqa: F401
    from siimop_app.pages.coordinator.posts import PostTableState
    from siimop_app.services import post_table
    from tests.states.reflex_state import settle

    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(PostTableState.get_full_name().split("."))
    state.session_cookie = _cookie(ctx, address)
    print(f"== posts ({who})")

    def event(label: str, fn: Callable, state=state) -> None:
        median, worst, _ = _timed(fn, ctx.repeat)
        if state.error:
            raise SystemExit(f"{label}: {state.error}")
        print(f"  {label:<52} {median:7.1f} ms median, {worst:7.1f} max  ({state.total} posts; {_cost()})"
              f"   target < 300 ms")

    event("page load (guard, menus, page, statistics)", state.load)
    word = state.rows[3].name.split()[0]
    event(f"text filter '{word}' (rows + statistics)", lambda: settle(state.search({"q": word})))
    settle(state.reset_filters())
    event("candidates filter (rows + statistics)", lambda: settle(state.set_filter("candidates", "with")))
    settle(state.reset_filters())
    event("subdivision filter (rows + statistics)",
          lambda: settle(state.set_filter("subdivision", state.subdivisions[0].value)))
    settle(state.reset_filters())
    sorts = []
    for key in post_table.SORT_KEYS:
        median, worst, _ = _timed(lambda key=key: settle(state.sort_by(key)), ctx.repeat)
        sorts.append((median, worst, key))
    print(f"  sort events ({len(sorts)} columns)                            "
          f"{statistics.median(m for m, _, _ in sorts):7.1f} ms median, {max(w for _, w, _ in sorts):7.1f} max"
          f" (slowest: {max(sorts)[2]})   target < 300 ms")
    event("next page event", state.next_page)
    event("tick/untick 'validé par l'ARS' (audited write + reload)",
          lambda: settle(state.toggle_ars(state.rows[0].id, not state.rows[0].validated_by_ars)))
    state_bytes = len(json_dumps(state.dict()).encode())
    rows_bytes = len(json_dumps(state.rows).encode())
    print(f"  page state sent to the browser: {state_bytes / 1024:.1f} KB (rows {rows_bytes / 1024:.1f} KB, "
          f"{len(state.rows)} rows)   target < 200 KB")
    _bench_live(ctx, post_table.TABLE, state.session_cookie, state._filters())


def _bench_live(ctx: Context, table, cookie: str, filters: dict) -> None:
    """One live statistics refresh per open tab, 10 tabs of one scope: each computing its figures (as before
    issue 13's sharing) and sharing them (``live_statistics.SHARED``: the first tab computes, the others only
    re-read their session and grants)."""
    from siimop_app.models import STAFF_ROLES
    from siimop_app.services import auth
    from siimop_app.services.access import require_role
    from siimop_app.states.filtered_table import live_statistics_of
    from siimop_app.states.live_statistics import SHARED

    tabs = max(10, ctx.repeat)
    _timed(lambda: table.statistics(require_role(auth.resolve_session(cookie), *STAFF_ROLES), filters), tabs)
    print(f"  live statistics, per tab refresh, each tab computing     {_cost()}")
    SHARED.clear()
    compute = live_statistics_of(table)
    _timed(lambda: compute(cookie, filters), 1)
    first = _cost()
    _timed(lambda: compute(cookie, filters), tabs - 1)
    print(f"  live statistics, per tab refresh, shared ({tabs} tabs)     first tab {first}; each other {_cost()}")


# ------------------------------------------------------------------ pages
def bench_pages(ctx: Context) -> None:
    """The events of the pages outside the tables and the ranking board: what each costs a worker (CPU of this
    process, SQL statements), through the pages' states as Reflex runs them."""
    from reflex.utils.format import json_dumps

    import siimop_app.siimop_app  # noqa: F401
    from siimop_app.pages.coordinator.home import CoordinatorHomeState
    from siimop_app.pages.coordinator.posts import StaffPostDetailState
    from siimop_app.pages.coordinator.simulation import DryRunState
    from siimop_app.pages.student.home import StudentHomeState
    from siimop_app.pages.student.wishes import WishesReceiptState
    from siimop_app.pages.supervisor.post_detail import PostDetailState
    from siimop_app.pages.supervisor.posts import SupervisorPostsState
    from siimop_app.services import calendar
    from tests.states.reflex_state import page_state, settle

    print("== pages (demo in its ranking phase)")

    def event(label: str, fn: Callable, state) -> None:
        median, worst, _ = _timed(fn, ctx.repeat)
        if getattr(state, "error", ""):
            raise SystemExit(f"{label}: {state.error}")
        root = state._get_root_state()
        root._clean()  # as after the last delta went out: what one more such event sends back
        settle(fn())
        sent = len(json_dumps(root.get_delta()).encode())
        print(f"  {label:<52} {median:7.1f} ms median, {worst:7.1f} max  ({_cost()}, delta {sent} B)")

    median, worst, _ = _timed(calendar.current_wave, max(ctx.repeat, 20))
    print(f"  {'calendar read (every event of every page)':<52} {median:7.1f} ms median, {worst:7.1f} max  ({_cost()})")
    student_cookie = _cookie(ctx, "etudiant@demo.siimop.fr")
    student = page_state(StudentHomeState, student_cookie)
    event("Mon dossier: page load", student.load, student)
    receipt = page_state(WishesReceiptState, student_cookie)
    event("Mes vœux: the receipt, page load", receipt.load, receipt)
    rts = _cookie(ctx, "rts@demo.siimop.fr")
    posts = page_state(SupervisorPostsState, rts)
    event("Mes postes (RTS): page load", posts.load, posts)
    post_id = posts.cards[0].post_id
    detail = page_state(PostDetailState, rts, path="/rts/postes/[post_id]", params={"post_id": post_id})
    event("Mes postes (RTS): a post's detail, page load", detail.load, detail)
    admin = _cookie(ctx, "admin@demo.siimop.fr")
    staff = page_state(StaffPostDetailState, admin, path="/coordonnateur/postes/[post_id]",
                       params={"post_id": post_id})
    event("Gestion des postes: a post's detail (admin), page load", staff.load, staff)
    table = page_state(CoordinatorHomeState, admin)
    event("Gestion des étudiants (admin): page load", table.load, table)
    simulation = page_state(DryRunState, admin)
    event("Simulation du tour (admin): page load", simulation.load, simulation)
    student_id = table.rows[0].id
    event("Gestion des étudiants: a student's wishes (dialog)", lambda: settle(table.open_detail(student_id)), table)


SECTIONS: dict[str, Callable[[Context], None]] = {
    "students": bench_students,
    "posts": bench_posts,
    "pages": bench_pages,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL (a throwaway database is made)")
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="the small demo, each figure measured once")
    args = parser.parse_args()
    scale = "small" if args.quick else "national"
    if args.quick:
        args.repeat = 1

    from tests.benchmarks.throwaway import throwaway_database

    with throwaway_database(args.database_url) as url:
        from siimop_app.demo.cli import main as demo_main
        from siimop_app.settings import get_settings

        started = time.perf_counter()
        if demo_main(["--scale", scale, "--phase", "ranking", "--reset"]) != 0:
            raise SystemExit("the demo could not be loaded")
        print(f"{scale} demo on {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'} in "
              f"{time.perf_counter() - started:.1f} s")
        ctx = Context(repeat=args.repeat, outbox=get_settings().outbox_dir)
        _count_statements()
        for name in args.only or SECTIONS:
            SECTIONS[name](ctx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
