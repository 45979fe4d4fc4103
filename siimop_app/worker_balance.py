"""Workers even out their connected clients after one of them died (issue 13).

Measured (README, "Faults under the load tool"): when a worker is killed, its tabs reconnect within seconds, before
its replacement is up, so all of them land on the survivors. A socket never moves by itself: the survivor kept 300
tabs alone (p95 611 ms) and the new worker none, until people came and went.

So every ``SIIMOP_BALANCE_SECONDS`` (default 10; 0 turns it off; only with Redis and several workers) each worker
writes its count of connected sockets to Redis and reads the others'. A worker holding more than its fair share
(the total over the workers alive) by at least ``SIIMOP_BALANCE_MIN_EXCESS`` sockets (default 20) and by 15 %, two
rounds in a row, closes a few of them at the transport level, as a network cut would: at most a tenth of its
sockets per round, so the move is gradual. Each browser reconnects at once (Reflex's client does after a transport
close), its state is in Redis, and the new connection is accepted by any worker: the idle one as often as the busy
one, so the counts even out within a few rounds. A click the server already received is still processed and
saved (the page shows it when it reloads); a click sent in the instant of the cut is lost, as with any cut, and
the page then shows the move not made. So the sockets closed are those whose clients have been quiet the longest
(tabs that never sent an event since they opened first): most connected people do nothing, and a tab left open
loses nothing when it reconnects. Measured with four workers on two cores, where the random accept alone left one
worker 33 % over its share: 9 sockets taken at random cost 9 actions in flight (of 300 active supervisors).

Workers on other machines sharing the Redis database are counted too: the load balancer then spreads the
reconnections over the machines.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger("siimop.balance")

KEY = "siimop:worker_clients"  # hash: worker ("host:pid") -> "count unix_time"
# A worker that has not written for this many rounds is dead: its entry is dropped.
STALE_ROUNDS = 3
TOLERANCE = 1.15
MOST_PER_ROUND = 0.1


# When each client (its state token) last had an event processed by this worker (``note_event``, called by the
# app's event middleware), and when the balancer first saw each socket: it closes the quietest sockets first, and
# not one that has just connected (its page may still be opening). Both pruned to the connected clients every round.
_last_event: dict[str, float] = {}
_first_seen: dict[str, float] = {}
_recording = False  # only while this worker balances: nothing else prunes the record


def note_event(token: str) -> None:
    if _recording:
        _last_event[token] = time.monotonic()


def quietest(sids: list[str], token_of: Callable[[str], str | None], count: int) -> list[str]:
    """The ``count`` sockets whose clients have gone without an event (or a connection) the longest; ties in random
    order."""
    def last_sign_of_life(sid: str) -> float:
        return max(_last_event.get(token_of(sid) or "", 0.0), _first_seen.get(sid, 0.0))

    return sorted(random.sample(sids, len(sids)), key=last_sign_of_life)[:count]


def _note_sockets(sids: list[str], tokens: set[str], now: float) -> None:
    """Remember when each socket was first seen; forget the sockets and clients gone."""
    connected = set(sids)
    for sid in [s for s in _first_seen if s not in connected]:
        del _first_seen[sid]
    for sid in sids:
        _first_seen.setdefault(sid, now)
    for token in [t for t in _last_event if t not in tokens]:
        del _last_event[token]


def to_shed(mine: int, others: list[int], min_excess: int) -> int:
    """How many of its ``mine`` sockets a worker closes this round, given the live counts of the other workers."""
    if not others:
        return 0
    fair = math.ceil((mine + sum(others)) / (len(others) + 1))
    excess = mine - fair
    if excess < max(min_excess, 1) or mine < TOLERANCE * fair:
        return 0
    return min(excess, max(1, int(mine * MOST_PER_ROUND)))


def live_counts(entries: dict[str, str], me: str, now: float, every: float) -> tuple[list[int], list[str]]:
    """The other workers' counts still fresh, and the entries of workers that stopped writing (to drop)."""
    others, stale = [], []
    for worker, value in entries.items():
        if worker == me:
            continue
        try:
            count, written_at = value.split()
            fresh = now - float(written_at) <= STALE_ROUNDS * every
        except ValueError:
            fresh = False
        if fresh:
            others.append(int(count))
        else:
            stale.append(worker)
    return others, stale


async def cut(eio, sid: str) -> None:
    """Close one client's connection the way a network cut does, so that its browser reconnects at once.

    ``eio.disconnect`` alone runs the disconnect handlers and queues engine.io's CLOSE packet, which the browser's
    websocket transport ignores: the websocket stayed open until the browser next sent something (a click, then
    lost). Ending the socket's writer (python-engineio's queue, pinned in requirements.txt) closes the websocket
    itself; the browser sees "transport close" and Reflex's client reconnects (tests/e2e/test_ranking.py).
    """
    client = eio.sockets.get(sid)
    if client is None:
        return
    await eio.disconnect(sid)
    await client.queue.put(None)


async def balance_forever(redis_url: str, sockets: Callable[[], list[str]], close: Callable[[str], Awaitable[None]],
                          every: float, min_excess: int, me: str = "",
                          token_of: Callable[[str], str | None] = lambda sid: None) -> None:
    """Publish this worker's count every ``every`` seconds and close its excess sockets, the quietest first (see the
    docstring); ``token_of``: a socket's client token, for ``note_event``'s record."""
    import redis.asyncio as redis

    global _recording
    _recording = True
    me = me or f"{socket.gethostname()}:{os.getpid()}"
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    over_before = False
    while True:
        await asyncio.sleep(every * random.uniform(0.8, 1.2))  # workers' rounds drift apart: no two shed at once
        try:
            now, now_monotonic = time.time(), time.monotonic()
            connected = sockets()
            _note_sockets(connected, {token_of(sid) for sid in connected} - {None}, now_monotonic)
            # One round trip; the hash expires a few rounds after the last worker stopped writing (nothing in
            # Redis outlives its use).
            _, _, entries = await (client.pipeline(transaction=False).hset(KEY, me, f"{len(connected)} {now}")
                                   .expire(KEY, math.ceil((STALE_ROUNDS + 1) * every)).hgetall(KEY).execute())
            others, stale = live_counts(entries, me, now, every)
            if stale:
                await client.hdel(KEY, *stale)
        except (OSError, redis.RedisError) as exc:  # Redis restarting: try again next round
            log.warning("client balance skipped: Redis unreachable (%s)", exc)
            continue
        shed = to_shed(len(connected), others, min_excess)
        # Only an excess seen two rounds in a row: while tabs arrive (a start, a ramp) or just after a worker died,
        # the others' counts lag behind by up to a round, and closing on them would move clients for nothing.
        over_before, shed = bool(shed), shed if over_before else 0
        if shed:
            chosen = quietest(connected, token_of, shed)
            busy = sum(1 for sid in chosen if _last_event.get(token_of(sid) or "", 0.0) > now_monotonic - 2 * every)
            log.info("closing %d of %d sockets so that their clients reconnect to a less loaded worker "
                     "(others: %s; %d of them had an event in the last %d s)", shed, len(connected), others, busy,
                     2 * every)
            for sid in chosen:
                try:
                    await close(sid)
                except Exception:  # that client left meanwhile, say: the others still go, and the next round
                    log.exception("could not close socket %s", sid)
