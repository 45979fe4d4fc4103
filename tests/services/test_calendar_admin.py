"""Managers set the calendar: checked, audited, and it drives what is open."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import AuditEntry, Region, Specialty, Subdivision, UserEmail
from siimop_app.services import calendar, calendar_admin
from siimop_app.services.access import AccessDenied
from siimop_app.services.auth import SignedInUser
from tests.services.factories import make_campaign, make_user, reference_id


def _campaign(phase: str) -> None:
    """A campaign whose today falls in ``phase``, its ARS manager, an admin, a supervisor and a coordinator."""
    make_campaign(phase)
    make_user("ars@demo.siimop.fr", "manager", region_id=reference_id(Region, "HDF"))
    make_user("admin@demo.siimop.fr", "admin")
    make_user("rts@demo.siimop.fr", "supervisor")
    make_user("coordo@demo.siimop.fr", "coordinator", subdivision_id=reference_id(Subdivision, "AMIENS"),
              specialty_id=reference_id(Specialty, "MED-URG"))


def _user(address: str, *roles: str) -> SignedInUser:
    with transaction() as session:
        user_id = session.exec(select(UserEmail.user_id).where(UserEmail.email == address)).one()
    return SignedInUser(user_id, "Demo", "User", address, roles)


def test_a_manager_opens_the_wishes_phase_today_and_it_is_audited(db_url):
    _campaign("ranking")
    manager = _user("ars@demo.siimop.fr", "manager")
    wishes = next(p for p in calendar_admin.list_phases(manager) if p.label == "Vœux des étudiants" and p.round == "Tour 1")
    with pytest.raises(calendar.PhaseClosedError):
        calendar.require_open("wishes")
    today = calendar.now().date()
    calendar_admin.set_phase_dates(manager, wishes.id, today.isoformat(), (today + dt.timedelta(days=2)).isoformat())
    assert calendar.require_open("wishes").phase.round_number == 1
    with transaction() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "phase.dates")).one()
    assert entry.actor_user_id == manager.user_id and today.isoformat() in entry.after_json


def test_bad_dates_and_other_roles_are_refused_and_nothing_changes(db_url):
    _campaign("ranking")
    manager = _user("ars@demo.siimop.fr", "manager")
    phase = calendar_admin.list_phases(manager)[0]
    with pytest.raises(calendar_admin.CalendarError, match="postérieure"):
        calendar_admin.set_phase_dates(manager, phase.id, "2026-05-10", "2026-05-01")
    with pytest.raises(calendar_admin.CalendarError, match="pas valide"):
        calendar_admin.set_phase_dates(manager, phase.id, "10/05/2026", "2026-05-11")
    with pytest.raises(AccessDenied):
        calendar_admin.set_phase_dates(_user("rts@demo.siimop.fr", "supervisor"), phase.id, "2026-05-01", "2026-05-02")
    with pytest.raises(AccessDenied):
        calendar_admin.list_phases(_user("coordo@demo.siimop.fr", "coordinator"))
    assert calendar_admin.list_phases(manager)[0] == phase


def test_the_calendar_stays_editable_when_the_application_is_closed(db_url):
    _campaign("closed")
    assert calendar.current_wave() is None
    phases = calendar_admin.list_phases(_user("admin@demo.siimop.fr", "admin"))
    assert len(phases) == 10 and {p.round for p in phases} == {"", "Tour 1", "Tour 2", "Tour 3"}
