"""Shared column helpers for the tables.

Timestamps are timezone-aware UTC (SQLModel's UTCDateTime: ``timestamptz`` on
PostgreSQL, UTC text on SQLite); the UI converts to Europe/Paris for display.
"""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Now, timezone-aware in UTC: the one convention for every stored timestamp."""
    return dt.datetime.now(dt.timezone.utc)
