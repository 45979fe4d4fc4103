"""The engine warm-up at start (issue 15): a worker solves the open round once, so the first manager's dry run
re-solves only what changed since; it never breaks the process."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.matching.memo import MARKETS
from siimop_app.models import Post
from siimop_app.services import dry_run, rounds, warm_up
from siimop_app.settings import get_settings
from tests.services.test_dry_run import count_exact_solves, demo  # noqa: F401 - demo: round 1's ranking phase
from tests.services.test_post_table import signed_in
from tests.services.test_rounds import _write_valid_ranking


@pytest.fixture
def cold_engine(monkeypatch):
    """A process that has solved nothing yet (the memo and the last snapshots are per process)."""
    MARKETS.clear()
    monkeypatch.setattr(rounds, "_SOLVED", {})
    monkeypatch.setattr(warm_up, "_thread", None)
    return count_exact_solves(monkeypatch)


def test_the_first_dry_run_after_the_warm_up_reuses_its_solve(demo, cold_engine):  # noqa: F811
    assert warm_up.warm_dry_run() == demo
    assert cold_engine == ["exact"] and MARKETS.info()["entries"] > 0
    first = dry_run.run_dry_run(signed_in("admin"))  # unchanged data: the warm-up's result itself
    assert cold_engine == ["exact"] and first.round_placed > 0

    # A supervisor ranks after the warm-up: the dry run solves again, but only the markets that post touches.
    with transaction() as session:
        post = session.exec(select(Post).where(Post.id == next(iter(first.projected.values())))).one()
        _write_valid_ranking(session, post, demo)
    markets = MARKETS.info()
    again = dry_run.run_dry_run(signed_in("admin"))
    after = MARKETS.info()
    assert cold_engine == ["exact", "exact"]
    reused, solved = after["hits"] - markets["hits"], after["misses"] - markets["misses"]
    assert reused > 0 and 0 < solved < reused
    # The same projection as a process that never warmed up would make.
    MARKETS.clear()
    rounds._SOLVED.clear()
    assert dry_run.run_dry_run(signed_in("admin")).projected == again.projected


def test_a_dry_run_asked_during_the_warm_up_waits_for_its_solve_instead_of_solving_again(demo, cold_engine,  # noqa: F811
                                                                                          monkeypatch):
    searches, searching, release = [], threading.Event(), threading.Event()
    solve = rounds.matching.solve

    def held(instance, mode="exact", **options):  # the warm-up's search, held until the dry run has asked
        searches.append(mode)
        searching.set()
        release.wait(60)
        return solve(instance, mode=mode, **options)

    monkeypatch.setattr(rounds.matching, "solve", held)
    warming = threading.Thread(target=warm_up.warm_dry_run)
    warming.start()
    assert searching.wait(60)
    reports = []
    asking = threading.Thread(target=lambda: reports.append(dry_run.run_dry_run(signed_in("admin"))))
    asking.start()
    asking.join(timeout=2)
    assert asking.is_alive() and searches == ["exact"]  # waiting for the warm-up, not searching beside it
    release.set()
    warming.join(timeout=120)
    asking.join(timeout=120)
    assert searches == ["exact"] and cold_engine == ["exact"] and reports[0].round_placed > 0


def test_the_warm_up_thread_starts_once_and_only_when_enabled(demo, cold_engine, monkeypatch):  # noqa: F811
    assert get_settings().warm_dry_run is False  # the test suite turns it off (tests/conftest.py)
    assert warm_up.start() is False and warm_up._thread is None

    monkeypatch.setenv("SIIMOP_WARM_DRY_RUN", "1")
    monkeypatch.setenv("SIIMOP_WARM_DRY_RUN_DELAY", "0")
    monkeypatch.setenv("SIIMOP_WARM_DRY_RUN_MAX_LOAD", "1000")  # the suite itself keeps the machine busy
    get_settings.cache_clear()
    assert warm_up.start() is True
    assert warm_up.start() is False  # one per process
    warm_up._thread.join(timeout=120)
    assert not warm_up._thread.is_alive() and cold_engine == ["exact"] and MARKETS.info()["entries"] > 0


def test_no_open_round_or_a_failure_leaves_the_process_alone(db_url, cold_engine, monkeypatch, caplog):
    assert warm_up.warm_dry_run() is None  # an empty database: no round in its wishes or ranking phase
    assert cold_engine == []

    def database_down(*_args, **_kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(dry_run, "open_round", database_down)
    with caplog.at_level(logging.ERROR, logger=warm_up.__name__):
        warm_up._run(0)  # logs and gives up, never raises
    assert "dry run warm-up failed" in caplog.text and cold_engine == []


def test_a_worker_started_under_load_waits_for_a_quiet_machine_before_solving(demo, cold_engine, monkeypatch,  # noqa: F811
                                                                              caplog):
    cores = warm_up.os.cpu_count() or 1
    loads = iter([3.0 * cores, 2.0 * cores, 0.4 * cores])  # users working, fewer, then the evening
    readings = []

    def load_average():
        readings.append(next(loads, 0.0))
        return readings[-1], 0.0, 0.0

    def solved_while(*_args, **_kwargs):
        solved_at.append(len(readings))
        return None

    solved_at: list[int] = []
    monkeypatch.setattr(warm_up.os, "getloadavg", load_average)
    monkeypatch.setattr(warm_up, "QUIET_POLL_SECONDS", 0)
    monkeypatch.setattr(warm_up, "warm_dry_run", solved_while)
    with caplog.at_level(logging.INFO, logger=warm_up.__name__):
        warm_up._run(0, max_load_per_core=0.5)
    # Solved only after the load average per core fell to 0.5 or below, never beside the load.
    assert solved_at == [len(readings)] and readings[-1] <= 0.5 * cores
    assert "waits for a quiet machine" in caplog.text
