"""Editing a supervisor's ranking: the moves of the "Classement des candidatures" page.

A board holds the three lists of the page — ranked (the order is the rank),
unranked, refused ("non-retenues") — and every move returns a new board.
Pure code: the service loads the board, applies one move, and saves the
difference; the same moves are therefore tested exhaustively without a database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import Literal

from siimop_app.domain.errors import UserError

StudentId = Hashable
Action = Literal["rank", "up", "down", "refuse", "unrank"]
ACTIONS: tuple[str, ...] = ("rank", "up", "down", "refuse", "unrank")


class RankingEditError(UserError, ValueError):
    """A move that cannot be made; the message is for the user, in French."""


@dataclasses.dataclass(frozen=True)
class Board:
    ranked: tuple[StudentId, ...] = ()
    unranked: tuple[StudentId, ...] = ()
    refused: tuple[StudentId, ...] = ()

    def state_of(self, student: StudentId) -> tuple[int | None, bool]:
        """(rank or None, refused) — what is stored for a student."""
        if student in self.ranked:
            return self.ranked.index(student) + 1, False
        return None, student in self.refused

    def _without(self, student: StudentId) -> "Board":
        return Board(
            ranked=tuple(s for s in self.ranked if s != student),
            unranked=tuple(s for s in self.unranked if s != student),
            refused=tuple(s for s in self.refused if s != student),
        )

    def contains(self, student: StudentId) -> bool:
        return student in self.ranked or student in self.unranked or student in self.refused


def apply(board: Board, action: str, student: StudentId, position: int | None = None) -> Board:
    """One move of one candidate.

    - ``rank``: put the candidate at rank ``position`` (1-based); from the unranked or
      refused lists ``position`` may be one past the end (rank last); None means last.
    - ``up`` / ``down``: swap with the neighbour above / below (at the edge: no change).
    - ``refuse``: move to "non-retenues"; ``unrank``: back to "non-classées".
    """
    if action not in ACTIONS:
        raise RankingEditError("Action inconnue sur le classement.")
    if not board.contains(student):
        raise RankingEditError("Cet étudiant ne fait pas partie des candidatures de ce poste.")
    rest = board._without(student)
    if action == "refuse":
        return dataclasses.replace(rest, refused=rest.refused + (student,))
    if action == "unrank":
        return dataclasses.replace(rest, unranked=rest.unranked + (student,))
    if action in ("up", "down"):
        if student not in board.ranked:
            raise RankingEditError("Seul un candidat classé peut monter ou descendre.")
        index = board.ranked.index(student)
        target = index - 1 if action == "up" else index + 1
        if not 0 <= target < len(board.ranked):
            return board
        order = list(board.ranked)
        order[index], order[target] = order[target], order[index]
        return dataclasses.replace(board, ranked=tuple(order))
    # action == "rank"
    last = len(rest.ranked) + 1
    if position is None:
        position = last
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= last:
        raise RankingEditError(f"Le rang doit être un nombre entier entre 1 et {last}.")
    order = list(rest.ranked)
    order.insert(position - 1, student)
    return dataclasses.replace(rest, ranked=tuple(order))
