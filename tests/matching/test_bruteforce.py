"""Exhaustive checks of fast mode (the heuristic) on tiny instances: enumerate every matching.

Exact mode has its own exhaustive checks in test_exact.py."""

from __future__ import annotations

import math
import random

import pytest

from siimop_app.matching import Instance, check, solve
from siimop_app.matching import algorithms as alg

from matching_testlib import acceptable, all_weakly_stable, random_instance


def _sizes(rng: random.Random) -> tuple[int, int]:
    return rng.randint(1, 6), rng.randint(1, 3)


def _tie_heavy(rng: random.Random) -> dict:
    """Few heart levels, everyone ranked, places everywhere: where tie-breaking matters."""
    return random_instance(rng, rng.randint(4, 8), rng.randint(2, 4), max_places=2, min_places=1,
                           p_wish=0.5, levels=(4, 5, 5), p_ranked=0.95, p_unranked_extra=0)


def _placed_rank(d: dict, m: dict[str, str]) -> dict[str, int]:
    hearts = {s["id"]: s["wishes"] for s in d["students"]}
    return {s["id"]: (hearts[s["id"]][m[s["id"]]] if s["id"] in m else 0) for s in d["students"]}


@pytest.mark.parametrize("seed", range(300))
def test_ties_weakly_stable_and_bounds(seed: int) -> None:
    rng = random.Random(seed)
    d = _tie_heavy(rng) if seed % 2 else random_instance(rng, *_sizes(rng), max_places=2)
    inst = Instance.from_dict(d)
    res = solve(inst, mode="fast")
    stable = all_weakly_stable(d)
    assert stable, "a weakly stable matching always exists"
    assert res.assignments in stable
    assert check(inst, res.to_dict()).ok
    best = max(len(m) for m in stable)
    placed = len(res.assignments)
    assert placed >= res.stats["baseline"]["students_placed"]
    # Kiraly's guarantee (3/2-approximation) carries to the final result
    assert placed >= math.ceil(2 * best / 3)
    k = alg.kiraly(inst.compiled())
    assert sum(p >= 0 for p in k) >= math.ceil(2 * best / 3)
    # Stable improvement cycles exhausted: no weakly stable matching Pareto-dominates it
    mine = _placed_rank(d, res.assignments)
    for m in stable:
        other = _placed_rank(d, m)
        dominates = all(other[s] >= mine[s] for s in mine) and any(other[s] > mine[s] for s in mine)
        assert not dominates, f"{m} Pareto-dominates {res.assignments}"


@pytest.mark.parametrize("seed", range(100))
def test_strict_is_student_optimal(seed: int) -> None:
    rng = random.Random(10_000 + seed)
    d = random_instance(rng, *_sizes(rng), strict=True)
    inst = Instance.from_dict(d)
    assert not inst.has_ties()
    res = solve(inst, mode="fast")
    stable = all_weakly_stable(d)
    mine = _placed_rank(d, res.assignments)
    # student-optimal: every student at least as well off as in any stable matching
    for m in stable:
        other = _placed_rank(d, m)
        assert all(mine[s] >= other[s] for s in mine)
    assert res.assignments in stable
    # rural hospitals theorem: same placed set in every stable matching
    assert len({frozenset(m) for m in stable}) == 1


def test_fast_mode_gap_is_small() -> None:
    """Fast mode: not a guarantee (the problem is NP-hard), but the heuristic should reach
    the maximum on nearly all tiny instances; guards against a silently weakened search."""
    hits = baseline_hits = total = 0
    for seed in range(300):
        d = _tie_heavy(random.Random(50_000 + seed))
        best = max(len(m) for m in all_weakly_stable(d))
        res = solve(Instance.from_dict(d), mode="fast")
        total += 1
        hits += len(res.assignments) == best
        baseline_hits += res.stats["baseline"]["students_placed"] == best
    assert baseline_hits < total  # the sample does exercise ties
    assert hits >= 0.95 * total


@pytest.mark.parametrize("seed", range(60))
def test_upper_bound_is_maximum_matching(seed: int) -> None:
    import itertools

    rng = random.Random(70_000 + seed)
    d = random_instance(rng, rng.randint(1, 6), rng.randint(1, 3), max_places=2)
    acc = acceptable(d)
    places = {p["id"]: p["places"] for p in d["posts"]}
    best = 0
    for combo in itertools.product(*[[None, *acc[s]] for s in acc]):
        used = [p for p in combo if p is not None]
        if all(used.count(p) <= places[p] for p in set(used)):
            best = max(best, len(used))
    assert alg.max_matching_size(Instance.from_dict(d).compiled()) == best
