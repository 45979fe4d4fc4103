"""The server's calendar (SPEC §3): which wave is open today and which actions are open, on a real database.

A campaign's calendar alone (``factories.make_campaign``) is enough, except where the demo itself is tested."""

from __future__ import annotations

import datetime as dt

import pytest

from siimop_app.demo.calendar_plan import DEMO_PHASES
from siimop_app.demo.cli import main as demo_main
from siimop_app.domain.calendar import PARIS
from siimop_app.services import calendar
from siimop_app.settings import get_settings
from tests.services.factories import make_campaign


def _load_demo(phase: str, *extra: str) -> None:
    assert demo_main(["--scale", "small", "--phase", phase, *extra]) == 0


def _pin(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SIIMOP_TODAY", value)
    get_settings.cache_clear()


def test_the_app_is_open_in_every_demo_phase_and_closed_after_the_campaign(db_url):
    assert set(DEMO_PHASES) == {"student_files", "posts", "wishes", "ranking", "results", "closed"}
    for index, phase in enumerate(DEMO_PHASES):
        _load_demo(phase, *(["--reset"] if index else []))
        wave = calendar.current_wave()
        if phase == "closed":
            assert wave is None, "the campaign is over: the app must show its closed page"
            continue
        assert wave is not None, f"demo phase {phase!r}: no open wave"
        assert wave.wave_name.startswith("Vague 1 Campagne Mai")
        assert wave.open_phase(phase, calendar.now()) is not None, f"demo phase {phase!r} is not open today"


def test_ranking_is_open_during_the_ranking_phase(db_url):
    make_campaign("ranking")
    today = calendar.now().date()
    opened = calendar.require_open("ranking").phase
    assert opened.kind == "ranking" and opened.round_number == 1
    assert opened.starts_on <= today <= opened.ends_on
    with pytest.raises(calendar.PhaseClosedError, match="« Vœux des étudiants » n'est pas ouverte"):
        calendar.require_open("wishes")


def test_ranking_is_refused_in_french_during_the_wishes_phase(db_url):
    make_campaign("wishes")
    assert calendar.require_open("wishes").phase.round_number == 1
    with pytest.raises(calendar.PhaseClosedError) as refused:
        calendar.require_open("ranking")
    assert str(refused.value) == (
        "La période « Classement des candidatures » n'est pas ouverte : cette action n'est pas possible aujourd'hui."
    )


def test_nothing_is_open_when_the_campaign_is_over(db_url):
    make_campaign("closed")
    for kind in calendar.PHASE_LABELS:
        with pytest.raises(calendar.PhaseClosedError, match=calendar.PHASE_LABELS[kind]):
            calendar.require_open(kind)


def test_siimop_today_pins_now_and_a_day_after_the_last_phase_closes_the_app(db_url, monkeypatch):
    make_campaign("ranking")
    wave = calendar.current_wave()
    last_day = max(p.ends_on for p in wave.phases)
    first_day = min(p.starts_on for p in wave.phases)

    _pin(monkeypatch, last_day.isoformat())
    assert calendar.now() == dt.datetime.combine(last_day, dt.time(12, 0), tzinfo=PARIS)
    assert calendar.current_wave() is not None
    with pytest.raises(calendar.PhaseClosedError):
        calendar.require_open("ranking")  # the round-1 ranking is long over on that day

    _pin(monkeypatch, (last_day + dt.timedelta(days=1)).isoformat())
    assert calendar.current_wave() is None

    _pin(monkeypatch, (first_day - dt.timedelta(days=1)).isoformat())
    assert calendar.current_wave() is None


def test_siimop_today_accepts_an_instant_and_the_deadline_is_23_59_59_paris(db_url, monkeypatch):
    make_campaign("ranking")
    ranking = calendar.require_open("ranking").phase
    day_after = ranking.ends_on + dt.timedelta(days=1)

    _pin(monkeypatch, f"{ranking.ends_on.isoformat()}T23:59:59")
    assert calendar.require_open("ranking").phase == ranking
    _pin(monkeypatch, f"{day_after.isoformat()}T00:00:00")
    with pytest.raises(calendar.PhaseClosedError):
        calendar.require_open("ranking")
    # An instant given in UTC is compared in Paris time: 23:30 UTC on the last day is already the next day in Paris.
    _pin(monkeypatch, f"{ranking.ends_on.isoformat()}T23:30:00+00:00")
    with pytest.raises(calendar.PhaseClosedError):
        calendar.require_open("ranking")
    _pin(monkeypatch, f"{ranking.ends_on.isoformat()}T21:30:00+00:00")
    assert calendar.require_open("ranking").phase == ranking


def test_a_demo_built_on_a_pinned_day_is_open_on_that_day_and_not_on_the_real_one(db_url, monkeypatch):
    _pin(monkeypatch, "2024-03-10")
    _load_demo("ranking")
    assert calendar.current_wave() is not None
    ranking = calendar.require_open("ranking").phase
    assert ranking.starts_on <= dt.date(2024, 3, 10) <= ranking.ends_on
    assert calendar.current_wave(dt.datetime(2025, 3, 10, 12, 0, tzinfo=PARIS)) is None


def test_a_pinned_instant_is_returned_in_paris_time(db_url, monkeypatch):
    _pin(monkeypatch, "2024-03-12T23:30:00+00:00")  # 13 March 00:30 in Paris
    assert calendar.now().date() == dt.date(2024, 3, 13)


def test_a_calendar_edit_is_seen_by_the_next_event_though_one_event_reads_the_calendar_once(db_url):
    """``read_once`` (one page event) reads the calendar a single time; the next event sees a manager's change."""
    import sqlalchemy as sa

    from siimop_app.db import transaction
    from siimop_app.models import Phase

    make_campaign("ranking")

    def close_ranking() -> None:
        with transaction() as session:
            session.execute(sa.update(Phase).where(Phase.kind == "ranking")
                            .values(ends_on=calendar.now().date() - dt.timedelta(days=1),
                                    starts_on=calendar.now().date() - dt.timedelta(days=2)))

    with calendar.read_once():
        assert calendar.require_open("ranking").phase.kind == "ranking"
        close_ranking()  # while this event runs, it keeps the calendar it read
        assert calendar.require_open("ranking").phase.kind == "ranking"
    with pytest.raises(calendar.PhaseClosedError):  # the next event reads the calendar again
        calendar.require_open("ranking")


def test_a_staff_members_grants_and_the_published_rounds_are_read_once_per_event_and_again_by_the_next(db_url):
    """Inside ``read_once`` a staff table's load asks for the user's scope and the published rounds several times:
    each is read once; the next event reads them again (a grant revoked, a round published, is seen at once)."""
    import sqlalchemy as sa
    from siimop_app.db import get_engine, transaction
    from siimop_app.models import RoleGrant, User
    from siimop_app.services import results, scope

    make_campaign("ranking")
    with transaction() as session:
        user = User(first_name="Ada", last_name="Admin")
        session.add(user)
        session.flush()
        session.add(RoleGrant(user_id=user.id, role="admin"))
        user_id = user.id
    statements = []

    def counted(conn, cursor, statement, *rest):
        statements.append(statement)

    def reads() -> tuple[int, int]:
        return (sum("role_grant" in s for s in statements), sum("matching_round" in s for s in statements))

    sa.event.listen(get_engine(), "before_cursor_execute", counted)
    try:
        with calendar.read_once():
            for _ in range(3):
                with transaction() as session:
                    assert scope.scope_of(session, user_id, ("admin",)).areas == (scope.Area(),)
                    assert results.published_round_ids(session) == []
            assert reads() == (1, 2)  # the grants once, the published rounds once (two statements)
            with transaction() as session:
                session.execute(sa.delete(RoleGrant).where(RoleGrant.user_id == user_id))
            with transaction() as session:  # still this event's read
                assert scope.scope_of(session, user_id, ("admin",)).areas == (scope.Area(),)
        with transaction() as session:  # the next event reads them again
            assert scope.scope_of(session, user_id, ("admin",)).is_empty
            results.published_round_ids(session)
    finally:
        sa.event.remove(get_engine(), "before_cursor_execute", counted)
    assert reads() == (3, 4)  # the grants, their deletion, the next read; the published rounds twice


def test_every_waves_calendar_is_one_statement_and_holds_each_waves_phases_and_rounds(db_url):
    """Every event of every page reads the calendar: one statement, whatever the number of waves, with each wave's
    phases in date order, their round numbers, and every round of the wave (one without any phase too)."""
    import sqlalchemy as sa
    from sqlmodel import select

    from siimop_app.db import get_engine, transaction
    from siimop_app.models import Phase, Round, Wave

    rounds = make_campaign("ranking")
    today = calendar.now().date()
    with transaction() as session:
        first = session.exec(select(Wave)).one()
        second = Wave(campaign_id=first.campaign_id, number=2, name="Vague 2", subtitle="Semestre décalé")
        session.add(second)
        session.flush()
        lone = Round(wave_id=second.id, number=1)  # a round whose phases are not dated yet
        session.add(lone)
        session.flush()
        session.add(Phase(wave_id=second.id, kind="management", starts_on=today, ends_on=today))
        second_id, lone_id = second.id, lone.id
    statements = []

    def counted(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(get_engine(), "before_cursor_execute", counted)
    try:
        waves = {c.wave_id: c for c in calendar._calendars()}
    finally:
        sa.event.remove(get_engine(), "before_cursor_execute", counted)
    assert len(statements) == 1
    assert waves[second_id].round_numbers == {lone_id: 1}
    assert [(p.kind, p.round_number) for p in waves[second_id].phases] == [("management", None)]
    assert waves[second_id].campaign_name == waves[first.id].campaign_name and waves[second_id].wave_subtitle
    ours = waves[first.id]
    assert ours.round_numbers == {round_id: number for number, round_id in rounds.items()}
    with transaction() as session:
        expected = session.exec(select(Phase).where(Phase.wave_id == first.id).order_by(Phase.starts_on, Phase.id))
        by_round = {round_id: number for number, round_id in rounds.items()}
        assert [(p.kind, p.round_number, p.starts_on, p.ends_on) for p in ours.phases] == [
            (p.kind, by_round.get(p.round_id), p.starts_on, p.ends_on) for p in expected]
    assert ours.news_url == get_settings().news_url  # the campaign names none
