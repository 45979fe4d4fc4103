"""The demo campaign's calendar, laid out so that a chosen day falls inside a chosen phase.

It follows the shape of the 2024 campaign (files, posts check, two matched
rounds of wishes → ranking → results, an in-person third round).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

# (kind, round number or None, first day, last day), in days from the campaign's first day.
LAYOUT: tuple[tuple[str, int | None, int, int], ...] = (
    ("management", None, 0, 60),
    ("student_files", None, 0, 24),
    ("posts", None, 14, 24),
    ("wishes", 1, 21, 24),
    ("ranking", 1, 25, 29),
    ("results", 1, 30, 60),
    ("wishes", 2, 31, 32),
    ("ranking", 2, 33, 35),
    ("results", 2, 42, 60),
    ("in_person", 3, 37, 39),
)
# The campaign day that "today" becomes for each choice of --phase.
TODAY_OFFSET = {"student_files": 2, "posts": 15, "wishes": 22, "ranking": 26, "results": 31}
DEMO_PHASES = (*TODAY_OFFSET, "closed")


@dataclasses.dataclass(frozen=True)
class PlannedPhase:
    kind: str
    round_number: int | None
    starts_on: dt.date
    ends_on: dt.date


def plan(today: dt.date, phase: str) -> list[PlannedPhase]:
    """Phases such that ``today`` lies in ``phase`` ("closed": the whole campaign is over)."""
    if phase not in DEMO_PHASES:
        raise ValueError(f"unknown demo phase {phase!r}; choose one of {', '.join(DEMO_PHASES)}")
    first_day = today - dt.timedelta(days=TODAY_OFFSET[phase] if phase != "closed" else 120)
    return [
        PlannedPhase(kind, number, first_day + dt.timedelta(days=start), first_day + dt.timedelta(days=end))
        for kind, number, start, end in LAYOUT
    ]
