"""Explanations: why a student got their post (and not a better-rated one), why a
student stayed unplaced, why a place stayed empty.

All explanations are derived from the instance and the matching alone, so they hold
for any result, however it was produced; if the matching is not weakly stable, the
offending pairs are reported as such instead of being explained away.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .algorithms import current_hearts, members_of
from .instance import Compiled, Instance

# Student reason codes
EMPTY_LIST = "empty_list"
REFUSED = "refused"
OUTRANKED = "outranked"
# Post reason codes (for places left empty)
NO_CANDIDATES = "no_candidates"
NONE_RANKED = "none_ranked"
CANDIDATES_PLACED_HIGHER = "candidates_placed_higher"
CANDIDATES_PLACED_AS_HIGH = "candidates_placed_at_least_as_high"
INSTABLE = "blocking_pair"


@dataclass(frozen=True)
class Explanation:
    """Human-readable explanation for one student or one post.

    ``summary`` is one sentence; ``details`` one line per post (student) or per
    candidate (post); ``data`` is the same in machine-readable form.
    """

    kind: str  # "student" or "post"
    id: str
    summary: str
    details: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def to_text(self) -> str:
        lines = [f"{self.kind} {self.id}: {self.summary}"]
        lines += [f"  - {d}" for d in self.details]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "summary": self.summary,
                "details": list(self.details), "data": self.data}


def _hearts(n: int) -> str:
    return f"{n} heart" + ("s" if n != 1 else "")


class _Analysis:
    def __init__(self, c: Compiled, assign: list[int]):
        self.c = c
        self.assign = assign
        self.members = members_of(c, assign)
        self.cur_h = current_hearts(c, assign)
        rank = c.rank
        self.worst = [max((rank[p][s] for s in m), default=-1) for p, m in enumerate(self.members)]
        self._applicants: list[list[int]] | None = None

    def applicants(self, p: int) -> list[int]:
        """Students who gave p at least one heart, in student order."""
        if self._applicants is None:
            app: list[list[int]] = [[] for _ in self.c.cap]
            for s, wishes in enumerate(self.c.hearts):
                for q in wishes:
                    app[q].append(s)
            self._applicants = app
        return self._applicants[p]

    def post_status(self, s: int, p: int) -> tuple[str, str]:
        """(code, text) telling why student s is not at post p (p != assign[s])."""
        c = self.c
        pid = c.pids[p]
        if s not in c.rank[p]:
            return REFUSED, f"{pid}: refused / not ranked by its supervisor"
        if c.cap[p] == 0:
            return REFUSED, f"{pid}: offers no place"
        n = len(self.members[p])
        r = c.rank[p][s] + 1
        if n < c.cap[p]:
            return INSTABLE, f"{pid}: has a free place and ranks you #{r} (blocking pair!)"
        worst = self.worst[p] + 1
        if r < worst:
            return INSTABLE, (f"{pid}: ranks you #{r}, above its last assigned student "
                              f"(#{worst}) (blocking pair!)")
        return OUTRANKED, (f"{pid}: full, its {n} assigned student(s) are all ranked above you "
                           f"(you are #{r}, its last assigned is #{worst})")

    def student(self, s: int) -> Explanation:
        c = self.c
        sid = c.sids[s]
        wishes = c.hearts[s]
        p = self.assign[s]
        ordered = sorted(wishes.items(), key=lambda ph: (-ph[1], c.pids[ph[0]]))
        if p < 0:
            if not wishes:
                return Explanation("student", sid, "not placed: list empty (no post rated with at least one heart)",
                                   [], {"assigned": None, "reason": EMPTY_LIST, "posts": {}})
            details: list[str] = []
            posts: dict[str, str] = {}
            codes = set()
            for q, h in ordered:
                code, text = self.post_status(s, q)
                codes.add(code)
                posts[c.pids[q]] = code
                details.append(f"{text} [you rated it {_hearts(h)}]")
            refused = [c.pids[q] for q, _ in ordered if posts[c.pids[q]] == REFUSED]
            outranked = [c.pids[q] for q, _ in ordered if posts[c.pids[q]] == OUTRANKED]
            if INSTABLE in codes:
                reason, summary = INSTABLE, "not placed, although a post you rated would take you (result is not stable)"
            elif not outranked:
                reason = REFUSED
                summary = f"not placed: refused / not ranked (or no place) by every post you rated: {', '.join(refused)}"
            else:
                reason = OUTRANKED
                summary = (f"not placed: every post you rated that ranked you ({len(outranked)}) "
                           f"is full with students ranked above you")
                if refused:
                    summary += f"; refused / not ranked by {', '.join(refused)}"
            return Explanation("student", sid, summary, details,
                               {"assigned": None, "reason": reason, "posts": posts})
        hp = wishes[p]
        pid = c.pids[p]
        rp = c.rank[p][s] + 1
        details = []
        posts = {}
        better = [(q, h) for q, h in ordered if h > hp]
        equal = [(q, h) for q, h in ordered if h == hp and q != p]
        unstable = False
        for q, h in better:
            code, text = self.post_status(s, q)
            unstable |= code == INSTABLE
            posts[c.pids[q]] = code
            details.append(f"{text} [rated higher: {_hearts(h)}]")
        for q, h in equal:
            code, text = self.post_status(s, q)
            if code == INSTABLE:
                code = "tie"
                text = (f"{c.pids[q]}: rated equally ({_hearts(h)}); equally rated posts are "
                        f"interchangeable, the tie-break / optimisation chose {pid}")
            posts[c.pids[q]] = code
            details.append(text + ("" if code == "tie" else f" [rated equally: {_hearts(h)}]"))
        if not better:
            summary = f"placed at {pid} ({_hearts(hp)}, ranked #{rp}): no post rated higher"
        elif unstable:
            summary = f"placed at {pid} ({_hearts(hp)}), but a post rated higher would take you (not stable)"
        else:
            summary = (f"placed at {pid} ({_hearts(hp)}, ranked #{rp}); each of the "
                       f"{len(better)} post(s) rated higher refused you or is full with students ranked above you")
        return Explanation("student", sid, summary, details,
                           {"assigned": pid, "hearts": hp, "rank": rp,
                            "reason": INSTABLE if unstable else None, "posts": posts})

    def post(self, p: int) -> Explanation:
        c = self.c
        pid = c.pids[p]
        cap = c.cap[p]
        members = self.members[p]
        rank = c.rank[p]
        filled = len(members)
        free = cap - filled
        assigned = sorted(members, key=rank.__getitem__)
        details = [f"{c.sids[s]}: assigned (ranked #{rank[s] + 1}, rated it "
                   f"{_hearts(c.hearts[s][p])})" for s in assigned]
        applicants = self.applicants(p)
        ranked = sorted((s for s in applicants if s in rank and self.assign[s] != p), key=rank.__getitem__)
        unranked = [s for s in applicants if s not in rank]
        higher = equal = 0
        blocking: list[str] = []
        worst = self.worst[p]
        for s in ranked:
            q = self.assign[s]
            h = c.hearts[s][p]
            hq = self.cur_h[s]
            where = f"got {c.pids[q]} ({_hearts(hq)})" if q >= 0 else "not placed"
            if hq > h:
                higher += 1
                why = "rated that post higher"
            elif hq == h:
                equal += 1
                why = "rated that post equally"
            elif cap > 0 and (free > 0 or rank[s] < worst):
                blocking.append(c.sids[s])
                why = "would prefer this post and the supervisor would take them (blocking pair!)"
            else:
                why = "ranked below every assigned student"
            details.append(f"{c.sids[s]}: ranked #{rank[s] + 1}, rated it {_hearts(h)}, {where}: {why}")
        if unranked:
            details.append("rated it but refused / not ranked by the supervisor: "
                           + ", ".join(c.sids[s] for s in unranked))
        data: dict[str, Any] = {"places": cap, "filled": filled,
                                "assigned": [c.sids[s] for s in assigned], "reason": None}
        if free <= 0:
            summary = f"full: {filled}/{cap} place(s)"
            if assigned:
                summary += f", last assigned student ranked #{rank[assigned[-1]] + 1}"
            if cap == 0:
                summary = "offers no place"
        else:
            if blocking:
                reason, why = INSTABLE, f"candidates {', '.join(blocking)} would take it (result is not stable)"
            elif not applicants:
                reason, why = NO_CANDIDATES, "no candidates (nobody rated this post)"
            elif not ranked:
                other = "other " if members else ""
                reason, why = NONE_RANKED, (f"no {other}candidate accepted by the supervisor "
                                            f"({len(applicants)} applicant(s), {len(members)} ranked)")
            elif equal == 0:
                reason, why = CANDIDATES_PLACED_HIGHER, (
                    f"all {len(ranked)} other ranked candidate(s) got a post they rated higher")
            else:
                reason, why = CANDIDATES_PLACED_AS_HIGH, (
                    f"no ranked candidate preferred it: all {len(ranked)} other ranked candidate(s) got a post "
                    f"they rated at least as high ({equal} rated equally)")
            data["reason"] = reason
            summary = f"{free} of {cap} place(s) empty: {why}"
        return Explanation("post", pid, summary, details, data)


def explain_student(inst: Instance, result: Any, student_id: str) -> Explanation:
    """Why ``student_id`` got their post and not one they rated higher, or why they
    stayed unplaced. ``result`` is a :class:`Result` or its dict form.
    Raises InstanceError if the result is malformed or the id unknown."""
    from .check import assignment_from_result
    from .instance import InstanceError
    c = inst.compiled()
    if student_id not in c.sindex:
        raise InstanceError(f"unknown student {student_id!r}", context="")
    assign = assignment_from_result(inst, result)
    exp = _Analysis(c, assign).student(c.sindex[student_id])
    if exp.data.get("assigned") is None and exp.data.get("reason") != INSTABLE:
        exp = _with_market_note(c, result, c.sindex[student_id], exp)
    return exp


def _with_market_note(c: Compiled, result: Any, s: int, exp: Explanation) -> Explanation:
    """For an unplaced student: their market and, when the result proves it (exact mode),
    that no weakly stable matching places more students in that market. The claim is
    the solver's (read from the result's stats, matched to the market recomputed from the
    instance); stability itself is what :func:`~siimop_app.matching.check` verifies."""
    from .exact import markets

    to_dict = getattr(result, "to_dict", None)
    data = to_dict() if callable(to_dict) else result
    stats = data.get("stats") if isinstance(data, Mapping) else None
    exact = stats.get("exact") if isinstance(stats, Mapping) else None
    listed = exact.get("markets") if isinstance(exact, Mapping) else None
    if not isinstance(listed, list):
        return exp
    for i, (students, _) in enumerate(markets(c)):
        if s not in students:
            continue
        info = listed[i] if i < len(listed) and isinstance(listed[i], Mapping) else {}
        if info.get("first_student") != c.sids[students[0]]:
            return exp  # the stats do not describe this instance's markets: say nothing
        market = {"id": info.get("id"), "students": len(students), "placed": info.get("placed"),
                  "upper_bound": info.get("upper_bound"), "proven_optimal": info.get("proven_optimal") is True}
        details = list(exp.details)
        summary = exp.summary
        if market["proven_optimal"]:
            summary += (f"; no weakly stable matching places more students in your market "
                        f"({market['id']}: {market['placed']} of {len(students)} placed, proven maximum)")
            details.append(f"market {market['id']}: {market['placed']} of {len(students)} students placed; "
                           "the solver proved that no weakly stable matching places more, so placing you "
                           "would unplace someone else or create a blocking pair")
        else:
            details.append(f"market {market['id']}: {market['placed']} of {len(students)} students placed "
                           f"(not proven maximum: at most {market['upper_bound']})")
        return Explanation(exp.kind, exp.id, summary, details, {**exp.data, "market": market})
    return exp


def explain_post(inst: Instance, result: Any, post_id: str) -> Explanation:
    """Who got ``post_id`` and why each empty place stayed empty.
    ``result`` is a :class:`Result` or its dict form."""
    from .check import assignment_from_result
    from .instance import InstanceError
    c = inst.compiled()
    if post_id not in c.pindex:
        raise InstanceError(f"unknown post {post_id!r}", context="")
    assign = assignment_from_result(inst, result)
    return _Analysis(c, assign).post(c.pindex[post_id])


def reasons(c: Compiled, assign: list[int]) -> dict[str, Any]:
    """Compact explanations stored in a result: for each unplaced student and each
    post with empty places, a reason code and a one-line text."""
    a = _Analysis(c, assign)
    students: dict[str, Mapping[str, str]] = {}
    for s, p in enumerate(assign):
        if p < 0:
            e = a.student(s)
            students[e.id] = {"reason": e.data["reason"], "text": e.summary}
    posts: dict[str, Mapping[str, Any]] = {}
    for p, k in enumerate(c.cap):
        free = k - len(a.members[p])
        if free > 0:
            e = a.post(p)
            posts[e.id] = {"empty_places": free, "reason": e.data["reason"], "text": e.summary}
    return {"unassigned_students": students, "unfilled_posts": posts}
