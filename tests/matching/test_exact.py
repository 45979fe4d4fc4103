"""Exact mode: brute force on tiny instances, properties, honest stats, solver absence
and failure, reproducibility, explanations and certificates."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matching_testlib import acceptable, all_weakly_stable, is_weakly_stable, random_instance, single_market

from siimop_app.matching import Instance, check, explain_student, solve
from siimop_app.matching import exact as ex


def _profile(d: dict, m: dict[str, str]) -> tuple[int, ...]:
    """(placed, #5 hearts, #4, #3, #2, #1): the exact mode's lexicographic objective."""
    hearts = {s["id"]: s["wishes"] for s in d["students"]}
    counts = [0] * 6
    for s, p in m.items():
        counts[hearts[s][p]] += 1
    return (len(m), *reversed(counts[1:]))


def _tiny(seed: int) -> dict:
    rng = random.Random(seed)
    if seed % 2:  # tie-heavy: where the heuristic may miss the maximum
        return random_instance(rng, rng.randint(4, 8), rng.randint(2, 4), max_places=2, min_places=1,
                               p_wish=0.5, levels=(4, 5, 5), p_ranked=0.95, p_unranked_extra=0)
    return random_instance(rng, rng.randint(1, 7), rng.randint(1, 4), max_places=3)


# ----------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("seed", range(150))
def test_exact_is_the_enumerated_lexicographic_maximum(seed: int) -> None:
    d = _tiny(80_000 + seed)
    inst = Instance.from_dict(d)
    res = solve(inst)
    stable = all_weakly_stable(d)
    assert res.assignments in stable
    best = max(_profile(d, m) for m in stable)
    # the maximum number placed, then the most 5-heart posts, then 4, ...
    assert _profile(d, res.assignments) == best
    assert res.stats["optimal"] is True and res.stats["hearts_optimal"] is True
    assert res.stats["upper_bound"] == best[0] and res.stats["gap"] == 0
    assert all(m["proven_optimal"] for m in res.stats["exact"]["markets"])
    assert check(inst, res).ok


def test_exact_beats_fast_on_known_instances() -> None:
    """Instances where the heuristic misses the maximum (found by enumeration)."""
    gains = 0
    for seed in range(400):
        d = _tiny(50_000 + 2 * seed + 1)
        fast = solve(Instance.from_dict(d), mode="fast")
        res = solve(Instance.from_dict(d))
        assert len(res.assignments) >= len(fast.assignments)
        gains += len(res.assignments) > len(fast.assignments)
    assert gains >= 1  # the sample does contain a heuristic miss


@pytest.mark.parametrize("seed", range(40))
def test_threshold_formulation_is_exact_too(seed: int, monkeypatch) -> None:
    monkeypatch.setattr(ex, "THRESHOLDS", True)
    monkeypatch.setattr(ex, "THRESHOLD_MIN_EXTRA", 0)
    d = _tiny(85_000 + 2 * seed + 1)
    res = solve(Instance.from_dict(d))
    assert _profile(d, res.assignments) == max(_profile(d, m) for m in all_weakly_stable(d))
    assert res.stats["optimal"] and res.stats["hearts_optimal"]


@pytest.mark.parametrize("seed", range(40))
def test_hearts_level_by_level_is_the_same_optimum(seed: int, monkeypatch) -> None:
    """The hearts levels share one weighted stage when its values stay small; one stage
    per level (as for a large block), and without the "nobody below" rows, gives the same
    enumerated maximum."""
    monkeypatch.setattr(ex, "MAX_OBJECTIVE", 1.0)
    monkeypatch.setattr(ex, "BELOW_ROWS", seed % 2 == 0)
    d = _tiny(87_000 + 2 * seed + 1)
    res = solve(Instance.from_dict(d))
    assert _profile(d, res.assignments) == max(_profile(d, m) for m in all_weakly_stable(d))
    assert res.stats["optimal"] and res.stats["hearts_optimal"]


def test_hearts_order_on_a_national_demo_market() -> None:
    """A market of the national demo (64 students) where HiGHS 1.16 with presolve called a
    matching with one student fewer on a 2-heart post (and one more on a 1-heart post)
    optimal: the matching returned places that student on the better post."""
    inst = Instance.load(Path(__file__).parent / "fixtures" / "demo_market_hearts.json")
    res = solve(inst)
    assert len(res.assignments) == 54 and res.stats["optimal"] and res.stats["hearts_optimal"]
    assert res.stats["final"]["hearts_profile"] == {"5": 6, "4": 10, "3": 17, "2": 10, "1": 11}
    assert check(inst, res).ok


@pytest.mark.parametrize("seed", range(60))
def test_reduction_keeps_exactly_the_weakly_stable_matchings(seed: int) -> None:
    d = _tiny(90_000 + seed)
    inst = Instance.from_dict(d)
    c = inst.compiled()
    red = ex.reduce_pairs(c)
    kept = {(c.sids[s], c.pids[p]) for s, pl in enumerate(red.prefs) for p in pl}
    assert kept == {(c.sids[s], c.pids[p]) for p, sl in enumerate(red.plists) for s in sl}
    reduced = {
        "students": [{"id": s["id"], "wishes": {p: h for p, h in s["wishes"].items() if (s["id"], p) in kept}}
                     for s in d["students"]],
        "posts": [{"id": p["id"], "places": p["places"], "ranking": [s for s in p["ranking"] if (s, p["id"]) in kept]}
                  for p in d["posts"]],
    }
    original = all_weakly_stable(d)
    as_set = lambda ms: {frozenset(m.items()) for m in ms}  # noqa: E731
    # same weakly stable matchings, and those of the reduced instance are stable in the original
    assert as_set(all_weakly_stable(reduced)) == as_set(original)
    hearts = {s["id"]: s["wishes"] for s in d["students"]}
    for s, f in enumerate(red.forced):
        if f:
            sid = c.sids[s]
            assert all(sid in m and hearts[sid][m[sid]] >= f for m in original)


def test_markets_are_the_components_of_acceptable_pairs() -> None:
    d = {"students": [{"id": "A", "wishes": {"P1": 5}}, {"id": "B", "wishes": {"P2": 3, "P1": 3}},
                      {"id": "C", "wishes": {"P3": 4}}, {"id": "D", "wishes": {"P4": 2}}, {"id": "E", "wishes": {}}],
         "posts": [{"id": "P1", "places": 1, "ranking": ["B", "A"]}, {"id": "P2", "places": 1, "ranking": ["B"]},
                   {"id": "P3", "places": 1, "ranking": ["C"]}, {"id": "P4", "places": 1, "ranking": []}]}
    c = Instance.from_dict(d).compiled()
    assert [([c.sids[s] for s in ss], [c.pids[p] for p in ps]) for ss, ps in ex.markets(c)] == [
        (["A", "B"], ["P1", "P2"]), (["C"], ["P3"])]
    res = solve(Instance.from_dict(d))
    markets = res.stats["exact"]["markets"]
    assert [(m["id"], m["first_student"], m["students"]) for m in markets] == [("M1", "A", 2), ("M2", "C", 1)]
    assert res.stats["exact"]["markets_count"] == 2


# ----------------------------------------------------------------------------- properties

seeds = st.integers(min_value=0, max_value=2**32 - 1)


@settings(max_examples=60)
@given(seeds, st.tuples(st.integers(1, 30), st.integers(1, 12)))
def test_exact_is_stable_never_below_fast_and_honest(seed: int, size: tuple[int, int]) -> None:
    d = random_instance(random.Random(seed), *size, max_places=3, levels=(1, 3, 4, 4, 5, 5))
    inst = Instance.from_dict(d)
    res = solve(inst)
    fast = solve(inst, mode="fast")
    assert is_weakly_stable(d, res.assignments)
    assert check(inst, res).ok
    assert _profile(d, res.assignments) >= _profile(d, fast.assignments)
    st_ = res.stats
    assert st_["upper_bound"] >= len(res.assignments) and st_["gap"] == st_["upper_bound"] - len(res.assignments)
    assert st_["optimal"] == all(m["proven_optimal"] for m in st_["exact"]["markets"])
    if st_["optimal"]:
        assert st_["upper_bound"] == len(res.assignments)
    assert sum(m["placed"] for m in st_["exact"]["markets"]) == len(res.assignments)


@settings(max_examples=40)
@given(seeds, st.tuples(st.integers(2, 8), st.integers(1, 4)))
def test_optimal_flag_is_never_true_when_a_larger_stable_matching_exists(seed: int, size: tuple[int, int]) -> None:
    d = random_instance(random.Random(seed), *size, max_places=2, levels=(4, 5, 5))
    res = solve(Instance.from_dict(d), node_limit=0, time_limit=5.0)
    best = max(len(m) for m in all_weakly_stable(d))
    if res.stats["optimal"]:
        assert len(res.assignments) == best
    assert res.stats["upper_bound"] >= best


@settings(max_examples=25)
@given(seeds, st.tuples(st.integers(5, 40), st.integers(3, 15)))
def test_exact_output_is_byte_identical(seed: int, size: tuple[int, int]) -> None:
    d = random_instance(random.Random(seed), *size, max_places=2, levels=(3, 4, 5, 5))
    assert solve(Instance.from_dict(d)).to_json() == solve(Instance.from_dict(d)).to_json()


# ----------------------------------------------------------------------------- limits and failures


def _medium(seed: int = 5) -> Instance:
    """A 60-student market shaped like ours where the heuristic misses the maximum (56 vs
    60 placed): exact mode needs the integer program."""
    return Instance.from_dict(single_market(60, seed))


def test_medium_instance_needs_the_integer_program() -> None:
    inst = _medium()
    res = solve(inst)
    assert len(res.assignments) > len(solve(inst, mode="fast").assignments)
    (market,) = res.stats["exact"]["markets"]
    assert "integer program" in market["method"] and market["proven_optimal"] and res.stats["optimal"]
    assert market["upper_bound"] == market["placed"] == len(res.assignments)


def test_no_time_left_keeps_the_heuristic_and_says_so() -> None:
    inst = _medium()
    res = solve(inst, time_limit=0.0)
    fast = solve(inst, mode="fast", time_limit=0.0)
    assert len(res.assignments) >= len(fast.assignments)
    assert check(inst, res).ok
    st_ = res.stats
    assert st_["upper_bound"] >= len(res.assignments)
    assert not st_["optimal"] and st_["gap"] > 0
    assert st_["exact"]["status"].startswith("not proven in 1 market(s) (M1)")
    assert st_["exact"]["markets"][0]["stopped_by"] == "time budget exhausted"
    assert "not proven maximum" in check(inst, res).to_text()


def test_solver_missing_falls_back_to_fast(monkeypatch) -> None:
    inst = _medium()
    monkeypatch.setitem(sys.modules, "highspy", None)  # import highspy -> ImportError
    res = solve(inst)
    assert res.stats["exact"]["status"].startswith("unavailable: highspy cannot be imported")
    assert res.stats["exact"]["fallback"] == "fast"
    assert res.assignments == solve(inst, mode="fast").assignments
    assert res.stats["final"] == res.stats["fast"]
    assert res.stats["upper_bound"] >= len(res.assignments)
    cert = check(inst, res)
    assert cert.ok and "Exact mode not applied" in cert.to_text()


def test_no_solver_needed_without_ties(monkeypatch) -> None:
    d = random_instance(random.Random(4), 20, 8, strict=True, max_places=2)
    monkeypatch.setitem(sys.modules, "highspy", None)
    res = solve(Instance.from_dict(d))
    assert "fallback" not in res.stats["exact"] and res.stats["optimal"] and res.stats["hearts_optimal"]
    assert res.stats["exact"]["solver"].startswith("none needed")


def test_solver_failure_falls_back_to_fast(monkeypatch) -> None:
    inst = _medium()

    def broken(self, *args, **kwargs):
        raise RuntimeError("simulated solver crash")

    monkeypatch.setattr(ex._Model, "lp_bound", broken)
    res = solve(inst)
    assert res.stats["exact"]["status"].startswith("failed: RuntimeError: simulated solver crash")
    assert res.assignments == solve(inst, mode="fast").assignments
    assert check(inst, res).ok


def test_inconsistent_solver_answer_is_not_a_proof(monkeypatch) -> None:
    """A solver that says "optimal" with a bound above the matching it returns (seen with
    presolve on rare models) must not produce an optimality claim."""
    inst = _medium()
    real = ex._Model.mip

    def lying(self, start, time_limit, node_limit):
        status, sol, bound, nodes = real(self, start, time_limit, node_limit)
        return "optimal", dict(start), max(bound, self.value(start) + 1.0), nodes

    monkeypatch.setattr(ex._Model, "lp_bound", lambda self: (None, []))
    monkeypatch.setattr(ex._Model, "mip", lying)
    res = solve(inst)
    assert check(inst, res).ok
    mip_markets = [m for m in res.stats["exact"]["markets"] if "integer program" in m["method"]]
    assert mip_markets and not any(m["proven_optimal"] for m in mip_markets)
    assert not res.stats["optimal"]


def test_search_stopped_before_any_bound(monkeypatch) -> None:
    """A search cut before its first relaxation (no bound at all) keeps the heuristic's
    matching and the maximum-matching bound."""
    inst = _medium()
    monkeypatch.setattr(ex._Model, "lp_bound", lambda self: (None, []))
    monkeypatch.setattr(ex._Model, "mip", lambda self, start, t, n: ("time limit", None, float("inf"), 0))
    res = solve(inst)
    fast = solve(inst, mode="fast")
    assert res.stats["exact"]["markets"][0]["stopped_by"] == "time limit"
    assert not res.stats["optimal"] and len(res.assignments) >= len(fast.assignments)
    assert res.stats["upper_bound"] == res.stats["exact"]["markets"][0]["upper_bound"] >= len(res.assignments)
    assert check(inst, res).ok


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="mode"):
        solve(_medium(), mode="magic")


# ----------------------------------------------------------------------------- explanations and certificates


def _with_unplaced() -> tuple[dict, Instance]:
    for seed in range(100):
        d = random_instance(random.Random(seed), 12, 4, max_places=1, min_places=1, levels=(4, 5))
        inst = Instance.from_dict(d)
        res = solve(inst)
        if res.unassigned and any(acceptable(d)[s] for s in res.unassigned):
            return d, inst
    raise AssertionError("no instance with an unplaced student")


def test_explain_unplaced_student_in_proven_market() -> None:
    d, inst = _with_unplaced()
    res = solve(inst)
    sid = next(s for s in res.unassigned if acceptable(d)[s])
    e = explain_student(inst, res, sid)
    assert "no weakly stable matching places more students in your market" in e.summary
    assert e.data["market"]["proven_optimal"] is True and e.data["market"]["id"].startswith("M")
    assert "no weakly stable matching places more students" in res.explanations["unassigned_students"][sid]["text"]
    assert res.explanations["unassigned_students"][sid]["proven_maximum"] is True
    # fast mode makes no such claim
    fast = solve(inst, mode="fast")
    if sid in fast.unassigned:
        assert "no weakly stable matching places more" not in explain_student(inst, fast, sid).summary
    # stats from another instance are ignored rather than misapplied
    other = res.to_dict()
    other["stats"]["exact"]["markets"][0]["first_student"] = "nobody"
    assert "market" not in explain_student(inst, other, sid).data


def test_certificate_restates_and_checks_the_claims() -> None:
    inst = _medium()
    res = solve(inst)
    cert = check(inst, res)
    assert cert.ok and cert.to_text().startswith("OK: weakly stable matching")
    assert "Solver claim" in cert.claims and "not re-verified by this check" in cert.claims
    bad = res.to_dict()
    bad["stats"] = dict(bad["stats"], optimal=True, upper_bound=len(res.assignments) + 3,
                        gap=3)
    cert = check(inst, bad)
    assert not cert.ok and any("claim optimality" in v for v in cert.violations)
    bad["stats"] = dict(bad["stats"], optimal=False, upper_bound=len(res.assignments) - 1, gap=-1)
    assert any("below the number placed" in v for v in check(inst, bad).violations)
    bad = res.to_dict()
    bad["stats"] = dict(bad["stats"], final=dict(bad["stats"]["final"], students_placed=0))
    assert any("students placed" in v for v in check(inst, bad).violations)
    # a bare result (no stats) is checked for stability only
    assert check(inst, {"assignments": res.assignments, "unassigned": res.unassigned}).claims == ""
