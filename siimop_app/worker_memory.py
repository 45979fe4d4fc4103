"""A worker gives the memory of the clients that left back to the system (issue 13).

Measured (README, "Load tool and capacity"): 2,000 tabs opened then closed left each of two workers at ~330 MB
resident, 4.5 minutes later still. Almost all of it was garbage: the clients' sockets, their states' last copies
and what refers to them form reference cycles, which only a full collection frees, and CPython runs one only
after enough new allocations, which an idle worker never makes. One ``gc.collect()`` brought each worker back to
~200 MB; glibc's ``malloc_trim`` then returns the freed heap pages (a few MB more).

So every ``SIIMOP_MEMORY_RECLAIM_SECONDS`` (default 60; 0 turns it off) each worker counts its connected sockets
and, when enough of them left since its last collection, collects and trims once, and once more a few minutes
later: engine.io's client monitor keeps closed sockets referenced for up to two ping timeouts. A collection
holds the worker (150–240 ms after 1,000 clients left, measured; 15 ms for the follow-up), and runs only after
many clients left, when the worker is quieter.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import dataclasses
import functools
import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger("siimop.memory")

# Departures that make a collection worth its pause: this many sockets, and this share of the peak.
MIN_DEPARTED = 50
MIN_DEPARTED_SHARE = 0.1
# engine.io keeps a closed socket referenced until its monitor's cycle over all clients ends (ping timeout,
# 120 s, per cycle): the second collection comes after two such cycles.
FOLLOW_UP_SECONDS = 300.0


@dataclasses.dataclass
class Reclaimer:
    """When to collect, from the connected-socket counts seen one check after another (no clock of its own)."""

    peak: int = 0
    follow_up_at: float | None = None

    def should_collect(self, connected: int, now: float) -> bool:
        self.peak = max(self.peak, connected)
        departed = self.peak - connected
        if departed >= MIN_DEPARTED and departed >= MIN_DEPARTED_SHARE * self.peak:
            self.peak = connected
            self.follow_up_at = now + FOLLOW_UP_SECONDS
            return True
        if self.follow_up_at is not None and now >= self.follow_up_at:
            self.follow_up_at = None
            return True
        return False


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None on another C library (the collection alone then does most of the work)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def collect_and_trim() -> tuple[int, float]:
    """A full collection, then the freed heap back to the system: (objects freed, seconds taken)."""
    started = time.perf_counter()
    freed = gc.collect()
    if (trim := _malloc_trim()) is not None:
        trim(0)
    return freed, time.perf_counter() - started


async def reclaim_forever(connected: Callable[[], int], every: float) -> None:
    """Check every ``every`` seconds; collect and trim when clients left (see the module's docstring)."""
    reclaimer = Reclaimer()
    while True:
        await asyncio.sleep(every)
        sockets = connected()
        if reclaimer.should_collect(sockets, time.monotonic()):
            freed, seconds = collect_and_trim()
            log.info("mémoire rendue après le départ de clients : %d objets libérés en %.0f ms (%d connectés)",
                     freed, seconds * 1000, sockets)


class PauseLog:
    """Logs every garbage collection that held the worker at least ``at_least`` seconds (a ``gc.callbacks`` entry).

    A collection stops the whole worker: every client's event waits. Under 2,000 connected tabs a full one walks
    every state in memory; the log says when a latency spike was the collector, and how long it held."""

    def __init__(self, at_least: float, clock: Callable[[], float] = time.perf_counter,
                 cpu_clock: Callable[[], float] = time.thread_time) -> None:
        self.at_least, self.clock, self.cpu_clock = at_least, clock, cpu_clock
        self.started = self.cpu_started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started, self.cpu_started = self.clock(), self.cpu_clock()
        elif (held := self.clock() - self.started) >= self.at_least:
            # Its CPU apart: on a machine whose cores are all busy, a collection also waits for one.
            log.warning("ramasse-miettes : le processus a été arrêté %.0f ms dont %.0f ms de calcul (génération %d, "
                        "%d objets libérés)", held * 1000, (self.cpu_clock() - self.cpu_started) * 1000,
                        info.get("generation", -1), info.get("collected", 0))


def log_long_collections(at_least: float) -> None:
    """Install the pause log once in this process; ``at_least`` <= 0: none."""
    if at_least > 0 and not any(isinstance(callback, PauseLog) for callback in gc.callbacks):
        gc.callbacks.append(PauseLog(at_least))
