"""Exact mode: the maximum number of students in a weakly stable matching, proven by
integer programming (HiGHS), market by market; then, among those matchings, the most
students on the posts they gave the most hearts.

Pipeline (deterministic: students and posts in input order, solver options pinned):

1. **Markets** (:func:`markets`): connected components of the acceptable pairs. A
   student only wishes for posts of their own specialty, so a national instance splits
   into independent markets.
2. **Reduction** (:func:`reduce_pairs`), exact (the weakly stable matchings are the same
   before and after), iterated to a fixed point:

   * *posts offer*: nobody can be ranked above the first ``places`` students of a
     post's (remaining) ranking and fill it, so in every weakly stable matching each of
     them gets a post rated at least as high: their posts rated lower are removed and
     they are *forced* (placed in every weakly stable matching);
   * *students apply*: a student whose remaining favourite post is unique (no other post
     with as many hearts) must get it unless it is full with students ranked above
     them; once ``places`` such students exist, nobody ranked below the last of them can
     be assigned to that post, nor block it: those pairs are removed.

   This is the many-to-one, one-sided-ties form of the "hospitals offer / residents
   apply" preprocessing of Delorme, García, Gondzio, Kalcsics, Manlove & Pettersson
   (EJOR 2019). Each market may then split further into independent *blocks*.
3. **Integer program** per block, in the spirit of Kwanashie & Manlove (2014): a binary
   ``x[s,p]`` per remaining pair; one post per student (exactly one for a forced
   student); capacities; and for the student ``s`` at position ``k >= places`` of post
   ``p``'s remaining ranking the stability row
   ``places * sum(x[s,q] : s rated q >= p) + (assigned to p among positions < k) >= places``
   ("s gets a post rated at least as high, or p is full with students ranked above
   s"). Rows of forced students at their forced level are dominated and dropped. Long
   rankings use cumulative count variables (Delorme et al.) to keep the rows short.
   For posts with several places, also ``sum(x[s,q] : s rated q >= p) >= x[t,p]`` for
   every ``t`` ranked below ``s`` (a student ranked below ``s`` on ``p`` means ``p``
   prefers ``s`` to one of its students), written with a chain of continuous variables
   ``u[j] = max(x[t,p] : t at position >= j)``: implied by the integers, not by the
   relaxation, which it tightens where the capacity-weighted row is weak.
4. **Objectives, lexicographic**: maximise the number placed; then, with that number
   fixed, the hearts: ``w5*(#5 hearts) + w4*(#4) + w3*(#3) + w2*(#2)`` in one stage,
   each weight one more than the most the lower levels can add (``w2 = 1``, ``w3 = n2 +
   1``, ... with ``n_h`` the number of students who still have a post at ``h`` hearts),
   so the stage is exactly the lexicographic order; levels are split into several stages
   only when a stage's values would exceed ``MAX_OBJECTIVE`` (1e7: exact integers,
   HiGHS's tolerances far below 1). One integer program instead of two: each pays a
   root search whatever its objective. The 1-heart count then follows. Each stage
   first solves the linear relaxation: if
   its bound already equals the current matching's value, the stage is proven without
   branching. Otherwise HiGHS branches, warm started with the current matching (the
   fast heuristic's at the first stage).
5. **Shortcuts**: a block left without ties (every student's remaining posts have
   distinct hearts) is solved by deferred acceptance, optimal for both objectives
   (rural hospitals theorem; the student-optimal stable matching is best for every
   student); a block whose warm start reaches its maximum-matching bound needs no
   proof search for the number placed.

A proof is only claimed from numbers recomputed here: the solver's bound (rounded down,
objectives are integers) must not exceed the value of the matching actually extracted
and re-checked. HiGHS's presolve is off: in 1.16 it was seen to call a matching optimal
while a better one exists. A block stopped by the node limit (deterministic) or by the time budget
keeps its best matching (never fewer students than the heuristic) and its proven bound.

A market solved to a proof is remembered (:mod:`.memo`) and reused while its inputs are
unchanged; so that its outcome depends on it alone, the reduction and the polish run
market by market.
"""

from __future__ import annotations

import heapq
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from . import algorithms as alg
from . import memo
from .instance import MAX_HEARTS, Compiled

SOLVER = "HiGHS"
# Deterministic work limit of one integer program (branch-and-bound nodes). With one
# thread and a fixed seed it keeps a solve reproducible whatever the machine; only the
# wall-clock budget can make a result depend on machine speed.
DEFAULT_NODE_LIMIT = 5_000
# Rankings longer than this use cumulative count variables instead of inline sums.
INLINE_MAX = 40
# Threshold variables for posts with several places and long rankings (Delorme et al.'s
# third stability formulation): a tighter relaxation that rescues a few hard blocks but
# slows the typical ones (hearts stages 2-3x on our benchmark): off by default.
THRESHOLDS = False
THRESHOLD_MIN_EXTRA = 5
# "Nobody ranked below s takes p unless s gets a post rated at least as high as p", for
# posts with several places (implied by the capacity rows when there is one place). Valid
# for every weakly stable matching; it halves the hardest hearts search of the national
# demo (a relaxation 3% tighter, one node instead of 130).
BELOW_ROWS = True
# The hearts levels, best first, merged into as few weighted stages as the largest value
# of an objective allows (see _hearts_stages): one stage per block on our instances.
HEARTS_LEVELS = (5, 4, 3, 2)
MAX_OBJECTIVE = 1e7  # integers far below 2**53, and HiGHS's tolerances stay far below 1
_EPS = 1e-6


def default_threads() -> int:
    """Markets searched at once by default: two (each HiGHS search is single-threaded and releases the GIL),
    fewer on a one-core machine."""
    return max(1, min(2, os.cpu_count() or 1))


class SolverUnavailable(RuntimeError):
    """highspy cannot be imported (or is unusable): the caller falls back to fast mode."""


def load_highspy() -> Any:
    """Import highspy, the package's one optional dependency (imported only here)."""
    try:
        import highspy  # noqa: PLC0415 - optional dependency, imported where needed
    except Exception as exc:  # ImportError, or a broken binary wheel
        raise SolverUnavailable(f"highspy cannot be imported ({type(exc).__name__}: {exc})") from exc
    return highspy


def _new_highs(hs: Any) -> Any:
    # The core class does not print HiGHS's banner on stdout (the CLI writes JSON there).
    cls = getattr(hs, "_Highs", None) or hs.Highs
    return cls()


def solver_name(hs: Any) -> str:
    try:
        return f"{SOLVER} {_new_highs(hs).version()}"
    except Exception:  # pragma: no cover - informative only
        return SOLVER


def solver_options(seed: int) -> dict[str, Any]:
    """HiGHS options pinned for reproducibility (recorded in the stats)."""
    return {
        "threads": 1,
        "parallel": "off",
        "random_seed": int(seed) % 2_147_483_647,
        "mip_rel_gap": 0.0,
        "mip_abs_gap": 0.999,  # objectives are integers: a gap below 1 is a proof
        # HiGHS 1.16's presolve was seen to return a wrong optimum on these models (a block
        # of the national demo: "optimal" one below a weakly stable matching that exists; the
        # same model read back, "infeasible"): off, at no cost on our benchmarks.
        "presolve": "off",
        # A first-solution heuristic: every search here is warm started (0.5 s of the
        # national demo's 139 small integer programs).
        "mip_heuristic_run_feasibility_jump": False,
        # The RINS and RENS sub-MIP heuristics: a third of the root's work on the national demo's slowest block
        # (2.0-2.1 s CPU with them, 1.65-1.7 s without, same optimum); neutral on the benchmark generator's
        # national instance (43 markets: 14.4 s CPU either way, same results).
        "mip_heuristic_run_rins": False,
        "mip_heuristic_run_rens": False,
    }


# ----------------------------------------------------------------------------- markets


def _components(n_students: int, n_posts: int, prefs: list[list[int]],
                students: list[int] | None = None) -> list[tuple[list[int], list[int]]]:
    """Connected components of the bipartite graph ``prefs`` (student -> posts), each as
    (students, posts) in input order, ordered by first student; isolated nodes skipped.
    ``students`` (increasing, closed under the graph: whole markets): only theirs."""
    which = range(n_students) if students is None else students
    parent = list(range(n_students + n_posts))

    def find(a: int) -> int:
        root = a
        while parent[root] != root:
            root = parent[root]
        while parent[a] != root:
            parent[a], a = root, parent[a]
        return root

    for s in which:
        rs = find(s)
        for p in prefs[s]:
            rp = find(n_students + p)
            if rp != rs:
                if rp < rs:
                    parent[rs] = rp
                    rs = rp
                else:
                    parent[rp] = rs
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for s in which:
        if prefs[s]:
            groups.setdefault(find(s), ([], []))[0].append(s)
    for p in range(n_posts):
        r = find(n_students + p)
        if r in groups:
            groups[r][1].append(p)
    return sorted(groups.values(), key=lambda g: g[0][0])


def markets(c: Compiled) -> list[tuple[list[int], list[int]]]:
    """Independent markets: connected components of the acceptable pairs, as (students,
    posts) in input order, ordered by their first student (market ``M1`` first).
    Students with no acceptable pair belong to no market (they cannot be placed)."""
    return _components(c.n_students, c.n_posts, c.prefs)


# ----------------------------------------------------------------------------- reduction


@dataclass
class Reduction:
    """The pairs that may belong to a weakly stable matching (the weakly stable matchings
    are exactly those of the original instance). ``prefs[s]``: remaining posts of s in
    ``Compiled.prefs`` order; ``plists[p]``: remaining students of p by rank;
    ``forced[s]``: s is placed in every weakly stable matching, on a post rated at least
    ``forced[s]`` hearts (0: not forced). ``parts``: (passes, removed by posts offer, by
    students apply) of each part reduced."""

    prefs: list[list[int]]
    plists: list[list[int]]
    forced: list[int]
    passes: int = 0
    removed_offer: int = 0
    removed_apply: int = 0
    parts: list[tuple[int, int, int]] = field(default_factory=list)


def reduce_pairs(c: Compiled, parts: list[tuple[list[int], list[int]]] | None = None) -> Reduction:
    """Posts-offer / students-apply reduction to a fixed point (see module docstring).

    ``parts``: independent (students, posts) groups — markets — reduced one after the
    other, each counted apart (``Reduction.parts``); default: the whole instance at once.
    The pairs kept are the same either way (a removal is justified inside its market),
    and ``passes`` is the most any part needed: what one pass over everything needs."""
    red = Reduction([list(pl) for pl in c.prefs], [list(sl) for sl in c.plists], [0] * c.n_students)
    for students, posts in [(range(c.n_students), range(c.n_posts))] if parts is None else parts:
        counts = _reduce_part(c, red, students, posts)
        red.parts.append(counts)
        red.passes = max(red.passes, counts[0])
        red.removed_offer += counts[1]
        red.removed_apply += counts[2]
    return red


def _reduce_part(c: Compiled, red: Reduction, students, posts) -> tuple[int, int, int]:
    """Reduce one part in place. Each pass computes its removals from the lists as they
    were at its start; removals only shorten lists, which keeps every justification
    valid, so a batch is sound."""
    hearts, rank, cap = c.hearts, c.rank, c.cap
    prefs, plists, forced = red.prefs, red.plists, red.forced
    posts_to_scan = posts
    students_to_scan: set[int] = set(students)
    passes = removed_offer = removed_apply = 0
    while True:
        passes += 1
        dead: set[tuple[int, int]] = set()
        # Posts offer: the first `places` remaining students of a post are forced at its level.
        for p in posts_to_scan:
            for s in plists[p][: cap[p]]:
                if hearts[s][p] > forced[s]:
                    forced[s] = hearts[s][p]
                    students_to_scan.add(s)
        for s in sorted(students_to_scan):
            f = forced[s]
            pl = prefs[s]
            if f and pl and hearts[s][pl[-1]] < f:  # prefs are sorted by hearts, best first
                dead.update((s, q) for q in pl if hearts[s][q] < f)
        n_offer = len(dead)
        # Students apply: a unique favourite; `places` such applicants close the post below them.
        applicants: dict[int, list[int]] = {}
        for s in students:
            pl = prefs[s]
            if pl and (len(pl) == 1 or hearts[s][pl[1]] < hearts[s][pl[0]]):
                applicants.setdefault(pl[0], []).append(rank[pl[0]][s])
        for p in sorted(applicants):
            ranks = applicants[p]
            if len(ranks) >= cap[p]:
                ranks.sort()
                cut = ranks[cap[p] - 1]
                rp = rank[p]
                dead.update((s, p) for s in plists[p] if rp[s] > cut)
        removed_offer += n_offer
        removed_apply += len(dead) - n_offer
        if not dead:
            return passes, removed_offer, removed_apply
        by_student: dict[int, set[int]] = {}
        by_post: dict[int, set[int]] = {}
        for s, p in dead:
            by_student.setdefault(s, set()).add(p)
            by_post.setdefault(p, set()).add(s)
        for s, gone in by_student.items():
            prefs[s] = [q for q in prefs[s] if q not in gone]
        for p, gone in by_post.items():
            plists[p] = [t for t in plists[p] if t not in gone]
        posts_to_scan = sorted(by_post)
        students_to_scan = set(by_student)


def _deferred_acceptance(c: Compiled, students: list[int], prefs: list[list[int]]) -> dict[int, int]:
    """Student-proposing deferred acceptance on the given (strict) lists: student -> post."""
    rank, cap = c.rank, c.cap
    nxt = {s: 0 for s in students}
    held: dict[int, list[tuple[int, int]]] = {}
    free = list(reversed(students))
    while free:
        s = free.pop()
        pl = prefs[s]
        i = nxt[s]
        while i < len(pl):
            p = pl[i]
            i += 1
            h = held.setdefault(p, [])
            r = rank[p][s]
            if len(h) < cap[p]:
                heapq.heappush(h, (-r, s))
                break
            if -h[0][0] > r:
                free.append(heapq.heapreplace(h, (-r, s))[1])
                break
        nxt[s] = i
    return {s: p for p, h in held.items() for _, s in h}


def max_matching_bound(c: Compiled, students: list[int], posts: list[int], prefs: list[list[int]]) -> int:
    """Maximum matching of the block's pairs ignoring stability (an upper bound)."""
    local = {p: i for i, p in enumerate(posts)}
    return alg.max_matching_lists([[local[p] for p in prefs[s]] for s in students], [c.cap[p] for p in posts])


# ----------------------------------------------------------------------------- the model


@dataclass
class _Block:
    """One independent part of a market after the reduction."""

    market: int
    students: list[int]
    posts: list[int]
    pairs: int
    has_ties: bool
    bound: int  # maximum matching of the remaining pairs
    warm: dict[int, int] = field(default_factory=dict)  # student -> post (fast heuristic)
    best: dict[int, int] = field(default_factory=dict)
    upper: int = 0
    proven: bool = False
    hearts_proven: bool = False
    method: str = ""
    stopped_by: str = ""  # why the search for the number placed stopped
    hearts_stopped_by: str = ""
    lp_proofs: int = 0
    solves: int = 0
    nodes: int = 0
    seconds: float = 0.0


class _Model:
    """The integer program of one block, kept in one HiGHS object across the stages."""

    def __init__(self, hs: Any, c: Compiled, red: Reduction, block: _Block, options: dict[str, Any]):
        hearts, cap = c.hearts, c.cap
        self.hs = hs
        self.c = c
        self.options = options
        self.pairs: list[tuple[int, int]] = [(s, p) for s in block.students for p in red.prefs[s]]
        xi = {sp: i for i, sp in enumerate(self.pairs)}
        self.xi = xi
        n = len(self.pairs)
        self.n_x = n
        ncols = n
        col_hi: list[float] = []  # of the extra (count and threshold) columns
        col_int: list[bool] = []
        rows_lo: list[float] = []
        rows_hi: list[float] = []
        starts: list[int] = [0]
        index: list[int] = []
        value: list[float] = []
        inf = hs.kHighsInf

        def row(idx: list[int], val: list[float], lo: float, hi: float) -> None:
            index.extend(idx)
            value.extend(val)
            starts.append(len(index))
            rows_lo.append(lo)
            rows_hi.append(hi)

        for s in block.students:  # one post per student; a forced student is placed
            pl = red.prefs[s]
            row([xi[s, p] for p in pl], [1.0] * len(pl), 1.0 if red.forced[s] else -inf, 1.0)
        # Count columns: (post, k, column) with column = number assigned among positions < k.
        self.counts: list[tuple[int, int, int]] = []
        self.thresholds: list[tuple[int, int, int]] = []
        self.ucols: list[tuple[int, int, int]] = []
        self.plists = red.plists
        for p in block.posts:
            sl = red.plists[p]
            k_p = cap[p]
            if len(sl) <= k_p:
                continue  # nobody can be kept out: everyone here is forced, no row needed
            row([xi[s, p] for s in sl], [1.0] * len(sl), -inf, float(k_p))
            chain = len(sl) > INLINE_MAX
            thresholds = THRESHOLDS and k_p > 1 and len(sl) - k_p >= THRESHOLD_MIN_EXTRA
            prev = -1
            prev_z = -1
            for k in range(k_p, len(sl)):
                if chain:
                    ck = ncols
                    ncols += 1
                    col_hi.append(float(k_p))
                    col_int.append(False)
                    self.counts.append((p, k, ck))
                    if prev < 0:
                        row([ck] + [xi[t, p] for t in sl[:k]], [1.0] + [-1.0] * k, 0.0, 0.0)
                    else:
                        row([ck, prev, xi[sl[k - 1], p]], [1.0, -1.0, -1.0], 0.0, 0.0)
                    prev = ck
                s = sl[k]
                h = hearts[s][p]
                dominated = red.forced[s] >= h  # s is placed at >= h in every weakly stable matching
                geq = [] if dominated else [xi[s, q] for q in red.prefs[s] if hearts[s][q] >= h]
                if thresholds:
                    # z = "p is full with students ranked above s_k" (monotone in k)
                    zk = ncols
                    ncols += 1
                    col_hi.append(1.0)
                    col_int.append(True)
                    self.thresholds.append((p, k, zk))
                    if prev_z >= 0:
                        row([prev_z, zk], [1.0, -1.0], -inf, 0.0)
                    if chain:
                        row([zk, prev], [float(k_p), -1.0], -inf, 0.0)
                    else:
                        row([zk] + [xi[t, p] for t in sl[:k]], [float(k_p)] + [-1.0] * k, -inf, 0.0)
                    row([xi[s, p], zk], [1.0, 1.0], -inf, 1.0)
                    if not dominated:
                        row(geq + [zk], [1.0] * (len(geq) + 1), 1.0, inf)
                    prev_z = zk
                elif dominated:
                    continue
                elif chain:
                    row(geq + [prev], [float(k_p)] * len(geq) + [1.0], float(k_p), inf)
                else:
                    above = [xi[t, p] for t in sl[:k]]
                    row(geq + above, [float(k_p)] * len(geq) + [1.0] * k, float(k_p), inf)
            if BELOW_ROWS and k_p > 1:
                # u[j] = max over positions >= j of x[s_j, p] (continuous); then
                # geq(s_k) >= u[k+1]: if p takes a student ranked below s, s must get >= p.
                nxt = -1
                ucol: dict[int, int] = {}
                for j in range(len(sl) - 1, k_p, -1):
                    uj = ncols
                    ncols += 1
                    col_hi.append(1.0)
                    col_int.append(False)
                    self.ucols.append((p, j, uj))
                    row([uj, xi[sl[j], p]], [1.0, -1.0], 0.0, inf)
                    if nxt >= 0:
                        row([uj, nxt], [1.0, -1.0], 0.0, inf)
                    nxt = uj
                    ucol[j] = uj
                for k in range(k_p, len(sl) - 1):
                    s = sl[k]
                    h = hearts[s][p]
                    if red.forced[s] >= h:
                        continue
                    geq = [xi[s, q] for q in red.prefs[s] if hearts[s][q] >= h]
                    row(geq + [ucol[k + 1]], [1.0] * len(geq) + [-1.0], 0.0, inf)
        self.n_cols = ncols
        self.n_rows = len(rows_lo)
        self.nnz = len(index)
        lp = hs.HighsLp()
        lp.num_col_ = ncols
        lp.num_row_ = self.n_rows
        lp.col_cost_ = [1.0] * n + [0.0] * (ncols - n)
        lp.col_lower_ = [0.0] * ncols
        lp.col_upper_ = [1.0] * n + col_hi
        lp.row_lower_ = rows_lo
        lp.row_upper_ = rows_hi
        lp.a_matrix_.format_ = hs.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        lp.a_matrix_.num_col_ = ncols
        lp.a_matrix_.num_row_ = self.n_rows
        lp.integrality_ = [hs.HighsVarType.kInteger] * n + [
            hs.HighsVarType.kInteger if i else hs.HighsVarType.kContinuous for i in col_int]
        lp.sense_ = hs.ObjSense.kMaximize
        h = _new_highs(hs)
        h.setOptionValue("output_flag", False)
        for k, v in options.items():
            h.setOptionValue(k, v)
        status = h.passModel(lp)
        if status != hs.HighsStatus.kOk:
            raise RuntimeError(f"HiGHS refused the model ({status})")
        self.h = h
        self.costs = [1.0] * n

    # -- values

    def value(self, assign: dict[int, int]) -> int:
        xi, costs = self.xi, self.costs
        return int(round(sum(costs[xi[s, p]] for s, p in assign.items())))

    def _column_values(self, assign: dict[int, int]) -> list[float]:
        vals = [0.0] * self.n_cols
        inside: dict[int, set[int]] = {}
        for s, p in assign.items():
            vals[self.xi[s, p]] = 1.0
            inside.setdefault(p, set()).add(s)
        for p, k, ck in self.counts:
            members = inside.get(p, ())
            vals[ck] = float(sum(1 for t in self.plists[p][:k] if t in members))
        cap = self.c.cap
        for p, j, uj in self.ucols:
            members = inside.get(p, ())
            vals[uj] = 1.0 if any(t in members for t in self.plists[p][j:]) else 0.0
        for p, k, zk in self.thresholds:
            members = inside.get(p, ())
            vals[zk] = 1.0 if sum(1 for t in self.plists[p][:k] if t in members) >= cap[p] else 0.0
        return vals

    # -- changes

    def set_objective(self, costs: list[float]) -> None:
        self.costs = costs
        n = self.n_x
        self.h.changeColsCost(n, list(range(n)), costs)

    def add_at_least(self, coefs: dict[int, float], lo: float) -> None:
        cols = sorted(coefs)
        self.h.addRow(lo, self.hs.kHighsInf, len(cols), cols, [coefs[k] for k in cols])

    # -- solving

    def lp_bound(self) -> tuple[float | None, list[float]]:
        """Optimal value of the linear relaxation (an upper bound; None if not solved)
        and the values of the pair variables."""
        h, hs = self.h, self.hs
        h.setOptionValue("solve_relaxation", True)
        h.setOptionValue("time_limit", h.getRunTime() + 1e9)
        try:
            h.run()
            if h.getModelStatus() != hs.HighsModelStatus.kOptimal:
                return None, []
            return float(h.getInfo().objective_function_value), list(h.getSolution().col_value[: self.n_x])
        finally:
            h.setOptionValue("solve_relaxation", False)

    def mip(self, start: dict[int, int], time_limit: float, node_limit: int) -> tuple[str, dict[int, int] | None, float, int]:
        """Branch and bound from ``start``: (status, matching or None, bound, nodes)."""
        hs, h = self.hs, self.h
        sol0 = hs.HighsSolution()
        sol0.col_value = self._column_values(start)
        sol0.value_valid = True
        h.setSolution(sol0)
        # HiGHS compares its time limit with the run time accumulated over the object's runs.
        h.setOptionValue("time_limit", h.getRunTime() + max(0.001, float(time_limit)))
        h.setOptionValue("mip_max_nodes", int(node_limit))
        h.run()
        ms = h.getModelStatus()
        info = h.getInfo()
        if ms == hs.HighsModelStatus.kOptimal:
            status = "optimal"
        elif ms == hs.HighsModelStatus.kTimeLimit:
            status = "time limit"
        elif int(info.mip_node_count) >= node_limit:
            status = "node limit"
        else:
            status = h.modelStatusToString(ms)
        sol = None
        if info.primal_solution_status >= 2:
            vals = h.getSolution().col_value
            sol = {s: p for (s, p), v in zip(self.pairs, vals) if v > 0.5}
        bound = float(info.mip_dual_bound)
        if not math.isfinite(bound):
            bound = float("inf")
        return status, sol, bound, int(info.mip_node_count)


# ----------------------------------------------------------------------------- driver


@dataclass
class ExactOutcome:
    assign: list[int]
    stats: dict[str, Any]
    timings: dict[str, Any]


def _key(c: Compiled, assign: dict[int, int]) -> tuple[int, ...]:
    counts = [0] * (MAX_HEARTS + 1)
    for s, p in assign.items():
        counts[c.hearts[s][p]] += 1
    return (len(assign), *reversed(counts[1:]))


def _hearts_stages(c: Compiled, red: Reduction, b: _Block) -> list[dict[int, float]]:
    """The hearts stages of a block, best levels first: level -> weight maps maximised one
    after the other, the previous stages' values kept.

    Consecutive levels share a stage while its largest value stays below
    ``MAX_OBJECTIVE``: each level weighs one more than the most the lower levels of its
    stage can add (a mixed radix on the number of students who still have a post at that
    level, at most the block's maximum-matching bound), so a stage is exactly the
    lexicographic order of its levels. One integer program instead of two (or four)
    for the whole hearts order: each costs a root search whatever its objective."""
    hearts = c.hearts
    most = {lv: min(b.bound, sum(1 for s in b.students if any(hearts[s][p] == lv for p in red.prefs[s])))
            for lv in HEARTS_LEVELS}
    groups: list[list[int]] = []
    top = 0.0  # the largest value of the last group (its lowest level weighing 1)
    for lv in HEARTS_LEVELS:
        # A new lowest level multiplies the group's weights by most[lv] + 1.
        if groups and top * (most[lv] + 1) + most[lv] <= MAX_OBJECTIVE:
            groups[-1].append(lv)
            top = top * (most[lv] + 1) + most[lv]
        else:
            groups.append([lv])
            top = float(most[lv])
    stages = []
    for group in groups:
        weights: dict[int, float] = {}
        top = 0.0
        for lv in reversed(group):  # lowest level weighs 1
            weights[lv] = top + 1.0
            top += weights[lv] * most[lv]
        if top:
            stages.append(weights)
    return stages


def _floor(bound: float | None) -> float:
    """An objective bound rounded down (objectives are integers); infinity if unknown."""
    if bound is None or not math.isfinite(bound):
        return math.inf
    return math.floor(bound + _EPS)


def _valid_block(c: Compiled, sol: dict[int, int]) -> bool:
    """Structural sanity of a solver matching: acceptable pairs, capacities."""
    count: dict[int, int] = {}
    for s, p in sol.items():
        if p not in c.hearts[s] or s not in c.rank[p]:
            return False
        count[p] = count.get(p, 0) + 1
        if count[p] > c.cap[p]:
            return False
    return True


class _Stage:
    """One stage: maximise the model's current objective, starting from ``b.best``."""

    def __init__(self, c: Compiled, node_limit: int, remaining):
        self.c = c
        self.node_limit = node_limit
        self.remaining = remaining

    def run(self, m: _Model, b: _Block, time_limit: float, accept, primal=None) -> tuple[bool, str, float]:
        """(proven, status, upper bound of the objective). ``accept(sol)`` says whether a
        solver matching replaces ``b.best``; ``primal(lp_values)`` may propose a matching
        guided by the linear relaxation before branching. A proof is only claimed when
        the bound (rounded down) does not exceed the value of ``b.best`` recomputed here."""
        lp, lp_values = m.lp_bound()
        b.solves += 1
        upper = _floor(lp)
        if upper <= m.value(b.best):
            b.lp_proofs += 1
            return True, "optimal", upper
        if primal is not None and lp_values:
            cand = primal(lp_values)
            if cand is not None and _valid_block(self.c, cand) and accept(cand):
                b.best = cand
                if upper <= m.value(b.best):
                    b.lp_proofs += 1
                    return True, "optimal", upper
        if time_limit <= 0.0:
            return False, "time budget exhausted", upper
        status, sol, bound, nodes = m.mip(b.best, time_limit, self.node_limit)
        b.nodes += nodes
        if sol is not None and _valid_block(self.c, sol) and accept(sol):
            b.best = sol
        value = m.value(b.best)
        upper = min(upper, _floor(bound))
        if upper > value and status == "optimal" and m.options.get("presolve") != "off":
            # The solver says optimal but the matching it returned falls short of its
            # bound: never trusted. Solve again without presolve, from the best known.
            m.h.setOptionValue("presolve", "off")
            try:
                status, sol, bound, more = m.mip(b.best, min(time_limit, self.remaining()), self.node_limit)
            finally:
                m.h.setOptionValue("presolve", m.options["presolve"])
            b.nodes += more
            if sol is not None and _valid_block(self.c, sol) and accept(sol):
                b.best = sol
            value = m.value(b.best)
            upper = min(upper, _floor(bound))
        if upper > value and status == "optimal":
            status = "solver inconsistency (bound above the matching returned)"
        return upper <= value, ("optimal" if upper <= value else status), upper


def _lp_guided(c: Compiled, red: Reduction, b: _Block, m: _Model, values: list[float],
               current: list[int], budget: int = 300_000) -> dict[int, int] | None:
    """A primal heuristic guided by the linear relaxation: break each student's ties by
    decreasing relaxation value, run deferred acceptance on the block (weakly stable),
    then augmenting paths on the whole current matching (stability kept). Every weakly
    stable matching is the deferred-acceptance outcome of some tie-breaking: the
    relaxation often points at a maximum one."""
    hearts = c.hearts
    xi = m.xi
    prefs = list(red.prefs)
    for s in b.students:
        pl = red.prefs[s]
        order = {p: i for i, p in enumerate(pl)}
        prefs[s] = sorted(pl, key=lambda p, s=s: (-hearts[s][p], -round(values[xi[s, p]], 6), order[p]))
    da = _deferred_acceptance(c, b.students, prefs)
    trial = list(current)
    for s in b.students:
        trial[s] = da.get(s, alg.UNASSIGNED)
    try:
        alg.augment(c, trial, None, budget, only=b.students)
    except alg.Timeout:  # pragma: no cover - no deadline given
        pass
    return {s: trial[s] for s in b.students if trial[s] >= 0}


def solve_exact(c: Compiled, fast: list[int], *, deadline: float | None, node_limit: int = DEFAULT_NODE_LIMIT,
                polish_budget: int = 500_000, threads: int | None = None) -> ExactOutcome:
    """Maximum-cardinality weakly stable matching, then hearts, market by market.

    ``fast`` is the heuristic's (weakly stable) matching: warm start and floor of the
    result, block by block. ``deadline`` (a ``time.perf_counter()`` value, None = none)
    bounds the whole search: the number placed of every market is searched first, the
    hearts afterwards with the time left. Raises :class:`SolverUnavailable` if highspy
    is needed (some block keeps ties) and cannot be imported; any other exception is a
    failure the caller reports.

    A market whose inputs (:func:`~siimop_app.matching.memo.market_key`) equal those of a
    market solved to a proof earlier in this process is not solved again: its stored
    outcome is the one solving it again would give (see :mod:`.memo`).

    ``threads`` (default :func:`default_threads`): markets searched at once, each in its own thread (HiGHS
    releases the GIL). The result does not depend on it (see :func:`_by_market`).
    """
    threads = default_threads() if threads is None else max(1, int(threads))
    t_start = time.perf_counter()
    cpu_start = time.process_time()
    options = solver_options(c.seed)
    mk = markets(c)
    market_index = {s: i for i, (students, _) in enumerate(mk) for s in students}
    settings = _memo_settings(c, node_limit, polish_budget, options)
    keys = [memo.market_key(c, students, posts, fast, settings) for students, posts in mk]
    reused = {mi: hit for mi, key in enumerate(keys) if (hit := memo.MARKETS.get(key)) is not None}
    todo_markets = [mi for mi in range(len(mk)) if mi not in reused]
    todo_students = sorted(s for mi in todo_markets for s in mk[mi][0])
    known = [alg.UNASSIGNED] * c.n_students  # the reused markets' matchings
    for mi, hit in reused.items():
        students, posts = mk[mi]
        for s, local in zip(students, hit.assign):
            if local >= 0:
                known[s] = posts[local]
    red = reduce_pairs(c, [mk[mi] for mi in todo_markets])
    for s in todo_students:
        p = fast[s]
        if p >= 0 and p not in red.prefs[s]:
            raise RuntimeError(f"the reduction removed pair ({c.sids[s]}, {c.pids[p]}) of a weakly stable matching")
    hearts = c.hearts
    blocks: list[_Block] = []
    for students, posts in _components(c.n_students, c.n_posts, red.prefs, todo_students):
        pairs = sum(len(red.prefs[s]) for s in students)
        ties = any(len({hearts[s][p] for p in red.prefs[s]}) < len(red.prefs[s]) for s in students)
        b = _Block(market_index[students[0]], students, posts, pairs, ties,
                   max_matching_bound(c, students, posts, red.prefs))
        b.warm = {s: fast[s] for s in students if fast[s] >= 0}
        b.best = dict(b.warm)
        b.upper = b.bound
        blocks.append(b)
    t_reduce = time.perf_counter()

    def remaining() -> float:
        return math.inf if deadline is None else max(0.0, deadline - time.perf_counter())

    models: dict[int, _Model] = {}
    solver_lock = threading.Lock()
    solver: list[Any] = []  # highspy, imported on first need (an instance without ties needs none)
    used_solver = {mi for mi, hit in reused.items() if hit.solver_used}
    if used_solver:  # as solving those markets again would: highspy missing still means the fallback
        solver.append(load_highspy())

    def model_of(i: int) -> _Model:
        if not solver:
            with solver_lock:  # several markets may ask at once
                if not solver:
                    solver.append(load_highspy())
        used_solver.add(blocks[i].market)
        if i not in models:
            models[i] = _Model(solver[0], c, red, blocks[i], options)
        return models[i]

    stage = _Stage(c, node_limit, remaining)
    current = list(fast)  # the global matching made of every block's best so far

    # Phase A: the number placed, every market first.
    todo: list[int] = []
    for i, b in enumerate(blocks):
        if not b.has_ties:
            b.best = _deferred_acceptance(c, b.students, red.prefs)
            b.upper = len(b.best)
            b.proven = b.hearts_proven = True
            b.method = "deferred acceptance (no ties left after reduction: optimal)"
            b.stopped_by = b.hearts_stopped_by = "optimal"
        elif len(b.warm) >= b.bound:
            b.upper = len(b.warm)
            b.proven = True
            b.method = "heuristic reaches the maximum-matching bound"
            b.stopped_by = "optimal"
        else:
            todo.append(i)
    todo.sort(key=lambda i: (blocks[i].pairs, i))

    def search_placed(order: list[int]) -> None:
        def one(i: int, rest: int | None) -> None:
            b = blocks[i]
            b.method = f"integer program ({SOLVER})"
            if remaining() <= 0.0:
                b.stopped_by = "time budget exhausted"
                return
            t0 = time.perf_counter()
            limit = remaining() if rest is None else remaining() * b.pairs / rest
            m = model_of(i)
            proven, status, bound = stage.run(m, b, min(limit, remaining()), lambda sol, b=b: len(sol) > len(b.best),
                                              lambda values, b=b, m=m: _lp_guided(c, red, b, m, values, current))
            b.proven = proven
            b.upper = len(b.best) if proven else int(max(len(b.best), min(b.upper, b.bound, bound)))
            b.stopped_by = "optimal" if proven else status
            for s in b.students:
                current[s] = b.best.get(s, alg.UNASSIGNED)
            b.seconds += time.perf_counter() - t0

        _by_market(blocks, order, threads, one)

    # First pass: each block a share of the time left proportional to its size (unused
    # time passed on); second pass: the blocks cut by their share get what is left.
    search_placed(todo)
    search_placed([i for i in todo if not blocks[i].proven and blocks[i].stopped_by == "time limit"])
    t_placed = time.perf_counter()
    cpu_placed = time.process_time()

    # Polish (cheap, deterministic): stable improvement cycles and chains never lower the
    # number placed and only make students better off: a good start for the hearts stages.
    # Market by market (own budget, own re-check): a market's outcome depends on it alone.
    polished = list(known)
    for b in blocks:
        for s, p in b.best.items():
            polished[s] = p
    todo_posts = sorted(p for mi in todo_markets for p in mk[mi][1])
    alg.stable_improvement_cycles(c, polished, None, todo_posts)
    alg.improve_chains(c, polished, None, polish_budget, [mk[mi][0] for mi in todo_markets])
    alg.stable_improvement_cycles(c, polished, None, todo_posts)
    broken = _broken_markets(c, polished, market_index)
    for b in blocks:
        cand = {s: polished[s] for s in b.students if polished[s] >= 0}
        if b.market not in broken and _key(c, cand) > _key(c, b.best):
            b.best = cand

    # Phase B: hearts, lexicographically, the number placed kept.
    hearts_started: set[int] = set()

    def search_hearts(order: list[int]) -> None:
        def one(i: int, rest: int | None) -> None:
            b = blocks[i]
            if remaining() <= 0.0:
                b.hearts_stopped_by = "time budget exhausted"
                return
            t0 = time.perf_counter()
            block_deadline = t0 + (remaining() if rest is None else remaining() * b.pairs / rest)
            if i in hearts_started:
                models.pop(i, None)  # a fresh model: a second pass starts the stages again
            hearts_started.add(i)
            m = model_of(i)
            placed = len(b.best)
            m.add_at_least({k: 1.0 for k in range(m.n_x)}, float(placed))
            b.hearts_proven = b.proven
            b.hearts_stopped_by = "optimal"
            for weights in _hearts_stages(c, red, b):
                costs = [weights.get(hearts[s][p], 0.0) for s, p in m.pairs]
                m.set_objective(costs)
                base_key = _key(c, b.best)
                proven, status, _ = stage.run(m, b, min(block_deadline, t0 + remaining()) - time.perf_counter(),
                                              lambda sol, bk=base_key: _key(c, sol) > bk)
                if not proven:
                    b.hearts_proven = False
                    b.hearts_stopped_by = status
                m.add_at_least({k: costs[k] for k in range(m.n_x) if costs[k]}, float(m.value(b.best)))
            b.seconds += time.perf_counter() - t0

        _by_market(blocks, order, threads, one)

    todo_b = [i for i, b in enumerate(blocks) if not b.hearts_proven]
    todo_b.sort(key=lambda i: (blocks[i].pairs, i))
    search_hearts(todo_b)
    search_hearts([i for i in todo_b if not blocks[i].hearts_proven and blocks[i].proven
                   and blocks[i].hearts_stopped_by in ("time limit", "time budget exhausted")])

    # Never worse than the heuristic, block by block (placed first, then hearts).
    final = list(known)
    for b in blocks:
        if _key(c, b.warm) > _key(c, b.best):
            b.best = dict(b.warm)
            b.hearts_proven = False
        b.upper = max(b.upper, len(b.best))
        for s, p in b.best.items():
            final[s] = p
    if not alg.is_valid_int(c, final):
        raise RuntimeError("the exact matching failed the stability re-check")
    t_end = time.perf_counter()

    per_market: list[dict[str, Any]] = []
    seconds: dict[str, float] = {}
    by_market: dict[int, list[_Block]] = {}
    for b in blocks:
        by_market.setdefault(b.market, []).append(b)
    for mi, (students, posts) in enumerate(mk):
        mid = f"M{mi + 1}"
        if mi in reused:
            per_market.append({"id": mid, **reused[mi].stats})
            seconds[mid] = 0.0
            continue
        bs = by_market.get(mi, [])
        placed = sum(len(b.best) for b in bs)
        methods = sorted({b.method for b in bs})
        stops = sorted({b.stopped_by for b in bs if b.stopped_by != "optimal"})
        hstops = sorted({b.hearts_stopped_by for b in bs if not b.hearts_proven})
        per_market.append({
            "id": mid,
            "first_student": c.sids[students[0]],
            "students": len(students),
            "posts": len(posts),
            "places": sum(c.cap[p] for p in posts),
            "acceptable_pairs": sum(len(c.prefs[s]) for s in students),
            "pairs_after_reduction": sum(b.pairs for b in bs),
            "students_forced": sum(1 for s in students if red.forced[s]),
            "blocks": len(bs),
            "fast_placed": sum(1 for s in students if fast[s] >= 0),
            "placed": placed,
            "upper_bound": sum(b.upper for b in bs),
            "proven_optimal": all(b.proven for b in bs),
            "hearts_proven_optimal": all(b.hearts_proven for b in bs),
            "method": "; ".join(methods) if methods else "nothing to place",
            "stopped_by": "; ".join(stops) if stops else "optimal",
            "hearts_stopped_by": "; ".join(hstops) if hstops else "optimal",
            "solver_calls": sum(b.solves for b in bs),
            "proven_by_linear_relaxation": sum(b.lp_proofs for b in bs),
            "nodes": sum(b.nodes for b in bs),
        })
        seconds[mid] = round(sum(b.seconds for b in bs), 3)
    # The reduction's figures, market by market (reused ones as stored): the same totals
    # as one reduction of the whole instance.
    reduced = dict(zip(todo_markets, red.parts))
    counts = [reused[mi].reduction if mi in reused else reduced[mi] for mi in range(len(mk))]
    placed = sum(1 for p in final if p >= 0)
    upper = sum(m["upper_bound"] for m in per_market)
    optimal = all(m["proven_optimal"] for m in per_market)
    unproven = [m["id"] for m in per_market if not m["proven_optimal"]]
    stats = {
        "optimal": optimal,
        "upper_bound": upper,
        "gap": upper - placed,
        "hearts_optimal": all(m["hearts_proven_optimal"] for m in per_market),
        "exact": {
            "solver": solver_name(solver[0]) if solver else "none needed (no ties left after reduction)",
            "status": "optimal: maximum number placed proven in every market" if optimal else
            f"not proven in {len(unproven)} market(s) ({', '.join(unproven)}): best matching found kept",
            "node_limit": node_limit,
            "solver_options": options,
            "markets_count": len(mk),
            "reduction": {"acceptable_pairs": sum(len(pl) for pl in c.prefs),
                          "pairs_kept": sum(m["pairs_after_reduction"] for m in per_market),
                          "passes": max([1] + [n[0] for n in counts]),
                          "removed_posts_offer": sum(n[1] for n in counts),
                          "removed_students_apply": sum(n[2] for n in counts),
                          "students_forced": sum(m["students_forced"] for m in per_market)},
            "markets": per_market,
        },
    }
    # Remember the markets solved to a proof (none cut by the clock or the node limit).
    stored = 0
    for mi in todo_markets:
        bs = by_market.get(mi, [])
        if all(b.stopped_by == "optimal" and b.hearts_stopped_by == "optimal" for b in bs):
            students, posts = mk[mi]
            local = {p: i for i, p in enumerate(posts)}
            entry = {k: v for k, v in per_market[mi].items() if k != "id"}
            memo.MARKETS.put(keys[mi], memo.SolvedMarket(tuple(local.get(final[s], -1) for s in students), entry,
                                                         reduced[mi], mi in used_solver))
            stored += 1
    cpu_end = time.process_time()
    timings = {"exact_reduce": t_reduce - t_start, "exact_placed": t_placed - t_reduce,
               "exact_hearts": t_end - t_placed, "exact_cpu_placed": cpu_placed - cpu_start,
               "exact_cpu_hearts": cpu_end - cpu_placed, "exact_markets": seconds,
               "exact_memo": {"reused": len(reused), "solved": [f"M{mi + 1}" for mi in todo_markets],
                              "stored": stored}, "exact_threads": threads}
    return ExactOutcome(final, stats, timings)


def _by_market(blocks: list[_Block], order: list[int], threads: int, one: Callable[[int, int | None], None]) -> None:
    """Run ``one(i, rest)`` for each block of ``order``, a market's blocks always one after the other in the
    order given, markets in ``threads`` threads at once.

    One thread (or one market): the blocks in ``order``, ``rest`` = the pairs of the blocks from this one on
    (each search gets that share of the time left, unused time passed on). Several: each thread takes the
    next market, the largest first (its search is the longest: it starts at once while the others share the
    other threads), ``rest`` = None (a search may use all the time left: the other markets go on meanwhile).

    The result does not depend on ``threads`` nor on which thread finishes first while no search is cut by
    the clock: a block's search reads only its market (the matchings of the market's earlier blocks, through
    the relaxation-guided heuristic; acceptable pairs never leave a market), each block has its own HiGHS
    object (single-threaded, pinned options), and within a market the order is the one given."""
    if threads <= 1 or len({blocks[i].market for i in order}) <= 1:
        for j, i in enumerate(order):
            one(i, sum(blocks[k].pairs for k in order[j:]))
        return
    groups: dict[int, list[int]] = {}
    for i in order:
        groups.setdefault(blocks[i].market, []).append(i)
    queue = sorted(groups.values(), key=lambda g: (-sum(blocks[i].pairs for i in g), blocks[g[0]].market))

    def market(group: list[int]) -> None:
        for i in group:
            one(i, None)

    with ThreadPoolExecutor(max_workers=min(threads, len(queue)), thread_name_prefix="siimop-exact") as pool:
        futures = [pool.submit(market, g) for g in queue]
        try:
            for future in futures:
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _memo_settings(c: Compiled, node_limit: int, polish_budget: int, options: dict[str, Any]) -> tuple:
    """What shapes a market's solve besides its data: the tie-break seed, the solver's
    options, the node limit, the polish budget and the model's switches (read at each
    call: a test may change them)."""
    return (c.seed, node_limit, polish_budget, tuple(sorted(options.items())), INLINE_MAX, THRESHOLDS,
            THRESHOLD_MIN_EXTRA, BELOW_ROWS, HEARTS_LEVELS, MAX_OBJECTIVE, _EPS, _lp_guided.__defaults__)


def _broken_markets(c: Compiled, assign: list[int], market_of: dict[int, int]) -> set[int]:
    """The markets where ``assign`` is not weakly stable (an unacceptable pair, a post over
    capacity, a blocking pair): each market judged on its own, as a reused one was."""
    broken: set[int] = set()
    for p, members in enumerate(alg.members_of(c, assign)):
        if len(members) > c.cap[p]:
            broken.update(market_of.get(s, -1) for s in members)
    for s, p in enumerate(assign):
        if p >= 0 and (p not in c.hearts[s] or s not in c.rank[p]):
            broken.add(market_of.get(s, -1))
    broken.update(market_of.get(s, -1) for s, _ in alg.blocking_pairs_int(c, assign))
    return broken
