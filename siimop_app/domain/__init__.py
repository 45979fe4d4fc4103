"""Pure domain rules of SiiMOP Appariement (standard library only).

Re-exports the public API of :mod:`siimop_app.domain.ranking_rules` (SPEC §5,
validity of a supervisor's ranking) and :mod:`siimop_app.domain.sufficiency`
(SPEC §4, sufficiency of a student's wish list).
"""

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
from siimop_app.domain.sufficiency import (
    MAX_HEARTS,
    MIN_WISHES,
    Sufficiency,
    check_sufficiency,
    required_wishes,
)

__all__ = [
    "BANNER",
    "MAX_HEARTS",
    "MIN_WISHES",
    "MSG_FIRST_RANK_LOCAL",
    "MSG_UNRANKED_LEFT",
    "Candidate",
    "RankingCheck",
    "RankingStructureError",
    "Sufficiency",
    "check_ranking",
    "check_sufficiency",
    "min_local_in_top",
    "min_ranked",
    "min_ranked_message",
    "required_wishes",
    "top_ranks_message",
    "validate_structure",
]
