"""Benchmark of siimop_app.matching: exact vs fast vs random tie-break, and fast mode at
national scale (and 10x).

Run:  python tests/benchmarks/bench_matching.py [--quick] [--exact-only | --no-exact]
                                                [--scale 1|10 ...] [--no-lib]

1. Exact mode (the default at round close) against fast mode and a plain deferred
   acceptance with random tie-breaking, on single specialty markets of 300, 1,000 and
   2,000 students and on a national instance of 43 specialty markets of unequal sizes
   (7,400 students, ~6,000 posts, ~10 wishes each; the largest market ~1,500
   students): students placed, proven upper bound, proven or not, hearts profile,
   wall-clock and CPU time. The machine's load average is printed: wall-clock times
   on a shared machine depend on it (CPU time much less).
2. Fast mode alone, per scale: instance build time, baseline and improved solve times,
   peak memory (tracemalloc), students placed and hearts profile; then, on a
   strict-preference instance, a side-by-side with the PyPI ``matching`` library
   (HospitalResident, resident-optimal): identical assignments and the time ratio.

``--quick`` (what the test suite runs, to prove the script still works): a market of 300
students (exact comparison, 10 s limit), then fast mode at national scale; no bigger market,
no national exact solve, no 10x, no library. Its figures are not the benchmark's.
Targets are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import sys
import threading
import time
import tracemalloc

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "matching")))

from matching_testlib import national_markets, single_market  # noqa: E402

from siimop_app.matching import Instance, check, solve  # noqa: E402
from siimop_app.matching import algorithms as alg  # noqa: E402

N_SPECIALTIES = 30
N_SUBDIVISIONS = 28


def make_instance(scale: int = 1, seed: int = 2024, strict: bool = False) -> dict:
    """Realistic synthetic instance.

    7,400 x scale students, 6,000 x scale posts, ~8,000 x scale places; posts spread
    over 30 specialties x 28 subdivisions; each student rates ~10 posts of their
    specialty (5 with distinct hearts 5..1 if ``strict``), drawn with Zipf-like
    popularity and a bias to their home subdivision; supervisors rank most of their
    applicants in a strict order (merit + noise), refusing ~5%; ~3% of rankings are
    missing (empty).
    """
    rng = random.Random(seed * 1000 + scale * 10 + int(strict))
    n_students = 7400 * scale
    n_posts = 6000 * scale
    posts = []
    by_spec: list[list[int]] = [[] for _ in range(N_SPECIALTIES)]
    for i in range(n_posts):
        spec = rng.randrange(N_SPECIALTIES)
        sub = rng.randrange(N_SUBDIVISIONS)
        places = 1 if rng.random() < 0.8 else rng.choice((2, 2, 2, 3))
        posts.append({"id": f"P{i:06d}", "places": places, "specialty": spec, "subdivision": sub})
        by_spec[spec].append(i)
    # Zipf-like popularity inside each specialty
    weights: list[list[float]] = []
    for plist in by_spec:
        order = plist[:]
        rng.shuffle(order)
        w = {p: 1.0 / (r + 1) ** 0.9 for r, p in enumerate(order)}
        weights.append([w[p] for p in plist])
    spec_sizes = [len(p) for p in by_spec]
    students = []
    merit = []
    applicants: list[list[int]] = [[] for _ in range(n_posts)]
    cum_cache: dict[tuple[int, int], list[float]] = {}
    for s in range(n_students):
        spec = rng.choices(range(N_SPECIALTIES), weights=spec_sizes)[0]
        home = rng.randrange(N_SUBDIVISIONS)
        plist, w = by_spec[spec], weights[spec]
        cw = cum_cache.get((spec, home))
        if cw is None:
            wl = [wt * (3.0 if posts[p]["subdivision"] == home else 1.0) for p, wt in zip(plist, w)]
            cw = cum_cache[(spec, home)] = list(itertools.accumulate(wl))
        k = 5 if strict else max(1, min(len(plist), int(rng.gauss(10, 2))))
        chosen: list[int] = []
        seen = set()
        while len(chosen) < min(k, len(plist)):
            p = rng.choices(plist, cum_weights=cw)[0]
            if p not in seen:
                seen.add(p)
                chosen.append(p)
        if strict:
            hearts = list(range(5, 5 - len(chosen), -1))
        else:
            hearts = sorted((rng.choice((5, 5, 4, 4, 4, 3, 3, 2, 1)) for _ in chosen), reverse=True)
        wishes = {posts[p]["id"]: h for p, h in zip(chosen, hearts)}
        students.append({"id": f"S{s:06d}", "wishes": wishes, "specialty": spec, "subdivision": home})
        merit.append(rng.random())
        for p in chosen:
            applicants[p].append(s)
    for p, post in enumerate(posts):
        if rng.random() < 0.03:
            post["ranking"] = []
            continue
        cand = [s for s in applicants[p] if rng.random() > 0.05]
        score = {s: merit[s] + rng.gauss(0, 0.15) for s in cand}
        cand.sort(key=lambda s: -score[s])
        post["ranking"] = [students[s]["id"] for s in cand]
    return {"tie_break_seed": 42, "students": students, "posts": posts}


def measure(fn, memory: bool = True):
    """(result, seconds, peak bytes). Time is measured without tracemalloc (which
    slows Python code 2-3x); peak memory comes from a second, traced run."""
    gc.collect()
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    peak = 0
    if memory:
        gc.collect()
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return out, dt, peak


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def fmt_profile(f: dict) -> str:
    p = f["hearts_profile"]
    return " ".join(f"{h}:{p[h]}" for h in ("5", "4", "3", "2", "1"))


def bench_scale(scale: int) -> None:
    print(f"\n=== scale x{scale}: {7400 * scale} students, {6000 * scale} posts ===")
    t = time.perf_counter()
    data = make_instance(scale)
    print(f"generate instance: {time.perf_counter() - t:.2f} s")
    inst, dt_val, peak = measure(lambda: Instance.from_dict(data))
    print(f"validate (Instance.from_dict): {dt_val:.3f} s, peak {mib(peak)}")
    _, dt_comp, peak = measure(lambda: Instance.from_dict(data).compiled(), memory=False)
    dt_comp -= dt_val
    c = inst.compiled()
    print(f"compile (integer index + tie-break order): {dt_comp:.3f} s; places {sum(c.cap)}, "
          f"acceptable pairs {sum(len(p) for p in c.prefs)}")
    base, dt, peak = measure(lambda: solve(Instance.from_dict(data), mode="fast", improve=False))
    target = 0.5 * scale
    print(f"baseline end to end (validate + compile + DA + explanations): {dt:.3f} s, peak {mib(peak)}"
          f"   [target < {target:g} s]")
    print(f"  deferred acceptance alone: {base.timings['fast']:.3f} s; explanations "
          f"{base.timings['explain']:.3f} s")
    b = base.stats["baseline"]
    print(f"  placed {b['students_placed']}, hearts {fmt_profile(b)}")
    res, dt, peak = measure(lambda: solve(Instance.from_dict(data), mode="fast", time_limit=None))
    f = res.stats["final"]
    print(f"improved end to end: {dt:.2f} s (baseline + improvement {res.timings['fast']:.2f} s), "
          f"peak {mib(peak)}   [target < 60 s at x1]")
    print(f"  status: {res.stats['improvement']['status']}; selected: {f['algorithm']}")
    for name, d in res.stats["improvement"].get("candidates", {}).items():
        extra = f", Kiraly alone {d['kiraly_key']}" if "kiraly_key" in d else ""
        print(f"  candidate {name}: key {d['key']} (augmented {d['augmented']}, cycles {d['cycles']}, "
              f"chains {d['chains']}, rounds {d['rounds']}){extra}")
    print(f"  placed {f['students_placed']} (+{f['students_placed'] - b['students_placed']} vs baseline), "
          f"hearts {fmt_profile(f)}")
    from siimop_app.matching.algorithms import max_matching_size
    t = time.perf_counter()
    ub = max_matching_size(c)
    print(f"  upper bound (maximum matching ignoring stability): {ub} ({time.perf_counter() - t:.1f} s)")
    t = time.perf_counter()
    cert = check(inst, res.to_dict())
    print(f"check: {time.perf_counter() - t:.2f} s -> {cert.summary}")


def load() -> str:
    try:
        return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on Linux
        return "load average unknown"


def timed(fn):
    gc.collect()
    t, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - cpu


def bench_exact_case(name: str, data: dict, time_limit: float) -> None:
    inst = Instance.from_dict(data)
    c = inst.compiled()
    print(f"\n--- {name}: {c.n_students} students, {c.n_posts} posts, {sum(c.cap)} places, "
          f"{sum(len(p) for p in c.prefs)} acceptable pairs   ({load()})")
    base, dt_b, _ = timed(lambda: solve(Instance.from_dict(data), mode="fast", improve=False))
    fast, dt_f, cpu_f = timed(lambda: solve(Instance.from_dict(data), mode="fast"))
    res, dt_e, cpu_e = timed(lambda: solve(Instance.from_dict(data), mode="exact", time_limit=time_limit))
    bound = alg.max_matching_size(c)
    st = res.stats
    ex = st.get("exact", {})
    print(f"  random tie-break DA : placed {base.stats['final']['students_placed']:>5}   "
          f"hearts {fmt_profile(base.stats['final'])}   {dt_b:6.2f} s")
    print(f"  fast (heuristic)    : placed {fast.stats['final']['students_placed']:>5}   "
          f"hearts {fmt_profile(fast.stats['final'])}   {dt_f:6.2f} s (CPU {cpu_f:.2f} s)")
    print(f"  exact               : placed {st['final']['students_placed']:>5}   "
          f"hearts {fmt_profile(st['final'])}   {dt_e:6.2f} s (CPU {cpu_e:.2f} s)   [target: proven within "
          f"{time_limit:g} s]")
    print(f"  exact upper bound {st['upper_bound']} (gap {st['gap']}), proven optimal: {st['optimal']}, "
          f"hearts proven: {st['hearts_optimal']}; maximum matching ignoring stability: {bound}")
    if "markets" in ex:
        t = res.timings
        markets = ex["markets"]
        print(f"  {ex['solver']}: {len(markets)} market(s), {ex['status']}; reduction kept "
              f"{ex['reduction']['pairs_kept']}/{ex['reduction']['acceptable_pairs']} pairs, "
              f"{ex['reduction']['students_forced']} students forced; number placed searched in "
              f"{t['exact_placed']:.1f} s (CPU {t['exact_cpu_placed']:.1f} s), hearts in {t['exact_hearts']:.1f} s "
              f"(CPU {t['exact_cpu_hearts']:.1f} s)")
        big = sorted(markets, key=lambda m: -m["students"])[:3]
        for m in big:
            print(f"    {m['id']:>4}: {m['students']:>5} students, fast {m['fast_placed']}, exact {m['placed']}, "
                  f"bound {m['upper_bound']}, proven {m['proven_optimal']}, hearts proven "
                  f"{m['hearts_proven_optimal']}, {t['exact_markets'][m['id']]:.1f} s, {m['solver_calls']} LP/MIP "
                  f"stages ({m['proven_by_linear_relaxation']} proven by the relaxation), {m['nodes']} nodes")
    else:
        print(f"  exact status: {ex.get('status')}")
    cert = check(inst, res)
    print(f"  check: {cert.summary[:60]}...  {cert.claims}")


def bench_exact(sizes: list[int], national: bool, time_limit: float) -> None:
    print(f"\n=== exact vs fast vs random tie-break DA (time limit {time_limit:g} s per solve) ===")
    for n in sizes:
        bench_exact_case(f"single market, {n} students", single_market(n), time_limit)
    if national:
        bench_exact_case("national, 43 specialty markets", national_markets(), time_limit)


def run_in_big_thread(fn):
    """The matching library recurses deeply: give it a large stack and recursion limit."""
    box: dict = {}

    def target():
        try:
            box["out"] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            box["err"] = exc

    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    old_size = threading.stack_size(512 * 2**20)
    try:
        th = threading.Thread(target=target)
        th.start()
        th.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)
    if "err" in box:
        raise box["err"]
    return box["out"]


def bench_library(scale: int) -> None:
    import warnings

    from matching.games import HospitalResident

    print(f"\n=== strict preferences x{scale}: vs PyPI matching (HospitalResident, resident-optimal) ===")
    data = make_instance(scale, strict=True)
    t = time.perf_counter()
    inst = Instance.from_dict(data)
    res = solve(inst, mode="fast")
    ours = time.perf_counter() - t
    print(f"ours end to end (validate + solve): {ours:.3f} s; status: {res.stats['improvement']['status']}")

    def lib():
        c = inst.compiled()
        r_prefs = {c.sids[s]: [c.pids[p] for p in pl] for s, pl in enumerate(c.prefs) if pl}
        h_prefs = {c.pids[p]: [c.sids[s] for s in sl] for p, sl in enumerate(c.plists) if sl}
        caps = {pid: c.cap[c.pindex[pid]] for pid in h_prefs}
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            game = HospitalResident.create_from_dictionaries(r_prefs, h_prefs, caps)
            t1 = time.perf_counter()
            m = game.solve(optimal="resident")
        t2 = time.perf_counter()
        out = {}
        for h, rs in m.items():
            for r in rs:
                out[r.name] = h.name
        return out, t1 - t0, t2 - t1

    t = time.perf_counter()
    theirs, t_build, t_solve = run_in_big_thread(lib)
    total = time.perf_counter() - t
    same = theirs == res.assignments
    print(f"matching library: build {t_build:.1f} s + solve {t_solve:.1f} s = {total:.1f} s end to end "
          f"(incl. preparing its dicts)")
    print(f"same assignments: {same} ({len(res.assignments)} placed); "
          f"speed ratio: {total / ours:.0f}x   [target: identical, >= 50x]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, action="append", choices=(1, 10),
                    help="fast-mode scale(s) to run (default: 1 and 10)")
    ap.add_argument("--quick", action="store_true",
                    help="exact comparison on 300 students only (10 s limit), fast mode at national scale; no library")
    ap.add_argument("--exact-only", action="store_true", help="only the exact vs fast comparison")
    ap.add_argument("--no-exact", action="store_true", help="skip the exact vs fast comparison")
    ap.add_argument("--time-limit", type=float, default=60.0, help="exact mode's time limit per solve (default 60)")
    ap.add_argument("--sizes", help="single-market sizes of the exact comparison, comma-separated "
                                    "(default 300,1000,2000; --quick 300; empty: none)")
    ap.add_argument("--no-national", action="store_true", help="exact comparison: skip the national instance")
    ap.add_argument("--no-lib", action="store_true", help="skip the matching-library comparison")
    ap.add_argument("--lib-scale", type=int, default=1, help="scale of the library comparison (default 1)")
    args = ap.parse_args()
    print(f"Python {sys.version.split()[0]} on {os.cpu_count()} CPU(s), {load()}")
    if not args.no_exact:
        if args.sizes is not None:
            sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
        else:
            sizes = [300] if args.quick else [300, 1000, 2000]
        bench_exact(sizes, not (args.no_national or args.quick), min(args.time_limit, 10) if args.quick
                    else args.time_limit)
    if args.exact_only:
        return
    scales = args.scale or ([1] if args.quick else [1, 10])
    for sc in scales:
        bench_scale(sc)
    if not (args.quick or args.no_lib):
        bench_library(args.lib_scale)


if __name__ == "__main__":
    main()
