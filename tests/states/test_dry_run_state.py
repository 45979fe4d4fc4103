"""The "Simulation du tour" page without a browser: who enters, what a run shows, and forged events."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Phase
from siimop_app.navigation import MENUS
from siimop_app.pages.coordinator.simulation import DryRunState
from siimop_app.services import calendar, dry_run
from tests.states.test_guards import NO_ACCESS, demo_address, load_demo, page_state, redirects, sign_in, toasts


def _run(state: DryRunState) -> None:
    """What the background event does, without the event loop: the checks, the engine, the display."""
    user = state._begin()
    state._finish(lambda: dry_run.run_dry_run(user) if user else None)


def test_the_page_is_in_the_coordinator_and_manager_menus_only():
    for interface in ("coordinator", "manager", "admin"):
        assert "/coordonnateur/simulation" in {entry.href for entry in MENUS[interface]}
    for interface in ("student", "supervisor"):
        assert "/coordonnateur/simulation" not in {entry.href for entry in MENUS[interface]}


def test_students_and_supervisors_never_reach_it_even_with_a_forged_event(db_url, outbox):
    load_demo("ranking")
    for account in ("student", "rts2"):
        state = page_state(DryRunState, sign_in(outbox, demo_address(account)))
        result = state.load()
        assert redirects(result) == ["/"] and any(NO_ACCESS in js for js in toasts(result))
        assert not state.available and not state.has_report
        assert state._begin() is None and state.error == NO_ACCESS and not state.running
    assert redirects(page_state(DryRunState, "").load()) == ["/connexion"]


def test_a_coordinator_runs_the_simulation_and_sees_their_scope(db_url, outbox):
    load_demo("ranking")
    state = page_state(DryRunState, sign_in(outbox, demo_address("coordinator")))
    assert redirects(state.load()) == []
    assert state.available and state.round_text.startswith("Tour 1, période de classement ouverte")
    assert state.interface == "coordinator"
    _run(state)
    assert state.error == "" and state.has_report and not state.running
    assert state.heading.startswith("Simulation du tour 1 faite le ")
    assert state.tiles[0].label.startswith("Étudiants affectés") and "%)" in state.tiles[0].value
    assert [row.label for row in state.by_specialty] == ["MÉDECINE D'URGENCE"]
    assert [row.label for row in state.by_subdivision] == ["SUBDI AMIENS"]
    assert state.rankings_sentence.endswith("classements non valides ou manquants étaient corrigés.")
    assert state.supervisors and all(row.subdivision == "SUBDI AMIENS" for row in state.supervisors)
    assert all(row.reason for row in state.unplaced)


def test_outside_the_wishes_and_ranking_phases_the_page_says_so(db_url, outbox):
    load_demo("results")
    today = calendar.now().date()
    with transaction() as session:  # round 2's wishes not open either
        for phase in session.exec(select(Phase).where(Phase.kind.in_(["wishes", "ranking"]))).all():
            if phase.starts_on <= today <= phase.ends_on:
                phase.starts_on = phase.ends_on = today - dt.timedelta(days=1)
                session.add(phase)
    state = page_state(DryRunState, sign_in(outbox, demo_address("manager")))
    assert redirects(state.load()) == []
    assert not state.available and "période des vœux ou du classement" in state.round_text
    _run(state)  # a forged click on the disabled button
    assert "période des vœux ou du classement" in state.error and not state.has_report and not state.running


def test_a_manager_confirms_then_sends_the_reminders_and_a_coordinator_cannot(db_url, outbox):
    load_demo("ranking")
    coordinator = page_state(DryRunState, sign_in(outbox, demo_address("coordinator")))
    coordinator.load()
    assert not coordinator.can_remind
    coordinator.ask_remind()  # a forged event
    assert coordinator.error == NO_ACCESS and not coordinator.confirm_open
    coordinator.remind()
    assert coordinator.error == NO_ACCESS and coordinator.message == ""

    manager = page_state(DryRunState, sign_in(outbox, demo_address("manager")))
    manager.load()
    assert manager.can_remind and manager.interface == "manager"
    manager.ask_remind()
    assert manager.confirm_open and "responsable(s) dont le classement est non valide ou manquant" in manager.confirm_text
    manager.dismiss(False)
    assert not manager.confirm_open
    manager.remind()
    assert manager.error == "" and manager.message.startswith("Rappels envoyés : ")
    assert "0 personne(s) déjà relancée(s)" in manager.message
    manager.remind()
    assert manager.message.startswith("Rappels envoyés : 0 responsable(s) et 0 étudiant(s).")
