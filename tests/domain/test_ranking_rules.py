"""Tests for :mod:`siimop_app.domain.ranking_rules` (SPEC §5)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siimop_app.domain.ranking_rules import (
    BANNER,
    MSG_FIRST_RANK_LOCAL,
    MSG_UNRANKED_LEFT,
    Candidate,
    RankingCheck,
    RankingStructureError,
    check_ranking,
    min_local_in_top,
    min_ranked,
    min_ranked_message,
    top_ranks_message,
    validate_structure,
)

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def make(flags: Sequence[bool], start: int = 0) -> list[Candidate]:
    """Build candidates with consecutive ids from a sequence of local flags."""
    return [Candidate(student_id=start + i, is_local=flag) for i, flag in enumerate(flags)]


def lists(
    ranked: Sequence[bool], unranked: Sequence[bool] = (), refused: Sequence[bool] = ()
) -> dict[str, list[Candidate]]:
    """Build the three lists with distinct ids."""
    r = make(ranked, 0)
    u = make(unranked, len(r))
    f = make(refused, len(r) + len(u))
    return {"ranked": r, "unranked": u, "refused": f}


def reference(
    places: int, ranked: Sequence[bool], unranked: Sequence[bool], refused: Sequence[bool]
) -> tuple[str, ...]:
    """Straightforward, independent re-statement of the rules (see module doc)."""
    n = len(ranked) + len(unranked) + len(refused)
    locals_total = sum(ranked) + sum(unranked) + sum(refused)
    out: list[str] = []
    if len(unranked) > 0:
        out.append("Il ne doit pas rester de candidatures non-classées.")
    # 80 % ranked once nothing is unranked <=> at most 20 % refused.
    if Fraction(len(refused)) > Fraction(n, 5):
        k80 = math.ceil(Fraction(4 * n, 5))
        out.append(
            "Au moins 80 % des candidatures doivent être classées "
            f"(ici au moins {k80} sur {n})."
        )
    if places >= 1 and locals_total >= 1:
        k = min(locals_total, math.ceil(places / 2))
        if places >= 2 and (len(ranked) == 0 or not ranked[0]):
            out.append("Seul un candidat de la subdivision du poste peut être classé en premier.")
        top = ranked[:places]
        if sum(1 for flag in top if flag) < k:
            out.append(
                f"Les {places} premiers rangs du classement doivent contenir au moins "
                f"{k} étudiant(s) de votre subdivision"
            )
    return tuple(out)


def reference_valid(
    places: int, ranked: Sequence[bool], unranked: Sequence[bool], refused: Sequence[bool]
) -> bool:
    """Validity as literally stated by the SPEC (ranked >= 80 % of candidates)."""
    n = len(ranked) + len(unranked) + len(refused)
    locals_total = sum(ranked) + sum(unranked) + sum(refused)
    if unranked:
        return False
    if n and Fraction(len(ranked), n) < Fraction(4, 5):
        return False
    if places >= 1 and locals_total:
        if not ranked or not ranked[0]:
            return False
        k = min(locals_total, (places + 1) // 2)
        if sum(ranked[:places]) < k:
            return False
    return True


def all_configurations(max_candidates: int) -> Iterator[tuple[tuple[bool, ...], int, int, int, int]]:
    """Yield (ranked flags, unranked count, unranked locals, refused count, refused locals).

    Only the order of the ranked list matters; unranked / refused lists are
    described by their size and number of local candidates.
    """
    for total in range(max_candidates + 1):
        for r in range(total + 1):
            for u in range(total - r + 1):
                f = total - r - u
                for ranked in itertools.product((False, True), repeat=r):
                    for ul in range(u + 1):
                        for fl in range(f + 1):
                            yield ranked, u, ul, f, fl


# --------------------------------------------------------------------------
# Seed deck and messages
# --------------------------------------------------------------------------


def test_banner_and_messages_exact_text() -> None:
    assert BANNER == "Attention, votre classement n'est pas valide, il ne sera pas pris en compte."
    assert MSG_UNRANKED_LEFT == "Il ne doit pas rester de candidatures non-classées."
    assert MSG_FIRST_RANK_LOCAL == (
        "Seul un candidat de la subdivision du poste peut être classé en premier."
    )
    assert top_ranks_message(places=1, required_local=1) == (
        "Les 1 premiers rangs du classement doivent contenir au moins 1 étudiant(s) "
        "de votre subdivision"
    )
    assert min_ranked_message(required=4, candidate_count=5) == (
        "Au moins 80 % des candidatures doivent être classées (ici au moins 4 sur 5)."
    )


def test_seed_deck_two_unranked_one_local_one_place() -> None:
    local = Candidate(student_id="local", is_local=True)
    lille = Candidate(student_id="lille", is_local=False)
    result = check_ranking(places=1, ranked=[], unranked=[local, lille], refused=[])
    assert result == RankingCheck(
        valid=False,
        problems=(
            "Il ne doit pas rester de candidatures non-classées.",
            "Les 1 premiers rangs du classement doivent contenir au moins 1 étudiant(s) "
            "de votre subdivision",
        ),
    )


def test_seed_deck_fixed_by_ranking_local_first() -> None:
    local = Candidate(student_id="local", is_local=True)
    lille = Candidate(student_id="lille", is_local=False)
    assert check_ranking(places=1, ranked=[local, lille], unranked=[], refused=[]).valid
    bad = check_ranking(places=1, ranked=[lille, local], unranked=[], refused=[])
    assert bad.problems == (top_ranks_message(places=1, required_local=1),)


# --------------------------------------------------------------------------
# Edge cases
# --------------------------------------------------------------------------


@pytest.mark.parametrize("places", [0, 1, 3])
def test_zero_candidates_is_valid(places: int) -> None:
    assert check_ranking(places=places, ranked=[], unranked=[], refused=[]) == RankingCheck(
        valid=True, problems=()
    )


@pytest.mark.parametrize("is_local", [False, True])
def test_single_candidate(is_local: bool) -> None:
    assert check_ranking(places=1, **lists([is_local])).valid
    refused = check_ranking(places=1, **lists([], refused=[is_local]))
    assert not refused.valid
    assert min_ranked_message(required=1, candidate_count=1) in refused.problems


def test_all_refused_is_invalid() -> None:
    result = check_ranking(places=2, **lists([], refused=[True, False, False]))
    assert result.problems == (
        min_ranked_message(required=3, candidate_count=3),
        MSG_FIRST_RANK_LOCAL,
        top_ranks_message(places=2, required_local=1),
    )


def test_refusing_one_of_four_invalid_one_of_five_valid() -> None:
    four = check_ranking(places=1, **lists([False] * 3, refused=[False]))
    assert four.problems == (min_ranked_message(required=4, candidate_count=4),)
    five = check_ranking(places=1, **lists([False] * 4, refused=[False]))
    assert five.valid
    # Two of ten is fine, three of ten is not.
    assert check_ranking(places=1, **lists([False] * 8, refused=[False] * 2)).valid
    assert not check_ranking(places=1, **lists([False] * 7, refused=[False] * 3)).valid


def test_places_exceed_candidates_means_all_ranks() -> None:
    # p = 7 -> k = min(2 locals, 4) = 2; both locals are in the (only) 3 ranks.
    assert check_ranking(places=7, **lists([True, False, True])).valid
    # Only 1 local: k = 1.
    assert check_ranking(places=7, **lists([True, False, False])).valid
    # Local not first with p >= 2 -> first-rank message only (count is fine).
    result = check_ranking(places=7, **lists([False, True, True]))
    assert result.problems == (MSG_FIRST_RANK_LOCAL,)


def test_places_zero_disables_subdivision_priority() -> None:
    assert check_ranking(places=0, **lists([False, True])).valid


def test_no_local_candidate_no_priority() -> None:
    assert check_ranking(places=3, **lists([False, False, False])).valid


def test_refused_local_still_counts() -> None:
    # The only local is refused: supervisors cannot dodge the priority rule.
    result = check_ranking(places=1, **lists([False] * 4, refused=[True]))
    assert result.problems == (top_ranks_message(places=1, required_local=1),)
    # With another local on top, refusing a local is allowed.
    assert check_ranking(places=1, **lists([True, False, False, False], refused=[True])).valid


def test_top_ranks_count_for_several_places() -> None:
    # p = 4 -> k = min(3, 2) = 2 locals among the first 4 ranks.
    ok = lists([True, False, False, True, True])
    assert check_ranking(places=4, **ok).valid
    bad = check_ranking(places=4, **lists([True, False, False, False, True, True]))
    assert bad.problems == (top_ranks_message(places=4, required_local=2),)
    both = check_ranking(places=4, **lists([False, False, False, True, True, True]))
    assert both.problems == (MSG_FIRST_RANK_LOCAL, top_ranks_message(places=4, required_local=2))


def test_p1_emits_single_message_not_first_rank_message() -> None:
    result = check_ranking(places=1, **lists([False, True]))
    assert MSG_FIRST_RANK_LOCAL not in result.problems
    assert result.problems == (top_ranks_message(places=1, required_local=1),)


def test_problems_in_rule_order() -> None:
    result = check_ranking(places=3, **lists([False], unranked=[True], refused=[False, False]))
    assert result.problems == (
        MSG_UNRANKED_LEFT,
        min_ranked_message(required=4, candidate_count=4),
        MSG_FIRST_RANK_LOCAL,
        top_ranks_message(places=3, required_local=1),
    )


# --------------------------------------------------------------------------
# Arithmetic helpers
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 4), (6, 5), (9, 8), (10, 8), (11, 9), (100, 80)],
)
def test_min_ranked_table(n: int, expected: int) -> None:
    assert min_ranked(n) == expected


@given(st.integers(min_value=0, max_value=10**12))
def test_min_ranked_is_smallest_80_percent(n: int) -> None:
    r = min_ranked(n)
    assert r * 5 >= n * 4
    assert r == 0 or (r - 1) * 5 < n * 4


@pytest.mark.parametrize(
    ("places", "locals_", "expected"),
    [(0, 5, 0), (1, 0, 0), (1, 5, 1), (2, 5, 1), (3, 5, 2), (4, 5, 2), (5, 5, 3), (5, 1, 1), (7, 2, 2)],
)
def test_min_local_in_top_table(places: int, locals_: int, expected: int) -> None:
    assert min_local_in_top(places, locals_) == expected


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=0, max_value=10**9))
def test_min_local_in_top_formula(places: int, locals_: int) -> None:
    assert min_local_in_top(places, locals_) == min(locals_, -(-places // 2))


@pytest.mark.parametrize("bad", [-1, True, 1.5, "3"])
def test_helpers_reject_bad_numbers(bad: object) -> None:
    with pytest.raises(ValueError):
        min_ranked(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        min_local_in_top(bad, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        min_local_in_top(1, bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Structural integrity
# --------------------------------------------------------------------------


def test_duplicate_student_across_lists_rejected() -> None:
    a = Candidate(student_id=1, is_local=True)
    with pytest.raises(RankingStructureError, match="apparaît deux fois"):
        validate_structure(places=1, ranked=[a], unranked=[], refused=[a])
    with pytest.raises(RankingStructureError):
        check_ranking(places=1, ranked=[a], unranked=[a], refused=[])


def test_duplicate_student_in_same_list_rejected() -> None:
    a = Candidate(student_id="x", is_local=False)
    b = Candidate(student_id="x", is_local=True)  # same student, forged flag
    with pytest.raises(ValueError, match="'x'"):
        validate_structure(places=1, ranked=[a, b], unranked=[], refused=[])


@pytest.mark.parametrize("places", [-1, True, 2.0])
def test_bad_places_rejected(places: object) -> None:
    with pytest.raises(RankingStructureError, match="nombre de places"):
        check_ranking(places=places, ranked=[], unranked=[], refused=[])  # type: ignore[arg-type]


def test_structure_error_is_value_error() -> None:
    assert issubclass(RankingStructureError, ValueError)


def test_valid_structure_returns_none() -> None:
    assert validate_structure(places=2, **lists([True], [False], [True])) is None


# --------------------------------------------------------------------------
# Exhaustive comparison with the reference re-statement
# --------------------------------------------------------------------------


def test_exhaustive_small_cases_match_reference() -> None:
    checked = 0
    for ranked, u, ul, f, fl in all_configurations(6):
        unranked = (True,) * ul + (False,) * (u - ul)
        refused = (True,) * fl + (False,) * (f - fl)
        built = lists(ranked, unranked, refused)
        for places in range(8):
            result = check_ranking(places=places, **built)
            expected = reference(places, ranked, unranked, refused)
            assert result.problems == expected, (places, ranked, unranked, refused)
            assert result.valid == (not expected)
            assert result.valid == reference_valid(places, ranked, unranked, refused)
            checked += 1
    assert checked == 8 * 1486  # every distinct configuration of <= 6 candidates


def test_exhaustive_raw_assignments_match_reference() -> None:
    """Every candidate independently in any list with any flag (n <= 5)."""
    checked = 0
    for n in range(6):
        for slots in itertools.product(
            [(where, flag) for where in range(3) for flag in (False, True)], repeat=n
        ):
            groups: tuple[list[Candidate], list[Candidate], list[Candidate]] = ([], [], [])
            for student_id, (where, flag) in enumerate(slots):
                groups[where].append(Candidate(student_id=student_id, is_local=flag))
            ranked, unranked, refused = (tuple(c.is_local for c in g) for g in groups)
            for places in range(8):
                result = check_ranking(
                    places=places, ranked=groups[0], unranked=groups[1], refused=groups[2]
                )
                assert result.problems == reference(places, ranked, unranked, refused)
                checked += 1
    assert checked == 8 * sum(6**n for n in range(6))


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

flags_st = st.lists(st.booleans(), max_size=12)


@given(flags=flags_st, places=st.integers(min_value=0, max_value=15))
def test_a_valid_ranking_always_exists(flags: list[bool], places: int) -> None:
    """Ranking everybody, local candidates first, is always valid."""
    ordered = sorted(flags, reverse=True)
    assert check_ranking(places=places, **lists(ordered)).valid


@given(
    ranked=flags_st,
    unranked=flags_st,
    refused=flags_st,
    places=st.integers(min_value=0, max_value=15),
    data=st.data(),
)
def test_order_of_unranked_and_refused_is_irrelevant(
    ranked: list[bool],
    unranked: list[bool],
    refused: list[bool],
    places: int,
    data: st.DataObject,
) -> None:
    built = lists(ranked, unranked, refused)
    base = check_ranking(places=places, **built)
    shuffled = {
        "ranked": built["ranked"],
        "unranked": data.draw(st.permutations(built["unranked"])),
        "refused": data.draw(st.permutations(built["refused"])),
    }
    assert check_ranking(places=places, **shuffled) == base
    assert base.valid == (not base.problems)
    assert base.valid == reference_valid(places, ranked, unranked, refused)


@given(ranked=flags_st, refused=flags_st, places=st.integers(min_value=0, max_value=15))
def test_matches_reference_on_larger_inputs(
    ranked: list[bool], refused: list[bool], places: int
) -> None:
    result = check_ranking(places=places, **lists(ranked, (), refused))
    assert result.problems == reference(places, ranked, (), refused)


@given(flags=st.lists(st.booleans(), min_size=1, max_size=12), places=st.integers(0, 15))
def test_unranking_anyone_invalidates(flags: list[bool], places: int) -> None:
    built = lists(flags[:-1], flags[-1:])
    result = check_ranking(places=places, **built)
    assert not result.valid
    assert result.problems[0] == MSG_UNRANKED_LEFT


@given(
    ids=st.lists(st.one_of(st.integers(), st.text(max_size=3)), min_size=1, max_size=8, unique=True),
    data=st.data(),
)
def test_any_duplicate_is_detected(ids: list[int | str], data: st.DataObject) -> None:
    candidates = [Candidate(student_id=i, is_local=False) for i in ids]
    dup = data.draw(st.sampled_from(candidates))
    pool = [*candidates, dup]
    cut1 = data.draw(st.integers(0, len(pool)))
    cut2 = data.draw(st.integers(cut1, len(pool)))
    with pytest.raises(RankingStructureError):
        validate_structure(
            places=1, ranked=pool[:cut1], unranked=pool[cut1:cut2], refused=pool[cut2:]
        )
