"""Helpers for the matching tests: random instances, an independent weak-stability
predicate, brute-force enumeration and a textbook reference deferred acceptance."""

from __future__ import annotations

import itertools
import random


def random_instance(rng: random.Random, n_students: int, n_posts: int, *, strict: bool = False,
                    max_places: int = 2, p_wish: float = 0.6, p_ranked: float = 0.85,
                    p_unranked_extra: float = 0.1, seed: int | None = None,
                    levels: tuple[int, ...] = (0, 1, 2, 3, 3, 4, 5, 5), min_places: int = 0) -> dict:
    """Random instance; with ``strict`` every student uses distinct hearts, otherwise
    hearts are drawn from ``levels`` (few distinct levels = many ties)."""
    pids = [f"P{j}" for j in range(n_posts)]
    sids = [f"S{i}" for i in range(n_students)]
    students = []
    for sid in sids:
        chosen = [p for p in pids if rng.random() < p_wish]
        if strict:
            chosen = chosen[:5]
            hearts = rng.sample(range(1, 6), len(chosen))
        else:
            hearts = [rng.choice(levels) for _ in chosen]
        students.append({"id": sid, "wishes": dict(zip(chosen, hearts))})
    posts = []
    for pid in pids:
        applicants = [s["id"] for s in students if pid in s["wishes"]]
        ranked = [s for s in applicants if rng.random() < p_ranked]
        ranked += [s for s in sids if s not in applicants and rng.random() < p_unranked_extra]
        rng.shuffle(ranked)
        posts.append({"id": pid, "places": rng.randint(min_places, max_places), "ranking": ranked})
    return {"tie_break_seed": rng.randrange(1000) if seed is None else seed,
            "students": students, "posts": posts}


def acceptable(d: dict) -> dict[str, dict[str, int]]:
    """student -> {post: hearts} for pairs that may be assigned."""
    ranks = {p["id"]: set(p["ranking"]) for p in d["posts"]}
    places = {p["id"]: p["places"] for p in d["posts"]}
    return {s["id"]: {p: h for p, h in s["wishes"].items()
                      if h > 0 and s["id"] in ranks[p] and places[p] > 0}
            for s in d["students"]}


def is_weakly_stable(d: dict, assignments: dict[str, str]) -> bool:
    """Straight from the definition, written independently of the package."""
    acc = acceptable(d)
    rank = {p["id"]: {s: i for i, s in enumerate(p["ranking"])} for p in d["posts"]}
    places = {p["id"]: p["places"] for p in d["posts"]}
    holders: dict[str, list[str]] = {p: [] for p in places}
    for s, p in assignments.items():
        if p not in acc[s]:
            return False
        holders[p].append(s)
    if any(len(h) > places[p] for p, h in holders.items()):
        return False
    for s, wl in acc.items():
        cur = wl.get(assignments.get(s), 0) if s in assignments else 0
        for p, h in wl.items():
            if h > cur and (len(holders[p]) < places[p]
                            or any(rank[p][s] < rank[p][t] for t in holders[p])):
                return False
    return True


def all_weakly_stable(d: dict) -> list[dict[str, str]]:
    """Every weakly stable matching, by enumeration (tiny instances only)."""
    acc = acceptable(d)
    sids = [s["id"] for s in d["students"]]
    places = {p["id"]: p["places"] for p in d["posts"]}
    out = []
    for combo in itertools.product(*[[None, *acc[s]] for s in sids]):
        count: dict[str, int] = {}
        ok = True
        for p in combo:
            if p is not None:
                count[p] = count.get(p, 0) + 1
                if count[p] > places[p]:
                    ok = False
                    break
        if not ok:
            continue
        m = {s: p for s, p in zip(sids, combo) if p is not None}
        if is_weakly_stable(d, m):
            out.append(m)
    return out


def reference_student_optimal(d: dict) -> dict[str, str]:
    """Textbook Gale-Shapley, students propose, strict preferences assumed."""
    acc = acceptable(d)
    rank = {p["id"]: {s: i for i, s in enumerate(p["ranking"])} for p in d["posts"]}
    places = {p["id"]: p["places"] for p in d["posts"]}
    lists = {s: sorted(wl, key=lambda p: -wl[p]) for s, wl in acc.items()}
    nxt = {s: 0 for s in lists}
    held: dict[str, list[str]] = {p: [] for p in places}
    free = list(lists)
    while free:
        s = free.pop()
        if nxt[s] >= len(lists[s]):
            continue
        p = lists[s][nxt[s]]
        nxt[s] += 1
        held[p].append(s)
        held[p].sort(key=lambda t: rank[p][t])
        if len(held[p]) > places[p]:
            free.append(held[p].pop())
    return {s: p for p, ss in held.items() for s in ss}
