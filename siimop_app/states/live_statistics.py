"""Live statistics for the coordinators' tables (SPEC §7): while a table page stays open, its statistics (and
only they: never the rows) are recomputed every few seconds, so a coordinator watching during the ranking
window sees the figures move without reloading.

Each page declares a background event that awaits ``keep_live`` with its route and a ``compute(cookie,
filters)`` function, and two backend vars, ``_watch_token`` and ``_watch_running``; the page's on_load starts
it with a fresh token, so a reload or a newer tab stops the older loop, and a token runs one loop at most. The database work runs in a worker thread and re-reads the session and scope every time.

The figures themselves are shared (``SHARED``): tabs whose users have the same roles and grants and the same
filters get, within one refresh period, the figures the first of them computed in this process, instead of each
tab running the same aggregates every 10 s. Safe because the key is all the figures depend on (the table, the
user's roles and staff grants, the filters: the statistics read the user through these alone), never the
cookie; and because the session, the role and the grants are re-read for every tab on every refresh before the
cache is asked — a signed-out user, a withdrawn role or a changed grant gets AccessDenied or another key at once.
The figures are at most one refresh period old, as they already were for a tab between two refreshes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from siimop_app.services.access import AccessDenied
from siimop_app.services.overview import Figure

log = logging.getLogger(__name__)

WATCH_SECONDS = 10.0
WATCH_ROUNDS = 180  # 30 minutes, then a reload restarts it

Compute = Callable[[str, Any], list[Figure]]


class SharedFigures:
    """Figures computed at most once per key and period in this process (a small TTL cache, thread-safe: the live
    refreshes run in the executor's threads). Concurrent misses on one key wait for the first computation."""

    def __init__(self, ttl: float, max_entries: int = 2048) -> None:
        self._ttl, self._max = ttl, max_entries
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, list[Figure]]] = {}
        self._computing: dict[Hashable, threading.Lock] = {}

    def _fresh(self, key: Hashable) -> list[Figure] | None:
        found = self._entries.get(key)
        return found[1] if found is not None and found[0] > time.monotonic() else None

    def get(self, key: Hashable, compute: Callable[[], list[Figure]]) -> list[Figure]:
        with self._lock:
            if (figures := self._fresh(key)) is not None:
                return list(figures)  # each tab its own list: a state never shares a mutable value with another
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                if (figures := self._fresh(key)) is not None:
                    return list(figures)
            figures = list(compute())
            with self._lock:
                now = time.monotonic()
                for old in [k for k, (expires, _) in self._entries.items() if expires <= now]:
                    del self._entries[old]
                if len(self._entries) >= self._max:
                    self._entries.pop(next(iter(self._entries)))
                self._entries[key] = (now + self._ttl, figures)
                self._computing.pop(key, None)
            return list(figures)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# A little less than the period: a tab alone still gets figures computed for its own refresh.
SHARED = SharedFigures(ttl=0.9 * WATCH_SECONDS)


async def keep_live(state: Any, token: int, route: str, compute: Compute) -> None:
    """Refresh ``state.statistics`` every WATCH_SECONDS while ``token`` is current and the page is ``route``."""
    loop = asyncio.get_running_loop()
    async with state:
        # One loop per client and page: a forged ``watch_statistics`` (a stale token, or the current one again
        # while its loop runs) starts nothing. The token is claimed under the state's lock.
        if token != state._watch_token or state._watch_running == token:
            return
        state._watch_running = token
    for _ in range(WATCH_ROUNDS):
        await asyncio.sleep(WATCH_SECONDS)
        async with state:
            path = (state.router.url.path or "").rstrip("/")
            if token != state._watch_token or (path and path != route):
                return
            cookie, filters = state.session_cookie, state._filters()
        try:
            figures = await loop.run_in_executor(None, functools.partial(compute, cookie, filters))
        except AccessDenied:
            async with state:
                state._clear()
            return
        except Exception:
            log.exception("live statistics refresh failed on %s", route)
            continue
        async with state:
            if token != state._watch_token or filters != state._filters():
                continue  # the user changed the filters meanwhile: their handler already refreshed
            state.statistics = figures
            state.stats_refreshed += 1
