"""The coordinators' results table: published assignments only, scope on the student, filters, sort, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.demo.generator import DEMO_ACCOUNTS
from siimop_app.domain.calendar import PARIS
from siimop_app.models import (
    Assignment,
    Phase,
    Region,
    Round,
    Specialty,
    Student,
    Subdivision,
)
from siimop_app.services import auth, result_table, rounds
from siimop_app.services.access import AccessDenied
from siimop_app.services.exports import BOM
from siimop_app.states.session import SESSION_COOKIE
from tests.services.factories import make_user
from tests.services.mailbox import links_for, token_of

FRACTION = re.compile(r"^(\d+)/(\d+) \((\d+)%\)$")
SEARCHED = ("last_name", "first_name", "ine", "intern_number", "site_name", "approval_number", "rts_first_name",
            "rts_last_name")


def _round_id(number: int) -> int:
    with transaction() as session:
        return session.exec(select(Round.id).where(Round.number == number)).one()


@pytest.fixture
def published(db_url) -> int:
    """The small demo with round 1 closed and its results published (its "results" phase started yesterday)."""
    assert demo_main(["--scale", "small", "--phase", "results"]) == 0
    round_id = _round_id(1)
    assert rounds.close_round(round_id=round_id, actor_user_id=None).students_placed > 0
    return round_id


def cookie_of(outbox, address: str) -> str:
    assert auth.request_sign_in(address) == auth.SIGN_IN_SENT_MESSAGE
    return auth.consume_sign_in_link(token_of(links_for(outbox, address)[-1]))


def user_of(outbox, account: str) -> auth.SignedInUser:
    return auth.resolve_session(cookie_of(outbox, DEMO_ACCOUNTS[account][2]))


def all_rows(user, **kwargs) -> list[result_table.ResultRow]:
    rows, total = result_table.query_results(user, limit=500, **kwargs)
    assert len(rows) == total
    return rows


def assignments_where(*conditions) -> set[int]:
    """The assignment ids whose STUDENT matches ``conditions``."""
    with transaction() as session:
        return set(session.exec(
            select(Assignment.id).join(Student, Student.id == Assignment.student_id)
            .join(Subdivision, Subdivision.id == Student.subdivision_id)
            .join(Region, Region.id == Subdivision.region_id)
            .join(Specialty, Specialty.id == Student.specialty_id)
            .where(*conditions)
        ).all())


def _id_of(model, column, value) -> int:
    with transaction() as session:
        return session.exec(select(model.id).where(column == value)).one()


def test_scope_is_the_students(published, outbox):
    coordinator = user_of(outbox, "coordinator")
    mine = all_rows(coordinator)
    assert {r.id for r in mine} == assignments_where(Subdivision.code == "AMIENS", Specialty.code == "MED-URG")
    assert mine and {(r.subdivision, r.specialty) for r in mine} == {("SUBDI AMIENS", "MÉDECINE D'URGENCE")}
    manager = user_of(outbox, "manager")
    assert {r.id for r in all_rows(manager)} == assignments_where(Region.name == "Hauts-de-France")
    admin = user_of(outbox, "admin")
    with transaction() as session:
        stored = session.exec(select(sa.func.count(Assignment.id))).one()
    assert result_table.query_results(admin)[1] == stored > len(mine)
    row = mine[0]
    assert row.round_number == 1 and row.method == "matching" and row.wave.startswith("Vague")
    assert row.as_dict()["round"] == "Tour 1" and row.as_dict()["method"] == "Appariement"
    assert set(row.as_dict()) >= {key for key, _ in result_table.COLUMNS}
    options = result_table.filter_options(coordinator)
    assert [o.label for o in options["subdivisions"]] == ["SUBDI AMIENS"]
    assert [o.value for o in options["rounds"]] == [str(published)]


def test_other_roles_and_grantless_users(published, outbox):
    for account in ("student", "rts2"):
        with pytest.raises(AccessDenied):
            result_table.query_results(user_of(outbox, account))
        with pytest.raises(AccessDenied):
            result_table.result_statistics(user_of(outbox, account))
    uid = make_user("coordo-sans-perimetre@chu.example")
    nobody = auth.SignedInUser(uid, "A", "B", "coordo-sans-perimetre@chu.example", ("coordinator",))
    assert result_table.query_results(nobody) == ([], 0)


def test_filters_cannot_widen_the_scope(published, outbox):
    coordinator = user_of(outbox, "coordinator")
    lille = _id_of(Subdivision, Subdivision.code, "LILLE")
    for forged in ({"subdivision": str(lille)}, {"region": "999"}, {"subdivision": "1 OR 1=1"}, {"q": "%"},
                   {"q": "_"}, {"round": "-1"}, {"method": "drop"}, {"wave": "x"}):
        assert result_table.query_results(coordinator, filters=forged) == ([], 0), forged
    assert result_table.query_results(coordinator, filters={"q": "thermidor"})[1] == 0  # a Lille student


def test_each_filter(published, outbox):
    admin = user_of(outbox, "admin")
    everyone = all_rows(admin)
    sample = everyone[11]
    for text in (sample.last_name.lower(), sample.first_name.upper(), sample.ine.lower(), sample.intern_number,
                 sample.site_name.lower(), sample.approval_number, sample.rts_last_name.lower()):
        found = all_rows(admin, filters={"q": text})
        assert sample.id in {r.id for r in found}, text
        assert all(text.lower() in " ".join(getattr(r, field) for field in SEARCHED).lower() for r in found), text
    amiens = _id_of(Subdivision, Subdivision.code, "AMIENS")
    urg = _id_of(Specialty, Specialty.code, "MED-URG")
    hdf = _id_of(Region, Region.name, "Hauts-de-France")
    assert {r.id for r in all_rows(admin, filters={"subdivision": str(amiens)})} == \
        assignments_where(Subdivision.id == amiens)
    assert {r.id for r in all_rows(admin, filters={"specialty": str(urg)})} == assignments_where(Specialty.id == urg)
    assert {r.id for r in all_rows(admin, filters={"region": str(hdf)})} == assignments_where(Region.id == hdf)
    with transaction() as session:
        wave_id = session.get(Round, published).wave_id
    assert len(all_rows(admin, filters={"round": str(published), "wave": str(wave_id)})) == len(everyone)
    assert all_rows(admin, filters={"round": str(_round_id(2))}) == []
    assert len(all_rows(admin, filters={"method": "appariement"})) == len(everyone)
    assert all_rows(admin, filters={"method": "manuel"}) == []
    assert len(all_rows(admin, filters={"method": "all", "round": "tous"})) == len(everyone)


def test_manual_assignment_of_the_in_person_round_shows_at_once(published, outbox):
    admin = user_of(outbox, "admin")
    before = all_rows(admin)
    in_person = _round_id(3)
    with transaction() as session:
        placed = set(session.exec(select(Assignment.student_id)).all())
        student_id = session.exec(select(Student.id).where(Student.id.not_in(placed)).order_by(Student.id)).first()
        post_id = session.exec(select(Assignment.post_id)).first()
        session.add(Assignment(round_id=in_person, student_id=student_id, post_id=post_id, method="manual"))
    manual = all_rows(admin, filters={"method": "manuel"})
    assert len(manual) == 1 and manual[0].round_number == 3 and manual[0].as_dict()["method"] == "Manuel"
    assert len(all_rows(admin)) == len(before) + 1
    assert str(in_person) in {o.value for o in result_table.filter_options(admin)["rounds"]}


def test_sort_and_paging(published, outbox):
    manager = user_of(outbox, "manager")
    everyone = all_rows(manager)
    names = [(r.last_name.lower(), r.first_name.lower()) for r in everyone]
    assert names == sorted(names)
    pages, offset = [], 0
    while rows := result_table.query_results(manager, offset=offset, limit=30)[0]:
        pages.extend(r.id for r in rows)
        offset += 30
    assert pages == [r.id for r in everyone]
    by_ine = all_rows(manager, sort="ine", descending=True)
    assert [r.ine for r in by_ine] == sorted((r.ine for r in everyone), reverse=True)
    by_site = [r.site_name.lower() for r in all_rows(manager, sort="site_name")]
    assert by_site == sorted(by_site)
    assert [r.id for r in all_rows(manager, sort="id; DROP TABLE post")] == [r.id for r in everyone]


def test_statistics(published, outbox):
    for account, filters in (("coordinator", {}), ("manager", {}), ("admin", {}), ("admin", {"q": "a"})):
        user = user_of(outbox, account)
        rows = all_rows(user, filters=filters)
        stats = {s.key: FRACTION.match(s.value).groups() for s in
                 result_table.result_statistics(user, filters)}
        assert int(stats["assigned"][0]) == len({(r.ine) for r in rows}) > 0
        assert int(stats["assigned"][1]) >= int(stats["assigned"][0])
        filled, opened = int(stats["places"][0]), int(stats["places"][1])
        assert 0 < filled <= opened
    coordinator = user_of(outbox, "coordinator")
    lille = _id_of(Subdivision, Subdivision.code, "LILLE")
    assert [s.value for s in result_table.result_statistics(coordinator, {"subdivision": str(lille)})] == \
        ["0/0 (0%)", "0/0 (0%)"]


def test_nothing_before_publication(db_url, outbox):
    """Round 1 closed once its ranking is over, but its results day is still ahead: nothing shows."""
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    round_id = _round_id(1)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    with transaction() as session:
        for phase in session.exec(select(Phase).where(Phase.round_id == round_id)).all():
            if phase.kind in ("wishes", "ranking"):
                phase.ends_on = yesterday
                phase.starts_on = min(phase.starts_on, yesterday)
                session.add(phase)
            elif phase.kind == "results":
                assert phase.starts_on > dt.date.today()
    assert rounds.close_round(round_id=round_id, actor_user_id=None).students_placed > 0
    admin = user_of(outbox, "admin")
    assert result_table.query_results(admin) == ([], 0)
    assert result_table.filter_options(admin)["rounds"] == []
    assert {s.key: s.value for s in result_table.result_statistics(admin)}["places"] == "0/0 (0%)"
    cookie = cookie_of(outbox, DEMO_ACCOUNTS["admin"][2])
    assert _csv_rows(_fetch(cookie, "csv").content) == [[h for _, h in result_table.COLUMNS]]
    # From 00:00 Paris on its results day, the round shows.
    with transaction() as session:
        day = session.exec(select(Phase.starts_on).where(Phase.round_id == round_id, Phase.kind == "results")).one()
    at = dt.datetime.combine(day, dt.time(0, 0), tzinfo=PARIS)
    assert result_table.query_results(admin, at=at - dt.timedelta(seconds=1))[1] == 0
    assert result_table.query_results(admin, at=at)[1] > 0


# ------------------------------------------------------------------ the export route
def _fetch(cookie: str | None, fmt: str, params: dict | None = None):
    from starlette.testclient import TestClient

    from siimop_app.file_routes import files_api

    client = TestClient(files_api)
    if cookie is not None:
        client.cookies.set(SESSION_COOKIE, cookie)
    return client.get(f"/files/exports/results.{fmt}", params=params or {})


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(BOM.encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_export_route_returns_exactly_the_filtered_rows(published, outbox):
    cookie = cookie_of(outbox, DEMO_ACCOUNTS["manager"][2])
    manager = auth.resolve_session(cookie)
    filters = {"specialty": str(_id_of(Specialty, Specialty.code, "MED-URG")), "method": "appariement"}
    expected = all_rows(manager, filters=filters, sort="ine", descending=True)
    assert 0 < len(expected) < len(all_rows(manager))
    headers = [header for _, header in result_table.COLUMNS]
    ine = headers.index("Numéro INE")
    months = headers.index("Durée du poste en mois")

    response = _fetch(cookie, "csv", {**filters, "sort": "ine", "desc": "1"})
    assert response.status_code == 200 and response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert "resultats" in response.headers["content-disposition"]
    assert response.headers["content-type"].startswith("text/csv")
    table = _csv_rows(response.content)
    assert table[0] == headers
    assert [row[ine] for row in table[1:]] == [r.ine for r in expected]
    assert [row[months] for row in table[1:]] == [str(r.months) for r in expected]

    response = _fetch(cookie, "xlsx", {**filters, "sort": "ine", "desc": "1"})
    assert response.status_code == 200 and response.headers["cache-control"] == "private, no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == headers
    assert [row[ine] for row in values[1:]] == [r.ine for r in expected]
    assert [row[months] for row in values[1:]] == [r.months for r in expected]  # numbers in Excel
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold


def test_export_route_keeps_the_scope(published, outbox):
    cookie = cookie_of(outbox, DEMO_ACCOUNTS["coordinator"][2])
    coordinator = auth.resolve_session(cookie)
    ine = [h for _, h in result_table.COLUMNS].index("Numéro INE")
    table = _csv_rows(_fetch(cookie, "csv").content)
    assert sorted(row[ine] for row in table[1:]) == sorted(r.ine for r in all_rows(coordinator))
    lille = _id_of(Subdivision, Subdivision.code, "LILLE")
    assert _csv_rows(_fetch(cookie, "csv", {"subdivision": str(lille)}).content)[1:] == []


def test_export_route_is_404_for_anonymous_and_other_roles(published, outbox):
    for cookie in (None, "", "1.forged", cookie_of(outbox, DEMO_ACCOUNTS["student"][2]),
                   cookie_of(outbox, DEMO_ACCOUNTS["rts2"][2])):
        for fmt in ("csv", "xlsx"):
            response = _fetch(cookie, fmt)
            assert response.status_code == 404, (cookie, fmt)
            assert response.headers["cache-control"] == "private, no-store"
    admin = cookie_of(outbox, DEMO_ACCOUNTS["admin"][2])
    assert _fetch(admin, "pdf").status_code == 404
    assert len(_csv_rows(_fetch(admin, "csv").content)) == 1 + result_table.query_results(auth.resolve_session(admin))[1]
