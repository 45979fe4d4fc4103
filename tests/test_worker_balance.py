"""Workers even out their clients after one died (siimop_app.worker_balance): how many sockets a worker hands over,
and the round itself against the real Redis (the production tests show browsers moving: tests/prod/test_faults.py)."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from siimop_app import worker_balance
from siimop_app.worker_balance import KEY, live_counts, to_shed

REDIS_URL = os.environ.get("SIIMOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def test_the_survivor_of_a_killed_worker_hands_clients_to_its_replacement_a_tenth_at_a_time():
    assert to_shed(300, [0], min_excess=20) == 30  # fair share 150: at most a tenth of its 300 per round
    assert to_shed(170, [130], min_excess=20) == 0  # within 15 % of the fair share: left alone
    assert to_shed(200, [100], min_excess=20) == 20  # 50 over its share of 150, 20 per round
    assert to_shed(160, [0, 0, 0], min_excess=20) == 16  # three fresh workers: share 40


def test_small_or_even_counts_and_a_lone_worker_move_nobody():
    assert to_shed(30, [20], min_excess=20) == 0  # 5 over its share: not worth a reconnection
    assert to_shed(500, [], min_excess=20) == 0  # no other worker to go to
    assert to_shed(0, [40], min_excess=20) == 0
    assert to_shed(6, [0], min_excess=3) == 1  # the production tests' low threshold: one at a time


def test_workers_that_stopped_writing_are_forgotten():
    now = 1_000.0
    entries = {"me:1": "50 999", "a:2": "40 995", "b:3": "70 900", "c:4": "garbled"}
    others, stale = live_counts(entries, "me:1", now, every=10)
    assert others == [40] and sorted(stale) == ["b:3", "c:4"]


def test_a_round_publishes_the_count_and_closes_a_tenth_of_the_sockets_drops_dead_workers():
    import redis

    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    client.delete(KEY)
    client.hset(KEY, mapping={"fresh:2": f"0 {time.time() + 60}", "dead:3": f"90 {time.time() - 600}"})
    sockets = [f"sid{i}" for i in range(40)]
    closed: list[str] = []

    async def close(sid: str) -> None:
        closed.append(sid)
        sockets.remove(sid)

    async def one_round() -> None:
        task = asyncio.create_task(worker_balance.balance_forever(REDIS_URL, lambda: list(sockets), close, every=1,
                                                                  min_excess=3, me="test:1"))
        deadline = time.monotonic() + 5
        while not closed and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # the round's last closes; the next round is 0.8 s or more away
        task.cancel()

    try:
        asyncio.run(one_round())
        entries, ttl = client.hgetall(KEY), client.ttl(KEY)
    finally:
        client.delete(KEY)
    # 40 against a fresh worker's 0 (fair share 20), seen twice: a tenth of its sockets closed, distinct ones; the
    # count it published is the one before; the worker that stopped writing was dropped.
    assert len(closed) == 4 and len(set(closed)) == 4
    assert entries["test:1"].split()[0] == "40" and "dead:3" not in entries
    assert 0 < ttl <= 4  # gone a few rounds after the last worker stopped


def test_the_sockets_closed_are_those_of_the_quietest_clients_not_those_that_just_connected(monkeypatch):
    tokens = {"s1": "busy", "s2": "idle-a", "s3": "earlier", "s4": None, "s5": "idle-b", "s6": "new"}
    worker_balance._last_event.clear()
    worker_balance._first_seen.clear()
    monkeypatch.setattr(worker_balance, "_recording", False)
    worker_balance.note_event("busy")  # a worker that does not balance (one worker, no Redis) records nothing
    assert worker_balance._last_event == {}
    monkeypatch.setattr(worker_balance, "_recording", True)
    worker_balance._note_sockets(["s1", "s2", "s3", "s4", "s5"], set(tokens.values()) - {None}, time.monotonic() - 30)
    worker_balance.note_event("earlier")
    worker_balance.note_event("busy")
    worker_balance._note_sockets(list(tokens), set(tokens.values()) - {None}, time.monotonic())  # s6 arrives
    chosen = worker_balance.quietest(list(tokens), tokens.get, 4)
    assert set(chosen[:3]) == {"s2", "s4", "s5"}  # connected 30 s ago, no event since (or no client yet)
    assert chosen[3] == "s3"  # then the one whose last event is the oldest; the busy one and the newcomer stay
    worker_balance._note_sockets(["s1"], {"busy"}, time.monotonic())  # the others left: their records go
    assert set(worker_balance._last_event) == {"busy"} and set(worker_balance._first_seen) == {"s1"}
