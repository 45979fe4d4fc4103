"""Independent verification of a result against an instance.

Uses only the instance (hearts and rankings) and the result's assignments: no
tie-break, no algorithm state, so it certifies results from any source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .instance import Instance, InstanceError


@dataclass(frozen=True)
class Certificate:
    """Outcome of :func:`check`. ``ok`` iff ``violations`` is empty."""

    ok: bool
    violations: list[str] = field(default_factory=list)
    summary: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    # What the result's stats claim about optimality (exact mode: proven maximum, bound,
    # gap), restated; only its consistency with the assignments is checked here.
    claims: str = ""

    def to_text(self) -> str:
        lines = [self.summary]
        if self.claims:
            lines.append(self.claims)
        if not self.ok:
            lines += [f"  - {v}" for v in self.violations]
        return "\n".join(lines)


def _result_dict(result: Any) -> Any:
    to_dict = getattr(result, "to_dict", None)
    return to_dict() if callable(to_dict) else result


def _parse(inst: Instance, result: Any) -> tuple[list[int], list[str]]:
    """Integer assignment (-1 = unplaced) and structural problems of a result."""
    c = inst.compiled()
    assign = [-1] * c.n_students
    problems: list[str] = []
    data = _result_dict(result)
    if not isinstance(data, Mapping):
        return assign, ["result must be a JSON object"]
    assignments = data.get("assignments")
    if not isinstance(assignments, Mapping):
        return assign, ['result has no "assignments" object']
    unassigned = data.get("unassigned", [])
    if not isinstance(unassigned, list):
        problems.append('"unassigned" must be a list')
        unassigned = []
    for sid, pid in assignments.items():
        s = c.sindex.get(sid)
        p = c.pindex.get(pid) if isinstance(pid, str) else None
        if s is None:
            problems.append(f"assignment of unknown student {sid!r}")
        elif p is None:
            problems.append(f"student {sid!r} assigned to unknown post {pid!r}")
        else:
            assign[s] = p
    listed: set[str] = set()
    for sid in unassigned:
        if not isinstance(sid, str) or sid not in c.sindex:
            problems.append(f"unknown student {sid!r} in unassigned")
        elif sid in listed:
            problems.append(f"student {sid!r} listed twice in unassigned")
        elif sid in assignments:
            problems.append(f"student {sid!r} is both assigned and listed as unassigned")
        if isinstance(sid, str):
            listed.add(sid)
    for sid in c.sids:
        if sid not in assignments and sid not in listed:
            problems.append(f"student {sid!r} is neither assigned nor listed as unassigned")
    return assign, problems


def assignment_from_result(inst: Instance, result: Any) -> list[int]:
    """Integer assignment of a result; InstanceError if it is structurally malformed."""
    assign, problems = _parse(inst, result)
    if problems:
        raise InstanceError(problems, context="malformed result")
    return assign


def check(inst: Instance, result: Any) -> Certificate:
    """Verify ``result`` (a Result or its dict form) against ``inst``: every pair
    acceptable (student rated the post >= 1 heart, post ranks the student), no
    post over capacity, no blocking pair (weak stability). Never raises for a bad
    result: each problem becomes a violation."""
    c = inst.compiled()
    assign, violations = _parse(inst, result)
    hearts = c.hearts
    rank = c.rank
    sids, pids = c.sids, c.pids
    n_posts = c.n_posts
    members: list[list[int]] = [[] for _ in range(n_posts)]
    unranked = len(sids)
    for s, p in enumerate(assign):
        if p < 0:
            continue
        members[p].append(s)
        if p not in hearts[s]:
            violations.append(f"unacceptable pair ({sids[s]}, {pids[p]}): the student did not rate this post")
        if s not in rank[p]:
            violations.append(f"unacceptable pair ({sids[s]}, {pids[p]}): the post does not rank this student")
    for p, m in enumerate(members):
        if len(m) > c.cap[p]:
            violations.append(f"capacity exceeded at {pids[p]}: {len(m)} assigned for {c.cap[p]} place(s)")
    # worst[p]: rank of p's least preferred assignee (unranked assignees count as worst of all)
    worst_rank = [-1] * n_posts
    worst_who = [-1] * n_posts
    for p, m in enumerate(members):
        for s in m:
            r = rank[p].get(s, unranked)
            if r > worst_rank[p]:
                worst_rank[p], worst_who[p] = r, s
    n_pairs = 0
    n_blocking = 0
    for s, wishes in enumerate(hearts):
        p_cur = assign[s]
        h_cur = wishes.get(p_cur, 0) if p_cur >= 0 else 0
        for p, h in wishes.items():
            r = rank[p].get(s)
            if r is None or c.cap[p] == 0:
                continue
            n_pairs += 1
            if h <= h_cur:
                continue
            got = f"got {pids[p_cur]} ({h_cur} hearts)" if p_cur >= 0 else "got nothing"
            if len(members[p]) < c.cap[p]:
                n_blocking += 1
                violations.append(
                    f"blocking pair ({sids[s]}, {pids[p]}): student rated it {h} hearts and {got}; "
                    f"post ranks them #{r + 1} and has {c.cap[p] - len(members[p])} free place(s)")
            elif r < worst_rank[p]:
                n_blocking += 1
                w = worst_who[p]
                wr = f"#{worst_rank[p] + 1}" if worst_rank[p] < unranked else "unranked"
                violations.append(
                    f"blocking pair ({sids[s]}, {pids[p]}): student rated it {h} hearts and {got}; "
                    f"post ranks them #{r + 1}, above its assigned {sids[w]} ({wr})")
    placed = sum(1 for p in assign if p >= 0)
    claims, claim_problems = _claims(_result_dict(result), placed)
    violations += claim_problems
    places = sum(c.cap)
    counts = {"students": len(sids), "placed": placed, "places": places,
              "acceptable_pairs": n_pairs, "blocking_pairs": n_blocking, "violations": len(violations)}
    if violations:
        summary = f"INVALID: {len(violations)} violation(s) ({n_blocking} blocking pair(s))"
    else:
        summary = (f"OK: weakly stable matching. {len(sids)} students, {placed} placed, "
                   f"{placed}/{places} places filled; every assigned pair acceptable; "
                   f"no post over capacity; 0 blocking pairs among {n_pairs} acceptable pairs.")
    return Certificate(not violations, violations, summary, counts, claims)


def _claims(data: Any, placed: int) -> tuple[str, list[str]]:
    """Restate the optimality claims of a result's stats and check that they are
    consistent with the assignments (the claims themselves come from the solver)."""
    stats = data.get("stats") if isinstance(data, Mapping) else None
    if not isinstance(stats, Mapping) or "optimal" not in stats:
        return "", []
    problems: list[str] = []
    final = stats.get("final")
    if isinstance(final, Mapping) and final.get("students_placed") != placed:
        problems.append(f"stats claim {final.get('students_placed')} students placed, the assignments place {placed}")
    optimal = stats.get("optimal") is True
    upper = stats.get("upper_bound")
    if not isinstance(upper, int) or isinstance(upper, bool) or upper < placed:
        problems.append(f"stats claim an upper bound ({upper!r}) below the number placed ({placed})")
    else:
        if optimal and upper != placed:
            problems.append(f"stats claim optimality but an upper bound of {upper} for {placed} placed")
        if "gap" in stats and stats.get("gap") != upper - placed:
            problems.append(f"stats claim a gap of {stats.get('gap')!r}, upper bound minus placed is {upper - placed}")
    exact = stats.get("exact") if isinstance(stats.get("exact"), Mapping) else {}
    mode = stats.get("mode", "fast")
    if mode == "exact" and "markets" in exact:
        n = exact.get("markets_count", "?")
        if optimal:
            text = (f"Solver claim ({exact.get('solver', 'exact mode')}; not re-verified by this check): "
                    f"{placed} placed is the maximum over all weakly stable matchings, proven in each of the "
                    f"{n} market(s).")
        else:
            text = (f"Solver claim ({exact.get('solver', 'exact mode')}; not re-verified by this check): "
                    f"not proven maximum; at most {upper} students can be placed; {exact.get('status', '')}.")
    elif mode == "exact":
        text = f"Exact mode not applied ({exact.get('status', 'unknown reason')})."
        if optimal:
            text += f" {placed} placed is nevertheless the maximum (no ties, or the maximum-matching bound is reached)."
    elif optimal:
        text = f"Fast mode: {placed} placed is the maximum (no ties, or the maximum-matching bound is reached)."
    else:
        text = f"Fast mode: optimality not proven; at most {upper} students can be placed (maximum-matching bound)."
    return text, problems



def _read_result(path: str) -> Any:
    from .instance import _read_json

    return _read_json(path, "result")
