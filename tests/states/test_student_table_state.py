"""The students table page's handlers, without a browser: guards, filters, forged values, the wishes dialog."""

from __future__ import annotations

import pytest

from siimop_app.pages.coordinator.home import PAGE_SIZE, CoordinatorHomeState, _statistics_for
from siimop_app.services import student_table
from siimop_app.services.access import AccessDenied
from tests.states.reflex_state import settle
from tests.states.test_guards import demo_address, load_demo, page_state, redirects, sign_in


def _loaded(outbox, account: str) -> CoordinatorHomeState:
    state = page_state(CoordinatorHomeState, sign_in(outbox, demo_address(account)))
    result = settle(state.load())
    assert redirects(result) == []
    return state


def test_coordinator_loads_the_students_of_their_scope_and_the_live_refresh_starts(db_url, outbox):
    load_demo("ranking")
    state = page_state(CoordinatorHomeState, sign_in(outbox, demo_address("coordinator")))
    result = settle(state.load())
    assert result.handler.fn.__qualname__ == "CoordinatorHomeState.watch_statistics"
    assert 0 < state.total <= PAGE_SIZE and len(state.rows) == state.total
    assert {row.subdivision for row in state.rows} == {"SUBDI AMIENS"}
    assert [s.label for s in state.statistics][:2] == ["Étudiants connectés", "Listes de vœux suffisantes"]
    assert state.menu[0].label == "Gestion des étudiants" and state.interface == "coordinator"
    assert "sort=last_name" in state.export_query


def test_managers_and_admins_use_it_with_their_own_menu(db_url, outbox):
    load_demo("ranking")
    manager = _loaded(outbox, "manager")
    assert manager.interface == "manager" and manager.total == 174 and len(manager.rows) == PAGE_SIZE
    assert next(m for m in manager.menu if m.label == "Gestion des étudiants").href == "/coordonnateur"
    settle(manager.next_page())
    assert manager.page == 2 and len(manager.rows) == PAGE_SIZE
    settle(manager.sort_by("ine"))
    assert manager.page == 1 and manager.sort == "ine" and not manager.descending
    settle(manager.sort_by("ine"))
    assert manager.descending and manager.rows[0].ine >= manager.rows[-1].ine
    admin = _loaded(outbox, "admin")
    assert admin.interface == "admin" and admin.total == 320


def test_students_and_supervisors_are_sent_away(db_url, outbox):
    load_demo("ranking")
    for account in ("student", "rts2"):
        state = page_state(CoordinatorHomeState, sign_in(outbox, demo_address(account)))
        assert redirects(settle(state.load())) == ["/"]
        assert state.rows == [] and state.statistics == [] and state.total == 0
    anonymous = page_state(CoordinatorHomeState)
    assert redirects(settle(anonymous.load())) == ["/connexion"] and anonymous.rows == []
    # Events forged by a visitor who never loaded the page (or whose session ended) load nothing.
    settle(anonymous.set_filter("participation", "oui"))
    settle(anonymous.search({"q": "a"}))
    settle(anonymous.open_detail(1))
    assert anonymous.rows == [] and anonymous.detail.wishes == [] and anonymous.detail_error
    with pytest.raises(AccessDenied):
        _statistics_for("", {})


def test_filters_change_rows_and_statistics(db_url, outbox):
    load_demo("ranking")
    state = _loaded(outbox, "manager")
    before = [s.value for s in state.statistics]
    settle(state.set_filter("decale", "oui"))
    assert 0 < state.total < 174 and all(row.decale == "oui" for row in state.rows)
    assert [s.value for s in state.statistics] != before
    assert "decale=oui" in state.export_query
    settle(state.search({"q": state.rows[0].ine}))
    assert state.total == 1
    settle(state.reset_filters())
    assert state.total == 174 and state.f_decale == "all" and state.f_q == ""
    settle(state.set_filter("participation", "peut-être"))  # not a choice: no filter
    assert state.f_participation == "all" and state.total == 174
    settle(state.set_filter("session_cookie", "x"))  # not a filter at all
    assert state.session_cookie != "x"


def test_forged_filter_values_outside_the_scope_give_nothing_more(db_url, outbox):
    load_demo("ranking")
    state = _loaded(outbox, "coordinator")
    mine = state.total
    manager = _loaded(outbox, "manager")
    others = [o.value for o in manager.subdivisions if o.label != "SUBDI AMIENS"]
    for value in (*others, "0", "-1", "1 OR 1=1"):
        settle(state.set_filter("subdivision", value))
        assert state.total == 0 and state.rows == [], value
        assert all(s.value == "0/0 (0%)" for s in state.statistics)
    settle(state.set_filter("subdivision", "all"))
    assert state.total == mine
    settle(state.sort_by("password"))  # not sortable: ignored
    assert state.sort == "last_name"


def test_wishes_dialog_only_in_scope(db_url, outbox):
    load_demo("ranking")
    state = _loaded(outbox, "coordinator")
    settle(state.open_detail(state.rows[0].id))
    assert state.detail_open and state.detail_error == "" and state.detail.ine == state.rows[0].ine
    assert state.detail.wishes and 0 <= state.detail.wishes[0].hearts <= 5
    manager = _loaded(outbox, "admin")
    outside = next(r.id for r in manager.rows if r.subdivision != "SUBDI AMIENS")
    settle(state.open_detail(outside))
    assert state.detail_error == student_table.NOT_IN_SCOPE and state.detail == student_table.NO_STUDENT
    settle(state.open_detail("1 OR 1=1"))
    assert state.detail_error == student_table.NOT_IN_SCOPE
