"""Warming the matching engine when a backend process starts (issue 15: the first dry run of the day under 5 s).

The first dry run in a process pays the exact solve of every market of the round (~7 CPU seconds at national
scale); later ones re-solve only the markets whose data changed (``matching.memo``, per process). So when a
worker starts while a matched round is in its wishes or ranking phase, a daemon thread waits a short delay (the
worker first serves its pages), then solves that round's snapshot once through the very path of a dry run and
of the close (``rounds.build_instance`` → ``rounds.solve_snapshot``): the first manager's dry run then finds
the markets solved and re-solves only those changed since.

Nothing is written and nothing is audited (no one asked for a projection). Any failure (no open round, the
database down, a solver error) is logged and the thread gives up: a cold dry run is slower, never wrong.
``SIIMOP_WARM_DRY_RUN=0`` turns it off (the test suite does, see ``tests/conftest.py``);
``SIIMOP_WARM_DRY_RUN_DELAY`` sets the delay in seconds; after it, the thread waits until the machine's load
average per core is at most ``SIIMOP_WARM_DRY_RUN_MAX_LOAD`` (0.5): a worker started under load does not solve
beside its users.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from siimop_app.db import transaction
from siimop_app.services import dry_run, rounds
from siimop_app.settings import get_settings

log = logging.getLogger(__name__)

NICENESS = 10  # the thread's CPU priority against the other processes of the machine (Linux: per thread)

_STARTED = threading.Lock()
_thread: threading.Thread | None = None


def warm_dry_run() -> int | None:
    """Solve the snapshot of the round whose wishes or ranking phase is open, as a dry run would (filling the
    per-market memo and the last-snapshot cache of ``rounds.solve_snapshot``). Returns the round's id, or None
    when no matched round is open for a dry run."""
    try:
        which = dry_run.open_round()
    except dry_run.DryRunError:
        return None
    with transaction() as session:
        data = rounds.build_instance(session, which.round_id)
    timings: dict[str, float] = {}
    _instance, result, certificate = rounds.solve_snapshot(data, timings=timings)
    log.info("dry run warm-up: round %s solved in %.1f s (%d placed, certificate %s)", which.round_id,
             timings.get("match", 0.0) + timings.get("check", 0.0), len(result.assignments),
             "OK" if certificate.ok else "NOT OK")
    return which.round_id


def _lower_priority() -> None:
    # On Linux a thread is a task of its own: raising its niceness leaves the rest of the process (the worker's
    # event loop) and the other workers first in line for the cores; the threads it starts (the engine's pool of
    # market searches) inherit it. Elsewhere this is a no-op.
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
    except (AttributeError, OSError):
        pass


QUIET_POLL_SECONDS = 10.0


def _wait_for_a_quiet_machine(max_load_per_core: float) -> None:
    """Return once the machine's 1-minute load average per core is at most ``max_load_per_core``.

    A worker started under load (a deploy in the day, a replaced worker) would otherwise solve beside its users'
    events: measured with 300 supervisors ranking, a run that began with two workers warming up gave p95 534 ms
    instead of 194–242 ms. Niceness is not enough: the solve holds the worker's GIL between its searches. Under a
    load that never ends the warm-up never runs, and the first dry run solves the round itself (slower, never
    wrong)."""
    cores = os.cpu_count() or 1
    waited = False
    while (load := os.getloadavg()[0]) > max_load_per_core * cores:
        if not waited:
            log.info("dry run warm-up waits for a quiet machine (load average %.1f on %d cores)", load, cores)
            waited = True
        time.sleep(QUIET_POLL_SECONDS)


def _run(delay: float, max_load_per_core: float = float("inf")) -> None:
    time.sleep(delay)
    _wait_for_a_quiet_machine(max_load_per_core)
    _lower_priority()
    started = time.thread_time()
    try:
        warm_dry_run()
    except Exception:  # never the process's concern: the first dry run will simply solve everything itself
        log.exception("dry run warm-up failed; the first dry run will solve the round itself")
    finally:
        log.info("dry run warm-up done (%.1f CPU seconds in this thread)", time.thread_time() - started)


def start() -> bool:
    """Start the warm-up thread once per process if the setting allows it (True if started now)."""
    global _thread
    settings = get_settings()
    if not settings.warm_dry_run:
        return False
    with _STARTED:
        if _thread is not None:
            return False
        _thread = threading.Thread(target=_run, args=(settings.warm_dry_run_delay, settings.warm_dry_run_max_load),
                                   name="siimop-dry-run-warm-up", daemon=True)
        _thread.start()
    return True
