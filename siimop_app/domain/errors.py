"""The one base of the refusals meant for the user.

A service (or a rule) raises a ``UserError`` subclass with a French message that a page shows as is; a state
catches ``UserError`` (never a bare ``ValueError``, which would also hide bugs) and logs the precise reason.
"""

from __future__ import annotations


class UserError(Exception):
    """A refusal whose message is written for the user, in French (no internal detail in it)."""
