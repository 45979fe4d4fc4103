"""Core algorithms on the integer form (:class:`Compiled`).

A matching is ``assign: list[int]``: the post index of each student, -1 if unplaced.
Everything here is deterministic: loops follow input order and tie-broken lists.
"""

from __future__ import annotations

import heapq
import time

from .instance import MAX_HEARTS, Compiled

UNASSIGNED = -1


class Timeout(Exception):
    """Raised by the improvement steps when their deadline has passed."""


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.perf_counter() > deadline:
        raise Timeout


def deferred_acceptance(c: Compiled) -> list[int]:
    """Student-proposing deferred acceptance on the tie-broken lists ``c.prefs``.

    Returns the student-optimal stable matching of the tie-broken instance, which is
    weakly stable for the original one. Each post keeps a max-heap of held students
    keyed by rank so that rejecting its worst is O(log places).
    """
    prefs = c.prefs
    rank = c.rank
    cap = c.cap
    nxt = [0] * len(prefs)
    held: list[list[tuple[int, int]]] = [[] for _ in cap]
    free = list(range(len(prefs) - 1, -1, -1))
    heappush = heapq.heappush
    heapreplace = heapq.heapreplace
    while free:
        s = free.pop()
        pl = prefs[s]
        i = nxt[s]
        n = len(pl)
        while i < n:
            p = pl[i]
            i += 1
            h = held[p]
            r = rank[p][s]
            if len(h) < cap[p]:
                heappush(h, (-r, s))
                break
            if -h[0][0] > r:
                free.append(heapreplace(h, (-r, s))[1])
                break
        nxt[s] = i
    assign = [UNASSIGNED] * len(prefs)
    for p, h in enumerate(held):
        for _, s in h:
            assign[s] = p
    return assign


def kiraly(c: Compiled, deadline: float | None = None) -> list[int]:
    """Király's 3/2-approximation for maximum weakly stable matching with one-sided
    ties (Király 2011, "Better and simpler approximation algorithms for the stable
    marriage problem", algorithm for ties on one side).

    The strict side (posts) proposes; every place is a separate proposer ("clone")
    walking down its post's ranking. A clone that exhausts its list is *promoted*
    once and walks it again. A student keeps the offer with more hearts and, between
    equal hearts, prefers a promoted clone to an unpromoted one. Cloning a post into
    its places is exact for weak stability, so the 2/3 guarantee carries over.
    """
    plists = c.plists
    hearts = c.hearts
    clone_post: list[int] = []
    for p, k in enumerate(c.cap):
        if plists[p]:
            clone_post.extend([p] * k)
    n_clones = len(clone_post)
    idx = [0] * n_clones
    prom = [False] * n_clones
    n_students = len(hearts)
    held = [-1] * n_students
    held_h = [0] * n_students
    held_prom = [False] * n_students
    stack = list(range(n_clones - 1, -1, -1))
    steps = 0
    while stack:
        cl = stack.pop()
        p = clone_post[cl]
        lst = plists[p]
        n = len(lst)
        i = idx[cl]
        pr = prom[cl]
        while True:
            if i >= n:
                if pr:
                    break
                pr = True
                i = 0
                continue
            s = lst[i]
            i += 1
            h = hearts[s][p]
            cur = held[s]
            if cur < 0 or h > held_h[s] or (h == held_h[s] and pr and not held_prom[s]):
                if cur >= 0:
                    stack.append(cur)
                held[s] = cl
                held_h[s] = h
                held_prom[s] = pr
                break
        idx[cl] = i
        prom[cl] = pr
        steps += 1
        if steps & 0xFFFF == 0:
            _check_deadline(deadline)
    return [clone_post[cl] if cl >= 0 else UNASSIGNED for cl in held]


def members_of(c: Compiled, assign: list[int]) -> list[list[int]]:
    """Students assigned to each post, in student order."""
    members: list[list[int]] = [[] for _ in c.cap]
    for s, p in enumerate(assign):
        if p >= 0:
            members[p].append(s)
    return members


def current_hearts(c: Compiled, assign: list[int]) -> list[int]:
    hearts = c.hearts
    return [hearts[s][p] if p >= 0 else 0 for s, p in enumerate(assign)]


def _top_desirers(c: Compiled, p: int, cur_h: list[int]) -> tuple[int, int]:
    """The two best-ranked students (by p) who rated p strictly above what they hold
    (-1 where none). Only they could block p, so they bound who may enter p."""
    hearts = c.hearts
    first = -1
    for s in c.plists[p]:
        if hearts[s][p] > cur_h[s]:
            if first < 0:
                first = s
            else:
                return first, s
    return first, -1


class _Mover:
    """Search for stability-preserving moves (shared by :func:`augment` and
    :func:`improve_chains`).

    A move is a chain of students u1 -> y1, u2 -> y2, ...: u1 enters y1 displacing
    u2 (a student of y1) who enters y2 displacing u3, and so on, until a student
    enters a post with a free place, or enters the post that u1 left (a cycle).
    Every displaced student must rate the post they enter at least as high as the
    one they leave, so nobody is worse off and the set of students who strictly
    prefer some post can only shrink. Hence the move keeps weak stability as long as
    every post entered is entered by a student it ranks above every student (other
    than the entrant) who strictly prefers it: checked against the two best-ranked
    such students of the post, computed lazily and reset after each move.
    Breadth-first over posts, in deterministic order.
    """

    def __init__(self, c: Compiled, assign: list[int], deadline: float | None, budget: int | None):
        self.c = c
        self.assign = assign
        self.members = members_of(c, assign)
        self.cur_h = current_hearts(c, assign)
        self.tops: dict[int, tuple[int, int]] = {}
        self.deadline = deadline
        self.budget = budget  # arcs examined before giving up (None: unlimited)

    def tops_of(self, p: int) -> tuple[int, int]:
        t = self.tops.get(p)
        if t is None:
            t = _top_desirers(self.c, p, self.cur_h)
            self.tops[p] = t
        return t

    def may_enter(self, e: int, p: int) -> bool:
        first, second = self.tops_of(p)
        other = second if first == e else first
        return other < 0 or self.c.rank[p][e] < self.c.rank[p][other]

    def search(self, mover: int, starts: list[int]) -> bool:
        """Move ``mover`` (unplaced, or placed and strictly improving) into one of
        ``starts`` (posts it strictly prefers) by a chain ending at a free place (or, if placed, back at the
        post it leaves). Applies the move and returns True if one is found."""
        c = self.c
        members = self.members
        cap = c.cap
        hearts = c.hearts
        prefs = c.prefs
        origin = self.assign[mover]
        # An emptied place at the origin is acceptable only if nobody wants it.
        origin_may_empty = origin < 0 or self.tops_of(origin)[0] < 0
        parent: dict[int, tuple[int, int]] = {}
        if origin >= 0:
            parent[origin] = (-2, -1)  # never expanded; entering it closes a cycle
        queue: list[int] = []
        end = -1
        for y in starts:
            if y in parent or not self.may_enter(mover, y):
                continue
            parent[y] = (origin, mover)
            if len(members[y]) < cap[y] and origin_may_empty:
                end = y
                break
            queue.append(y)
        qi = 0
        arcs = 0
        while end < 0 and qi < len(queue):
            x = queue[qi]
            qi += 1
            for w in members[x]:
                hx = hearts[w][x]
                for y in prefs[w]:
                    if hearts[w][y] < hx:
                        break
                    arcs += 1
                    if y == origin:
                        if self.may_enter(w, y):
                            end = y
                            parent[y] = (x, w)
                            break
                        continue
                    if y in parent or not self.may_enter(w, y):
                        continue
                    parent[y] = (x, w)
                    if len(members[y]) < cap[y] and origin_may_empty:
                        end = y
                        break
                    queue.append(y)
                if end >= 0:
                    break
        if self.budget is not None:
            self.budget -= arcs
        if end < 0:
            return False
        y = end
        first = True
        while first or y != end:
            first = False
            x, w = parent[y]
            if x >= 0:
                members[x].remove(w)
            members[y].append(w)
            self.assign[w] = y
            self.cur_h[w] = hearts[w][y]
            if x < 0 or (w == mover):
                break
            y = x
        self.tops.clear()
        return True

    def exhausted(self) -> bool:
        _check_deadline(self.deadline)
        return self.budget is not None and self.budget <= 0


def augment(c: Compiled, assign: list[int], deadline: float | None = None,
            budget: int | None = None, only: list[int] | None = None) -> int:
    """Place more students while keeping weak stability, by augmenting paths.

    For each unplaced student s (input order), look for a chain (see
    :class:`_Mover`): s takes a place at a post p0, displacing a student who moves
    to a post they rated at least as high, ... until someone enters a free place.
    Repeated until a full pass places nobody (or ``budget`` arcs were examined).
    ``only``: the students to try to place (default: everyone). Mutates ``assign``;
    returns the number of students added.
    """
    m = _Mover(c, assign, deadline, budget)
    added = 0
    progress = True
    candidates = range(len(assign)) if only is None else only
    while progress and not m.exhausted():
        progress = False
        for s in candidates:
            if assign[s] >= 0 or not c.prefs[s]:
                continue
            if m.exhausted():
                break
            if m.search(s, c.prefs[s]):
                added += 1
                progress = True
    return added


def improve_chains(c: Compiled, assign: list[int], deadline: float | None = None,
                   budget: int | None = None, groups: list[list[int]] | None = None) -> int:
    """Pareto-improve placed students with chains and cycles that may include
    indifferent (equal-hearts) moves: a student w moves to a post they rate strictly
    higher, displacing a student who moves to a post rated at least as high, ...,
    until someone takes w's old place (cycle) or a free place (chain; w's old place
    may stay empty only if nobody strictly prefers it). Generalises stable
    improvement cycles, which cannot reorganise students who are indifferent.
    ``groups``: lists of students (whole markets) improved one after the other, each
    with its own ``budget``, so that a group's outcome depends on its market alone
    (exact mode's per-market memo relies on it); default: everyone, one budget.
    Mutates ``assign``; returns the number of moves applied.
    """
    m = _Mover(c, assign, deadline, budget)
    moves = 0
    for group in (range(len(assign)),) if groups is None else groups:
        m.budget = budget
        moves += _chain_moves(c, m, group)
    return moves


def _chain_moves(c: Compiled, m: _Mover, students) -> int:
    assign = m.assign
    hearts = c.hearts
    moves = 0
    progress = True
    while progress and not m.exhausted():
        progress = False
        for w in students:
            x = assign[w]
            if x < 0:
                continue
            hx = hearts[w][x]
            starts = []
            for y in c.prefs[w]:
                if hearts[w][y] <= hx:
                    break
                starts.append(y)
            if not starts or not any(m.tops_of(y)[0] == w for y in starts):
                continue
            if m.exhausted():
                break
            if m.search(w, starts):
                moves += 1
                progress = True
    return moves


def stable_improvement_cycles(c: Compiled, assign: list[int], deadline: float | None = None,
                              posts: list[int] | None = None) -> int:
    """Erdil & Ergin (2008) stable improvement cycles, for ties on the student side.

    For each post p let e(p) be the best-ranked student who strictly prefers p to
    their own post. If e(p) holds a place at q, draw q -> p ("e(p) would leave q for
    p"). Each post has at most one incoming arc, so cycles are disjoint and found by
    walking predecessors. Rotating every cycle makes each student on it strictly
    happier and keeps weak stability; repeat until none is left. The result is not
    Pareto-dominated (for students) by any other weakly stable matching. The set of
    placed students never changes. ``posts``: only the cycles through these posts
    (whole markets: a cycle never leaves its market); default: every post. Mutates
    ``assign``; returns the number of cycles.
    """
    n_posts = len(c.cap)
    scan = range(n_posts) if posts is None else posts
    cycles = 0
    while True:
        _check_deadline(deadline)
        cur_h = current_hearts(c, assign)
        pred = [-1] * n_posts
        mover = [-1] * n_posts
        for p in scan:
            e, _ = _top_desirers(c, p, cur_h)
            if e >= 0 and assign[e] >= 0:
                pred[p] = assign[e]
                mover[p] = e
        state = [0] * n_posts  # 0 unseen, 1 on current walk, 2 done
        found: list[list[int]] = []
        for start in scan:
            if state[start]:
                continue
            walk = []
            p = start
            while p >= 0 and state[p] == 0:
                state[p] = 1
                walk.append(p)
                p = pred[p]
            if p >= 0 and state[p] == 1:
                found.append(walk[walk.index(p):])
            for q in walk:
                state[q] = 2
        if not found:
            return cycles
        for cyc in found:
            for p in cyc:
                assign[mover[p]] = p
            cycles += 1


def blocking_pairs_int(c: Compiled, assign: list[int], limit: int | None = None) -> list[tuple[int, int]]:
    """Blocking pairs (s, p) of an integer matching (used as an internal safety net)."""
    cap = c.cap
    rank = c.rank
    members = members_of(c, assign)
    worst = [max((rank[p][s] for s in m), default=-1) for p, m in enumerate(members)]
    cur_h = current_hearts(c, assign)
    out: list[tuple[int, int]] = []
    hearts = c.hearts
    for s, pl in enumerate(c.prefs):
        hs = cur_h[s]
        for p in pl:
            if hearts[s][p] <= hs:
                break
            if len(members[p]) < cap[p] or rank[p][s] < worst[p]:
                out.append((s, p))
                if limit is not None and len(out) >= limit:
                    return out
    return out


def is_valid_int(c: Compiled, assign: list[int]) -> bool:
    """Acceptable pairs, capacities respected and no blocking pair."""
    counts = [0] * len(c.cap)
    for s, p in enumerate(assign):
        if p < 0:
            continue
        if p not in c.hearts[s] or s not in c.rank[p]:
            return False
        counts[p] += 1
    if any(n > k for n, k in zip(counts, c.cap)):
        return False
    return not blocking_pairs_int(c, assign, limit=1)


def profile_key(c: Compiled, assign: list[int]) -> tuple[int, ...]:
    """Lexicographic quality: (students placed, placed at 5 hearts, at 4, ..., at 1)."""
    counts = [0] * (MAX_HEARTS + 1)
    hearts = c.hearts
    placed = 0
    for s, p in enumerate(assign):
        if p >= 0:
            placed += 1
            counts[hearts[s][p]] += 1
    return (placed, *reversed(counts[1:]))


def max_matching_size(c: Compiled) -> int:
    """Size of a maximum matching of acceptable pairs ignoring stability (an upper
    bound for any weakly stable matching)."""
    return max_matching_lists(c.prefs, c.cap)


def max_matching_lists(prefs: list[list[int]], cap: list[int]) -> int:
    """Size of a maximum many-to-one matching of ``prefs`` (student -> posts) within
    capacities ``cap``. Greedy start, then augmenting paths by iterative DFS with a
    visited stamp per search."""
    holders: list[list[int]] = [[] for _ in cap]
    assign = [UNASSIGNED] * len(prefs)
    for s, pl in enumerate(prefs):
        for p in pl:
            if len(holders[p]) < cap[p]:
                holders[p].append(s)
                assign[s] = p
                break
    seen = [-1] * len(cap)
    for s, pl in enumerate(prefs):
        if assign[s] >= 0 or not pl:
            continue
        # stack of (student, next index in its list); via[p] = (student entering p, post it leaves)
        via: dict[int, tuple[int, int]] = {}
        stack = [(s, 0)]
        found = -1
        while stack and found < 0:
            t, i = stack.pop()
            prefs_t = prefs[t]
            while i < len(prefs_t):
                p = prefs_t[i]
                i += 1
                if seen[p] == s:
                    continue
                seen[p] = s
                via[p] = (t, assign[t])
                if len(holders[p]) < cap[p]:
                    found = p
                    break
                stack.append((t, i))
                for u in holders[p]:
                    stack.append((u, 0))
                break
        if found < 0:
            continue
        p = found
        while True:
            t, old = via[p]
            holders[p].append(t)
            if old >= 0:
                holders[old].remove(t)
            assign[t] = p
            if t == s:
                break
            p = old
    return sum(1 for p in assign if p >= 0)
