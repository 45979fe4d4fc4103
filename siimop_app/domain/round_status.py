"""The states a matching round goes through, stored in ``round.status``: pure, so pages compare with it too."""

from __future__ import annotations

import enum


class RoundStatus(enum.StrEnum):
    """Open (wishes and rankings can change), closing (the matching runs), closed (the result is stored)."""

    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"

