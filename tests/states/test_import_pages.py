"""The import pages without a browser: guard, preview, apply with a receipt, and the history."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import ImportBatch, Student
from siimop_app.pages.manager.import_history import ImportHistoryState
from siimop_app.pages.manager.imports import ManagerImportsState
from tests.services.import_files import csv_bytes, student
from tests.states.test_guards import demo_address, load_demo, page_state, redirects, sign_in


class Upload:
    """What the upload handler receives for one dropped file."""

    def __init__(self, filename: str, data: bytes) -> None:
        self.filename, self._data = filename, data

    async def read(self, size: int = -1) -> bytes:
        return self._data if size < 0 else self._data[:size]


def run(handler) -> None:
    async def consume():
        async for _ in handler:
            pass

    asyncio.run(consume())


def test_a_manager_previews_then_applies_a_students_file_and_finds_it_in_the_history(db_url, outbox):
    load_demo("ranking")
    coordinator = page_state(ManagerImportsState, sign_in(outbox, demo_address("coordinator")))
    assert redirects(coordinator.load()) == ["/"]
    run(coordinator.preview([Upload("e.csv", b"x")]))
    assert coordinator.error == "Vous n'avez pas accès à cette page." and coordinator.filename == ""

    manager = page_state(ManagerImportsState, sign_in(outbox, demo_address("manager")))
    assert redirects(manager.load()) == []
    bad = [student(1, subdivision="SUBDI TOURS"), student(2, ine="12AB")]
    run(manager.preview([Upload("etudiants.csv", csv_bytes("students", bad))]))
    assert manager.error_count == 2 and manager.errors[0].startswith("ligne 2, colonne « Subdivision »")
    run(manager.apply())
    assert manager.error.startswith("Déposez de nouveau le fichier")  # a file with errors is never applied

    rows = [student(1, subdivision="LILLE"), student(2, subdivision="AMIENS")]
    run(manager.preview([Upload("etudiants.csv", csv_bytes("students", rows))]))
    assert manager.errors == [] and manager.counts.new == 2 and manager.counts.absent > 0
    with transaction() as session:
        assert session.exec(select(Student).where(Student.ine == rows[0]["ine"])).first() is None
    run(manager.apply())
    assert manager.error == "" and manager.receipt.startswith("Import n° ")
    assert "2 nouvelle(s)" in manager.receipt and manager.filename == ""
    with transaction() as session:
        assert session.exec(select(Student).where(Student.ine == rows[0]["ine"])).first() is not None
        batch = session.exec(select(ImportBatch)).one()

    history = page_state(ImportHistoryState, sign_in(outbox, demo_address("manager")))
    assert redirects(history.load()) == []
    (row,) = history.batches
    assert (row.filename, row.new, row.who) == ("etudiants.csv", 2, "Arnaud MONIER")
    assert row.href == f"/files/imports/{batch.id}"
    admin = page_state(ImportHistoryState, sign_in(outbox, demo_address("admin")))
    admin.load()
    assert admin.batches[0].href == row.href


def test_a_manager_creates_the_next_campaign_from_the_page(db_url, outbox):
    from siimop_app.pages.manager.campaigns import ManagerCampaignsState

    load_demo("ranking")
    coordinator = page_state(ManagerCampaignsState, sign_in(outbox, demo_address("coordinator")))
    assert redirects(coordinator.load()) == ["/"] and coordinator.campaigns == []
    coordinator.create({"name": "Campagne pirate"})
    assert coordinator.error == "Vous n'avez pas accès à cette page."

    manager = page_state(ManagerCampaignsState, sign_in(outbox, demo_address("manager")))
    assert redirects(manager.load()) == []
    previous = manager.campaigns[0]
    manager.create({"name": "Campagne Mai 2099", "copy_from": previous.id, "shift_weeks": "52"})
    assert manager.error == "" and manager.message.startswith("La campagne « Campagne Mai 2099 » est créée")
    assert [c.name for c in manager.campaigns] == ["Campagne Mai 2099", previous.name]
    manager.add_wave({"campaign_id": manager.campaigns[0].id, "name": "Vague 2 Campagne Mai 2099",
                      "subtitle": "Semestre décalé", "shift_weeks": "x"})
    assert manager.error == "Le décalage doit être un nombre entier de semaines."
    # That wave's shift field is the one marked in error (aria-invalid), not the new-campaign form's.
    assert manager.error_form == f"wave-{manager.campaigns[0].id}" and manager.error_fields == ["shift_weeks"]


def test_a_manager_finds_a_coordinator_and_grants_then_revokes_a_role(db_url, outbox):
    from siimop_app.pages.manager.people import PeopleState

    load_demo("ranking")
    page = page_state(PeopleState, sign_in(outbox, demo_address("manager")))
    assert redirects(page.load()) == []
    page.search({"query": "coordo@demo"})
    (row,) = page.results
    page.open(row.user_id)
    assert page.selected.name == "Sophie MOREAU-THIBERGE" and [g.label for g in page.grants] == ["Coordonnateur"]
    amiens = next(i for i, label in page.options["subdivisions"] if label == "SUBDI AMIENS")
    pediatrics = next(i for i, label in page.options["specialties"] if label == "PÉDIATRIE")
    page.grant({"role": "coordinator", "subdivision_id": amiens, "specialty_id": pediatrics})
    assert page.error == "" and page.message == "Le rôle a été attribué." and len(page.grants) == 2
    tours = next(i for i, label in page.options["subdivisions"] if label == "SUBDI TOURS")
    page.grant({"role": "coordinator", "subdivision_id": tours, "specialty_id": pediatrics})
    assert page.error == "Ce périmètre n'est pas dans le vôtre."
    page.revoke(page.grants[-1].id)
    assert page.message == "Le rôle a été retiré." and len(page.grants) == 1
    assert [h.action for h in page.history][:2] == ["grant.revoke", "grant.create"]
    assert page.history[0].who == "Arnaud MONIER"

    student = page_state(PeopleState, sign_in(outbox, demo_address("student")))
    assert redirects(student.load()) == ["/"]
    student.open(row.user_id)
    assert student.selected.user_id == 0 and student.error == "Vous n'avez pas accès à cette page."


def test_a_manager_corrects_a_students_subdivision_from_their_page(db_url, outbox):
    from siimop_app.pages.manager.people import PeopleState

    load_demo("ranking")
    page = page_state(PeopleState, sign_in(outbox, demo_address("manager")))
    page.load()
    page.search({"query": "etudiant@demo"})
    page.open(page.results[0].user_id)
    form = dict(page.student_form)
    assert form["subdivision"] == "SUBDI LILLE" and form["semestre_decale"] == "oui"
    page.correct_student({**form, "subdivision": "SUBDI AMIEN", "ine": "0000000000X"})
    assert page.correction_errors == ["« Subdivision » : « SUBDI AMIEN » n'est pas une subdivision connue "
                                      "(vouliez-vous dire « SUBDI AMIENS » ?)"]
    assert page.correction_fields == ["subdivision"]  # the field marked in error (aria-invalid)
    page.correct_student({**form, "subdivision": "amiens"})
    assert page.correction_fields == []
    assert page.correction_errors == [] and page.message.endswith("Subdivision : SUBDI LILLE → SUBDI AMIENS")
    assert page.student_form["subdivision"] == "SUBDI AMIENS" and page.student_form["ine"] == form["ine"]
    assert page.history[0].action == "import.student.update"
