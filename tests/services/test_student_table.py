"""The coordinators' students table (SPEC §7): scope in SQL, filters, sort, paging, statistics, wishes, exports."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.demo.generator import DEMO_ACCOUNTS
from siimop_app.models import Assignment, Phase, Region, Round, Specialty, Student, Subdivision, User, UserEmail
from siimop_app.services import auth, student_table
from siimop_app.services.access import AccessDenied
from siimop_app.services.candidates import sufficient_students
from siimop_app.services.exports import BOM
from siimop_app.settings import get_settings
from siimop_app.states.session import SESSION_COOKIE
from tests.services.factories import make_user
from tests.services.mailbox import links_for, token_of

FRACTION = re.compile(r"^(\d+)/(\d+) \((\d+)%\)$")


@pytest.fixture
def demo(db_url) -> None:
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0


def cookie_of(outbox, address: str) -> str:
    assert auth.request_sign_in(address) == auth.SIGN_IN_SENT_MESSAGE
    return auth.consume_sign_in_link(token_of(links_for(outbox, address)[-1]))


def user_of(outbox, account_or_address: str) -> auth.SignedInUser:
    address = DEMO_ACCOUNTS[account_or_address][2] if account_or_address in DEMO_ACCOUNTS else account_or_address
    return auth.resolve_session(cookie_of(outbox, address))


def all_rows(user, **kwargs) -> list[student_table.StudentRow]:
    rows, total = student_table.query_students(user, limit=500, **kwargs)
    assert len(rows) == total
    return rows


def ids_where(*conditions) -> set[int]:
    with transaction() as session:
        return set(session.exec(
            select(Student.id).join(User, User.id == Student.user_id)
            .join(Subdivision, Subdivision.id == Student.subdivision_id)
            .join(Region, Region.id == Subdivision.region_id)
            .join(Specialty, Specialty.id == Student.specialty_id)
            .where(*conditions)
        ).all())


AMIENS_URG = (Subdivision.code == "AMIENS", Specialty.code == "MED-URG")


def test_coordinator_sees_only_emergency_medicine_in_amiens(demo, outbox):
    coordinator = user_of(outbox, "coordinator")
    rows = all_rows(coordinator)
    assert {r.id for r in rows} == ids_where(*AMIENS_URG) and 0 < len(rows) < 320
    assert {(r.subdivision, r.specialty) for r in rows} == {("SUBDI AMIENS", "MÉDECINE D'URGENCE")}
    options = student_table.filter_options(coordinator)
    assert [o.label for o in options["subdivisions"]] == ["SUBDI AMIENS"]
    assert [o.label for o in options["specialties"]] == ["MÉDECINE D'URGENCE"]
    assert [o.label for o in options["regions"]] == ["Hauts-de-France"]


def test_filters_cannot_widen_the_scope(demo, outbox):
    coordinator = user_of(outbox, "coordinator")
    with transaction() as session:
        lille = session.exec(select(Subdivision.id).where(Subdivision.code == "LILLE")).one()
        other_specialty = session.exec(select(Specialty.id).where(Specialty.code != "MED-URG")).first()
    for forged in ({"subdivision": str(lille)}, {"specialty": str(other_specialty)}, {"region": "999"},
                   {"subdivision": "1 OR 1=1"}, {"q": "%"}, {"q": "_"}):
        rows, total = student_table.query_students(coordinator, filters=forged)
        assert rows == [] and total == 0, forged
    # The demo student (Lille) is invisible even when searched by name.
    assert student_table.query_students(coordinator, filters={"q": "thermidor"})[1] == 0


def test_manager_sees_the_region_and_admin_everything(demo, outbox):
    manager = user_of(outbox, "manager")
    assert {r.id for r in all_rows(manager)} == ids_where(Region.name == "Hauts-de-France")
    admin = user_of(outbox, "admin")
    assert student_table.query_students(admin)[1] == 320


def test_other_roles_and_users_without_grant_are_refused(demo, outbox):
    for account in ("student", "rts2"):
        with pytest.raises(AccessDenied):
            student_table.query_students(user_of(outbox, account))
    make_user("coordo-sans-perimetre@chu.example")
    with transaction() as session:
        uid = session.exec(select(UserEmail.user_id).where(UserEmail.email == "coordo-sans-perimetre@chu.example")).one()
    nobody = auth.SignedInUser(uid, "A", "B", "coordo-sans-perimetre@chu.example", ("coordinator",))
    assert student_table.query_students(nobody) == ([], 0)  # a grant-less coordinator sees nothing, not everything


def test_each_filter(demo, outbox):
    admin = user_of(outbox, "admin")
    everyone = all_rows(admin)
    sample = everyone[17]
    # Text: last name, first name, main e-mail, INE, intern number, case-insensitive.
    for text in (sample.last_name.lower(), sample.first_name.upper(), sample.email.upper(), sample.ine.lower(),
                 sample.intern_number):
        found = all_rows(admin, filters={"q": text})
        assert sample.id in {r.id for r in found}, text
        assert all(text.lower() in " ".join((r.last_name, r.first_name, r.email, r.ine, r.intern_number)).lower()
                   for r in found)
    with transaction() as session:
        amiens = session.exec(select(Subdivision.id).where(Subdivision.code == "AMIENS")).one()
        urg = session.exec(select(Specialty.id).where(Specialty.code == "MED-URG")).one()
        hdf = session.exec(select(Region.id).where(Region.name == "Hauts-de-France")).one()
    assert {r.id for r in all_rows(admin, filters={"subdivision": str(amiens)})} == ids_where(Subdivision.id == amiens)
    assert {r.id for r in all_rows(admin, filters={"specialty": str(urg)})} == ids_where(Specialty.id == urg)
    assert {r.id for r in all_rows(admin, filters={"region": str(hdf)})} == ids_where(Region.id == hdf)
    assert {r.id for r in all_rows(admin, filters={"participation": "non"})} == ids_where(~Student.participating)
    assert {r.id for r in all_rows(admin, filters={"decale": "oui"})} == ids_where(Student.semestre_decale)
    # "all" and unknown words mean no filter.
    assert len(all_rows(admin, filters={"participation": "all", "decale": "tous"})) == 320


def test_affectation_filter_and_column(demo, outbox, monkeypatch):
    admin = user_of(outbox, "admin")
    assert all_rows(admin, filters={"affectation": "affecte"}) == []
    with transaction() as session:
        round_1 = session.exec(select(Round).order_by(Round.number)).first()
        post_id, site = session.exec(sa.text(
            "SELECT post.id, site.name FROM post JOIN site ON site.id = post.site_id WHERE post.wave_id = :w LIMIT 1"
        ).bindparams(w=round_1.wave_id)).one()
        student_id = session.exec(select(Student.id).order_by(Student.id)).first()
        session.add(Assignment(round_id=round_1.id, student_id=student_id, post_id=post_id))
        results_day = session.exec(select(Phase.starts_on).where(Phase.round_id == round_1.id,
                                                                 Phase.kind == "results")).one()
    # Stored but not yet published (the round closed before its results day): nothing shows.
    assert all_rows(admin, filters={"affectation": "affecte"}) == []
    assert next(r for r in all_rows(admin) if r.id == student_id).assignment == ""
    assert {s.key: s.value for s in student_table.student_statistics(admin)}["assigned"] == "0/320 (0%)"
    assert all(w.result != "Affecté(e)" for w in student_table.student_wishes_detail(admin, student_id).wishes)
    monkeypatch.setenv("SIIMOP_TODAY", results_day.isoformat())
    get_settings.cache_clear()
    placed = all_rows(admin, filters={"affectation": "affecte"})
    assert [(r.id, r.assignment) for r in placed] == [(student_id, site)]
    assert student_id not in {r.id for r in all_rows(admin, filters={"affectation": "non_affecte"})}
    stats = {s.key: s.value for s in student_table.student_statistics(admin)}
    assert stats["assigned"] == "1/320 (0%)"


def test_sort_and_paging(demo, outbox):
    manager = user_of(outbox, "manager")
    everyone = all_rows(manager, sort="last_name")
    names = [(r.last_name.lower(), r.first_name.lower()) for r in everyone]
    assert names == sorted(names)
    pages, offset = [], 0
    while True:
        rows, total = student_table.query_students(manager, sort="last_name", offset=offset, limit=40)
        if not rows:
            break
        pages.extend(r.id for r in rows)
        offset += 40
    assert pages == [r.id for r in everyone] and total == len(everyone)
    by_ine_desc = all_rows(manager, sort="ine", descending=True)
    assert [r.ine for r in by_ine_desc] == sorted((r.ine for r in everyone), reverse=True)
    logins = [r.last_login_at for r in all_rows(manager, sort="last_login", descending=True)]
    seen = [t for t in logins if t is not None]
    assert seen == sorted(seen, reverse=True) and all(t is None for t in logins[len(seen):])  # never: last
    # Anything outside the whitelist falls back to the name.
    assert [r.id for r in all_rows(manager, sort="id; DROP TABLE student")] == [r.id for r in everyone]


def test_row_values(demo, outbox):
    admin = user_of(outbox, "admin")
    rows = all_rows(admin)
    logged = next(r for r in rows if r.last_login_at)
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", logged.last_login)
    assert str(logged.last_login_at.tzinfo) == "Europe/Paris"
    assert next(r for r in rows if not r.last_login_at).last_login == "X"
    with transaction() as session:
        round_id = session.exec(select(Round.id).order_by(Round.number)).first()
        expected = sufficient_students(session, round_id)
    assert {r.id for r in rows if r.sufficient} == expected
    assert set(rows[0].as_dict()) >= {key for key, _ in student_table.COLUMNS}


def test_statistics_equal_direct_counts(demo, outbox):
    for account, filters in (("coordinator", {}), ("manager", {}), ("admin", {"participation": "oui"}),
                             ("admin", {"decale": "oui"})):
        user = user_of(outbox, account)
        rows = all_rows(user, filters=filters)
        stats = {s.key: FRACTION.match(s.value).groups() for s in
                 student_table.student_statistics(user, filters)}
        n = len(rows)
        assert stats["signed_in"][:2] == (str(sum(r.last_login_at is not None for r in rows)), str(n))
        assert stats["sufficient"][:2] == (str(sum(r.sufficient for r in rows)), str(n))
        assert stats["participating"][:2] == (str(sum(r.participating for r in rows)), str(n))
        assert stats["decale"][:2] == (str(sum(r.decale for r in rows)), str(n))
        assert stats["assigned"][:2] == ("0", str(n))


def test_wishes_detail_in_and_out_of_scope(demo, outbox):
    coordinator = user_of(outbox, "coordinator")
    mine = next(r for r in all_rows(coordinator) if r.sufficient)
    detail = student_table.student_wishes_detail(coordinator, mine.id)
    assert detail.ine == mine.ine and detail.wishes
    wish = detail.wishes[0]
    assert wish.round == "Tour 1" and 0 <= wish.hearts <= 5
    assert all(w.rank.isdigit() or w.rank in ("Non classé(e)", "Non retenu(e)") for w in detail.wishes)
    outside = (ids_where(Subdivision.code == "LILLE")).pop()
    with pytest.raises(AccessDenied):
        student_table.student_wishes_detail(coordinator, outside)
    with pytest.raises(AccessDenied):
        student_table.student_wishes_detail(user_of(outbox, "rts2"), mine.id)  # supervisors never see wishes


# ------------------------------------------------------------------ the export route
def _fetch(cookie: str | None, fmt: str, params: dict | None = None):
    from starlette.testclient import TestClient

    from siimop_app.file_routes import files_api

    client = TestClient(files_api)
    if cookie is not None:
        client.cookies.set(SESSION_COOKIE, cookie)
    return client.get(f"/files/exports/students.{fmt}", params=params or {})


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(BOM.encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_export_route_returns_exactly_the_filtered_rows(demo, outbox):
    cookie = cookie_of(outbox, DEMO_ACCOUNTS["manager"][2])
    manager = auth.resolve_session(cookie)
    filters = {"participation": "oui", "q": "a"}
    expected = all_rows(manager, filters=filters, sort="ine", descending=True)
    assert 0 < len(expected) < 174

    response = _fetch(cookie, "csv", {**filters, "sort": "ine", "desc": "1"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"].startswith("text/csv")
    table = _csv_rows(response.content)
    assert table[0] == [header for _, header in student_table.COLUMNS]
    assert [row[6] for row in table[1:]] == [r.ine for r in expected]
    assert [row[8] for row in table[1:]] == [r.last_login for r in expected]
    assert [row[9] for row in table[1:]] == ["oui" if r.sufficient else "non" for r in expected]

    response = _fetch(cookie, "xlsx", {**filters, "sort": "ine", "desc": "1"})
    assert response.status_code == 200 and response.headers["cache-control"] == "private, no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == [header for _, header in student_table.COLUMNS]
    assert [row[6] for row in values[1:]] == [r.ine for r in expected]
    logged = [(row[8], r) for row, r in zip(values[1:], expected, strict=True) if r.last_login_at]
    assert logged and all(value == r.last_login_at.replace(tzinfo=None, microsecond=0) for value, r in logged)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:M{len(expected) + 1}"
    assert sheet["A1"].font.bold


def test_export_route_keeps_the_scope(demo, outbox):
    cookie = cookie_of(outbox, DEMO_ACCOUNTS["coordinator"][2])
    coordinator = auth.resolve_session(cookie)
    with transaction() as session:
        lille = session.exec(select(Subdivision.id).where(Subdivision.code == "LILLE")).one()
    table = _csv_rows(_fetch(cookie, "csv").content)
    assert sorted(row[6] for row in table[1:]) == sorted(r.ine for r in all_rows(coordinator))
    assert _csv_rows(_fetch(cookie, "csv", {"subdivision": str(lille)}).content)[1:] == []


def test_export_route_is_404_for_anonymous_and_other_roles(demo, outbox):
    for cookie in (None, "", "1.forged", cookie_of(outbox, DEMO_ACCOUNTS["student"][2]),
                   cookie_of(outbox, DEMO_ACCOUNTS["rts2"][2])):
        for fmt in ("csv", "xlsx"):
            response = _fetch(cookie, fmt)
            assert response.status_code == 404, (cookie, fmt)
            assert "Ines" not in response.text and response.headers["cache-control"] == "private, no-store"
    admin = cookie_of(outbox, DEMO_ACCOUNTS["admin"][2])
    assert _fetch(admin, "pdf").status_code == 404
    assert len(_csv_rows(_fetch(admin, "csv").content)) == 321
