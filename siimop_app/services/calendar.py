"""The one place that says whether an action is open now (SPEC §3).

Pages and event handlers ask ``require_open`` before any phase-bound change;
the server refuses out-of-phase actions, not only the UI. "Now" can be pinned
with ``SIIMOP_TODAY`` (a date or an ISO datetime, Paris time) for demos and tests.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from siimop_app.db import read_rows
from siimop_app.domain.calendar import PARIS, DatedPhase, campaign_is_open, current_or_next, is_open, phase_in_view
from siimop_app.domain.errors import UserError
from siimop_app.models import CalendarVersion, Campaign, Phase, Round, Wave
from siimop_app.settings import get_settings

PHASE_LABELS = {
    "student_files": "Dépôt des dossiers",
    "posts": "Mes postes",
    "wishes": "Vœux des étudiants",
    "ranking": "Classement des candidatures",
    "results": "Affectations",
    "in_person": "Tour en présentiel",
    "management": "Gestion",
}


T = TypeVar("T")


class PhaseClosedError(UserError):
    """An action outside its phase; the message is for the user, in French."""


def now() -> dt.datetime:
    """Now in Paris time, or the pinned ``SIIMOP_TODAY`` (noon of that day when only a date is given)."""
    pinned = get_settings().today_override
    if pinned:
        if len(pinned) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(pinned), dt.time(12, 0), tzinfo=PARIS)
        value = dt.datetime.fromisoformat(pinned)
        return value.astimezone(PARIS) if value.tzinfo else value.replace(tzinfo=PARIS)
    return dt.datetime.now(PARIS)


@dataclasses.dataclass(frozen=True)
class WaveCalendar:
    campaign_id: int
    campaign_name: str
    news_url: str
    wave_id: int
    wave_name: str
    wave_subtitle: str
    phases: tuple[DatedPhase, ...]
    round_numbers: dict[int, int]  # round id -> number

    def current_or_next(self, kind: str, at: dt.datetime) -> DatedPhase | None:
        return current_or_next(self.phases, kind, at)

    def in_view(self, kind: str, at: dt.datetime) -> DatedPhase | None:
        return phase_in_view(self.phases, kind, at)

    def open_phase(self, kind: str, at: dt.datetime) -> DatedPhase | None:
        return next((p for p in self.phases if p.kind == kind and is_open(p, at)), None)

    def round_id(self, number: int | None) -> int | None:
        return next((rid for rid, n in self.round_numbers.items() if n == number), None)


# A wave's phases and rounds as rows of one shape, so that the whole calendar is one statement: a phase row has its
# id, kind and dates; a round row its number. Both carry the wave, and ``round_id`` (a phase's round, a round's id).
# Table columns, not the models' attributes: a Core statement skips the ORM's compile and row machinery, and every
# event of every page runs this one (issue 13).
_PHASE, _ROUND, _WAVE, _CAMPAIGN = (model.__table__ for model in (Phase, Round, Wave, Campaign))
_VERSION = CalendarVersion.__table__
# The calendar's version (``CalendarVersion``): the session check reads it too, as a column of its statement.
VERSION = sa.select(_VERSION.c.version).where(_VERSION.c.id == 1).scalar_subquery()
_PHASES_AND_ROUNDS = sa.union_all(
    sa.select(_PHASE.c.wave_id, _PHASE.c.id.label("phase_id"), _PHASE.c.round_id, _PHASE.c.kind, _PHASE.c.starts_on,
              _PHASE.c.ends_on, sa.null().cast(sa.Integer).label("number")),
    sa.select(_ROUND.c.wave_id, sa.null().cast(sa.Integer), _ROUND.c.id, sa.null().cast(sa.String),
              sa.null().cast(sa.Date), sa.null().cast(sa.Date), _ROUND.c.number),
).subquery("calendar_rows")
_ONE_STATEMENT = (
    sa.select(_WAVE.c.id, _WAVE.c.name, _WAVE.c.subtitle, _CAMPAIGN.c.id, _CAMPAIGN.c.name, _CAMPAIGN.c.news_url,
              *(_PHASES_AND_ROUNDS.c[name] for name in ("phase_id", "round_id", "kind", "starts_on", "ends_on",
                                                          "number")), VERSION)
    .select_from(_WAVE)
    .join(_CAMPAIGN, _CAMPAIGN.c.id == _WAVE.c.campaign_id)
    .outerjoin(_PHASES_AND_ROUNDS, _PHASES_AND_ROUNDS.c.wave_id == _WAVE.c.id)
    .order_by(_WAVE.c.id, _PHASES_AND_ROUNDS.c.starts_on, _PHASES_AND_ROUNDS.c.phase_id)
)


@dataclasses.dataclass(frozen=True)
class _CalendarRead:
    database_url: str
    default_news: str
    version: int | None  # None: no version row (a database erased by hand); such a read is never reused
    calendars: tuple[WaveCalendar, ...]


def _read_calendars() -> _CalendarRead:
    """Every wave's calendar and its version in one statement, whatever the number of waves (it took three
    statements, and 1 + 3 per wave before that)."""
    settings = get_settings()
    rows = read_rows(_ONE_STATEMENT)
    version = rows[0][-1] if rows else None  # no wave: nothing worth keeping
    waves: dict[int, tuple] = {}
    rounds: dict[int, dict[int, int]] = {}
    for wave_id, wave_name, subtitle, campaign_id, campaign_name, news_url, phase_id, round_id, *_, number, _ in rows:
        waves.setdefault(wave_id, (campaign_id, campaign_name, news_url, wave_name, subtitle))
        if phase_id is None and round_id is not None:
            rounds.setdefault(wave_id, {})[round_id] = number
    phases: dict[int, list[DatedPhase]] = {}
    for wave_id, _, _, _, _, _, phase_id, round_id, kind, starts_on, ends_on, _, _ in rows:
        if phase_id is not None:  # in the order of their dates (then ids), as the statement sorts them
            phases.setdefault(wave_id, []).append(DatedPhase(
                kind=kind, round_number=rounds.get(wave_id, {}).get(round_id), starts_on=starts_on, ends_on=ends_on))
    calendars = tuple(
        WaveCalendar(campaign_id=campaign_id, campaign_name=campaign_name, news_url=news_url or settings.news_url,
                     wave_id=wave_id, wave_name=wave_name, wave_subtitle=subtitle,
                     phases=tuple(phases.get(wave_id, ())), round_numbers=rounds.get(wave_id, {}))
        for wave_id, (campaign_id, campaign_name, news_url, wave_name, subtitle) in waves.items()
    )
    return _CalendarRead(settings.database_url, settings.news_url, version, calendars)


# The calendar this process read last. An event that saw the same version with its session check (``saw_version``)
# takes it instead of reading the calendar again: that read was one statement of every event of every page, and a
# tenth of a ranking move's CPU (issue 13). Exact, not a time-to-live: the version changes in the transaction that
# changes the calendar, so a manager's edit still counts from the very next event, on every worker.
_last_read: _CalendarRead | None = None
_VERSION_SEEN = ("calendar version seen",)


# Inside ``read_once`` (one event of a page), the calendar rows are read once: a page load asked for them five
# times (issue 13's profile). Outside, every call reads them, so a manager's edit is seen by the very next event.
_ONE_READ: contextvars.ContextVar[dict | None] = contextvars.ContextVar("siimop_calendar_read_once", default=None)


@contextlib.contextmanager
def read_once():
    """Read the calendar from the database at most once in this block (one event handler; never longer), and
    whatever else is read through ``once``."""
    token = _ONE_READ.set({})
    try:
        yield
    finally:
        _ONE_READ.reset(token)


def once(key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, run at most once per ``read_once`` block for ``key`` (every time outside one): for what one
    event reads several times and none of the events that use such a block changes — the calendar, the rounds
    whose results are published, a staff member's grants. The value must not hold database objects."""
    memo = _ONE_READ.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def saw_version(version: int | None) -> None:
    """The calendar version this event read (with its session check); kept only inside a ``read_once`` block, so it
    is never older than the event."""
    memo = _ONE_READ.get()
    if memo is not None and version is not None:
        memo[_VERSION_SEEN] = version


def _current_calendars() -> tuple[WaveCalendar, ...]:
    global _last_read
    memo = _ONE_READ.get()
    seen = memo.get(_VERSION_SEEN) if memo is not None else None
    last, settings = _last_read, get_settings()
    if (seen is not None and last is not None and last.version == seen
            and (last.database_url, last.default_news) == (settings.database_url, settings.news_url)):
        return last.calendars
    _last_read = read = _read_calendars()
    return read.calendars


def _calendars() -> tuple[WaveCalendar, ...]:
    return once(("calendar",), _current_calendars)


def current_wave(at: dt.datetime | None = None) -> WaveCalendar | None:
    """The wave whose calendar spans ``at`` (the latest-starting one if several), or None: the app is closed."""
    at = at or now()
    calendars = _calendars()
    open_ones = [c for c in calendars if campaign_is_open(c.phases, at)]
    if not open_ones:
        return None
    return max(open_ones, key=lambda c: min(p.starts_on for p in c.phases))


@dataclasses.dataclass(frozen=True)
class OpenPhase:
    wave: WaveCalendar
    phase: DatedPhase
    round_id: int | None


def require_open(kind: str, at: dt.datetime | None = None) -> OpenPhase:
    """The open phase of this kind in the current wave (with its round), or PhaseClosedError in French."""
    at = at or now()
    calendar = current_wave(at)
    phase = calendar.open_phase(kind, at) if calendar else None
    if phase is None:
        label = PHASE_LABELS.get(kind, kind)
        raise PhaseClosedError(f"La période « {label} » n'est pas ouverte : cette action n'est pas possible aujourd'hui.")
    return OpenPhase(wave=calendar, phase=phase, round_id=calendar.round_id(phase.round_number))
