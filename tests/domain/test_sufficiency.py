"""Tests for :mod:`siimop_app.domain.sufficiency` (SPEC §4)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siimop_app.domain.sufficiency import (
    MAX_HEARTS,
    MIN_WISHES,
    Sufficiency,
    check_sufficiency,
    required_wishes,
)


@pytest.mark.parametrize(
    ("posts", "expected"),
    [
        (0, 0),
        (1, 1),
        (3, 3),
        (4, 4),
        (19, 4),
        (20, 4),
        (21, 5),
        (25, 5),
        (26, 6),
        (100, 20),
    ],
)
def test_required_wishes_table(posts: int, expected: int) -> None:
    assert required_wishes(posts) == expected


@given(st.integers(min_value=0, max_value=10**12))
def test_required_wishes_formula(posts: int) -> None:
    got = required_wishes(posts)
    assert got == min(posts, max(MIN_WISHES, math.ceil(Fraction(posts, 5))))
    assert got <= posts
    assert got >= min(posts, MIN_WISHES)


@pytest.mark.parametrize("bad", [-1, True, 2.5, "4"])
def test_required_wishes_rejects_bad_input(bad: object) -> None:
    with pytest.raises(ValueError):
        required_wishes(bad)  # type: ignore[arg-type]


def test_sufficient_message() -> None:
    result = check_sufficiency(hearts=[1, 2, 3, 4, 5, 1, 0, 0], posts_offered=10)
    assert result == Sufficiency(
        sufficient=True,
        rated=6,
        required=4,
        missing=0,
        message="Votre liste est suffisante : 6 postes notés (minimum 4).",
    )


def test_insufficient_message() -> None:
    result = check_sufficiency(hearts=[3, 0, 5], posts_offered=10)
    assert result == Sufficiency(
        sufficient=False,
        rated=2,
        required=4,
        missing=2,
        message=(
            "Votre liste est insuffisante : il manque 2 poste(s) noté(s) d'au moins un cœur "
            "(4 requis, 2 notés). Elle ne sera pas prise en compte pour ce tour."
        ),
    )


def test_singular_agreement() -> None:
    assert check_sufficiency(hearts=[2], posts_offered=1).message == (
        "Votre liste est suffisante : 1 poste noté (minimum 1)."
    )
    assert check_sufficiency(hearts=[], posts_offered=10).message == (
        "Votre liste est insuffisante : il manque 4 poste(s) noté(s) d'au moins un cœur "
        "(4 requis, 0 noté). Elle ne sera pas prise en compte pour ce tour."
    )


def test_no_post_offered_needs_no_list() -> None:
    result = check_sufficiency(hearts=[], posts_offered=0)
    assert result.sufficient
    assert (result.rated, result.required, result.missing) == (0, 0, 0)
    assert result.message == (
        "Aucun poste n'est proposé dans votre spécialité : aucune liste n'est requise."
    )


def test_fewer_posts_than_minimum_is_reachable() -> None:
    assert check_sufficiency(hearts=[1, 1, 1], posts_offered=3).sufficient
    partial = check_sufficiency(hearts=[1, 0, 1], posts_offered=3)
    assert not partial.sufficient
    assert partial.missing == 1


def test_zero_hearts_do_not_count() -> None:
    result = check_sufficiency(hearts=[0] * 20, posts_offered=20)
    assert (result.sufficient, result.rated, result.missing) == (False, 0, 4)


def test_threshold_boundary_26_posts() -> None:
    assert not check_sufficiency(hearts=[1] * 5, posts_offered=26).sufficient
    assert check_sufficiency(hearts=[1] * 6, posts_offered=26).sufficient


@pytest.mark.parametrize("bad", [-1, 6, 10, True, 2.0, "3", None])
def test_invalid_heart_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="Note invalide"):
        check_sufficiency(hearts=[1, bad], posts_offered=10)  # type: ignore[list-item]


def test_posts_rated_beyond_those_offered_count_too() -> None:
    # The threshold counts the posts of the student's subdivision; wishes elsewhere still count.
    result = check_sufficiency(hearts=[1, 1, 1], posts_offered=2)
    assert result.sufficient and result.rated == 3
    assert result.message == "Votre liste est suffisante : 3 postes notés (minimum 2)."


def test_accepts_any_iterable() -> None:
    result = check_sufficiency(hearts=(h for h in [1, 2, 3, 4]), posts_offered=4)
    assert result.sufficient
    assert result.rated == 4


@given(
    posts=st.integers(min_value=0, max_value=200),
    data=st.data(),
)
def test_sufficiency_properties(posts: int, data: st.DataObject) -> None:
    hearts = data.draw(
        st.lists(st.integers(min_value=0, max_value=MAX_HEARTS), max_size=posts)
    )
    result = check_sufficiency(hearts=hearts, posts_offered=posts)
    rated = sum(1 for h in hearts if h > 0)
    assert result.rated == rated
    assert result.required == required_wishes(posts)
    assert result.missing == max(0, result.required - rated)
    assert result.sufficient == (rated >= result.required)
    assert result.sufficient == (result.missing == 0)
    assert result.message.startswith(
        ("Votre liste est suffisante", "Aucun poste")
        if result.sufficient
        else ("Votre liste est insuffisante",)
    )
    # Rating every offered post with at least one heart is always sufficient.
    assert check_sufficiency(hearts=[1] * posts, posts_offered=posts).sufficient


@given(
    hearts=st.lists(st.integers(min_value=0, max_value=MAX_HEARTS), max_size=30),
    extra=st.integers(min_value=1, max_value=MAX_HEARTS),
)
def test_adding_a_rated_post_never_hurts(hearts: list[int], extra: int) -> None:
    posts = len(hearts) + 1
    before = check_sufficiency(hearts=hearts, posts_offered=posts)
    after = check_sufficiency(hearts=[*hearts, extra], posts_offered=posts)
    assert after.rated == before.rated + 1
    assert after.missing <= before.missing
    assert not before.sufficient or after.sufficient
