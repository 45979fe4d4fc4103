"""Matching instance: validation, canonical form and compiled integer index.

An instance is a plain JSON-like dict::

    {"tie_break_seed": 42,
     "students": [{"id": "S1", "wishes": {"P1": 5, "P2": 5, "P3": 2}}],
     "posts": [{"id": "P1", "places": 2, "ranking": ["S7", "S1", "S4"]}]}

``Instance.from_dict`` validates it and raises :class:`InstanceError` with a
message naming every offending item. Extra fields are ignored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

MAX_HEARTS = 5
_MAX_REPORTED_ERRORS = 50


class InstanceError(ValueError):
    """A malformed instance (or result file). ``errors`` lists every problem found."""

    def __init__(self, errors: list[str] | str, context: str = "malformed instance"):
        if isinstance(errors, str):
            errors = [errors]
        self.errors: list[str] = list(errors)
        shown = self.errors[:_MAX_REPORTED_ERRORS]
        more = len(self.errors) - len(shown)
        msg = (f"{context}: " if context else "") + "; ".join(shown)
        if more > 0:
            msg += f"; ... and {more} more error(s)"
        super().__init__(msg)


@dataclass(frozen=True, slots=True)
class Student:
    """A Docteur Junior. ``wishes`` maps a post id to hearts 1..5 (zeros are dropped)."""

    id: str
    wishes: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Post:
    """A training post with ``places`` seats and a strict ``ranking`` (best first)."""

    id: str
    places: int
    ranking: tuple[str, ...]


def tie_break_key(seed: int, student_id: str, post_id: str) -> bytes:
    """Tie-break key of a (student, post) pair: among posts a student rated with the
    same hearts, the one with the smaller key is proposed to first.

    ``sha256(f"{seed}|{len(student_id)}|{student_id}|{post_id}")`` in UTF-8: the
    length prefix makes the encoding unambiguous whatever characters ids contain,
    and sha256 gives the same order on every platform and Python version (unlike
    ``hash()`` or ``random`` seeded with strings).
    """
    raw = f"{seed}|{len(student_id)}|{student_id}|{post_id}".encode("utf-8")
    return hashlib.sha256(raw).digest()


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _name(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False) if isinstance(v, str) else repr(v)


@dataclass(frozen=True)
class Instance:
    """A validated matching instance. Build it with :meth:`from_dict` or :meth:`load`."""

    students: tuple[Student, ...]
    posts: tuple[Post, ...]
    tie_break_seed: int = 0
    _compiled: "Compiled | None" = field(default=None, repr=False, compare=False)

    @staticmethod
    def from_dict(data: Any) -> "Instance":
        """Validate ``data`` (parsed JSON) and return an Instance.

        Raises InstanceError naming each offending item: unknown post in wishes,
        duplicate ids, hearts outside 0..5, places < 0, duplicate or unknown student
        in a ranking, wrong types. A missing ``wishes`` or ``ranking`` (or null) is an
        empty one; a missing ``tie_break_seed`` is 0.
        """
        errors: list[str] = []
        if not isinstance(data, Mapping):
            raise InstanceError(f"top level must be a JSON object, got {type(data).__name__}")
        seed = data.get("tie_break_seed", 0)
        if not _is_int(seed):
            errors.append(f"tie_break_seed must be an integer, got {_name(seed)}")
            seed = 0
        raw_students = data.get("students")
        raw_posts = data.get("posts")
        if not isinstance(raw_students, list):
            errors.append('"students" must be a list')
            raw_students = []
        if not isinstance(raw_posts, list):
            errors.append('"posts" must be a list')
            raw_posts = []

        post_entries: list[tuple[str, Any, Any]] = []
        post_ids: set[str] = set()
        for i, p in enumerate(raw_posts):
            where = f"posts[{i}]"
            if not isinstance(p, Mapping):
                errors.append(f"{where} must be an object")
                continue
            pid = p.get("id")
            if not isinstance(pid, str) or not pid:
                errors.append(f"{where}: id must be a non-empty string, got {_name(pid)}")
                continue
            if pid in post_ids:
                errors.append(f"duplicate post id {_name(pid)} ({where})")
                continue
            post_ids.add(pid)
            post_entries.append((pid, p.get("places"), p.get("ranking")))

        student_entries: list[tuple[str, Any]] = []
        student_ids: set[str] = set()
        for i, s in enumerate(raw_students):
            where = f"students[{i}]"
            if not isinstance(s, Mapping):
                errors.append(f"{where} must be an object")
                continue
            sid = s.get("id")
            if not isinstance(sid, str) or not sid:
                errors.append(f"{where}: id must be a non-empty string, got {_name(sid)}")
                continue
            if sid in student_ids:
                errors.append(f"duplicate student id {_name(sid)} ({where})")
                continue
            student_ids.add(sid)
            student_entries.append((sid, s.get("wishes")))

        students: list[Student] = []
        for sid, wishes in student_entries:
            who = f"student {_name(sid)}"
            if wishes is None:
                wishes = {}
            if not isinstance(wishes, Mapping):
                errors.append(f"{who}: wishes must be an object mapping post id to hearts")
                continue
            clean: dict[str, int] = {}
            for pid, hearts in wishes.items():
                if pid not in post_ids:
                    errors.append(f"{who}: wish for unknown post {_name(pid)}")
                    continue
                if not _is_int(hearts) or not 0 <= hearts <= MAX_HEARTS:
                    errors.append(
                        f"{who}: hearts for post {_name(pid)} must be an integer in 0..{MAX_HEARTS}, "
                        f"got {_name(hearts)}"
                    )
                    continue
                if hearts > 0:
                    clean[pid] = hearts
            students.append(Student(sid, clean))

        posts: list[Post] = []
        for pid, places, ranking in post_entries:
            what = f"post {_name(pid)}"
            if not _is_int(places):
                errors.append(f"{what}: places must be an integer, got {_name(places)}")
                continue
            if places < 0:
                errors.append(f"{what}: places must be >= 0, got {places}")
                continue
            if ranking is None:
                ranking = []
            if not isinstance(ranking, list):
                errors.append(f"{what}: ranking must be a list of student ids")
                continue
            seen: set[str] = set()
            ok = True
            for pos, sid in enumerate(ranking, start=1):
                if not isinstance(sid, str):
                    errors.append(f"{what}: ranking position {pos} is not a student id: {_name(sid)}")
                    ok = False
                elif sid in seen:
                    errors.append(f"{what}: student {_name(sid)} appears twice in the ranking")
                    ok = False
                elif sid not in student_ids:
                    errors.append(f"{what}: ranking names unknown student {_name(sid)}")
                    ok = False
                else:
                    seen.add(sid)
            if ok:
                posts.append(Post(pid, places, tuple(ranking)))

        if errors:
            raise InstanceError(errors)
        return Instance(tuple(students), tuple(posts), seed)

    @staticmethod
    def load(path: str | Path) -> "Instance":
        """Read and validate a JSON instance file (InstanceError on any problem)."""
        return Instance.from_dict(_read_json(path, "instance"))

    def to_dict(self) -> dict[str, Any]:
        """Canonical dict form (zero-heart wishes dropped, extra fields gone)."""
        return {
            "tie_break_seed": self.tie_break_seed,
            "students": [{"id": s.id, "wishes": dict(s.wishes)} for s in self.students],
            "posts": [{"id": p.id, "places": p.places, "ranking": list(p.ranking)} for p in self.posts],
        }

    def has_ties(self) -> bool:
        """True if some student gave the same hearts to two acceptable posts."""
        return self.compiled().has_ties

    def compiled(self) -> "Compiled":
        """Integer-indexed form used by the algorithms (built once, cached)."""
        c = self._compiled
        if c is None:
            c = Compiled(self)
            object.__setattr__(self, "_compiled", c)
        return c


def _read_json(path: str | Path, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as exc:
        raise InstanceError(f"cannot read {what} file {str(path)!r}: {exc.strerror or exc}", context="") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InstanceError(f"{what} file {str(path)!r} is not valid JSON: {exc}", context="") from None


class Compiled:
    """Students and posts as integers 0..n-1 (input order).

    A pair (s, p) is *acceptable* when s gave p at least one heart, p ranks s and
    p has at least one place: only such pairs can be assigned or block.
    ``prefs[s]`` lists s's acceptable posts best first, equal hearts ordered by
    :func:`tie_break_key`; ``plists[p]`` lists p's acceptable students best first.
    """

    __slots__ = (
        "sids", "pids", "sindex", "pindex", "cap", "hearts", "rank", "prefs",
        "plists", "has_ties", "seed",
    )

    def __init__(self, inst: Instance):
        self.seed = inst.tie_break_seed
        self.sids = [s.id for s in inst.students]
        self.pids = [p.id for p in inst.posts]
        sindex = {sid: i for i, sid in enumerate(self.sids)}
        pindex = {pid: i for i, pid in enumerate(self.pids)}
        self.sindex = sindex
        self.pindex = pindex
        self.cap = [p.places for p in inst.posts]
        # hearts[s]: post index -> hearts (>= 1) for every wish, acceptable or not
        self.hearts: list[dict[int, int]] = [
            {pindex[pid]: h for pid, h in s.wishes.items()} for s in inst.students
        ]
        self.rank: list[dict[int, int]] = [
            {sindex[sid]: r for r, sid in enumerate(p.ranking)} for p in inst.posts
        ]
        seed = inst.tie_break_seed
        rank = self.rank
        cap = self.cap
        pids = self.pids
        has_ties = False
        prefs: list[list[int]] = []
        for s, wishes in enumerate(self.hearts):
            acc = [(h, p) for p, h in wishes.items() if cap[p] > 0 and s in rank[p]]
            levels = [h for h, _ in acc]
            if len(set(levels)) != len(levels):
                has_ties = True
                sid = self.sids[s]
                acc.sort(key=lambda hp: (-hp[0], tie_break_key(seed, sid, pids[hp[1]])))
            else:
                acc.sort(key=lambda hp: -hp[0])
            prefs.append([p for _, p in acc])
        self.prefs = prefs
        self.has_ties = has_ties
        plists: list[list[int]] = [[] for _ in self.pids]
        for s, pl in enumerate(prefs):
            for p in pl:
                plists[p].append(s)
        for p, lst in enumerate(plists):
            rp = rank[p]
            lst.sort(key=rp.__getitem__)
        self.plists = plists

    @property
    def n_students(self) -> int:
        return len(self.sids)

    @property
    def n_posts(self) -> int:
        return len(self.pids)
