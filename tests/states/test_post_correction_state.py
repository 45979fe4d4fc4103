"""Issue 12: a manager corrects one post from its staff detail page, with the posts import's checks."""

from __future__ import annotations

import json

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import AuditEntry, Post, Subdivision
from tests.states.test_guards import demo_address, load_demo, sign_in
from tests.states.reflex_state import settle
from tests.states.test_post_table_state import _detail, _post_outside_amiens_region


def _amiens_post() -> int:
    with transaction() as session:
        return session.exec(select(Post.id).join(Subdivision, Subdivision.id == Post.subdivision_id)
                            .where(Subdivision.label == "SUBDI AMIENS").order_by(Post.id)).first()


def _corrections() -> list[AuditEntry]:
    with transaction() as session:
        return session.exec(select(AuditEntry).where(AuditEntry.action == "import.post.update")).all()


def test_the_manager_corrects_a_post_in_the_form_and_errors_keep_what_was_typed(db_url, outbox):
    load_demo("ranking")
    detail = _detail(sign_in(outbox, demo_address("manager")), _amiens_post())
    settle(detail.load())
    form = dict(detail.post_form)
    assert form["subdivision"] == "SUBDI AMIENS" and form["places"] == str(detail.detail.places)
    version = detail.form_version

    settle(detail.correct_post({**form, "subdivision": "SUBDI AMIEN", "places": "beaucoup"}))
    assert detail.correction_errors == [
        "« Subdivision » : « SUBDI AMIEN » n'est pas une subdivision connue (vouliez-vous dire « SUBDI AMIENS » ?)",
        "« Places » : « beaucoup » n'est pas un nombre de places (nombre entier de 1 à 50)"]
    assert detail.form_version == version and _corrections() == []  # the form keeps the typing; nothing written
    settle(detail.correct_post({**form, "subdivision": "SUBDI CAEN"}))  # Normandie: not the manager's region
    assert detail.correction_errors == ["« Subdivision » : cette subdivision n'est pas dans votre périmètre"]

    places = int(form["places"]) + 1
    settle(detail.correct_post({**form, "subdivision": "SUBDI LILLE", "places": str(places), "post_number": "1"}))
    assert detail.error == "" and detail.correction_errors == []
    assert detail.detail.places == places and detail.post_form["subdivision"] == "SUBDI LILLE"
    assert detail.form_version > version and detail.post_form["post_number"] == form["post_number"]
    [entry] = _corrections()
    assert json.loads(entry.after_json)["places_opened"] == places


def test_the_form_is_for_managers_in_their_region_only(db_url, outbox):
    load_demo("ranking")
    coordinator = _detail(sign_in(outbox, demo_address("coordinator")), _amiens_post())
    settle(coordinator.load())
    assert coordinator.loaded and coordinator.post_form == {}
    settle(coordinator.correct_post({"subdivision": "SUBDI LILLE"}))
    assert coordinator.error and _corrections() == []

    manager = sign_in(outbox, demo_address("manager"))
    outside = _detail(manager, _post_outside_amiens_region())
    settle(outside.load())
    assert outside.error and outside.post_form == {}
    settle(outside.correct_post({"subdivision": "SUBDI CAEN", "places": "3"}))
    assert outside.error and _corrections() == []
