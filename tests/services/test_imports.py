"""Imports on a real database (SQLite and PostgreSQL): all or nothing, idempotent, audited, scoped."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from siimop_app.db import get_engine, transaction
from siimop_app.imports.cli import main as cli_main
from siimop_app.models import (
    AuditEntry,
    Campaign,
    ImportBatch,
    Post,
    PostSupervisor,
    Region,
    RoleGrant,
    Round,
    Site,
    Specialty,
    Student,
    Subdivision,
    User,
    UserEmail,
    Wave,
)
from siimop_app.services import auth
from siimop_app.services.access import AccessDenied
from siimop_app.services.imports import actor_for, history, readable_batch, run_import, storage_path
from tests.services.factories import make_user
from tests.services.import_files import csv_bytes, post, second_site, student, xlsx_bytes


def fingerprint(url: str) -> str:
    """A digest of every row of every table: equal digests mean an unchanged database."""
    digest = hashlib.sha256()
    with get_engine(url).connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns)):
                digest.update(json.dumps(list(row), default=str).encode())
    return digest.hexdigest()


def make_wave() -> int:
    with transaction() as session:
        campaign = Campaign(name="Campagne Mai 2027")
        session.add(campaign)
        session.flush()
        wave = Wave(campaign_id=campaign.id, number=1, name="Vague 1 Campagne Mai 2027")
        session.add(wave)
        session.flush()
        session.add(Round(wave_id=wave.id, number=1))
        return wave.id


def signed_in(user_id: int) -> auth.SignedInUser:
    with transaction() as session:
        roles = tuple(session.exec(select(RoleGrant.role).where(RoleGrant.user_id == user_id)).all())
    return auth.SignedInUser(user_id, "Arnaud", "Monier", "", roles)


def ids(model, code: str) -> int:
    with transaction() as session:
        return session.exec(select(model.id).where(model.code == code)).one()


def test_a_students_file_with_errors_writes_nothing_and_lists_every_error(db_url, tmp_path, capsys):
    make_user("deja.pris@example.fr", "supervisor", last="PRIS")
    with transaction() as session:
        session.add(Student(user_id=make_user("ancien@etu.example.fr", "student", last="ANCIEN"), ine="2000000000Z",
                            intern_number="1", subdivision_id=ids(Subdivision, "AMIENS"),
                            specialty_id=ids(Specialty, "MED-URG")))
    before = fingerprint(db_url)
    rows = [student(1), student(2, ine="12AB"), student(3, subdivision="SUBDI AMIEN"),
            student(4, email="deja.pris@example.fr"), student(5, ine=student(1)["ine"]),
            student(6, last_name='=HYPERLINK("http://x")'), student(7, participating="bof")]
    path = tmp_path / "etudiants.csv"
    path.write_bytes(csv_bytes("students", rows, encoding="cp1252"))
    assert cli_main(["students", str(path)]) == 1
    out = capsys.readouterr().out
    assert "5 erreur(s) : rien n'a été enregistré." in out
    for expected in (
        "ligne 3, colonne « INE » : « 12AB » n'est pas un numéro INE valide",
        "ligne 4, colonne « Subdivision » : « SUBDI AMIEN » n'est pas une subdivision connue "
        "(vouliez-vous dire « SUBDI AMIENS » ?)",
        "ligne 5, colonne « Adresse e-mail » : « deja.pris@example.fr » est déjà l'adresse d'une autre personne",
        "ligne 6, colonne « INE » : « 1000000001A » apparaît déjà ligne 2",
        "ligne 8, colonne « Participe » : « bof » : répondez « oui » ou « non »",
    ):
        assert expected in out
    assert fingerprint(db_url) == before
    assert "ligne 7" not in out  # a cell beginning with "=" is plain text, never evaluated


def test_students_import_is_idempotent_updates_with_audit_and_reports_the_absent(db_url, tmp_path, capsys):
    rows = [student(n) for n in range(1, 6)]
    first = run_import("students", csv_bytes("students", rows, bom=True, delimiter=","), "etudiants.csv",
                       apply=True)
    assert first.ok and (first.new, first.changed, first.unchanged, first.absent) == (5, 0, 0, 0)
    with transaction() as session:
        emails = session.exec(select(UserEmail).where(UserEmail.email == "etudiant1@etu.example.fr")).all()
        grants = session.exec(select(RoleGrant.role).where(RoleGrant.user_id == emails[0].user_id)).all()
    assert emails[0].validated_at is not None and emails[0].kind == "main" and grants == ["student"]

    before = fingerprint(db_url)
    again = run_import("students", xlsx_bytes("students", rows), "etudiants.xlsx", apply=True)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 5)
    with transaction() as session:  # only the history row and its audit row are new
        session.execute(sa.delete(AuditEntry).where(AuditEntry.entity == "import_batch",
                                                    AuditEntry.entity_id == again.batch_id))
        session.execute(sa.delete(ImportBatch).where(ImportBatch.id == again.batch_id))
    assert fingerprint(db_url) == before

    rows[1]["subdivision"] = "LILLE"
    rows[2]["email"] = "nouvelle.adresse@etu.example.fr"
    changed = run_import("students", csv_bytes("students", rows[:4]), "etudiants.csv", apply=True)
    assert (changed.new, changed.changed, changed.unchanged, changed.absent) == (0, 2, 2, 1)
    assert changed.changes == ["ligne 3 — INE 1000000002A : Subdivision : SUBDI AMIENS → SUBDI LILLE",
                               "ligne 4 — INE 1000000003A : Adresse e-mail : etudiant3@etu.example.fr → "
                               "nouvelle.adresse@etu.example.fr"]
    assert changed.absent_rows == ["INE 1000000005A — NOM5 Camille"]
    with transaction() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "import.student.update")
                             .order_by(AuditEntry.id)).first()
        assert json.loads(entry.before_json) == {"subdivision_id": ids(Subdivision, "AMIENS")}
        assert json.loads(entry.after_json) == {"subdivision_id": ids(Subdivision, "LILLE")}
        absent = session.exec(select(Student).where(Student.ine == "1000000005A")).one()
        assert absent.participating  # reported, never silently changed

    deactivated = run_import("students", csv_bytes("students", rows[:4]), "etudiants.csv", apply=True,
                             deactivate_absent=True)
    assert deactivated.deactivated == 1
    with transaction() as session:
        assert not session.exec(select(Student).where(Student.ine == "1000000005A")).one().participating
        assert len(session.exec(select(ImportBatch)).all()) == 3  # the second, deleted above, aside


def test_posts_with_sites_supervisors_and_referent_then_deactivation_refused_after_matching(db_url, tmp_path):
    wave_id = make_wave()
    rows = [post(1), post(2, post_type="Couplé", **second_site(2, referent=2)),
            post(3, post_type="Mixte", supervisor_email="rts1@chu.example.fr", supervisor_last="RTS1",
                 **second_site(3))]
    report = run_import("posts", xlsx_bytes("posts", rows), "postes.xlsx", apply=True)
    assert report.ok, report.errors
    assert (report.new, report.changed, report.unchanged) == (3, 0, 0)
    with transaction() as session:
        couple = session.exec(select(Post).where(Post.post_number == 2)).one()
        people = dict(session.exec(select(UserEmail.email, PostSupervisor.is_referent)
                                   .join(PostSupervisor, PostSupervisor.user_id == UserEmail.user_id)
                                   .where(PostSupervisor.post_id == couple.id)).all())
        assert (couple.wave_id, couple.post_type, couple.second_site_id is not None) == (wave_id, "couple", True)
        assert people == {"rts2@chu.example.fr": False, "second2@chu.example.fr": True}
        assert session.exec(select(sa.func.count()).select_from(Site)).one() == 5
        rts1 = session.exec(select(UserEmail.user_id).where(UserEmail.email == "rts1@chu.example.fr")).one()
        assert session.exec(select(RoleGrant.role).where(RoleGrant.user_id == rts1)).all() == ["supervisor"]

    again = run_import("posts", csv_bytes("posts", rows), "postes.csv", apply=False)
    assert (again.new, again.changed, again.unchanged, again.applied) == (0, 0, 3, False)

    before = fingerprint(db_url)
    bad = [post(1, places="deux"), post(2, post_type="Couplé", **second_site(2, referent=3)),
           post(4, supervisor_email="rts1@chu.example.fr", supervisor_last="AUTRE"),
           post(5, subdivision="SUBDI TOURS", specialty="URGENCES")]
    errors = run_import("posts", csv_bytes("posts", bad), "postes.csv", apply=True).errors
    assert errors == [
        "ligne 2, colonne « Places » : « deux » n'est pas un nombre de places (nombre entier de 1 à 50)",
        "ligne 3, colonne « Référent » : « 3 » : indiquez 1 ou 2 (le responsable qui classe)",
        "ligne 4, colonne « Responsable e-mail » : « rts1@chu.example.fr » est l'adresse de Claire RTS1 ligne 2, "
        "pas de Claire AUTRE",
        "ligne 5, colonne « Spécialité » : « URGENCES » n'est pas une spécialité connue",
    ]
    assert fingerprint(db_url) == before

    rows[0]["places"] = 3
    changed = run_import("posts", csv_bytes("posts", rows[:2]), "postes.csv", apply=True)
    assert (changed.changed, changed.unchanged, changed.absent) == (1, 1, 1)
    assert changed.changes == ["ligne 2 — poste n° 1 : Places : 1 → 3"]
    with transaction() as session:
        session.execute(sa.update(Round).values(status="closed"))
    refused = run_import("posts", csv_bytes("posts", rows[:2]), "postes.csv", apply=True, deactivate_absent=True)
    assert refused.errors == ["Désactivation refusée : l'appariement du tour 1 a déjà été calculé avec ces postes."]


def test_staff_grants_and_a_manager_limited_to_their_region(db_url):
    hdf, amiens, tours = ids(Region, "HDF"), ids(Subdivision, "AMIENS"), ids(Subdivision, "TOURS")
    manager = signed_in(make_user("ars@example.fr", "manager", region_id=hdf))
    make_user("ancien.coordo@example.fr", "coordinator", last="ANCIEN", subdivision_id=amiens)
    rows = [
        {"last_name": "LEROY", "first_name": "Hélène", "email": "helene.leroy@example.fr", "role": "Coordonnateur",
         "subdivision": "AMIENS", "specialty": "MED-URG"},
        {"last_name": "LEROY", "first_name": "Hélène", "email": "helene.leroy@example.fr", "role": "Gestionnaire",
         "region": "Hauts-de-France"},
    ]
    report = run_import("staff", csv_bytes("staff", rows), "personnel.csv", actor=actor_for(manager), apply=True)
    assert report.ok, report.errors
    assert (report.new, report.absent) == (2, 2)  # the old coordinator and the importing manager are not in the file
    assert sorted(report.absent_rows)[0].startswith("Coordonnateur ANCIEN Camille (ancien.coordo@example.fr)")
    with transaction() as session:
        user_id = session.exec(select(UserEmail.user_id).where(UserEmail.email == "helene.leroy@example.fr")).one()
        grants = {(g.role, g.region_id, g.subdivision_id) for g in
                  session.exec(select(RoleGrant).where(RoleGrant.user_id == user_id)).all()}
    assert grants == {("coordinator", None, amiens), ("manager", hdf, None)}

    before = fingerprint(db_url)
    outside = rows + [{"last_name": "X", "first_name": "Y", "email": "x@example.fr", "role": "Coordonnateur",
                       "subdivision": "TOURS", "specialty": "MED-URG"},
                      {"last_name": "Z", "first_name": "Y", "email": "z@example.fr", "role": "Administrateur"}]
    refused = run_import("staff", csv_bytes("staff", outside), "personnel.csv", actor=actor_for(manager), apply=True)
    assert refused.errors == ["ligne 4, colonne « Subdivision » : ce périmètre n'est pas dans le vôtre",
                              "ligne 5, colonne « Rôle » : seul un administrateur peut nommer un administrateur"]
    students = run_import("students", csv_bytes("students", [student(1, subdivision="TOURS")]), "e.csv",
                          actor=actor_for(manager), apply=True)
    assert students.errors == ["ligne 2, colonne « Subdivision » : cette subdivision n'est pas dans votre périmètre"]
    assert fingerprint(db_url) == before and tours

    revoke = run_import("staff", csv_bytes("staff", rows), "personnel.csv", actor=actor_for(manager), apply=True,
                        deactivate_absent=True)
    assert revoke.deactivated == 2
    with pytest.raises(AccessDenied):
        actor_for(signed_in(make_user("coordo@example.fr", "coordinator")))
    assert [h.kind_label for h in history(manager)] == ["Personnel (coordonnateurs, gestionnaires)"] * 2
    batch = readable_batch(manager, revoke.batch_id)
    assert batch is not None and storage_path(batch.storage_key).read_bytes() == csv_bytes("staff", rows)


def test_cli_usage_and_dry_run(db_url, tmp_path, capsys):
    path = tmp_path / "etudiants.xlsx"
    path.write_bytes(xlsx_bytes("students", [student(1)]))
    assert cli_main(["students", str(path), "--dry-run"]) == 0
    assert "1 nouvelle(s)" in capsys.readouterr().out
    with transaction() as session:
        assert session.exec(select(sa.func.count()).select_from(Student)).one() == 0
    assert cli_main(["teachers", str(path)]) == 2
    assert cli_main(["students", str(tmp_path / "absent.csv")]) == 2
    pdf = tmp_path / "etudiants.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert cli_main(["students", str(pdf)]) == 1
    assert "ni un fichier CSV" in capsys.readouterr().out
    assert cli_main(["students", str(path)]) == 0
    with transaction() as session:
        assert session.exec(select(sa.func.count()).select_from(User)).one() == 1


def test_each_template_offers_its_columns_and_its_sample_row_imports_cleanly(db_url, outbox):
    from starlette.testclient import TestClient

    from siimop_app.import_routes import imports_api
    from siimop_app.services.imports import batch_path, template_path
    from siimop_app.states.session import SESSION_COOKIE
    from tests.services.test_student_table import cookie_of

    make_wave()
    make_user("admin@example.fr", "admin")
    make_user("rts@example.fr", "supervisor")
    client = TestClient(imports_api)
    client.cookies.set(SESSION_COOKIE, cookie_of(outbox, "admin@example.fr"))
    for kind in ("staff", "students", "posts"):
        response = client.get(template_path(kind))
        assert response.status_code == 200 and response.headers["cache-control"] == "private, no-store"
        report = run_import(kind, response.content, f"modele_{kind}.xlsx", apply=True,
                            actor=actor_for(auth.resolve_session(client.cookies[SESSION_COOKIE])))
        assert report.ok and report.new == 1, (kind, report.errors)
    assert client.get(batch_path(report.batch_id)).content == response.content
    outsider = TestClient(imports_api)
    outsider.cookies.set(SESSION_COOKIE, cookie_of(outbox, "rts@example.fr"))
    assert outsider.get(template_path("posts")).status_code == 404
    assert outsider.get(batch_path(report.batch_id)).status_code == 404
    assert TestClient(imports_api).get(batch_path(report.batch_id)).status_code == 404


def test_a_manager_corrects_one_student_in_a_form_with_the_import_checks(db_url):
    from siimop_app.services.imports import ImportRefused, correct_student, student_values

    hdf = ids(Region, "HDF")
    run_import("students", csv_bytes("students", [student(1), student(2, subdivision="TOURS")]), "e.csv", apply=True)
    manager = signed_in(make_user("ars@example.fr", "manager", region_id=hdf))
    values = student_values(manager, student(1)["ine"].lower())
    assert (values["subdivision"], values["specialty"], values["participating"]) == (
        "SUBDI AMIENS", "MÉDECINE D'URGENCE", "oui")
    with pytest.raises(ImportRefused):
        student_values(manager, student(2)["ine"])  # a student of another region
    wrong = correct_student(manager, {**values, "subdivision": "SUBDI LIL"})
    assert wrong.errors == ["« Subdivision » : « SUBDI LIL » n'est pas une subdivision connue "
                            "(vouliez-vous dire « SUBDI LILLE » ?)"]
    outside = correct_student(manager, {**values, "subdivision": "TOURS"})
    assert outside.errors == ["« Subdivision » : cette subdivision n'est pas dans votre périmètre"]
    fixed = correct_student(manager, {**values, "subdivision": "SUBDI LILLE"})
    assert fixed.applied and fixed.changes == [
        "INE 1000000001A : Subdivision : SUBDI AMIENS → SUBDI LILLE"]
    with transaction() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "import.student.update")).one()
        assert entry.actor_user_id == manager.user_id
        assert session.exec(select(sa.func.count()).select_from(ImportBatch)).one() == 1  # the file's, not the form's


def test_a_manager_corrects_one_post_in_a_form_with_the_import_checks(db_url):
    """Issue 12: a manager corrects a post (wrong subdivision, places, site) with the import's checks and audit,
    inside their region only; once the round's matching has run, what it used cannot change."""
    from siimop_app.services.imports import ImportRefused, correct_post, post_values

    make_wave()
    rows = [post(1), post(2, post_type="Couplé", **second_site(2, referent=2)), post(3, subdivision="TOURS")]
    assert run_import("posts", csv_bytes("posts", rows), "p.csv", apply=True).ok
    with transaction() as session:
        number = dict(session.exec(select(Post.post_number, Post.id)).all())
    manager = signed_in(make_user("ars@example.fr", "manager", region_id=ids(Region, "HDF")))
    values = post_values(manager, number[1])
    assert (values["post_number"], values["subdivision"], values["places"], values["site_name"],
            values["supervisor_email"], values["referent"]) == (
        "1", "SUBDI AMIENS", "1", "URGENCES 1", "rts1@chu.example.fr", "1")
    couple = post_values(manager, number[2])
    assert (couple["post_type"], couple["site_name2"], couple["referent"]) == ("Couplé", "SMUR 2", "2")
    assert correct_post(manager, number[2], couple).changes == []  # the form as loaded changes nothing
    with pytest.raises(ImportRefused):
        post_values(manager, number[3])  # a post of another region
    with pytest.raises(ImportRefused):
        correct_post(manager, number[3], {**values, "post_number": "3"})

    before = fingerprint(db_url)
    wrong = correct_post(manager, number[1], {**values, "subdivision": "SUBDI LIL", "places": "0"})
    assert wrong.errors == ["« Subdivision » : « SUBDI LIL » n'est pas une subdivision connue "
                            "(vouliez-vous dire « SUBDI LILLE » ?)",
                            "« Places » : « 0 » n'est pas un nombre de places (nombre entier de 1 à 50)"]
    outside = correct_post(manager, number[1], {**values, "subdivision": "TOURS"})
    assert outside.errors == ["« Subdivision » : cette subdivision n'est pas dans votre périmètre"]
    assert fingerprint(db_url) == before  # nothing half-written

    fixed = correct_post(manager, number[1], {**values, "subdivision": "SUBDI LILLE", "places": "2",
                                              "site_name": "URGENCES ADULTES", "post_number": "99"})
    assert fixed.applied and fixed.changes == ["poste n° 1 : Subdivision : SUBDI AMIENS → SUBDI LILLE ; "
                                               "Places : 1 → 2 ; Terrain de stage : … → 3700000101 / 37000001"]
    with transaction() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "import.post.update")).one()
        assert entry.actor_user_id == manager.user_id and entry.entity_id == number[1]
        assert "SUBDI" not in entry.before_json and json.loads(entry.after_json)["places_opened"] == 2
        assert session.get(Site, session.get(Post, number[1]).site_id).name == "URGENCES ADULTES"
        assert session.exec(select(Post.post_number).where(Post.id == number[1])).one() == 1  # the key stays
    values = post_values(manager, number[1])

    with transaction() as session:  # round 1's matching has run with this post
        session.execute(sa.update(Round).values(status="closed"))
    before = fingerprint(db_url)
    frozen = correct_post(manager, number[1], {**values, "subdivision": "SUBDI AMIENS", "months": "12",
                                               "site_number": "37999999"})
    why = "l'appariement du tour 1 a déjà été calculé avec ce poste : cette valeur ne peut plus changer"
    assert frozen.errors == [f"« Subdivision » : {why}", f"« Durée (mois) » : {why}", f"« N° terrain » : {why}"]
    assert fingerprint(db_url) == before
    wording = correct_post(manager, number[1], {**values, "indication": "Garde le week-end", "places": "3"})
    assert wording.applied and not wording.errors
    # The same rule for a file: a posts import cannot move the matched post either.
    file_rows = [post(1, subdivision="SUBDI LILLE", places=3, site_name="URGENCES ADULTES", months=12,
                      indication="Garde le week-end")]
    refused = run_import("posts", csv_bytes("posts", file_rows), "p.csv", apply=True)
    assert refused.errors == [f"ligne 2, colonne « Durée (mois) » : {why}"]


def test_a_posts_file_with_an_unknown_subdivision_lists_the_error(db_url):
    """It used to raise KeyError in the checks across rows (HTTP 500 on the import page), hiding every error."""
    make_wave()
    before = fingerprint(db_url)
    report = run_import("posts", csv_bytes("posts", [post(1, subdivision="SUBDI AMIEN"), post(2, places="0")]),
                        "p.csv", apply=True)
    assert report.errors == [
        "ligne 2, colonne « Subdivision » : « SUBDI AMIEN » n'est pas une subdivision connue "
        "(vouliez-vous dire « SUBDI AMIENS » ?)",
        "ligne 3, colonne « Places » : « 0 » n'est pas un nombre de places (nombre entier de 1 à 50)"]
    assert fingerprint(db_url) == before
