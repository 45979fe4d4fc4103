"""A worker gives the memory of departed clients back: when, and that it does (siimop_app.worker_memory)."""

from __future__ import annotations

import asyncio
import gc
import weakref

from siimop_app import worker_memory
from siimop_app.worker_memory import FOLLOW_UP_SECONDS, Reclaimer


def test_it_collects_once_many_clients_left_then_once_more_later_and_not_for_a_few():
    reclaimer = Reclaimer()
    assert not reclaimer.should_collect(2000, now=0)
    assert not reclaimer.should_collect(1960, now=60)  # 40 left: not worth a pause
    assert reclaimer.should_collect(1500, now=120)  # 500 left
    assert not reclaimer.should_collect(1500, now=180)  # nobody else left
    assert not reclaimer.should_collect(1490, now=240)
    assert reclaimer.should_collect(1490, now=120 + FOLLOW_UP_SECONDS)  # what engine.io still held then
    assert not reclaimer.should_collect(1490, now=120 + 2 * FOLLOW_UP_SECONDS)


def test_a_small_worker_needs_a_tenth_of_its_peak_gone_and_at_least_fifty():
    reclaimer = Reclaimer()
    reclaimer.should_collect(100, now=0)
    assert not reclaimer.should_collect(55, now=60)  # 45 left
    assert reclaimer.should_collect(40, now=120)
    big = Reclaimer()
    big.should_collect(5000, now=0)
    assert not big.should_collect(4600, now=60)  # 400 of 5,000 left: under a tenth
    assert big.should_collect(4400, now=120)


class _Client:
    """A departed client's leftovers: objects that refer to each other, which only a full collection frees."""

    def __init__(self):
        self.me = self


def test_the_running_task_frees_what_departed_clients_left_behind():
    connected = [300]

    async def scenario():
        task = asyncio.create_task(worker_memory.reclaim_forever(lambda: connected[0], every=0.01))
        await asyncio.sleep(0.05)
        leftover = _Client()
        alive = weakref.ref(leftover)
        del leftover
        await asyncio.sleep(0.05)
        kept_while_nobody_left = alive() is not None
        connected[0] = 100
        await asyncio.sleep(0.05)
        task.cancel()
        return kept_while_nobody_left, alive() is None

    gc.disable()  # only the task's collection may free the cycle
    try:
        kept, freed = asyncio.run(scenario())
    finally:
        gc.enable()
    assert kept and freed


def test_a_collection_that_held_the_worker_long_is_logged_and_a_short_one_is_not(caplog):
    clock, cpu_clock = iter([0.0, 0.05, 1.0, 1.35]), iter([0.0, 0.5, 0.62])
    pause_log = worker_memory.PauseLog(at_least=0.1, clock=lambda: next(clock), cpu_clock=lambda: next(cpu_clock))
    with caplog.at_level("WARNING", logger="siimop.memory"):
        pause_log("start", {"generation": 0})
        pause_log("stop", {"generation": 0, "collected": 10})  # 50 ms: quiet
        pause_log("start", {"generation": 2})
        pause_log("stop", {"generation": 2, "collected": 4000})  # 350 ms
    # Only the pause log's records: a mail sender thread left by an earlier test in this process may log too.
    assert [r.getMessage() for r in caplog.records if r.name == "siimop.memory"] == [
        "ramasse-miettes : le processus a été arrêté 350 ms dont 120 ms de calcul (génération 2, 4000 objets libérés)"]


def test_the_pause_log_is_installed_once_and_not_at_all_when_turned_off():
    before = list(gc.callbacks)
    try:
        worker_memory.log_long_collections(0)
        assert gc.callbacks == before
        worker_memory.log_long_collections(0.1)
        worker_memory.log_long_collections(0.1)
        assert sum(isinstance(c, worker_memory.PauseLog) for c in gc.callbacks) == 1
        gc.collect()  # a real collection goes through it without error
    finally:
        gc.callbacks[:] = before
