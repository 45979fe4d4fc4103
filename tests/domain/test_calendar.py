"""Tests for :mod:`siimop_app.domain.calendar` (SPEC §3): deadlines are 23:59 Europe/Paris, inclusive."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siimop_app.domain.calendar import (
    PARIS,
    DatedPhase,
    campaign_is_open,
    closes_at,
    current_or_next,
    phase_in_view,
    is_open,
    open_phases,
    opens_at,
)

UTC = dt.timezone.utc


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def phase(starts: dt.date, ends: dt.date, kind: str = "ranking", round_number: int | None = 1) -> DatedPhase:
    return DatedPhase(kind=kind, round_number=round_number, starts_on=starts, ends_on=ends)


# The 2024 round-1 ranking of the seed: 8–12 March, closing at 23:59 Paris time.
RANKING_2024 = phase(dt.date(2024, 3, 8), dt.date(2024, 3, 12))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (paris(2024, 3, 7, 23, 59), False),  # the minute before the start
        (paris(2024, 3, 7, 23, 59, 59, 999999), False),
        (paris(2024, 3, 8, 0, 0), True),  # first day, midnight
        (paris(2024, 3, 10, 12, 0), True),
        (paris(2024, 3, 12, 23, 59), True),  # "23h59 heure métropolitaine"
        (paris(2024, 3, 12, 23, 59, 59), True),
        (paris(2024, 3, 12, 23, 59, 59, 999999), True),
        (paris(2024, 3, 13, 0, 0), False),  # the next midnight
        (paris(2024, 3, 20, 9, 0), False),
    ],
)
def test_a_phase_is_open_from_its_first_midnight_to_its_last_day_23_59_59(now, expected):
    assert is_open(RANKING_2024, now) is expected


def test_the_deadline_is_paris_time_whatever_the_zone_of_now():
    # 12 March 2024 is winter time: Paris = UTC+1, so the deadline is 22:59:59 UTC.
    assert is_open(RANKING_2024, utc(2024, 3, 12, 22, 59, 59))
    assert not is_open(RANKING_2024, utc(2024, 3, 12, 23, 0))
    # A user in Guadeloupe (UTC-4) must meet the metropolitan deadline, not their own midnight.
    guadeloupe = ZoneInfo("America/Guadeloupe")
    assert is_open(RANKING_2024, dt.datetime(2024, 3, 12, 18, 59, tzinfo=guadeloupe))
    assert not is_open(RANKING_2024, dt.datetime(2024, 3, 12, 19, 0, tzinfo=guadeloupe))


def test_one_day_phase_is_open_all_that_day_only():
    results = phase(dt.date(2024, 3, 13), dt.date(2024, 3, 13), kind="results")
    assert not is_open(results, paris(2024, 3, 12, 23, 59, 59))
    assert is_open(results, paris(2024, 3, 13, 0, 0))
    assert is_open(results, paris(2024, 3, 13, 23, 59, 59))
    assert not is_open(results, paris(2024, 3, 14, 0, 0))


# Spring forward: Sunday 31 March 2024 02:00 CET -> 03:00 CEST. Fall back: Sunday 27 October 2024 03:00 CEST -> 02:00 CET.
def test_phase_ending_on_the_spring_dst_sunday_closes_at_paris_midnight_in_summer_time():
    ending = phase(dt.date(2024, 3, 25), dt.date(2024, 3, 31))
    # The next midnight is already summer time (UTC+2): 22:00 UTC, not 23:00 UTC.
    assert closes_at(ending) == utc(2024, 3, 31, 22, 0)
    assert is_open(ending, utc(2024, 3, 31, 21, 59, 59))
    assert not is_open(ending, utc(2024, 3, 31, 22, 0))
    assert not is_open(ending, utc(2024, 3, 31, 22, 30))  # would still be open with a fixed UTC+1


def test_phase_ending_on_the_autumn_dst_sunday_closes_at_paris_midnight_in_winter_time():
    ending = phase(dt.date(2024, 10, 21), dt.date(2024, 10, 27))
    # The next midnight is winter time again (UTC+1): 23:00 UTC, not 22:00 UTC.
    assert closes_at(ending) == utc(2024, 10, 27, 23, 0)
    assert is_open(ending, utc(2024, 10, 27, 22, 30))  # would be closed with a fixed UTC+2
    assert is_open(ending, utc(2024, 10, 27, 22, 59, 59))
    assert not is_open(ending, utc(2024, 10, 27, 23, 0))


def test_phases_starting_on_dst_sundays_open_at_paris_midnight():
    spring = phase(dt.date(2024, 3, 31), dt.date(2024, 4, 5))
    autumn = phase(dt.date(2024, 10, 27), dt.date(2024, 11, 1))
    assert opens_at(spring) == utc(2024, 3, 30, 23, 0)  # midnight CET
    assert opens_at(autumn) == utc(2024, 10, 26, 22, 0)  # midnight CEST
    assert not is_open(spring, utc(2024, 3, 30, 22, 59, 59))
    assert is_open(spring, utc(2024, 3, 30, 23, 0))
    assert not is_open(autumn, utc(2024, 10, 26, 21, 59, 59))
    assert is_open(autumn, utc(2024, 10, 26, 22, 0))
    # The skipped and the repeated wall-clock hours are inside the phase.
    assert is_open(spring, utc(2024, 3, 31, 1, 30))
    assert is_open(autumn, utc(2024, 10, 27, 0, 30)) and is_open(autumn, utc(2024, 10, 27, 1, 30))


def test_naive_datetimes_are_refused():
    naive = dt.datetime(2024, 3, 10, 12, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(RANKING_2024, naive)
    with pytest.raises(ValueError):
        open_phases([RANKING_2024], naive)
    # The wave-level helpers cannot compare a naive instant either (TypeError from datetime).
    with pytest.raises((ValueError, TypeError)):
        campaign_is_open([RANKING_2024], naive)
    with pytest.raises((ValueError, TypeError)):
        current_or_next([RANKING_2024], "ranking", naive)


# A wave shaped like the seed's 2024 campaign: files, posts, two rounds, with a gap.
WAVE_2024 = (
    DatedPhase("student_files", None, dt.date(2024, 2, 12), dt.date(2024, 3, 7)),
    DatedPhase("posts", None, dt.date(2024, 2, 26), dt.date(2024, 3, 7)),
    DatedPhase("wishes", 1, dt.date(2024, 3, 4), dt.date(2024, 3, 7)),
    DatedPhase("ranking", 1, dt.date(2024, 3, 8), dt.date(2024, 3, 12)),
    DatedPhase("results", 1, dt.date(2024, 3, 13), dt.date(2024, 3, 13)),
    DatedPhase("wishes", 2, dt.date(2024, 3, 14), dt.date(2024, 3, 15)),
    DatedPhase("ranking", 2, dt.date(2024, 3, 16), dt.date(2024, 3, 18)),
    DatedPhase("in_person", 3, dt.date(2024, 3, 20), dt.date(2024, 3, 22)),
    DatedPhase("results", 2, dt.date(2024, 3, 25), dt.date(2024, 3, 25)),
)


def test_campaign_is_open_from_the_first_phase_to_the_end_of_the_last_one():
    assert not campaign_is_open(WAVE_2024, paris(2024, 2, 11, 23, 59, 59))
    assert campaign_is_open(WAVE_2024, paris(2024, 2, 12, 0, 0))
    # 23–24 March: between two phases, no phase is open but the app stays open.
    assert open_phases(WAVE_2024, paris(2024, 3, 23, 12, 0)) == []
    assert campaign_is_open(WAVE_2024, paris(2024, 3, 23, 12, 0))
    assert campaign_is_open(WAVE_2024, paris(2024, 3, 25, 23, 59, 59))
    assert not campaign_is_open(WAVE_2024, paris(2024, 3, 26, 0, 0))
    # The order of the phases does not matter.
    assert campaign_is_open(reversed(WAVE_2024), paris(2024, 3, 25, 23, 0))
    assert not campaign_is_open(reversed(WAVE_2024), paris(2024, 3, 26, 0, 0))


def test_a_wave_without_phases_is_closed():
    assert not campaign_is_open([], paris(2024, 3, 10, 12, 0))


def test_open_phases_lists_every_phase_open_at_that_instant():
    kinds = [(p.kind, p.round_number) for p in open_phases(WAVE_2024, paris(2024, 3, 5, 10, 0))]
    assert kinds == [("student_files", None), ("posts", None), ("wishes", 1)]


@pytest.mark.parametrize(
    ("now", "expected_round"),
    [
        (paris(2024, 2, 1, 12, 0), 1),  # before the campaign: the next one
        (paris(2024, 3, 8, 0, 0), 1),  # round 1 open
        (paris(2024, 3, 12, 23, 59, 59), 1),  # round 1, its last second
        (paris(2024, 3, 13, 0, 0), 2),  # round 1 over: the next one
        (paris(2024, 3, 17, 12, 0), 2),  # round 2 open
        (paris(2024, 3, 19, 0, 0), 2),  # all over: the last one that ran
        (paris(2024, 9, 1, 12, 0), 2),
    ],
)
def test_current_or_next_ranking_is_the_open_one_else_the_next_else_the_last(now, expected_round):
    found = current_or_next(WAVE_2024, "ranking", now)
    assert found is not None and found.kind == "ranking" and found.round_number == expected_round


@pytest.mark.parametrize(
    ("now", "expected_round"),
    [
        (paris(2024, 2, 1, 12, 0), 1),  # before the campaign: the first to come
        (paris(2024, 3, 5, 12, 0), 1),  # round 1 open
        (paris(2024, 3, 10, 12, 0), 1),  # round 1 over, round 2 not open yet: still round 1
        (paris(2024, 3, 14, 0, 0), 2),  # round 2 open
        (paris(2024, 9, 1, 12, 0), 2),  # all over: the last one
    ],
)
def test_the_wishes_in_view_are_the_open_ones_else_the_last_begun_else_the_first(now, expected_round):
    found = phase_in_view(list(reversed(WAVE_2024)), "wishes", now)
    assert found is not None and found.kind == "wishes" and found.round_number == expected_round


def test_current_or_next_does_not_depend_on_the_order_of_the_phases_and_ignores_other_kinds():
    shuffled = list(reversed(WAVE_2024))
    assert current_or_next(shuffled, "wishes", paris(2024, 3, 10, 12, 0)).round_number == 2
    assert current_or_next(shuffled, "in_person", paris(2024, 3, 10, 12, 0)).starts_on == dt.date(2024, 3, 20)
    assert current_or_next(shuffled, "management", paris(2024, 3, 10, 12, 0)) is None


# ------------------------------------------------------------------ property
DAYS = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
ZONES = st.sampled_from([PARIS, UTC, ZoneInfo("America/Guadeloupe"), ZoneInfo("Pacific/Noumea"),
                         dt.timezone(dt.timedelta(hours=5, minutes=30))])


@given(
    first=DAYS,
    length=st.integers(min_value=0, max_value=90),
    now=st.datetimes(min_value=dt.datetime(1999, 12, 1), max_value=dt.datetime(2100, 6, 1), timezones=ZONES),
)
def test_is_open_is_exactly_the_paris_calendar_days_of_the_phase(first, length, now):
    dated = phase(first, first + dt.timedelta(days=length))
    start_of_first_day = dt.datetime.combine(dated.starts_on, dt.time.min, tzinfo=PARIS)
    start_of_day_after = dt.datetime.combine(dated.ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=PARIS)
    expected = start_of_first_day <= now < start_of_day_after
    assert is_open(dated, now) == expected
    # Same thing said as the user says it: the Paris calendar day of "now" is one of the phase's days.
    assert expected == (dated.starts_on <= now.astimezone(PARIS).date() <= dated.ends_on)
