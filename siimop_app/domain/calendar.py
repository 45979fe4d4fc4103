"""The campaign calendar: when a dated phase is open.

A phase runs from its first day at 00:00 to its last day at 23:59:59 (inclusive),
Europe/Paris time, as the campaign announces ("23h59 heure métropolitaine").
Pure code: callers pass "now"; nothing here reads a clock or a database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def to_paris(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored moment (naive means UTC, as the database keeps them) as an aware Paris time; None stays None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(PARIS)


def day_text(day: dt.date | None) -> str:
    """A day as the screens and mails write it: "dd/mm/yyyy" ("" for none)."""
    return day.strftime("%d/%m/%Y") if day else ""


@dataclasses.dataclass(frozen=True)
class DatedPhase:
    kind: str
    round_number: int | None
    starts_on: dt.date
    ends_on: dt.date


def opens_at(phase: DatedPhase, tz: ZoneInfo = PARIS) -> dt.datetime:
    return dt.datetime.combine(phase.starts_on, dt.time.min, tzinfo=tz)


def closes_at(phase: DatedPhase, tz: ZoneInfo = PARIS) -> dt.datetime:
    """The first instant after the phase: midnight after its last day (deadline 23:59:59)."""
    return dt.datetime.combine(phase.ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


def is_open(phase: DatedPhase, now: dt.datetime, tz: ZoneInfo = PARIS) -> bool:
    """Whether ``now`` (timezone-aware) falls inside the phase."""
    _require_aware(now)
    return opens_at(phase, tz) <= now < closes_at(phase, tz)


def open_phases(phases: Iterable[DatedPhase], now: dt.datetime, tz: ZoneInfo = PARIS) -> list[DatedPhase]:
    return [phase for phase in phases if is_open(phase, now, tz)]


def campaign_is_open(phases: Iterable[DatedPhase], now: dt.datetime, tz: ZoneInfo = PARIS) -> bool:
    """A wave is open from its first phase's first day to its last phase's last day."""
    _require_aware(now)
    phases = list(phases)
    if not phases:
        return False
    first = min(opens_at(p, tz) for p in phases)
    last = max(closes_at(p, tz) for p in phases)
    return first <= now < last


def phase_in_view(phases: Iterable[DatedPhase], kind: str, now: dt.datetime, tz: ZoneInfo = PARIS) -> DatedPhase | None:
    """The phase of this kind that the screens speak of: the one open now (the latest started if several
    overlap), else the last one that began (until the next one opens), else the first one to come.

    The side menu and the pages use this one rule, so they always show the same round: once round 1's
    wishes are over, Mes vœux and its menu entry both show round 1 (read-only) until round 2's open.
    """
    _require_aware(now)
    of_kind = sorted((p for p in phases if p.kind == kind), key=lambda p: p.starts_on)
    if not of_kind:
        return None
    open_now = [p for p in of_kind if is_open(p, now, tz)]
    if open_now:
        return open_now[-1]
    started = [p for p in of_kind if opens_at(p, tz) <= now]
    return started[-1] if started else of_kind[0]


def current_or_next(phases: Iterable[DatedPhase], kind: str, now: dt.datetime, tz: ZoneInfo = PARIS) -> DatedPhase | None:
    """The phase of this kind that is open now (the latest started if several overlap, e.g. the
    results of round 1 and of round 2), else the next one, else the last one that ran.

    This is the phase whose dates the menu shows (e.g. the ranking of the current round).
    """
    _require_aware(now)
    of_kind = sorted((p for p in phases if p.kind == kind), key=lambda p: p.starts_on)
    if not of_kind:
        return None
    open_now = [p for p in of_kind if is_open(p, now, tz)]
    if open_now:
        return open_now[-1]
    upcoming = [p for p in of_kind if now < opens_at(p, tz)]
    return upcoming[0] if upcoming else of_kind[-1]
