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


def market_instance(n_students: int, seed: int = 1, *, tag: str = "", posts_ratio: float = 0.81,
                    places_ratio: float = 1.08, n_subdivisions: int = 28, wishes: float = 10.0,
                    rng: random.Random | None = None) -> tuple[list[dict], list[dict]]:
    """One specialty market shaped like ours (students, posts): ``posts_ratio`` posts and
    ``places_ratio`` places per student (most posts with 1 place, some up to 4), ~10
    wishes per student drawn with Zipf-like popularity and a 3x bias to the home
    subdivision, hearts drawn with many ties (5,5,4,4,4,3,3,2,1, sorted: the first wishes
    get the most hearts), supervisors ranking ~95% of their applicants by merit plus
    noise, ~3% of rankings missing. Ids are prefixed with ``tag``."""
    import itertools
    import math

    rng = rng or random.Random(seed * 7919 + n_students)
    n_posts = max(1, round(n_students * posts_ratio))
    places = [1] * n_posts
    extra = max(0, math.ceil(n_students * places_ratio) - n_posts)
    while extra > 0:
        i = rng.randrange(n_posts)
        if places[i] < 4:
            places[i] += 1
            extra -= 1
    subs = [rng.randrange(n_subdivisions) for _ in range(n_posts)]
    order = list(range(n_posts))
    rng.shuffle(order)
    weight = [0.0] * n_posts
    for r, p in enumerate(order):
        weight[p] = 1.0 / (r + 1) ** 0.9
    pids = [f"{tag}P{i:05d}" for i in range(n_posts)]
    cum: dict[int, list[float]] = {}
    students: list[dict] = []
    merit: list[float] = []
    applicants: list[list[int]] = [[] for _ in range(n_posts)]
    for s in range(n_students):
        home = rng.randrange(n_subdivisions)
        cw = cum.get(home)
        if cw is None:
            cw = cum[home] = list(itertools.accumulate(
                w * (3.0 if subs[p] == home else 1.0) for p, w in enumerate(weight)))
        k = max(1, min(n_posts, int(rng.gauss(wishes, 2))))
        chosen: list[int] = []
        seen: set[int] = set()
        while len(chosen) < k:
            p = rng.choices(range(n_posts), cum_weights=cw)[0]
            if p not in seen:
                seen.add(p)
                chosen.append(p)
        hearts = sorted((rng.choice((5, 5, 4, 4, 4, 3, 3, 2, 1)) for _ in chosen), reverse=True)
        students.append({"id": f"{tag}S{s:05d}", "wishes": {pids[p]: h for p, h in zip(chosen, hearts)}})
        merit.append(rng.random())
        for p in chosen:
            applicants[p].append(s)
    posts: list[dict] = []
    for p in range(n_posts):
        ranking: list[str] = []
        if rng.random() >= 0.03:
            cand = [s for s in applicants[p] if rng.random() > 0.05]
            score = {s: merit[s] + rng.gauss(0, 0.15) for s in cand}
            cand.sort(key=lambda s: -score[s])
            ranking = [students[s]["id"] for s in cand]
        posts.append({"id": pids[p], "places": places[p], "ranking": ranking})
    return students, posts


def single_market(n_students: int, seed: int = 1) -> dict:
    """One market of ``n_students`` (see :func:`market_instance`)."""
    students, posts = market_instance(n_students, seed)
    return {"tie_break_seed": 42, "students": students, "posts": posts}


def market_sizes(total: int = 7400, n_markets: int = 43, largest: int = 1500) -> list[int]:
    """Unequal, Zipf-like market sizes summing to ``total`` whose largest is ~``largest``."""
    lo, hi = 0.3, 2.0
    sizes: list[int] = []
    for _ in range(60):
        a = (lo + hi) / 2
        raw = [1 / (i + 1) ** a for i in range(n_markets)]
        sizes = [max(20, round(total * r / sum(raw))) for r in raw]
        if sizes[0] > largest:
            hi = a
        else:
            lo = a
    sizes[0] += total - sum(sizes)
    return sizes


def national_markets(seed: int = 1, total: int = 7400, n_markets: int = 43, largest: int = 1500,
                     posts_total: int = 6000) -> dict:
    """A national instance: ``n_markets`` specialty markets of unequal sizes (largest
    ~1,500 students), ``total`` students, ~``posts_total`` posts, ~10 wishes each."""
    rng = random.Random(seed)
    students: list[dict] = []
    posts: list[dict] = []
    for i, size in enumerate(market_sizes(total, n_markets, largest)):
        st, po = market_instance(size, tag=f"M{i:02d}", posts_ratio=posts_total / total, rng=rng)
        students += st
        posts += po
    return {"tie_break_seed": 42, "students": students, "posts": posts}


def several_markets(rng: random.Random, most: int = 5, largest: int = 9, max_places: int = 2) -> dict:
    """2-``most`` independent tie-heavy markets, their students and posts interleaved in the input
    (a market's indices are then far from 0..n-1)."""
    students: list[dict] = []
    posts: list[dict] = []
    for m in range(rng.randint(2, most)):
        d = random_instance(rng, rng.randint(3, largest), rng.randint(2, max(5, largest // 2)),
                            max_places=max_places, min_places=1, p_wish=0.5, levels=(3, 4, 5, 5), p_ranked=0.9,
                            p_unranked_extra=0)
        students += [{"id": f"K{m}{s['id']}", "wishes": {f"K{m}{p}": h for p, h in s["wishes"].items()}}
                     for s in d["students"]]
        posts += [{"id": f"K{m}{p['id']}", "places": p["places"], "ranking": [f"K{m}{s}" for s in p["ranking"]]}
                  for p in d["posts"]]
    rng.shuffle(students)
    rng.shuffle(posts)
    return {"tie_break_seed": rng.randrange(1000), "students": students, "posts": posts}
