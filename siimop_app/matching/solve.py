"""solve(): exact mode (proven maximum, :mod:`.exact`) or fast mode (baseline deferred
acceptance, then a stability-preserving improvement)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from . import algorithms as alg
from .explain import reasons
from .instance import MAX_HEARTS, Compiled, Instance

BASELINE_ALGORITHM = "student-proposing deferred acceptance, ties broken by sha256(seed, student, post)"
DEFAULT_TIME_LIMIT = 60.0
# Work bound of each search phase, in arcs examined: keeps the running time bounded
# while the result stays deterministic (a time limit alone would not).
DEFAULT_BUDGET = 5_000_000
MAX_ROUNDS = 20
POLISH = "augmenting paths + stable improvement cycles + improvement chains"


@dataclass
class Result:
    """Outcome of :func:`solve`.

    ``assignments`` maps student id -> post id (sorted by student id),
    ``unassigned`` lists unplaced student ids (sorted), ``stats`` holds the
    deterministic figures, ``explanations`` the reason of each unplaced student and
    each unfilled post, ``timings`` wall-clock seconds (kept apart so that the
    default JSON output is byte-identical from one run to the next).
    """

    assignments: dict[str, str]
    unassigned: list[str]
    stats: dict[str, Any]
    explanations: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self, include_timings: bool = False) -> dict[str, Any]:
        """JSON-ready dict. With ``include_timings`` the timings are added as
        ``stats["timings_s"]`` (then the output is no longer reproducible)."""
        stats = dict(self.stats)
        if include_timings:
            stats["timings_s"] = dict(self.timings)
        return {"assignments": dict(self.assignments), "unassigned": list(self.unassigned),
                "stats": stats, "explanations": self.explanations}

    def to_json(self, include_timings: bool = False) -> str:
        """Canonical JSON text: sorted keys, 2-space indent, UTF-8 kept, final newline."""
        return json.dumps(self.to_dict(include_timings), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _figures(c: Compiled, assign: list[int], algorithm: str) -> dict[str, Any]:
    key = alg.profile_key(c, assign)
    profile = {str(h): key[1 + MAX_HEARTS - h] for h in range(MAX_HEARTS, 0, -1)}
    total = sum(int(h) * n for h, n in profile.items())
    return {"algorithm": algorithm, "students_placed": key[0], "places_filled": key[0],
            "hearts_profile": profile, "hearts_total": total}


def _polish(c: Compiled, assign: list[int], deadline: float | None, budget: int) -> dict[str, int]:
    """Augmenting paths, then stable improvement cycles, then improvement chains,
    repeated while something changes. Mutates ``assign``."""
    done = {"augmented": 0, "cycles": 0, "chains": 0, "rounds": 0}
    while True:
        done["rounds"] += 1
        a = alg.augment(c, assign, deadline, budget)
        done["augmented"] += a
        done["cycles"] += alg.stable_improvement_cycles(c, assign, deadline)
        ch = alg.improve_chains(c, assign, deadline, budget)
        done["chains"] += ch
        if not (a or ch) or done["rounds"] >= MAX_ROUNDS:
            return done


def _improve(c: Compiled, base: list[int], deadline: float | None,
             budget: int) -> tuple[list[int], str, dict[str, Any]]:
    """Best of two weakly stable starting points, each polished by :func:`_polish`;
    compared by (placed, #5 hearts, #4, ..., #1), ties kept for the first."""
    details: dict[str, Any] = {}
    a = list(base)
    name_a = "deferred acceptance + " + POLISH
    details["from_baseline"] = {"algorithm": name_a, **_polish(c, a, deadline, budget),
                                "key": list(alg.profile_key(c, a))}
    k = alg.kiraly(c, deadline)
    name_k = "Kiraly 3/2-approximation (posts propose, promotion) + " + POLISH
    details["from_kiraly"] = {"algorithm": name_k, "kiraly_key": list(alg.profile_key(c, k))}
    details["from_kiraly"].update(_polish(c, k, deadline, budget))
    details["from_kiraly"]["key"] = list(alg.profile_key(c, k))
    if alg.profile_key(c, k) > alg.profile_key(c, a):
        return k, name_k, details
    return a, name_a, details


MODES = ("exact", "fast")
EXACT_ALGORITHM = ("exact: maximum number placed over all weakly stable matchings (integer program, "
                   "HiGHS), then the most students on 5-heart posts, then 4, ...")


def _fast(c: Compiled, improve: bool, time_limit: float | None, budget: int,
          t_start: float) -> tuple[list[int], list[int], str, dict[str, Any]]:
    """Today's heuristic: deferred acceptance, then the stability-preserving improvement.
    Returns (baseline, final, final algorithm name, improvement stats)."""
    base = alg.deferred_acceptance(c)
    final = base
    final_name = BASELINE_ALGORITHM
    improvement: dict[str, Any] = {"time_limit_s": time_limit, "budget_arcs": budget}
    if not improve:
        improvement["status"] = "disabled"
    elif not c.has_ties:
        improvement["status"] = "not needed: strict preferences, baseline is student-optimal"
    else:
        deadline = None if time_limit is None else t_start + time_limit
        try:
            cand, name, details = _improve(c, base, deadline, budget)
            improvement["candidates"] = details
            if not alg.is_valid_int(c, cand):
                improvement["status"] = "failed: candidate not weakly stable, baseline kept"
            elif alg.profile_key(c, cand) > alg.profile_key(c, base):
                final, final_name = cand, name
                improvement["status"] = "improved"
            else:
                improvement["status"] = "no gain, baseline kept"
        except alg.Timeout:
            improvement["status"] = f"timeout after {time_limit} s, baseline kept"
    return base, final, final_name, improvement


def _fast_optimality(c: Compiled, final: list[int]) -> dict[str, Any]:
    """What can be said of a fast-mode matching without the solver: optimal when there
    are no ties (rural hospitals theorem) or when it reaches the maximum-matching bound."""
    placed = sum(1 for p in final if p >= 0)
    optimal = not c.has_ties or placed >= alg.max_matching_size(c)
    upper = placed if optimal else alg.max_matching_size(c)
    return {"optimal": optimal, "upper_bound": upper, "gap": upper - placed,
            "hearts_optimal": not c.has_ties}


def solve(inst: Instance, mode: str = "exact", improve: bool = True,
          time_limit: float | None = DEFAULT_TIME_LIMIT, budget: int = DEFAULT_BUDGET,
          node_limit: int | None = None, threads: int | None = None) -> Result:
    """Compute a weakly stable matching.

    ``mode="exact"`` (default): the maximum number of students placed over all weakly
    stable matchings, proven market by market with an integer program (HiGHS), then the
    most students on the posts they gave the most hearts (5, then 4, ...), see
    :mod:`~siimop_app.matching.exact`. Warm started with the fast heuristic, never
    worse than it; ``time_limit`` seconds (None = none) bound the whole call, after
    which the best matching found and its proven bound are kept; ``node_limit`` bounds
    each integer program (deterministic); ``threads`` markets are searched at once (default
    :func:`~siimop_app.matching.exact.default_threads`; the result does not depend on it).
    Without highspy, or if the solver fails, the
    fast result is returned and ``stats["exact"]["status"]`` says why.

    ``mode="fast"``: today's heuristic. Baseline: student-proposing deferred acceptance
    with ties broken by :func:`~siimop_app.matching.instance.tie_break_key`. Without ties
    it is the student-optimal stable matching and is returned as is. With ties (and
    ``improve``), the improvement of :func:`_improve` is kept only if it is verified
    weakly stable and lexicographically better (placed first, then hearts profile); on
    timeout or any failure the baseline is returned and
    ``stats["improvement"]["status"]`` says why.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    t0 = time.perf_counter()
    c = inst.compiled()
    t1 = time.perf_counter()
    base, fast, fast_name, improvement = _fast(c, improve, time_limit, budget, t1)
    t2 = time.perf_counter()
    final, final_name = fast, fast_name
    extra_timings: dict[str, Any] = {}
    if mode == "fast":
        optimality = _fast_optimality(c, fast)
        exact_stats: dict[str, Any] | None = None
    else:
        from . import exact

        # 5% of the budget is kept for the final re-check, the explanations and the output.
        deadline = None if time_limit is None else t0 + 0.95 * time_limit
        try:
            out = exact.solve_exact(c, fast, deadline=deadline,
                                    node_limit=exact.DEFAULT_NODE_LIMIT if node_limit is None else node_limit,
                                    threads=threads)
        except exact.SolverUnavailable as exc:
            out = None
            reason = f"unavailable: {exc}; the fast heuristic's matching is returned"
        except Exception as exc:  # noqa: BLE001 - any solver failure falls back, recorded
            out = None
            reason = f"failed: {type(exc).__name__}: {exc}; the fast heuristic's matching is returned"
        if out is None:
            optimality = _fast_optimality(c, fast)
            exact_stats = {"status": reason, "fallback": "fast"}
        else:
            final, final_name = out.assign, EXACT_ALGORITHM
            optimality = {k: out.stats[k] for k in ("optimal", "upper_bound", "gap", "hearts_optimal")}
            exact_stats = out.stats["exact"]
            extra_timings = out.timings
    t3 = time.perf_counter()
    order = sorted(range(c.n_students), key=c.sids.__getitem__)
    assignments = {c.sids[s]: c.pids[final[s]] for s in order if final[s] >= 0}
    unassigned = [c.sids[s] for s in order if final[s] < 0]
    stats: dict[str, Any] = {
        "mode": mode,
        "tie_break_seed": c.seed,
        "students": c.n_students,
        "posts": c.n_posts,
        "places": sum(c.cap),
        "has_ties": c.has_ties,
        "baseline": _figures(c, base, BASELINE_ALGORITHM),
        "fast": _figures(c, fast, fast_name),
        "final": _figures(c, final, final_name),
        "improvement": improvement,
        **optimality,
    }
    if exact_stats is not None:
        stats["exact"] = exact_stats
    explanations = reasons(c, final)
    if exact_stats is not None and "markets" in exact_stats:
        _note_proven_markets(c, final, exact_stats["markets"], explanations)
    t4 = time.perf_counter()
    timings: dict[str, Any] = {"compile": t1 - t0, "fast": t2 - t1, ("exact" if mode == "exact" else "bound"): t3 - t2,
                               "explain": t4 - t3, "total": t4 - t0, **extra_timings}
    return Result(assignments, unassigned, stats, explanations, timings)


PROVEN_NOTE = "no weakly stable matching places more students in this market (maximum {placed}, proven)"


def _note_proven_markets(c: Compiled, final: list[int], markets: list[dict[str, Any]],
                         explanations: dict[str, Any]) -> None:
    """Add to each unplaced student of a proven-optimal market the market and the proof."""
    from .exact import markets as market_list

    unplaced = explanations["unassigned_students"]
    for info, (students, _) in zip(markets, market_list(c)):
        for s in students:
            entry = unplaced.get(c.sids[s])
            if entry is None:
                continue
            entry["market"] = info["id"]
            entry["proven_maximum"] = bool(info["proven_optimal"])
            if info["proven_optimal"]:
                entry["text"] = entry["text"] + "; " + PROVEN_NOTE.format(placed=info["placed"])
