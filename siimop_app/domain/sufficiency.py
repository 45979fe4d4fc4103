"""Sufficiency of a student's wish list (SPEC §4).

A student rates the posts offered to their specialty with 0 to 5 hearts. The
list is **sufficient** when at least :func:`required_wishes` posts carry one
heart or more; an insufficient list is not taken into account for the round.

Threshold
---------
``required = max(4, ceil(n / 5))`` where ``n`` is the number of posts offered
to the specialty (20 %, computed with integers as ``-(-n // 5)``).

Edge-case decisions
-------------------
* **Fewer posts than the minimum.** When the specialty offers fewer than 4
  posts, a student could never reach 4 rated posts. The threshold is therefore
  capped at the number of posts offered: ``required = min(n, max(4,
  ceil(n / 5)))``. With 3 posts, rating all 3 is sufficient.
* **No post offered** (``n = 0``). No list is required: ``required = 0`` and
  any (necessarily empty) list is sufficient, with a dedicated message.
* **Ratings** must be integers in ``0..5`` (``bool`` is rejected); anything
  else raises :class:`ValueError`. A post rated 0 hearts does not count.
* **More ratings than posts offered** is inconsistent input (each rating is
  for a distinct offered post) and raises :class:`ValueError`.

This module is pure: standard library only, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "MAX_HEARTS",
    "MIN_WISHES",
    "Sufficiency",
    "check_sufficiency",
    "required_wishes",
]

MAX_HEARTS = 5
"""Highest rating a student can give a post."""

MIN_WISHES = 4
"""Absolute minimum of rated posts (before capping by the posts offered)."""


@dataclass(frozen=True, slots=True)
class Sufficiency:
    """Outcome of :func:`check_sufficiency`.

    Attributes:
        sufficient: ``True`` when ``rated >= required``.
        rated: number of posts rated with at least one heart.
        required: threshold given by :func:`required_wishes`.
        missing: ``max(0, required - rated)``.
        message: plain French explanation for the student.
    """

    sufficient: bool
    rated: int
    required: int
    missing: int
    message: str


NO_SUFFICIENCY = Sufficiency(sufficient=False, rated=0, required=0, missing=0, message="")  # nothing known yet


def _validate_count(value: int, name: str) -> None:
    """Raise :class:`ValueError` unless ``value`` is an int >= 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"{name} doit être un entier positif ou nul "
            f"({name} must be a non-negative integer, got {value!r})."
        )


def required_wishes(posts_offered: int) -> int:
    """Return the number of posts that must be rated with at least one heart.

    ``min(n, max(4, ceil(n / 5)))`` -- see the module docstring.

    >>> [required_wishes(n) for n in (0, 1, 3, 4, 19, 20, 21, 25, 26, 100)]
    [0, 1, 3, 4, 4, 4, 5, 5, 6, 20]

    Raises:
        ValueError: if ``posts_offered`` is negative or not an integer.
    """
    _validate_count(posts_offered, "Le nombre de postes proposés")
    twenty_percent = -(-posts_offered // 5)
    return min(posts_offered, max(MIN_WISHES, twenty_percent))


def _noted(count: int) -> str:
    """Return "N poste noté" / "N postes notés" with French agreement (0 and 1 singular)."""
    return f"{count} poste noté" if count <= 1 else f"{count} postes notés"


def check_sufficiency(*, hearts: Iterable[int], posts_offered: int) -> Sufficiency:
    """Tell whether a wish list is sufficient.

    Args:
        hearts: the student's ratings, one per rated post, each in ``0..5``.
            Posts missing from the iterable count as not rated.
        posts_offered: number of posts offered to the student's specialty.

    Returns:
        A :class:`Sufficiency` with a French message such as
        "Votre liste est suffisante : 6 postes notés (minimum 4)."

    Raises:
        ValueError: if a rating is not an integer in ``0..5`` or if
            ``posts_offered`` is invalid.
    """
    required = required_wishes(posts_offered)
    ratings = list(hearts)
    for value in ratings:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_HEARTS:
            raise ValueError(
                f"Note invalide : {value!r} (attendu un nombre de cœurs entre 0 et {MAX_HEARTS}) "
                f"(invalid rating: expected an integer between 0 and {MAX_HEARTS})."
            )
    # More ratings than posts offered is fine: the posts offered are counted where the threshold
    # applies (the student's subdivision) while a student may also rate posts elsewhere.
    rated = sum(1 for value in ratings if value >= 1)
    missing = max(0, required - rated)
    sufficient = missing == 0
    if posts_offered == 0:
        message = "Aucun poste n'est proposé dans votre spécialité : aucune liste n'est requise."
    elif sufficient:
        message = f"Votre liste est suffisante : {_noted(rated)} (minimum {required})."
    else:
        rated_word = "noté" if rated <= 1 else "notés"
        message = (
            f"Votre liste est insuffisante : il manque {missing} poste(s) noté(s) "
            f"d'au moins un cœur ({required} requis, {rated} {rated_word}). "
            "Elle ne sera pas prise en compte pour ce tour."
        )
    return Sufficiency(
        sufficient=sufficient,
        rated=rated,
        required=required,
        missing=missing,
        message=message,
    )
