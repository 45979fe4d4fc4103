"""The results page's handlers, without a browser: guards, filters, forged values, paging, export query."""

from __future__ import annotations

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Round
from siimop_app.pages.coordinator.results import PAGE_SIZE, ResultTableState
from siimop_app.services import rounds
from tests.states.reflex_state import settle
from tests.states.test_guards import (
    demo_address,
    load_demo,
    page_state,
    redirects,
    sign_in,
)


def _published() -> None:
    """The small demo in its results phase, with round 1 closed: its results are published."""
    load_demo("results")
    with transaction() as session:
        round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
    rounds.close_round(round_id=round_id, actor_user_id=None)


def _loaded(outbox, account: str) -> ResultTableState:
    state = page_state(ResultTableState, sign_in(outbox, demo_address(account)))
    assert redirects(settle(state.load())) == []
    return state


def test_coordinator_sees_the_results_of_their_scope(db_url, outbox):
    _published()
    state = _loaded(outbox, "coordinator")
    assert 0 < state.total <= PAGE_SIZE and len(state.rows) == state.total
    assert {row.subdivision for row in state.rows} == {"SUBDI AMIENS"}
    assert {row.round for row in state.rows} == {"Tour 1"}
    assert [s.label for s in state.statistics] == ["Étudiants affectés", "Places pourvues"]
    assert state.interface == "coordinator"
    assert next(m for m in state.menu if m.label == "Résultats").href == "/coordonnateur/resultats"
    assert "sort=last_name" in state.export_query and len(state.rounds) == 1


def test_managers_and_admins_page_sort_and_filter(db_url, outbox):
    _published()
    manager = _loaded(outbox, "manager")
    assert manager.interface == "manager" and manager.total > PAGE_SIZE and len(manager.rows) == PAGE_SIZE
    assert next(m for m in manager.menu if m.label == "Résultats").href == "/coordonnateur/resultats"
    settle(manager.next_page())
    assert manager.page == 2 and manager.rows
    settle(manager.sort_by("ine"))
    settle(manager.sort_by("ine"))
    assert manager.page == 1 and manager.descending and manager.rows[0].ine >= manager.rows[-1].ine
    total = manager.total
    settle(manager.set_filter("method", "manuel"))
    assert manager.total == 0 and "method=manuel" in manager.export_query
    settle(manager.set_filter("method", "peut-être"))  # not a choice: no filter
    assert manager.f_method == "all" and manager.total == total
    settle(manager.search({"q": manager.rows[0].ine}))
    assert manager.total == 1
    settle(manager.reset_filters())
    assert manager.total == total and manager.f_q == ""
    settle(manager.set_filter("session_cookie", "x"))  # not a filter at all
    settle(manager.sort_by("password"))
    assert manager.session_cookie != "x" and manager.sort == "ine"
    admin = _loaded(outbox, "admin")
    assert admin.interface == "admin" and admin.total > total


def test_forged_filter_values_outside_the_scope_give_nothing(db_url, outbox):
    _published()
    state = _loaded(outbox, "coordinator")
    mine = state.total
    manager = _loaded(outbox, "manager")
    others = [o.value for o in manager.subdivisions if o.label != "SUBDI AMIENS"]
    for value in (*others, "0", "-1", "1 OR 1=1"):
        settle(state.set_filter("subdivision", value))
        assert state.total == 0 and state.rows == [], value
    settle(state.set_filter("subdivision", "all"))
    assert state.total == mine


def test_students_supervisors_and_visitors_are_sent_away(db_url, outbox):
    _published()
    for account in ("student", "rts2"):
        state = page_state(ResultTableState, sign_in(outbox, demo_address(account)))
        assert redirects(settle(state.load())) == ["/"]
        assert state.rows == [] and state.statistics == [] and state.total == 0
    anonymous = page_state(ResultTableState)
    assert redirects(settle(anonymous.load())) == ["/connexion"] and anonymous.rows == []
    settle(anonymous.set_filter("method", "appariement"))
    settle(anonymous.search({"q": "a"}))
    settle(anonymous.next_page())
    assert anonymous.rows == [] and anonymous.total == 0 and anonymous.error


def test_nothing_shows_before_publication(db_url, outbox):
    load_demo("ranking")
    state = _loaded(outbox, "admin")
    assert state.total == 0 and state.rows == [] and state.rounds == []
