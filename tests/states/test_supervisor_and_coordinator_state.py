"""The supervisors and coordinators pages' handlers, without a browser: guards, filters, forged values, charts."""

from __future__ import annotations

import pytest

from siimop_app.navigation import MENUS
from siimop_app.pages.coordinator.coordinators import CoordinatorTableState
from siimop_app.pages.coordinator.supervisors import PAGE_SIZE, SupervisorTableState
from tests.states.reflex_state import settle
from tests.states.test_guards import demo_address, load_demo, page_state, redirects, sign_in

STATES = [SupervisorTableState, CoordinatorTableState]


def _loaded(outbox, cls, account: str):
    state = page_state(cls, sign_in(outbox, demo_address(account)))
    assert redirects(settle(state.load())) == []
    return state


def test_menu_entries_point_at_the_pages():
    hrefs = {entry.label: entry.href for entry in MENUS["coordinator"]}
    assert hrefs["Gestion des responsables des terrains de stage"] == "/coordonnateur/responsables"
    assert hrefs["Gestion des coordonnateurs"] == "/coordonnateur/coordonnateurs"


@pytest.mark.parametrize("cls", STATES, ids=lambda c: c.__name__)
def test_staff_load_and_others_are_sent_away(db_url, outbox, cls):
    load_demo("ranking")
    for account, interface in (("coordinator", "coordinator"), ("manager", "manager"), ("admin", "admin")):
        state = _loaded(outbox, cls, account)
        assert state.interface == interface and state.total > 0 and state.rows and state.statistics
        assert "sort=last_name" in state.export_query
    for account in ("student", "rts2"):
        state = page_state(cls, sign_in(outbox, demo_address(account)))
        assert redirects(settle(state.load())) == ["/"]
        assert state.rows == [] and state.total == 0 and state.statistics == []
    anonymous = page_state(cls)
    assert redirects(settle(anonymous.load())) == ["/connexion"]
    # Events forged by a visitor who never loaded the page load nothing.
    settle(anonymous.search({"q": "a"}))
    settle(anonymous.set_filter("region", "1"))
    settle(anonymous.sort_by("email"))
    settle(anonymous.next_page())
    assert anonymous.rows == [] and anonymous.total == 0 and anonymous.error


def test_supervisors_page_scope_filters_and_charts(db_url, outbox):
    load_demo("ranking")
    state = _loaded(outbox, SupervisorTableState, "coordinator")
    assert {row.subdivisions for row in state.rows} == {"SUBDI AMIENS"}
    assert [s.label for s in state.statistics] == ["RTS connectés", "Classements valides"]
    assert [r.label for r in state.by_specialty] == ["MÉDECINE D'URGENCE"]
    assert [r.label for r in state.by_subdivision] == ["SUBDI AMIENS"]
    assert state.specialty_chart_height > 0
    mine = state.total
    manager = _loaded(outbox, SupervisorTableState, "manager")
    assert manager.total > mine and len(manager.rows) == min(PAGE_SIZE, manager.total)
    assert {r.label for r in manager.by_subdivision} == {"SUBDI AMIENS", "SUBDI LILLE"}
    lille = next(o.value for o in manager.subdivisions if o.label == "SUBDI LILLE")
    settle(manager.set_filter("subdivision", lille))
    assert 0 < manager.total and {r.label for r in manager.by_subdivision} == {"SUBDI LILLE"}
    assert f"subdivision={lille}" in manager.export_query
    # The coordinator forging Lille sees nothing more.
    for value in (lille, "0", "-1", "1 OR 1=1"):
        settle(state.set_filter("subdivision", value))
        assert state.total == 0 and state.rows == [] and state.by_subdivision == [], value
    settle(state.reset_filters())
    assert state.total == mine
    settle(state.sort_by("password"))
    assert state.sort == "last_name"
    settle(state.sort_by("posts"))
    settle(state.sort_by("posts"))
    assert state.descending and state.rows[0].posts >= state.rows[-1].posts
    settle(state.set_filter("session_cookie", "x"))
    assert state.session_cookie != "x"


def test_coordinators_page_scope_and_filters(db_url, outbox):
    load_demo("ranking")
    state = _loaded(outbox, CoordinatorTableState, "coordinator")
    assert {(r.specialty, r.subdivision) for r in state.rows} == {("MÉDECINE D'URGENCE", "SUBDI AMIENS")}
    assert demo_address("coordinator") in {r.email for r in state.rows}
    mine = state.total
    admin = _loaded(outbox, CoordinatorTableState, "admin")
    assert admin.total > mine
    settle(state.search({"q": "moreau"}))
    assert state.total == 1 and state.rows[0].email == demo_address("coordinator")
    settle(state.search({"q": "%"}))
    assert state.total == 0
    settle(state.reset_filters())
    assert state.total == mine
