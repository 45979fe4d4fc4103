"""Property tests (hypothesis, derandomized) of fast mode on random instances with ties.

Exact mode has its own property tests in test_exact.py."""

from __future__ import annotations

import random
import warnings

from hypothesis import given, settings
from hypothesis import strategies as st
from matching_testlib import is_weakly_stable, random_instance, reference_student_optimal

from siimop_app.matching import Instance, check, solve
from siimop_app.matching.explain import INSTABLE

seeds = st.integers(min_value=0, max_value=2**32 - 1)
sizes = st.tuples(st.integers(1, 25), st.integers(1, 10))


def _instance(seed: int, size: tuple[int, int], **kw) -> dict:
    return random_instance(random.Random(seed), *size, max_places=3, **kw)


@given(seeds, sizes)
def test_result_is_valid_and_never_worse_than_baseline(seed: int, size: tuple[int, int]) -> None:
    d = _instance(seed, size)
    inst = Instance.from_dict(d)
    res = solve(inst, mode="fast")
    assert is_weakly_stable(d, res.assignments)
    cert = check(inst, res.to_dict())
    assert cert.ok, cert.violations
    assert sorted([*res.assignments, *res.unassigned]) == sorted(s["id"] for s in d["students"])
    assert not set(res.assignments) & set(res.unassigned)
    base, final = res.stats["baseline"], res.stats["final"]
    assert final["students_placed"] >= base["students_placed"]
    key = lambda f: (f["students_placed"], *(f["hearts_profile"][h] for h in "54321"))  # noqa: E731
    assert key(final) >= key(base)
    assert final["students_placed"] == len(res.assignments)
    # the baseline alone is also weakly stable
    assert check(inst, solve(inst, mode="fast", improve=False).to_dict()).ok


@given(seeds, sizes)
def test_deterministic_byte_identical(seed: int, size: tuple[int, int]) -> None:
    d = _instance(seed, size)
    a = solve(Instance.from_dict(d), mode="fast").to_json()
    b = solve(Instance.from_dict(d), mode="fast").to_json()
    assert a == b


@given(seeds, sizes)
def test_explanations_cover_every_unplaced_student_and_empty_place(seed: int, size: tuple[int, int]) -> None:
    d = _instance(seed, size)
    res = solve(Instance.from_dict(d), mode="fast")
    ex = res.explanations
    assert sorted(ex["unassigned_students"]) == sorted(res.unassigned)
    assert all(v["reason"] != INSTABLE for v in ex["unassigned_students"].values())
    filled: dict[str, int] = {}
    for p in res.assignments.values():
        filled[p] = filled.get(p, 0) + 1
    empty = {p["id"]: p["places"] - filled.get(p["id"], 0) for p in d["posts"]
             if p["places"] > filled.get(p["id"], 0)}
    assert {p: v["empty_places"] for p, v in ex["unfilled_posts"].items()} == empty
    assert all(v["reason"] != INSTABLE for v in ex["unfilled_posts"].values())


@given(seeds, sizes)
def test_strict_preferences_equal_textbook_student_optimal(seed: int, size: tuple[int, int]) -> None:
    d = _instance(seed, size, strict=True)
    inst = Instance.from_dict(d)
    assert not inst.has_ties()
    res = solve(inst, mode="fast")
    assert res.assignments == reference_student_optimal(d)
    assert res.stats["final"] == res.stats["baseline"]
    assert res.stats["optimal"] is True  # no ties: every stable matching places the same students
    exact = solve(inst, mode="exact")
    assert exact.assignments == res.assignments and exact.stats["optimal"] and exact.stats["hearts_optimal"]


@settings(max_examples=40)
@given(seeds, st.tuples(st.integers(1, 20), st.integers(1, 8)))
def test_strict_preferences_equal_matching_library(seed: int, size: tuple[int, int]) -> None:
    from matching.games import HospitalResident

    d = _instance(seed, size, strict=True)
    inst = Instance.from_dict(d)
    c = inst.compiled()
    r_prefs = {c.sids[s]: [c.pids[p] for p in pl] for s, pl in enumerate(c.prefs) if pl}
    h_prefs = {c.pids[p]: [c.sids[s] for s in sl] for p, sl in enumerate(c.plists) if sl}
    expected: dict[str, str] = {}
    if r_prefs:
        caps = {pid: c.cap[c.pindex[pid]] for pid in h_prefs}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            game = HospitalResident.create_from_dictionaries(r_prefs, h_prefs, caps)
            for h, rs in game.solve(optimal="resident").items():
                for r in rs:
                    expected[r.name] = h.name
    assert solve(inst, mode="fast").assignments == expected


@settings(max_examples=60)
@given(seeds, st.integers(0, 10**6), st.integers(0, 10**6))
def test_seed_changes_only_tie_breaks(seed: int, s1: int, s2: int) -> None:
    d = _instance(seed, (15, 6))
    for s in (s1, s2):
        d["tie_break_seed"] = s
        res = solve(Instance.from_dict(d), mode="fast")
        assert is_weakly_stable(d, res.assignments)
        assert res.stats["tie_break_seed"] == s
