"""Live statistics for the coordinators' tables (SPEC §7): while a table page stays open, its statistics (and
only they: never the rows) are recomputed every few seconds, so a coordinator watching during the ranking
window sees the figures move without reloading.

Each page declares a background event that awaits ``keep_live`` with its route and a ``compute(cookie,
filters)`` function, and two backend vars, ``_watch_token`` and ``_watch_running``; the page's on_load starts
it with a fresh token, so a reload or a newer tab stops the older loop, and a token runs one loop at most. The database work runs in a worker thread and re-reads the session and scope every time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any

from siimop_app.services.access import AccessDenied
from siimop_app.services.overview import Figure

log = logging.getLogger(__name__)

WATCH_SECONDS = 10.0
WATCH_ROUNDS = 180  # 30 minutes, then a reload restarts it

Compute = Callable[[str, Any], list[Figure]]


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
