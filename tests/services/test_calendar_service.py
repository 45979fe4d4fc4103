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


def _signed_in(outbox, address: str) -> str:
    from siimop_app.services import auth
    from tests.services.factories import make_user
    from tests.services.mailbox import links_for, token_of

    make_user(address, "coordinator")
    assert auth.request_sign_in(address) == auth.SIGN_IN_SENT_MESSAGE
    return auth.consume_sign_in_link(token_of(links_for(outbox, address)[-1]))


class _Events:
    """Page events as a worker runs them: the session check (which reads the calendar's version), then the
    calendar, counting the statements that read the calendar itself."""

    def __init__(self, cookie: str) -> None:
        self.cookie, self.calendar_reads = cookie, 0

    def __enter__(self):
        import sqlalchemy as sa

        from siimop_app.db import get_engine

        sa.event.listen(get_engine(), "before_cursor_execute", self._counted)
        return self

    def __exit__(self, *exc) -> None:
        import sqlalchemy as sa

        from siimop_app.db import get_engine

        sa.event.remove(get_engine(), "before_cursor_execute", self._counted)

    def _counted(self, conn, cursor, statement, *rest) -> None:
        self.calendar_reads += "calendar_rows" in statement

    def run(self) -> tuple[int, calendar.WaveCalendar]:
        """(calendar statements this event ran, the current wave it saw)."""
        from siimop_app.services import auth

        before = self.calendar_reads
        with calendar.read_once():
            assert auth.resolve_session(self.cookie) is not None
            wave = calendar.current_wave()
        return self.calendar_reads - before, wave


def test_an_event_reuses_the_calendar_while_its_version_holds_and_any_change_to_it_is_seen_by_the_next(
        db_url, outbox):
    """The session check also reads the calendar's version; an event that finds the version this process read
    last takes that calendar without a statement. Database triggers change the version in the transaction that
    changes a campaign, a wave, a phase or a round's number, whoever writes it (a service, SQL typed by hand), so
    the very next event reads the new calendar. A round's status is not part of the calendar: no read."""
    import sqlalchemy as sa

    from siimop_app.db import get_engine, transaction
    from siimop_app.models import Campaign, Phase, Round, Wave

    rounds = make_campaign("ranking")
    today = calendar.now().date()
    with _Events(_signed_in(outbox, "coordination@example.fr")) as events:
        assert events.run()[0] == 1  # this process's first read
        assert events.run()[0] == 0  # unchanged: kept

        def changed(statement) -> calendar.WaveCalendar:
            with transaction() as session:
                session.execute(statement)
            reads, wave = events.run()
            assert reads == 1, statement
            assert events.run()[0] == 0  # and kept again
            return wave

        ranking_end = today + dt.timedelta(days=30)
        wave = changed(sa.update(Phase).where(Phase.kind == "ranking").values(ends_on=ranking_end))
        assert wave.open_phase("ranking", calendar.now()).ends_on == ranking_end
        assert changed(sa.update(Wave).values(name="Vague renommée")).wave_name == "Vague renommée"
        assert changed(sa.update(Campaign).values(news_url="https://example.fr/actualites")).news_url == (
            "https://example.fr/actualites")
        wave = changed(sa.insert(Round).values(wave_id=wave.wave_id, number=9))
        assert 9 in wave.round_numbers.values()
        assert 8 in changed(sa.update(Round).where(Round.number == 9).values(number=8)).round_numbers.values()
        assert 8 not in changed(sa.delete(Round).where(Round.number == 8)).round_numbers.values()
        closed = today - dt.timedelta(days=1)
        wave = changed(sa.update(Phase).where(Phase.kind == "ranking").values(starts_on=closed, ends_on=closed))
        assert wave.open_phase("ranking", calendar.now()) is None

        with get_engine().begin() as connection:  # by hand, outside the services
            connection.execute(sa.text("UPDATE wave SET subtitle = 'Semestre décalé'"))
        reads, wave = events.run()
        assert (reads, wave.wave_subtitle) == (1, "Semestre décalé")

        with transaction() as session:  # a round closing changes its status, not the calendar
            session.execute(sa.update(Round).where(Round.id == rounds[1]).values(status="closing"))
        assert events.run()[0] == 0


def test_without_its_version_row_the_calendar_is_read_by_every_event_until_a_change_writes_the_row_again(
        db_url, outbox):
    """A database whose rows were all erased (``demo --reset`` deletes every table's rows) has no version: every
    event then reads the calendar, and the next change to the calendar writes a new version."""
    import sqlalchemy as sa

    from siimop_app.db import transaction
    from siimop_app.models import CalendarVersion, Wave

    make_campaign("ranking")
    with _Events(_signed_in(outbox, "coordination@example.fr")) as events:
        events.run()
        with transaction() as session:
            session.execute(sa.delete(CalendarVersion))
        assert [events.run()[0] for _ in range(3)] == [1, 1, 1]
        with transaction() as session:
            session.execute(sa.update(Wave).values(name="Vague 1 bis"))
        assert [events.run()[0] for _ in range(3)] == [1, 0, 0]
        assert events.run()[1].wave_name == "Vague 1 bis"
