"""The supervisors and coordinators tables and the fill rates (SPEC §7): scope in SQL, filters, sort, paging,
statistics, exports (route rows == table rows), and the fill rates against direct counts."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.generator import DEMO_ACCOUNTS
from siimop_app.models import (
    Assignment,
    Phase,
    Post,
    PostSupervisor,
    Ranking,
    Region,
    RoleGrant,
    Round,
    Specialty,
    Student,
    Subdivision,
    User,
)
from siimop_app.services import coordinator_table, fill_rates, supervisor_table
from siimop_app.services.access import AccessDenied
from siimop_app.services.post_table import followed_round, staff_wave_id
from siimop_app.settings import get_settings
from siimop_app.states.session import SESSION_COOKIE
from tests.services.test_student_table import _csv_rows, cookie_of, demo, user_of  # noqa: F401  (fixture)

FRACTION = re.compile(r"^(\d+)/(\d+) \((\d+)%\)$")


def _ids(session, model, code: str):
    return session.exec(select(model.id).where(model.code == code)).one()


def supervisors_where(*post_conditions) -> set[int]:
    """Direct count: supervisors linked to a post of the current wave matching the conditions."""
    with transaction() as session:
        wave_id = staff_wave_id(session)
        return set(session.exec(
            select(PostSupervisor.user_id).join(Post, Post.id == PostSupervisor.post_id)
            .join(Subdivision, Subdivision.id == Post.subdivision_id)
            .join(Specialty, Specialty.id == Post.calling_specialty_id)
            .where(Post.wave_id == wave_id, *post_conditions)
        ).all())


def all_supervisors(user, **kwargs) -> list[supervisor_table.SupervisorRow]:
    rows, total = supervisor_table.query_supervisors(user, limit=500, **kwargs)
    assert len(rows) == total
    return rows


def all_coordinators(user, **kwargs) -> list[coordinator_table.CoordinatorRow]:
    rows, total = coordinator_table.query_coordinators(user, limit=500, **kwargs)
    assert len(rows) == total
    return rows


AMIENS_URG = (Subdivision.code == "AMIENS", Specialty.code == "MED-URG")


# ------------------------------------------------------------------ supervisors
def test_supervisor_scope_coordinator_manager_admin(demo, outbox):
    coordinator = user_of(outbox, "coordinator")
    rows = all_supervisors(coordinator)
    assert rows and {r.id for r in rows} == supervisors_where(*AMIENS_URG)
    assert {r.subdivisions for r in rows} == {"SUBDI AMIENS"}
    assert {r.specialties for r in rows} == {"MÉDECINE D'URGENCE"}
    manager = user_of(outbox, "manager")
    assert {r.id for r in all_supervisors(manager)} == supervisors_where(
        Subdivision.region_id.in_(select(Region.id).where(Region.name == "Hauts-de-France")))
    admin = user_of(outbox, "admin")
    assert {r.id for r in all_supervisors(admin)} == supervisors_where()
    for account in ("student", "rts2"):
        with pytest.raises(AccessDenied):
            supervisor_table.query_supervisors(user_of(outbox, account))


def test_supervisor_filters_cannot_widen_the_scope(demo, outbox):
    coordinator = user_of(outbox, "coordinator")
    with transaction() as session:
        lille = _ids(session, Subdivision, "LILLE")
        other = session.exec(select(Specialty.id).where(Specialty.code != "MED-URG")).first()
    for forged in ({"subdivision": str(lille)}, {"specialty": str(other)}, {"region": "999"},
                   {"subdivision": "1 OR 1=1"}, {"q": "%"}, {"q": "_"}):
        assert supervisor_table.query_supervisors(coordinator, filters=forged) == ([], 0), forged


def test_supervisor_filters_counts_and_sort(demo, outbox):
    admin = user_of(outbox, "admin")
    everyone = all_supervisors(admin)
    sample = everyone[11]
    for text in (sample.last_name.lower(), sample.first_name.upper(), sample.email.upper()):
        found = all_supervisors(admin, filters={"q": text})
        assert sample.id in {r.id for r in found}, text
    with transaction() as session:
        amiens, urg = _ids(session, Subdivision, "AMIENS"), _ids(session, Specialty, "MED-URG")
        hdf = session.exec(select(Region.id).where(Region.name == "Hauts-de-France")).one()
        wave_id = staff_wave_id(session)
        round_id, _ = followed_round(session, wave_id)
        # Direct counts per supervisor over every post of the wave.
        links = session.exec(
            select(PostSupervisor.user_id, PostSupervisor.is_referent, Ranking.is_valid)
            .join(Post, Post.id == PostSupervisor.post_id)
            .outerjoin(Ranking, sa.and_(Ranking.post_id == Post.id, Ranking.round_id == round_id))
            .where(Post.wave_id == wave_id)
        ).all()
    assert {r.id for r in all_supervisors(admin, filters={"subdivision": str(amiens)})} == \
        supervisors_where(Subdivision.id == amiens)
    assert {r.id for r in all_supervisors(admin, filters={"specialty": str(urg)})} == \
        supervisors_where(Specialty.id == urg)
    assert {r.id for r in all_supervisors(admin, filters={"region": str(hdf), "subdivision": "all"})} == \
        supervisors_where(Subdivision.region_id == hdf)
    for row in everyone:
        mine = [(ref, valid) for uid, ref, valid in links if uid == row.id]
        assert row.posts == len(mine)
        assert row.referent == sum(1 for ref, _ in mine if ref)
        assert row.rankings_valid == sum(1 for ref, valid in mine if ref and valid)
        assert row.rankings_todo == row.referent - row.rankings_valid
    assert any(r.rankings_valid for r in everyone) and any(r.rankings_todo for r in everyone)
    # Sort whitelist, NULLs last, paging.
    by_posts = all_supervisors(admin, sort="posts", descending=True)
    assert [r.posts for r in by_posts] == sorted((r.posts for r in everyone), reverse=True)
    logins = [r.last_login_at for r in all_supervisors(admin, sort="last_login")]
    seen = [t for t in logins if t is not None]
    assert seen == sorted(seen) and all(t is None for t in logins[len(seen):])
    assert [r.id for r in all_supervisors(admin, sort="id; DROP TABLE post")] == [r.id for r in everyone]
    pages, offset = [], 0
    while rows := supervisor_table.query_supervisors(admin, offset=offset, limit=40)[0]:
        pages.extend(r.id for r in rows)
        offset += 40
    assert pages == [r.id for r in everyone]
    never = next(r for r in everyone if r.last_login_at is None)
    assert never.last_login == "X"


def test_supervisor_statistics_equal_direct_counts(demo, outbox):
    for account, filters in (("coordinator", {}), ("manager", {}), ("admin", {"q": "a"})):
        user = user_of(outbox, account)
        rows = all_supervisors(user, filters=filters)
        stats = {s.key: FRACTION.match(s.value).groups() for s in
                 supervisor_table.supervisor_statistics(user, filters)}
        assert stats["signed_in"][:2] == (str(sum(r.last_login_at is not None for r in rows)), str(len(rows)))
        assert stats["valid"][:2] == (str(sum(r.rankings_valid for r in rows)), str(sum(r.referent for r in rows)))
    labels = [s.label for s in supervisor_table.supervisor_statistics(user_of(outbox, "admin"))]
    assert labels == ["RTS connectés", "Classements valides"]


# ------------------------------------------------------------------ coordinators
def _grant_rows(*conditions) -> set[int]:
    with transaction() as session:
        return set(session.exec(
            select(RoleGrant.id).outerjoin(Subdivision, Subdivision.id == RoleGrant.subdivision_id)
            .where(RoleGrant.role == "coordinator", *conditions)
        ).all())


def test_coordinator_scope(demo, outbox):
    coordinator = user_of(outbox, "coordinator")
    with transaction() as session:
        amiens, urg = _ids(session, Subdivision, "AMIENS"), _ids(session, Specialty, "MED-URG")
        hdf = session.exec(select(Region.id).where(Region.name == "Hauts-de-France")).one()
    rows = all_coordinators(coordinator)
    assert {r.id for r in rows} == _grant_rows(RoleGrant.subdivision_id == amiens, RoleGrant.specialty_id == urg)
    assert DEMO_ACCOUNTS["coordinator"][2] in {r.email for r in rows}  # oneself included
    assert {(r.specialty, r.subdivision, r.region) for r in rows} == {
        ("MÉDECINE D'URGENCE", "SUBDI AMIENS", "Hauts-de-France")}
    manager_rows = all_coordinators(user_of(outbox, "manager"))
    assert {r.id for r in manager_rows} == _grant_rows(Subdivision.region_id == hdf)
    assert len(manager_rows) > len(rows)
    admin_rows = all_coordinators(user_of(outbox, "admin"))
    assert {r.id for r in admin_rows} == _grant_rows()
    for account in ("student", "rts2"):
        with pytest.raises(AccessDenied):
            coordinator_table.query_coordinators(user_of(outbox, account))


def test_coordinator_overlap_rules(demo, outbox):
    """A regional or national coordinator grant overlaps a local scope; a foreign one does not."""
    with transaction() as session:
        amiens, lille = _ids(session, Subdivision, "AMIENS"), _ids(session, Subdivision, "LILLE")
        urg = _ids(session, Specialty, "MED-URG")
        hdf = session.exec(select(Region.id).where(Region.name == "Hauts-de-France")).one()
        other_region = session.exec(select(Region.id).where(Region.id != hdf)).first()
        some_user = session.exec(select(User.id).order_by(User.id)).first()
        added = {}
        for name, scope in (("region", {"region_id": hdf}), ("national", {"specialty_id": urg}),
                            ("foreign_region", {"region_id": other_region}),
                            ("lille", {"subdivision_id": lille, "specialty_id": urg}),
                            ("amiens_all", {"subdivision_id": amiens})):
            grant = RoleGrant(user_id=some_user, role="coordinator", **scope)
            session.add(grant)
            session.flush()
            added[name] = grant.id
    seen = {r.id for r in all_coordinators(user_of(outbox, "coordinator"))}
    assert {added["region"], added["national"], added["amiens_all"]} <= seen
    assert not {added["foreign_region"], added["lille"]} & seen
    national = next(r for r in all_coordinators(user_of(outbox, "admin")) if r.id == added["national"])
    assert (national.specialty, national.subdivision) == ("MÉDECINE D'URGENCE", coordinator_table.ANY_PLACE)


def test_coordinator_filters_sort_and_statistics(demo, outbox):
    admin = user_of(outbox, "admin")
    everyone = all_coordinators(admin)
    sample = everyone[3]
    for text in (sample.last_name.lower(), sample.first_name.upper(), sample.email):
        assert sample.id in {r.id for r in all_coordinators(admin, filters={"q": text})}
    with transaction() as session:
        lille = _ids(session, Subdivision, "LILLE")
    assert {r.id for r in all_coordinators(admin, filters={"subdivision": str(lille)})} == \
        _grant_rows(sa.or_(RoleGrant.subdivision_id == lille, RoleGrant.subdivision_id.is_(None)))
    coordinator = user_of(outbox, "coordinator")
    assert coordinator_table.query_coordinators(coordinator, filters={"subdivision": str(lille)}) == ([], 0)
    assert coordinator_table.query_coordinators(coordinator, filters={"q": "%"}) == ([], 0)
    by_email = all_coordinators(admin, sort="email", descending=True)
    assert [r.email for r in by_email] == sorted((r.email for r in everyone), reverse=True)
    assert [r.id for r in all_coordinators(admin, sort="nope")] == [r.id for r in everyone]
    stats = FRACTION.match(coordinator_table.coordinator_statistics(admin)[0].value).groups()
    people = {r.user_id: r.last_login_at for r in everyone}
    assert stats[:2] == (str(sum(v is not None for v in people.values())), str(len(people)))


# ------------------------------------------------------------------ fill rates
def test_fill_rates_equal_direct_counts(demo, outbox, monkeypatch):
    with transaction() as session:
        wave_id = staff_wave_id(session)
        round_1 = session.exec(select(Round).where(Round.wave_id == wave_id).order_by(Round.number)).first()
        posts = session.exec(
            select(Post).join(Subdivision, Subdivision.id == Post.subdivision_id)
            .join(Specialty, Specialty.id == Post.calling_specialty_id)
            .where(Post.wave_id == wave_id, *AMIENS_URG).order_by(Post.id)
        ).all()
        students = session.exec(select(Student.id).order_by(Student.id)).all()
        for post, student_id in zip(posts[:3], students[:3], strict=True):
            session.add(Assignment(round_id=round_1.id, student_id=student_id, post_id=post.id))
        results_day = session.exec(select(Phase.starts_on).where(Phase.round_id == round_1.id,
                                                                 Phase.kind == "results")).one()
    # Before the round's results day the rates count none of its assignments.
    assert fill_rates.fill_rates(user_of(outbox, "coordinator")).subdivisions[0].assigned == 0
    monkeypatch.setenv("SIIMOP_TODAY", results_day.isoformat())
    get_settings.cache_clear()
    with transaction() as session:
        rows = session.exec(sa.text(
            "SELECT sp.label, sd.label, r.name, p.places_opened, "
            "(SELECT COUNT(*) FROM assignment a WHERE a.post_id = p.id) "
            "FROM post p JOIN specialty sp ON sp.id = p.calling_specialty_id "
            "JOIN subdivision sd ON sd.id = p.subdivision_id JOIN region r ON r.id = sd.region_id "
            "WHERE p.wave_id = :w"
        ).bindparams(w=wave_id)).all()
    in_scope = {
        "coordinator": lambda r: (r[0], r[1]) == ("MÉDECINE D'URGENCE", "SUBDI AMIENS"),
        "manager": lambda r: r[2] == "Hauts-de-France",
        "admin": lambda r: True,
    }
    for account, keep in in_scope.items():
        rates = fill_rates.fill_rates(user_of(outbox, account))
        mine = [r for r in rows if keep(r)]
        for kind, index in (("specialties", 0), ("subdivisions", 1)):
            lines = getattr(rates, kind)
            assert [i.label for i in lines] == sorted({r[index] for r in mine}), (account, kind)
            for item in lines:
                group = [r for r in mine if r[index] == item.label]
                assert (item.opened, item.assigned, item.posts) == (
                    sum(r[3] for r in group), sum(r[4] for r in group), len(group)), (account, item)
                assert item.rate == (100 * item.assigned // item.opened if item.opened else 0)
    coordinator_rates = fill_rates.fill_rates(user_of(outbox, "coordinator"))
    assert [i.label for i in coordinator_rates.specialties] == ["MÉDECINE D'URGENCE"]
    assert coordinator_rates.subdivisions[0].assigned == 3
    with pytest.raises(AccessDenied):
        fill_rates.fill_rates(user_of(outbox, "rts2"))


# ------------------------------------------------------------------ the export routes
def _fetch(cookie: str | None, table: str, fmt: str, params: dict | None = None):
    from starlette.testclient import TestClient

    from siimop_app.file_routes import files_api

    client = TestClient(files_api)
    if cookie is not None:
        client.cookies.set(SESSION_COOKIE, cookie)
    return client.get(f"/files/exports/{table}.{fmt}", params=params or {})


def test_supervisor_export_returns_exactly_the_filtered_rows(demo, outbox):
    cookie = cookie_of(outbox, DEMO_ACCOUNTS["manager"][2])
    manager = user_of(outbox, "manager")
    with transaction() as session:
        lille = _ids(session, Subdivision, "LILLE")
    filters = {"subdivision": str(lille), "q": "a"}
    expected = all_supervisors(manager, filters=filters, sort="posts", descending=True)
    assert 0 < len(expected) < len(all_supervisors(manager))
    response = _fetch(cookie, "supervisors", "csv", {**filters, "sort": "posts", "desc": "1"})
    assert response.status_code == 200 and response.headers["cache-control"] == "private, no-store"
    table = _csv_rows(response.content)
    assert table[0] == [header for _, header in supervisor_table.COLUMNS]
    assert [row[2] for row in table[1:]] == [r.email for r in expected]
    assert [row[5] for row in table[1:]] == [str(r.posts) for r in expected]
    assert [row[7] for row in table[1:]] == [r.last_login for r in expected]
    response = _fetch(cookie, "supervisors", "xlsx", {**filters, "sort": "posts", "desc": "1"})
    assert response.status_code == 200
    values = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(values[0]) == [header for _, header in supervisor_table.COLUMNS]
    assert [row[2] for row in values[1:]] == [r.email for r in expected]
    assert [row[8] for row in values[1:]] == [r.rankings_valid for r in expected]


def test_coordinator_export_returns_exactly_the_filtered_rows(demo, outbox):
    cookie = cookie_of(outbox, DEMO_ACCOUNTS["coordinator"][2])
    coordinator = user_of(outbox, "coordinator")
    expected = all_coordinators(coordinator)
    table = _csv_rows(_fetch(cookie, "coordinators", "csv").content)
    assert table[0] == [header for _, header in coordinator_table.COLUMNS]
    assert [row[2] for row in table[1:]] == [r.email for r in expected]
    admin_cookie = cookie_of(outbox, DEMO_ACCOUNTS["admin"][2])
    admin = user_of(outbox, "admin")
    expected = all_coordinators(admin, filters={"q": "e"}, sort="email")
    values = list(openpyxl.load_workbook(io.BytesIO(
        _fetch(admin_cookie, "coordinators", "xlsx", {"q": "e", "sort": "email"}).content)).active.iter_rows(
        values_only=True))
    assert [row[2] for row in values[1:]] == [r.email for r in expected] and len(expected) > 1


def test_export_routes_are_404_for_anonymous_and_other_roles(demo, outbox):
    for cookie in (None, "", "1.forged", cookie_of(outbox, DEMO_ACCOUNTS["student"][2]),
                   cookie_of(outbox, DEMO_ACCOUNTS["rts2"][2])):
        for table in ("supervisors", "coordinators"):
            for fmt in ("csv", "xlsx"):
                response = _fetch(cookie, table, fmt)
                assert response.status_code == 404, (cookie, table, fmt)
                assert response.headers["cache-control"] == "private, no-store"
    admin = cookie_of(outbox, DEMO_ACCOUNTS["admin"][2])
    assert _fetch(admin, "supervisors", "pdf").status_code == 404

