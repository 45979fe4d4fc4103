"""Gestion des postes without a browser: the guards, and forged events that must change nothing."""

from __future__ import annotations

import json

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import AuditEntry, Post, Subdivision
from siimop_app.pages.coordinator.posts import PAGE_SIZE, PostTableState, StaffPostDetailState
from tests.states.reflex_state import settle
from tests.states.test_guards import demo_address, load_demo, page_state, redirects, sign_in


def _detail(cookie: str, post_id) -> StaffPostDetailState:
    return page_state(StaffPostDetailState, cookie, path="/coordonnateur/postes/[post_id]", params={"post_id": post_id})


def _post_outside_amiens() -> int:
    with transaction() as session:
        return session.exec(select(Post.id).join(Subdivision, Subdivision.id == Post.subdivision_id)
                            .where(Subdivision.label == "SUBDI LILLE").order_by(Post.id)).first()


def _post_audit_rows() -> int:
    with transaction() as session:
        return len(session.exec(select(AuditEntry.id).where(AuditEntry.entity == "post")).all())


def test_anonymous_students_and_supervisors_are_sent_away(db_url, outbox):
    load_demo("ranking")
    anonymous = page_state(PostTableState)
    assert redirects(settle(anonymous.load())) == ["/connexion"] and anonymous.rows == []
    for account in ("student", "rts2"):
        state = page_state(PostTableState, sign_in(outbox, demo_address(account)))
        assert redirects(settle(state.load())) == ["/"] and state.rows == [] and state.statistics == []
        detail = _detail(sign_in(outbox, demo_address(account)), _post_outside_amiens())
        assert redirects(settle(detail.load())) == ["/"] and detail.detail.post_id == 0


def test_the_coordinator_loads_one_page_and_reads_only(db_url, outbox):
    load_demo("ranking")
    state = page_state(PostTableState, sign_in(outbox, demo_address("coordinator")))
    assert redirects(settle(state.load())) == []
    assert state.loaded and 0 < len(state.rows) <= PAGE_SIZE and not state.can_manage
    assert {row.subdivision for row in state.rows} == {"SUBDI AMIENS"}
    assert [s.label for s in state.statistics][0] == "Postes"
    assert state.interface == "coordinator"
    # A forged filter value (another subdivision's id, garbage) narrows nothing beyond the scope.
    settle(state.set_filter("subdivision", str(_subdivision_id("SUBDI LILLE"))))
    assert state.total == 0 and state.rows == []
    settle(state.set_filter("subdivision", "1 OR 1=1"))
    assert {row.subdivision for row in state.rows} == {"SUBDI AMIENS"}
    settle(state.sort_by("'; DROP TABLE post; --"))
    assert state.sort == "approval_number"
    settle(state.sort_by("places"))
    settle(state.sort_by("places"))
    assert state.sort == "places" and state.descending
    # A forged "validated by the ARS" event from a coordinator changes nothing.
    row = state.rows[0]
    settle(state.toggle_ars(row.id, not row.validated_by_ars))
    assert state.error and _post_audit_rows() == 0


def _subdivision_id(label: str) -> int:
    with transaction() as session:
        return session.exec(select(Subdivision.id).where(Subdivision.label == label)).one()


def test_the_coordinator_cannot_open_a_post_outside_the_scope(db_url, outbox):
    load_demo("ranking")
    cookie = sign_in(outbox, demo_address("coordinator"))
    for forged in (_post_outside_amiens(), "abc", "1 OR 1=1", "99999999"):
        detail = _detail(cookie, forged)
        assert redirects(settle(detail.load())) == []
        assert detail.error == "Ce poste ne fait pas partie de votre périmètre." and detail.detail.post_id == 0
        assert detail.candidates == []
    inside = page_state(PostTableState, cookie)
    settle(inside.load())
    detail = _detail(cookie, inside.rows[0].id)
    settle(detail.load())
    assert detail.loaded and detail.error == "" and not detail.can_manage
    detail.places_input = "9"
    settle(detail.save_places())
    settle(detail.toggle_ars(True))
    assert "gestionnaires" in detail.error and _post_audit_rows() == 0


def test_the_manager_ticks_and_changes_places_and_forged_values_are_refused(db_url, outbox):
    load_demo("ranking")
    cookie = sign_in(outbox, demo_address("manager"))
    state = page_state(PostTableState, cookie)
    settle(state.load())
    assert state.can_manage and state.interface == "manager"
    row = next(r for r in state.rows if not r.validated_by_ars)
    settle(state.toggle_ars(row.id, True))
    ticked = next(r for r in state.rows if r.id == row.id)
    assert ticked.validated_by_ars and ticked.last_change.startswith("Arnaud MONIER le ")
    for forged_id, forged_value in (("1", True), (row.id, "yes"), (True, True)):
        settle(state.toggle_ars(forged_id, forged_value))
        assert state.error
    assert _post_audit_rows() == 1
    settle(state.toggle_ars(_post_outside_amiens_region(), True))
    assert state.error == "Ce poste ne fait pas partie de votre périmètre." and _post_audit_rows() == 1

    detail = _detail(cookie, row.id)
    settle(detail.load())
    assert detail.can_manage
    for bad in ("-1", "abc", "1.5"):
        detail.set_places_input(bad)
        settle(detail.save_places())
        assert detail.error
    detail.set_places_input(str(detail.detail.places + 1))
    settle(detail.save_places())
    assert detail.error == "" and detail.places_confirm_open and _post_audit_rows() == 1  # asked, not written
    assert detail.places_confirm_text.startswith(f"Le poste passera de {detail.detail.places} à ")
    settle(detail.confirm_places())
    assert detail.error == "" and not detail.places_confirm_open and _post_audit_rows() == 2
    with transaction() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "post.places")).one()
    assert json.loads(entry.after_json) == {"places_opened": detail.detail.places}


def test_closing_a_post_says_which_candidates_it_leaves_out_before_writing(db_url, outbox):
    load_demo("ranking")
    cookie = sign_in(outbox, demo_address("manager"))
    table = page_state(PostTableState, cookie)
    settle(table.load())
    for row in table.rows:
        detail = _detail(cookie, row.id)
        settle(detail.load())
        if len(detail.candidates) >= 2 and detail.detail.places > 0:
            with_candidates = row
            break
    else:
        raise AssertionError("no post with candidates on the first page")
    detail.set_places_input("0")
    settle(detail.save_places())
    assert detail.places_confirm_open
    assert f"Aucun de ses {len(detail.candidates)} candidat(s) du tour 1 ne pourra plus y être affecté." \
        in detail.places_confirm_text
    detail.dismiss_places(False)  # "Annuler": nothing changes
    settle(detail.confirm_places())
    assert detail.detail.places == with_candidates.places and _post_audit_rows() == 0


def _post_outside_amiens_region() -> int:
    """A post outside Hauts-de-France (the demo manager's region)."""
    with transaction() as session:
        return session.exec(select(Post.id).join(Subdivision, Subdivision.id == Post.subdivision_id)
                            .where(Subdivision.label == "SUBDI CAEN").order_by(Post.id)).first()
