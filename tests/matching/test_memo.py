"""Exact mode's per-market memo: after one change, only the market it touches is solved
again, and the result is exactly what solving the changed instance from scratch gives."""

from __future__ import annotations

import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matching_testlib import national_markets, several_markets, single_market

from siimop_app.matching import Instance, check, solve
from siimop_app.matching import exact as ex
from siimop_app.matching.memo import MARKETS, MarketMemo, SolvedMarket


def _move_one_candidate(rng: random.Random, d: dict) -> tuple[dict, str] | None:
    """A copy where one supervisor moved one candidate to another place of the ranking."""
    ranked = [i for i, p in enumerate(d["posts"]) if len(p["ranking"]) >= 2]
    if not ranked:
        return None
    i = rng.choice(ranked)
    ranking = list(d["posts"][i]["ranking"])
    a, b = rng.sample(range(len(ranking)), 2)
    ranking.insert(b, ranking.pop(a))
    posts = list(d["posts"])
    posts[i] = {**posts[i], "ranking": ranking}
    return {**d, "posts": posts}, posts[i]["id"]


def _change_one_heart(rng: random.Random, d: dict) -> tuple[dict, str] | None:
    """A copy where one student gave a post that ranks them another number of hearts (1-5)."""
    ranked = {(s, p["id"]) for p in d["posts"] for s in p["ranking"]}
    pairs = [(i, p) for i, s in enumerate(d["students"]) for p in sorted(s["wishes"]) if (s["id"], p) in ranked]
    if not pairs:
        return None
    i, post = rng.choice(pairs)
    wishes = dict(d["students"][i]["wishes"])
    wishes[post] = rng.choice([h for h in range(1, 6) if h != wishes[post]])
    students = list(d["students"])
    students[i] = {**students[i], "wishes": wishes}
    return {**d, "students": students}, post


def _market_of(inst: Instance, post_id: str) -> str | None:
    c = inst.compiled()
    p = c.pindex[post_id]
    return next((f"M{i + 1}" for i, (_, posts) in enumerate(ex.markets(c)) if p in posts), None)


def _fast_by_market(inst: Instance) -> dict[str, dict[str, str]]:
    """The fast heuristic's matching (exact mode's warm start and floor), market by market."""
    c = inst.compiled()
    fast = solve(inst, mode="fast", time_limit=None).assignments
    return {f"M{i + 1}": {c.sids[s]: fast.get(c.sids[s], "") for s in students}
            for i, (students, _) in enumerate(ex.markets(c))}


def _solved(res) -> list[str]:
    return res.timings["exact_memo"]["solved"]


def _one_change(seed: int, change: str) -> set[str] | None:
    """Solve an instance of several markets, change one ranking or one heart, solve again:
    the result equals a cold solve of the changed instance, the changed market is solved
    again, and so is every market whose warm start moved; all the others are reused.
    Returns the untouched markets whose warm start moved (None: nothing to change)."""
    MARKETS.clear()
    rng = random.Random(seed)
    d = several_markets(rng)
    before = Instance.from_dict(d)
    first = solve(before, time_limit=None)
    assert len(_solved(first)) == first.stats["exact"]["markets_count"]
    edit = (_move_one_candidate if change == "ranking" else _change_one_heart)(rng, d)
    if edit is None:
        return None
    changed, post = edit
    after = Instance.from_dict(changed)
    warm = solve(after, time_limit=None)
    MARKETS.clear()
    cold = solve(Instance.from_dict(changed), time_limit=None)
    # Same bytes: assignments, every market's stats and optimality claims, explanations.
    assert warm.to_json() == cold.to_json()
    assert check(after, warm).ok
    touched = _market_of(after, post)
    fast_before, fast_after = _fast_by_market(before), _fast_by_market(after)
    moved = {m for m in fast_after if m != touched and fast_before[m] != fast_after[m]}
    proven = {m["id"] for m in first.stats["exact"]["markets"]
              if m["stopped_by"] == m["hearts_stopped_by"] == "optimal"}
    reused = {m for m in fast_after if m != touched and m in proven and m not in moved}
    assert touched in _solved(warm)
    assert set(fast_after) - set(_solved(warm)) == reused
    assert warm.timings["exact_memo"]["reused"] == len(reused)
    return moved


@settings(max_examples=80)
@given(st.integers(0, 10**9), st.sampled_from(["ranking", "hearts"]))
def test_one_change_solves_its_market_again_and_equals_a_cold_solve(seed: int, change: str) -> None:
    _one_change(seed, change)


@pytest.mark.parametrize("seed, change", [(154, "ranking"), (27, "hearts")])
def test_a_market_whose_warm_start_moved_is_solved_again(seed: int, change: str) -> None:
    """The fast heuristic keeps its best national candidate (deferred acceptance or Király,
    polished): a change in one market can move its matching in another, whose warm start
    and floor then differ: that market is solved again too."""
    assert _one_change(seed, change)


def test_a_national_shaped_instance_after_one_ranking_move() -> None:
    d = national_markets(seed=3, total=500, n_markets=8, largest=120, posts_total=420)
    first = solve(Instance.from_dict(d), time_limit=None)
    markets = first.stats["exact"]["markets_count"]
    assert first.stats["optimal"] and first.timings["exact_memo"]["stored"] == markets == 8
    post = next(p for p in d["posts"] if len(p["ranking"]) >= 4)
    ranking = list(post["ranking"])
    ranking[0], ranking[3] = ranking[3], ranking[0]  # the supervisor moves their 4th candidate to the top
    changed = {**d, "posts": [{**p, "ranking": ranking} if p is post else p for p in d["posts"]]}
    after = Instance.from_dict(changed)
    warm = solve(after, time_limit=None)
    assert _solved(warm) == [_market_of(after, post["id"])]
    assert warm.timings["exact_memo"]["reused"] == markets - 1
    MARKETS.clear()
    cold = solve(Instance.from_dict(changed), time_limit=None)
    assert warm.to_json() == cold.to_json() and cold.timings["exact_memo"]["reused"] == 0


def test_unchanged_data_is_not_solved_again() -> None:
    inst = Instance.from_dict(single_market(60, 5))
    first = solve(inst)
    again = solve(Instance.from_dict(single_market(60, 5)))
    assert _solved(again) == [] and again.timings["exact_memo"]["reused"] == first.stats["exact"]["markets_count"]
    assert again.to_json() == first.to_json()


def test_a_search_cut_by_the_clock_or_the_node_limit_is_not_remembered() -> None:
    d = single_market(60, 3)
    cut = solve(Instance.from_dict(d), time_limit=0.0)
    assert cut.stats["exact"]["markets"][0]["stopped_by"] == "time budget exhausted"
    assert cut.timings["exact_memo"]["stored"] == 0
    assert _solved(solve(Instance.from_dict(d), time_limit=0.0)) == ["M1"]
    stopped = solve(Instance.from_dict(d), node_limit=0, time_limit=None)
    assert "node limit" in stopped.stats["exact"]["markets"][0]["hearts_stopped_by"]
    again = solve(Instance.from_dict(d), node_limit=0, time_limit=None)
    assert _solved(again) == ["M1"] and again.to_json() == stopped.to_json()
    proven = solve(Instance.from_dict(d), time_limit=None)  # another node limit: another key
    assert _solved(proven) == ["M1"] and proven.stats["optimal"] and proven.stats["hearts_optimal"]


def test_another_tie_break_seed_is_another_market() -> None:
    d = single_market(60, 5)
    solve(Instance.from_dict(d))
    assert _solved(solve(Instance.from_dict({**d, "tie_break_seed": 43}))) == ["M1"]


def test_a_reused_market_still_needs_the_solver(monkeypatch) -> None:
    """A market that needed HiGHS is not served from memory when highspy is missing: the
    whole solve falls back to the fast heuristic, as it would from scratch."""
    d = single_market(60, 5)
    solve(Instance.from_dict(d))
    monkeypatch.setitem(sys.modules, "highspy", None)
    res = solve(Instance.from_dict(d))
    assert res.stats["exact"]["status"].startswith("unavailable: highspy cannot be imported")
    assert res.assignments == solve(Instance.from_dict(d), mode="fast").assignments


def test_the_memo_is_bounded_least_recently_used_first() -> None:
    memo = MarketMemo(max_entries=3, max_students=10)

    def entry(n: int) -> SolvedMarket:
        return SolvedMarket(tuple([-1] * n), {}, (1, 0, 0), False)

    for k in (b"a", b"b", b"c"):
        memo.put(k, entry(2))
    assert memo.get(b"a") is not None  # "a" is now the most recently used
    memo.put(b"d", entry(2))  # 4 entries > 3: the least recently used ("b") goes
    assert memo.get(b"b") is None and memo.get(b"c") is not None
    memo.put(b"e", entry(7))  # 13 students > 10: "a" then "d" go, "c" and "e" stay
    assert [memo.get(k) is not None for k in (b"a", b"c", b"d", b"e")] == [False, True, False, True]
    assert memo.info()["students"] == 9
    memo.put(b"huge", entry(11))  # larger than the bound: never stored
    assert memo.get(b"huge") is None
