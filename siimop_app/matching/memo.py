"""Per-market memo of exact mode: a market solved to a proven result is not solved again
in this process while nothing that determines its result has changed.

During the ranking phase every dry run sees new data (one supervisor's move, one heart),
but a change touches one market out of hundreds: the others' inputs are byte for byte
the same, and exact mode is deterministic (one thread, pinned options and seed, node
limits, inputs in input order), so their results are too. The key
(:func:`market_key`) is a sha256 of everything the market's solve reads, written with
market-local indices (see the README, "Per-market memo"). Only markets whose every
search ended with a proof are stored: a search cut by the clock depends on the machine;
one cut by the node limit would be reproducible, but an unproven result is searched
again rather than pinned. Standard library only; bounded (LRU, by entries and by
students), thread safe (dry runs run in background threads).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .instance import Compiled

# The national demo has 544 markets (6,495 students in them), ~1 KB each in here: these
# bounds keep about seven national snapshots' worth of distinct markets, under ~10 MB.
MAX_ENTRIES = 4096
MAX_STUDENTS = 100_000


@dataclass(frozen=True)
class SolvedMarket:
    """A market's proven outcome, in market-local terms.

    ``assign``: for each student of the market (input order), the local index of its
    post among the market's posts (input order), -1 if unplaced. ``stats``: the
    market's entry of ``stats["exact"]["markets"]`` without ``id`` (which depends on
    the markets before it). ``reduction``: (passes, pairs removed by "posts offer", by
    "students apply"). ``solver_used``: a block of it needed HiGHS (the stats then
    name the solver, and its absence must still make the whole solve fall back)."""

    assign: tuple[int, ...]
    stats: dict[str, Any]
    reduction: tuple[int, int, int]
    solver_used: bool


def market_key(c: Compiled, students: list[int], posts: list[int], fast: list[int], settings: tuple) -> bytes:
    """sha256 of what determines the market's result: ``settings`` (tie-break seed, node
    limit, solver options, the model's switches), each student's id, acceptable posts
    in preference order (the tie-break already applied) with their hearts and the fast
    heuristic's post (warm start and floor), each post's id, places and acceptable
    students in ranking order. Indices are local to the market, so the key does not
    move when another market gains or loses a student."""
    local_post = {p: i for i, p in enumerate(posts)}
    local_student = {s: i for i, s in enumerate(students)}
    hearts, prefs, sids = c.hearts, c.prefs, c.sids
    text = repr((
        settings,
        [(sids[s], [(local_post[p], hearts[s][p]) for p in prefs[s]], local_post.get(fast[s], -1))
         for s in students],
        [(c.pids[p], c.cap[p], [local_student[t] for t in c.plists[p]]) for p in posts],
    ))
    return hashlib.sha256(text.encode("utf-8")).digest()


class MarketMemo:
    """A bounded LRU of :class:`SolvedMarket` by :func:`market_key`."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_students: int = MAX_STUDENTS):
        self.max_entries = max_entries
        self.max_students = max_students
        self._entries: OrderedDict[bytes, SolvedMarket] = OrderedDict()
        self._students = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> SolvedMarket | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: bytes, entry: SolvedMarket) -> None:
        if len(entry.assign) > self.max_students:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._students -= len(old.assign)
            self._entries[key] = entry
            self._students += len(entry.assign)
            while len(self._entries) > self.max_entries or self._students > self.max_students:
                _, gone = self._entries.popitem(last=False)
                self._students -= len(gone.assign)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._students = 0
            self.hits = self.misses = 0

    def info(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._entries), "students": self._students,
                    "hits": self.hits, "misses": self.misses}


MARKETS = MarketMemo()
