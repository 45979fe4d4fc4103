"""Validity rules for a supervisor's ranking of the candidates of one post (SPEC §5).

A supervisor sorts the candidates of a post into three lists:

* ``unranked`` -- candidates not yet placed (the initial state);
* ``ranked``   -- candidates in preference order (index 0 is rank 1);
* ``refused``  -- candidates the supervisor does not want ("non-retenues").

A ranking is **valid** only when every rule below holds. An invalid ranking is
not taken into account by the matching; the UI then shows :data:`BANNER`
followed by one French message per failing rule (see :class:`RankingCheck`).

Rules
-----
1. *Completeness* -- no candidate is left unranked
   (:data:`MSG_UNRANKED_LEFT`).

2. *80 % rule* -- at least 80 % of the candidates are ranked:
   ``ranked * 5 >= candidates * 4`` with exact integer arithmetic, i.e. at
   least :func:`min_ranked` ``= ceil(4 n / 5)`` of the ``n`` candidates. Hence
   refusing a single candidate requires at least 5 candidates (1 of 4 is
   invalid, 1 of 5 is valid).

   *Decision:* this rule is evaluated as a limit on **refusals**
   (``n - refused >= min_ranked(n)``). Once rule 1 holds (nothing unranked)
   this is exactly "ranked >= 80 %"; while candidates are still unranked it
   avoids blaming the supervisor twice for the same fault. The seed deck
   (two unranked candidates) shows only the completeness and subdivision
   messages, which this formulation reproduces. Validity itself is unaffected:
   a valid ranking has nothing unranked, so both readings coincide.

3. *Subdivision priority* -- applies when the post has at least one *local*
   candidate (a candidate from the post's subdivision) and ``places >= 1``:

   a. the first rank holds a local candidate (:data:`MSG_FIRST_RANK_LOCAL`);
   b. the first ``p = places`` ranks hold at least
      ``k = min(local_count, 1 + (p - 1) // 2)`` local candidates
      (:func:`min_local_in_top`, message :func:`top_ranks_message`).

Edge-case decisions
-------------------
* **Which local candidates count.** ``local_count`` counts *all* local
  candidates of the post, whether ranked, unranked or refused. Counting only
  non-refused ones would let a supervisor dodge the rule by refusing the
  locals. Refusals are limited by rule 2 anyway, and a local may still be
  refused when enough other locals occupy the top ranks.
* **Fewer ranks than places.** When ``p`` exceeds the number of ranked
  candidates, "the first ``p`` ranks" are simply all the ranks. ``k`` is *not*
  capped by the number of ranked candidates: an incomplete ranking that lacks
  local candidates at the top is reported (the seed deck with nothing ranked
  and ``p = 1`` shows the message "Les 1 premiers rangs ... au moins 1 ...").
  ``k`` never exceeds ``local_count <= n``, so a valid ranking always exists:
  rank everybody, local candidates first.
* **p = 1.** Rules 3a and 3b then say the same thing (``k = 1``); only the
  "premiers rangs" message is emitted, as in the seed deck. For ``p >= 2``
  both messages may appear, each when its own condition fails. An empty first
  rank (nothing ranked yet) does not hold a local candidate.
* **p = 0.** A post without places assigns nobody, so rule 3 does not apply
  (``min_local_in_top(0, x) == 0``); rules 1 and 2 still do.
* **0 candidates.** Trivially valid: nothing to rank.
* **All candidates refused** (``n >= 1``). Always invalid through rule 2
  (and rule 3 if a local exists).
* **1 candidate.** It must be ranked (refusing it breaks rule 2); if it is
  local it is necessarily first.

Structural integrity (a student present twice across the three lists, a
negative number of places) is not a validity rule but forged or corrupted
input: :func:`validate_structure` raises :class:`RankingStructureError`
(a :class:`ValueError`), and :func:`check_ranking` calls it first.

This module is pure: standard library only, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "BANNER",
    "MSG_FIRST_RANK_LOCAL",
    "MSG_UNRANKED_LEFT",
    "Candidate",
    "RankingCheck",
    "RankingStructureError",
    "check_ranking",
    "min_local_in_top",
    "min_ranked",
    "min_ranked_message",
    "top_ranks_message",
    "validate_structure",
]

StudentId = int | str
"""Identifier of a student (database id or any stable key)."""

BANNER = "Attention, votre classement n'est pas valide, il ne sera pas pris en compte."
"""Red banner shown above the list of problems of an invalid ranking."""

MSG_UNRANKED_LEFT = "Il ne doit pas rester de candidatures non-classées."
"""Rule 1: some candidates are still unranked."""

MSG_FIRST_RANK_LOCAL = "Seul un candidat de la subdivision du poste peut être classé en premier."
"""Rule 3a: a local candidate exists but rank 1 does not hold one."""


def min_ranked_message(*, required: int, candidate_count: int) -> str:
    """Return the French message of rule 2 (80 % of candidates ranked).

    Args:
        required: minimum number of ranked candidates (:func:`min_ranked`).
        candidate_count: total number of candidates of the post.
    """
    return (
        "Au moins 80 % des candidatures doivent être classées "
        f"(ici au moins {required} sur {candidate_count})."
    )


def top_ranks_message(*, places: int, required_local: int) -> str:
    """Return the French message of rule 3b (local candidates in the top ranks).

    Args:
        places: number of places ``p`` of the post.
        required_local: minimum number ``k`` of local candidates required in
            the first ``p`` ranks (:func:`min_local_in_top`).
    """
    return (
        f"Les {places} premiers rangs du classement doivent contenir au moins "
        f"{required_local} étudiant(s) de votre subdivision"
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A candidate of the ranked post.

    Attributes:
        student_id: identifier of the student; unique across the three lists.
        is_local: ``True`` when the student belongs to the post's subdivision.
    """

    student_id: StudentId
    is_local: bool


@dataclass(frozen=True, slots=True)
class RankingCheck:
    """Outcome of :func:`check_ranking`.

    Attributes:
        valid: ``True`` when every rule holds (then ``problems`` is empty).
        problems: French messages of the failing rules, in rule order
            (completeness, 80 %, first rank, top ``p`` ranks).
    """

    valid: bool
    problems: tuple[str, ...]


class RankingStructureError(ValueError):
    """Raised for structurally impossible (forged or corrupted) ranking input."""


def _check_non_negative_int(value: int, name: str) -> None:
    """Raise :class:`RankingStructureError` unless ``value`` is an int >= 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RankingStructureError(
            f"Classement invalide : {name} doit être un entier "
            f"(invalid ranking: {name} must be an integer, got {value!r})."
        )
    if value < 0:
        raise RankingStructureError(
            f"Classement invalide : {name} ne peut pas être négatif ({value}) "
            f"(invalid ranking: {name} must be >= 0, got {value})."
        )


def min_ranked(candidate_count: int) -> int:
    """Return the minimum number of ranked candidates (rule 2).

    That is ``ceil(4 * n / 5)`` computed with integers: the smallest ``r``
    with ``r * 5 >= n * 4``.

    >>> [min_ranked(n) for n in range(7)]
    [0, 1, 2, 3, 4, 4, 5]

    Raises:
        ValueError: if ``candidate_count`` is negative or not an integer.
    """
    _check_non_negative_int(candidate_count, "le nombre de candidatures")
    return -((-4 * candidate_count) // 5)


def min_local_in_top(places: int, local_count: int) -> int:
    """Return ``k``, the minimum number of local candidates in the top ranks.

    ``k = min(local_count, 1 + (places - 1) // 2)`` for ``places >= 1`` and
    ``0`` when ``places == 0`` (no place, no priority).

    >>> [min_local_in_top(p, 10) for p in range(7)]
    [0, 1, 1, 2, 2, 3, 3]
    >>> min_local_in_top(5, 1)
    1

    Raises:
        ValueError: if an argument is negative or not an integer.
    """
    _check_non_negative_int(places, "le nombre de places")
    _check_non_negative_int(local_count, "le nombre de candidats de la subdivision")
    if places == 0:
        return 0
    return min(local_count, 1 + (places - 1) // 2)


def validate_structure(
    *,
    places: int,
    ranked: Sequence[Candidate],
    unranked: Sequence[Candidate],
    refused: Sequence[Candidate],
) -> None:
    """Refuse structurally impossible input (used by the service layer).

    Checks that ``places`` is a non-negative integer and that no student
    appears more than once across ``ranked``, ``unranked`` and ``refused``
    (including twice in the same list).

    Raises:
        RankingStructureError: with a precise French message (English
            explanation in parentheses) naming the offending value.
    """
    _check_non_negative_int(places, "le nombre de places")
    seen: dict[StudentId, str] = {}
    for list_name, candidates in (
        ("classées", ranked),
        ("non-classées", unranked),
        ("non-retenues", refused),
    ):
        for candidate in candidates:
            sid = candidate.student_id
            if sid in seen:
                raise RankingStructureError(
                    f"Classement invalide : l'étudiant {sid!r} apparaît deux fois "
                    f"(candidatures {seen[sid]} et {list_name}) "
                    f"(invalid ranking: student {sid!r} appears more than once)."
                )
            seen[sid] = list_name


def check_ranking(
    *,
    places: int,
    ranked: Sequence[Candidate],
    unranked: Sequence[Candidate],
    refused: Sequence[Candidate],
) -> RankingCheck:
    """Check a ranking against the SPEC §5 rules (see the module docstring).

    Args:
        places: number of places ``p`` offered by the post.
        ranked: ranked candidates, best first (index 0 is rank 1).
        unranked: candidates not yet ranked.
        refused: candidates refused by the supervisor ("non-retenues").

    Returns:
        A :class:`RankingCheck` whose ``problems`` lists the French message of
        each failing rule, in rule order.

    Raises:
        RankingStructureError: if the input is structurally impossible
            (see :func:`validate_structure`).
    """
    validate_structure(places=places, ranked=ranked, unranked=unranked, refused=refused)
    candidate_count = len(ranked) + len(unranked) + len(refused)
    problems: list[str] = []

    # Rule 1: completeness.
    if unranked:
        problems.append(MSG_UNRANKED_LEFT)

    # Rule 2: at least 80 % ranked, evaluated as a cap on refusals.
    required_ranked = min_ranked(candidate_count)
    if candidate_count - len(refused) < required_ranked:
        problems.append(
            min_ranked_message(required=required_ranked, candidate_count=candidate_count)
        )

    # Rule 3: subdivision priority.
    local_count = sum(1 for c in (*ranked, *unranked, *refused) if c.is_local)
    required_local = min_local_in_top(places, local_count)
    if required_local > 0:
        first_is_local = bool(ranked) and ranked[0].is_local
        if places >= 2 and not first_is_local:
            problems.append(MSG_FIRST_RANK_LOCAL)
        local_in_top = sum(1 for c in ranked[:places] if c.is_local)
        if local_in_top < required_local:
            problems.append(top_ranks_message(places=places, required_local=required_local))

    return RankingCheck(valid=not problems, problems=tuple(problems))
