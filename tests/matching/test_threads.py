"""Exact mode searches several markets at once (``threads``): the result never depends on how
many threads there are nor on which one finishes first."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matching_testlib import national_markets, several_markets

from siimop_app.matching import Instance, check, solve
from siimop_app.matching import exact as ex
from siimop_app.matching.memo import MARKETS

FIXTURE = Path(__file__).parent / "fixtures" / "demo_market_hearts.json"


def _by_threads(d: dict, counts=(1, 2, 4)) -> list[str]:
    """The JSON bytes of a solve from scratch with each number of threads."""
    out = []
    for n in counts:
        MARKETS.clear()
        res = solve(Instance.from_dict(d), time_limit=None, threads=n)
        assert res.timings["exact_threads"] == n
        out.append(res.to_json())
    return out


@settings(max_examples=60)
@given(st.integers(0, 10**9))
def test_the_result_does_not_depend_on_the_number_of_threads(seed: int) -> None:
    one, two, four = _by_threads(several_markets(random.Random(seed), most=6, largest=14, max_places=3))
    assert one == two == four


def _demo_markets(copies: int) -> dict:
    """The demo market of the fixture (64 students, the HiGHS presolve case) and renamed copies of it, with
    their students and posts interleaved: several markets, each needing HiGHS."""
    d = json.loads(FIXTURE.read_text(encoding="utf-8"))
    students, posts = [], []
    for k in range(copies):
        tag = "" if k == 0 else f"C{k}-"
        students.append([{"id": tag + s["id"], "wishes": {tag + p: h for p, h in s["wishes"].items()}}
                         for s in d["students"]])
        posts.append([{"id": tag + p["id"], "places": p["places"], "ranking": [tag + s for s in p["ranking"]]}
                      for p in d["posts"]])
    return {"tie_break_seed": d.get("tie_break_seed", 0),
            "students": [s for group in zip(*students) for s in group],
            "posts": [p for group in zip(*posts) for p in group]}


def test_demo_markets_and_a_national_shaped_instance_with_1_2_4_threads() -> None:
    d = _demo_markets(3)
    one, two, four = _by_threads(d)
    assert one == two == four
    res = json.loads(two)
    assert res["stats"]["exact"]["markets_count"] == 3 and res["stats"]["hearts_optimal"]
    # Each copy of the fixture's market keeps the fixture's proven hearts order (the issue-14 case).
    assert res["stats"]["final"]["hearts_profile"] == {"5": 18, "4": 30, "3": 51, "2": 30, "1": 33}
    assert check(Instance.from_dict(d), res).ok
    national = national_markets(seed=5, total=600, n_markets=9, largest=150, posts_total=500)
    one, two = _by_threads(national, (1, 2))
    assert one == two


def test_searches_run_in_several_threads(monkeypatch) -> None:
    seen: set[str] = set()
    run = ex._Model.mip

    def spy(self, *args, **kwargs):
        seen.add(threading.current_thread().name)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(ex._Model, "mip", spy)
    solve(Instance.from_dict(_demo_markets(4)), time_limit=None, threads=2)
    assert seen and all(name.startswith("siimop-exact") for name in seen)
    seen.clear()
    MARKETS.clear()
    solve(Instance.from_dict(_demo_markets(4)), time_limit=None, threads=1)
    assert seen == {threading.current_thread().name}


def test_a_solver_failure_in_a_thread_falls_back_to_fast(monkeypatch) -> None:
    def broken(self):
        raise RuntimeError("simulated solver crash")

    monkeypatch.setattr(ex._Model, "lp_bound", broken)
    inst = Instance.from_dict(_demo_markets(3))
    res = solve(inst, threads=2)
    assert res.stats["exact"]["fallback"] == "fast"
    assert "simulated solver crash" in res.stats["exact"]["status"]
    assert res.assignments == solve(inst, mode="fast").assignments


@pytest.mark.parametrize("threads", [0, -3])
def test_fewer_than_one_thread_means_one(threads: int) -> None:
    res = solve(Instance.from_dict(_demo_markets(2)), time_limit=None, threads=threads)
    assert res.timings["exact_threads"] == 1
