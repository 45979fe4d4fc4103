"""Every move of the ranking page, on every small board: candidates are never lost nor duplicated."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siimop_app.domain.ranking_edit import ACTIONS, Board, RankingEditError, apply


def boards(n: int):
    """Every board of n candidates: each candidate in one list, every order of the ranked ones."""
    students = list(range(n))
    for places in itertools.product(("ranked", "unranked", "refused"), repeat=n):
        ranked = [s for s, p in zip(students, places) if p == "ranked"]
        for order in itertools.permutations(ranked):
            yield Board(
                ranked=order,
                unranked=tuple(s for s, p in zip(students, places) if p == "unranked"),
                refused=tuple(s for s, p in zip(students, places) if p == "refused"),
            )


def members(board: Board) -> list:
    return sorted(board.ranked + board.unranked + board.refused)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_every_move_keeps_every_candidate_exactly_once(n):
    for board in boards(n):
        for student, action in itertools.product(range(n), ACTIONS):
            positions = range(0, len(board.ranked) + 3) if action == "rank" else [None]
            for position in positions:
                try:
                    after = apply(board, action, student, position)
                except RankingEditError:
                    last = len(board.ranked) + (student not in board.ranked)
                    assert action in ("rank", "up", "down")
                    if action == "rank":
                        assert not 1 <= position <= last
                    else:
                        assert student not in board.ranked
                    continue
                assert members(after) == list(range(n))
                if action == "rank":
                    assert after.ranked.index(student) + 1 == position
                    others = [s for s in board.ranked if s != student]
                    assert [s for s in after.ranked if s != student] == others  # the others keep their order
                elif action == "refuse":
                    assert after.refused[-1] == student
                elif action == "unrank":
                    assert after.unranked[-1] == student


def test_up_and_down_swap_neighbours_and_stop_at_the_edges():
    board = Board(ranked=("a", "b", "c"))
    assert apply(board, "up", "b").ranked == ("b", "a", "c")
    assert apply(board, "down", "b").ranked == ("a", "c", "b")
    assert apply(board, "up", "a") == board
    assert apply(board, "down", "c") == board


def test_rank_without_position_ranks_last_and_the_seed_example_works():
    # Seed: two unranked candidates; the RTS ranks the local one first, then the other.
    board = Board(unranked=("fernbach", "thermidor"))
    board = apply(board, "rank", "fernbach")
    board = apply(board, "rank", "thermidor")
    assert board == Board(ranked=("fernbach", "thermidor"))
    assert board.state_of("thermidor") == (2, False)


def test_forged_moves_are_refused_in_french():
    board = Board(ranked=("a",), unranked=("b",))
    with pytest.raises(RankingEditError, match="ne fait pas partie"):
        apply(board, "refuse", "intrus")
    with pytest.raises(RankingEditError, match="entre 1 et 2"):
        apply(board, "rank", "b", 3)
    with pytest.raises(RankingEditError, match="entre 1 et 1"):
        apply(board, "rank", "a", 2)
    with pytest.raises(RankingEditError, match="Action inconnue"):
        apply(board, "drop table", "a")
    with pytest.raises(RankingEditError):
        apply(board, "rank", "b", True)


@given(
    st.lists(st.sampled_from(["ranked", "unranked", "refused"]), min_size=1, max_size=12),
    st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 11), st.one_of(st.none(), st.integers(-1, 14))),
             max_size=30),
)
def test_any_sequence_of_moves_preserves_the_candidates(places, moves):
    board = Board(
        ranked=tuple(i for i, p in enumerate(places) if p == "ranked"),
        unranked=tuple(i for i, p in enumerate(places) if p == "unranked"),
        refused=tuple(i for i, p in enumerate(places) if p == "refused"),
    )
    for action, student, position in moves:
        try:
            board = apply(board, action, student % len(places), position)
        except RankingEditError:
            pass
        assert members(board) == list(range(len(places)))
