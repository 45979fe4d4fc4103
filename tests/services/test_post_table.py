"""Gestion des postes: the staff's posts table, its statistics, a post's detail and the manager's actions,
on the small demo (SQLite, and PostgreSQL when configured). The scope is enforced in SQL: filters and post
ids can only narrow what a coordinator or a manager sees."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.demo.generator import DEMO_ACCOUNTS
from siimop_app.models import (
    Assignment,
    AuditEntry,
    Phase,
    Post,
    Ranking,
    RankingEntry,
    Region,
    Round,
    Specialty,
    Subdivision,
    User,
    UserEmail,
)
from siimop_app.services import audit, auth, calendar
from siimop_app.services import post_changes as pc
from siimop_app.services import post_staff as ps
from siimop_app.services import post_table as pt
from siimop_app.services.access import AccessDenied
from siimop_app.services.candidates import candidates_of_post
from siimop_app.settings import get_settings

FRACTION = re.compile(r"^(\d+)/(\d+) \((\d+)%\)$")


@pytest.fixture
def demo(db_url) -> int:
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    return calendar.current_wave().wave_id


def signed_in(account: str) -> auth.SignedInUser:
    with transaction() as session:
        user_id = session.exec(select(UserEmail.user_id).where(UserEmail.email == DEMO_ACCOUNTS[account][2])).one()
        user = session.get(User, user_id)
        return auth.SignedInUser(user_id, user.first_name, user.last_name, DEMO_ACCOUNTS[account][2],
                                 auth._roles(session, user_id))


def all_rows(user, **kwargs) -> list[pt.PostRow]:
    """Every matching row, read page by page (at most ``MAX_PAGE`` rows a call)."""
    rows: list[pt.PostRow] = []
    while True:
        page, total = pt.query_posts(user, offset=len(rows), limit=pt.MAX_PAGE, **kwargs)
        rows += page
        if not page or len(rows) >= total:
            assert len(rows) == total
            return rows


def _post_ids(wave_id: int, *conditions) -> set[int]:
    with transaction() as session:
        return set(session.exec(
            select(Post.id).join(Subdivision, Subdivision.id == Post.subdivision_id)
            .join(Region, Region.id == Subdivision.region_id)
            .join(Specialty, Specialty.id == Post.calling_specialty_id)
            .where(Post.wave_id == wave_id, *conditions)
        ).all())


def _id_of(model, **where) -> int:
    with transaction() as session:
        return session.exec(select(model.id).filter_by(**where)).one()


# ------------------------------------------------------------------ scope
def test_the_coordinator_sees_only_emergency_posts_of_amiens_and_filters_cannot_widen_it(demo):
    coordo = signed_in("coordinator")
    expected = _post_ids(demo, Subdivision.label == "SUBDI AMIENS", Specialty.code == "MED-URG")
    rows, total = pt.query_posts(coordo, limit=200)
    assert total == len(expected) > 0
    assert {r.post_id for r in rows} == expected
    assert {(r.subdivision, r.specialty) for r in rows} == {("SUBDI AMIENS", "MÉDECINE D'URGENCE")}
    lille = _id_of(Subdivision, label="SUBDI LILLE")
    other_specialty = next(s for s in (1, 2, 3, 4, 5, 6) if s != _id_of(Specialty, code="MED-URG"))
    for filters in (pt.PostFilters(subdivision_id=lille), pt.PostFilters(specialty_id=other_specialty),
                    pt.PostFilters(text="LILLE"), pt.PostFilters(text="%"), pt.PostFilters(text="' OR 1=1 --")):
        assert pt.query_posts(coordo, filters=filters)[1] == 0, filters
    options = pt.filter_options(coordo)
    assert [o.label for o in options["subdivisions"]] == ["SUBDI AMIENS"]
    assert [o.label for o in options["specialties"]] == ["MÉDECINE D'URGENCE"]
    outside = min(_post_ids(demo, Subdivision.label == "SUBDI LILLE"))
    with pytest.raises(AccessDenied, match="périmètre"):
        ps.post_detail_for_staff(coordo, outside)
    with pytest.raises(AccessDenied, match="périmètre"):
        ps.post_detail_for_staff(coordo, 10**8)


def test_the_manager_sees_the_hauts_de_france_region_and_the_admin_everything(demo):
    manager = signed_in("manager")
    expected = _post_ids(demo, Region.name == "Hauts-de-France")
    assert pt.query_posts(manager)[1] == len(expected)
    assert {r.region for r in all_rows(manager)} == {"Hauts-de-France"}
    assert pt.query_posts(signed_in("admin"))[1] == len(_post_ids(demo))
    outside = min(_post_ids(demo, Region.name != "Hauts-de-France"))
    with pytest.raises(AccessDenied):
        ps.post_detail_for_staff(manager, outside)
    with pytest.raises(AccessDenied):
        pc.set_validated_by_ars(manager, outside, True)


def test_students_and_supervisors_have_no_access(demo):
    for account in ("student", "rts2"):
        with pytest.raises(AccessDenied):
            pt.query_posts(signed_in(account))
        with pytest.raises(AccessDenied):
            pt.post_statistics(signed_in(account))


# ------------------------------------------------------------------ filters, sort, paging
def test_filters_sort_and_paging(demo):
    admin = signed_in("admin")
    everything = all_rows(admin)
    sample = everything[17]
    found = all_rows(admin, filters=pt.PostFilters(text=sample.approval_number))
    assert sample.post_id in {r.post_id for r in found}
    assert all(sample.approval_number in r.approval_number for r in found)
    by_rts = all_rows(admin, filters=pt.PostFilters(text=sample.rts_email.split("@")[0]))
    assert sample.post_id in {r.post_id for r in by_rts}
    lille = _id_of(Subdivision, label="SUBDI LILLE")
    assert {r.subdivision for r in all_rows(admin, filters=pt.PostFilters(subdivision_id=lille))} == {"SUBDI LILLE"}
    region = _id_of(Region, name="Hauts-de-France")
    assert {r.region for r in all_rows(admin, filters=pt.PostFilters(region_id=region))} == {"Hauts-de-France"}
    with_places = pt.query_posts(admin, filters=pt.PostFilters(places="with"))[1]
    without = pt.query_posts(admin, filters=pt.PostFilters(places="without"))[1]
    assert with_places + without == len(everything)

    places = [r.places for r in all_rows(admin, sort="places", descending=True)]
    assert places == sorted(places, reverse=True)
    names = [r.name for r in all_rows(admin, sort="name")]
    assert names == sorted(names)
    assert pt.query_posts(admin, sort="nonexistent; DROP TABLE post")[1] == len(everything)

    first, total = pt.query_posts(admin, sort="approval_number", offset=0, limit=10)
    second, _ = pt.query_posts(admin, sort="approval_number", offset=10, limit=10)
    assert len(first) == len(second) == 10 and total == len(everything)
    assert not {r.post_id for r in first} & {r.post_id for r in second}
    assert [r.post_id for r in first + second] == [r.post_id for r in everything[:20]]


def test_candidate_filter_and_statistics_match_direct_counts(demo):
    manager = signed_in("manager")
    filters = pt.PostFilters(subdivision_id=_id_of(Subdivision, label="SUBDI LILLE"))
    stats = {s.label: s.value for s in pt.post_statistics(manager, filters)}
    ids = _post_ids(demo, Subdivision.label == "SUBDI LILLE")
    round_id = _id_of(Round, wave_id=demo, number=1)
    with transaction() as session:
        posts = session.exec(select(Post).where(Post.id.in_(ids))).all()
        with_candidates = {p.id for p in posts if candidates_of_post(session, post=p, round_id=round_id)}
        places = sum(p.places_opened for p in posts)
        validated = sum(p.validated_by_ars for p in posts)
        valid = session.exec(select(sa.func.count()).select_from(Ranking).where(
            Ranking.post_id.in_(ids), Ranking.round_id == round_id, Ranking.is_valid)).one()
        assigned = session.exec(select(sa.func.count()).select_from(Assignment).where(
            Assignment.post_id.in_(ids))).one()
    assert stats["Postes"] == f"{len(ids)} ({places} places ouvertes)"
    assert FRACTION.match(stats["Postes avec candidatures"]).groups()[:2] == (str(len(with_candidates)), str(len(ids)))
    assert FRACTION.match(stats["Classements valides"]).groups()[:2] == (str(valid), str(len(ids)))
    assert FRACTION.match(stats["Postes validés par l'ARS"]).groups()[:2] == (str(validated), str(len(ids)))
    assert FRACTION.match(stats["Places affectées"]).groups()[:2] == (str(assigned), str(places))
    shown = {r.post_id for r in all_rows(manager, filters=pt.PostFilters(
        subdivision_id=filters.subdivision_id, candidates="with"))}
    assert shown == with_candidates
    none = {r.post_id for r in all_rows(manager, filters=pt.PostFilters(
        subdivision_id=filters.subdivision_id, candidates="without"))}
    assert none == ids - with_candidates


# ------------------------------------------------------------------ detail
def test_the_detail_lists_candidates_with_rank_and_validity(demo):
    coordo = signed_in("coordinator")
    round_id = _id_of(Round, wave_id=demo, number=1)
    rows = all_rows(coordo)
    with transaction() as session:
        ranked_post = session.exec(select(Ranking.post_id).where(
            Ranking.round_id == round_id, Ranking.post_id.in_([r.post_id for r in rows]))).first()
    detail = ps.post_detail_for_staff(coordo, ranked_post)
    ranking = detail.ranking
    assert ranking.candidates == len(detail.candidates) > 0
    assert ranking.candidates == ranking.left_to_rank + ranking.retained + ranking.refused
    ranks = [c.rank for c in detail.candidates]
    assert ranks.count("Non classé(e)") == ranking.left_to_rank
    assert ranks.count("Non retenu(e)") == ranking.refused
    assert [r for r in ranks if r.isdigit()] == [str(i) for i in range(1, ranking.retained + 1)]
    assert all(c.ine for c in detail.candidates)
    if ranking.valid:
        assert ranking.validity == "Le classement du RTS est valide." and ranking.problems == []
    else:
        assert ranking.validity.startswith("Le classement du RTS n'est pas valide.") and ranking.problems
    assert detail.can_manage is False
    assert not hasattr(detail.candidates[0], "hearts")


def test_an_assigned_student_is_marked(demo, monkeypatch):
    admin = signed_in("admin")
    post_id = all_rows(admin, filters=pt.PostFilters(candidates="with"))[0].post_id
    round_id = _id_of(Round, wave_id=demo, number=1)
    with transaction() as session:
        post = session.get(Post, post_id)
        student_id = candidates_of_post(session, post=post, round_id=round_id)[0].student_id
        session.add(Assignment(round_id=round_id, student_id=student_id, post_id=post_id, method="manual"))
        results_day = session.exec(select(Phase.starts_on).where(Phase.round_id == round_id,
                                                                 Phase.kind == "results")).one()
    # Before the round's results day nothing of it shows: not in the detail, the counts or the filter.
    hidden = ps.post_detail_for_staff(admin, post_id)
    assert hidden.post.assigned == 0 and not any(c.assigned for c in hidden.candidates)
    assert all_rows(admin, filters=pt.PostFilters(assignments="with")) == []
    monkeypatch.setenv("SIIMOP_TODAY", results_day.isoformat())
    get_settings.cache_clear()
    detail = ps.post_detail_for_staff(admin, post_id)
    assigned = [c for c in detail.candidates if c.assigned]
    assert [c.student_id for c in assigned] == [student_id] and assigned[0].result == "Affecté-e"
    assert detail.post.assigned == 1
    row = all_rows(admin, filters=pt.PostFilters(assignments="with"))
    assert [r.post_id for r in row] == [post_id] and row[0].assigned == 1


def test_the_table_and_the_detail_show_the_same_last_change(demo):
    """"Derniers changements" has one definition: a supervisor's ranking move shows in the row and the detail."""
    from siimop_app.services import rankings

    coordo = signed_in("rts")  # the demo RTS also coordinates emergency medicine in Amiens
    rts = signed_in("rts")
    post_id = next(r.post_id for r in all_rows(coordo) if r.last_change == pt.NO_CHANGE
                   and r.post_id in {p.id for p in _referent_posts(rts)})
    board = rankings.ranking_board(rts, post_id)
    rankings.apply_move(rts, post_id, "rank", next(iter(board.cards)))
    row = next(r for r in all_rows(coordo) if r.post_id == post_id)
    detail = ps.post_detail_for_staff(coordo, post_id)
    exported = next(r for r in pt.export_rows(coordo) if r["id"] == post_id)
    assert re.fullmatch(r"Isabelle FERNBACH le \d\d/\d\d/\d{4} \d\d:\d\d:\d\d", row.last_change)
    assert detail.post.last_change == row.last_change == exported["last_change"]


def _referent_posts(user) -> list[Post]:
    from siimop_app.models import PostSupervisor

    with transaction() as session:
        return session.exec(select(Post).join(PostSupervisor, PostSupervisor.post_id == Post.id)
                            .where(PostSupervisor.user_id == user.user_id, PostSupervisor.is_referent)).all()


# ------------------------------------------------------------------ manager actions
def test_a_manager_validates_and_changes_places_with_an_audit_row(demo):
    manager = signed_in("manager")
    row = next(r for r in all_rows(manager) if not r.validated_by_ars)
    assert row.last_change == "Aucun changement"
    assert pc.set_validated_by_ars(manager, row.post_id, True) == {"validated_by_ars": True}
    after = all_rows(manager, filters=pt.PostFilters(text=row.approval_number))
    changed = next(r for r in after if r.post_id == row.post_id)
    assert changed.validated_by_ars is True
    assert re.fullmatch(r"Arnaud MONIER le \d\d/\d\d/\d{4} \d\d:\d\d:\d\d", changed.last_change)
    pc.set_places(manager, row.post_id, row.places + 2)
    with transaction() as session:
        post = session.get(Post, row.post_id)
        entries = session.exec(select(AuditEntry).where(AuditEntry.entity == "post",
                                                        AuditEntry.entity_id == row.post_id)
                               .order_by(AuditEntry.id)).all()
    assert post.places_opened == row.places + 2 and post.validated_by_ars and post.validated_at is not None
    assert [e.action for e in entries] == ["post.validated_by_ars", "post.places"]
    assert '"places_opened": ' + str(row.places) in entries[1].before_json
    assert entries[0].actor_user_id == manager.user_id
    assert ps.post_detail_for_staff(manager, row.post_id).can_manage is True


def test_a_change_of_places_that_breaks_a_ranking_shows_in_the_table_at_once(demo):
    """The subdivision rule counts places: with 1 place a local first is enough, with 3 places the first 3 ranks
    need 2 locals. The table's "Classement valide" follows the change at once, as the post's page and the
    matching do (it showed the verdict stored before the change)."""
    admin = signed_in("admin")
    round_id = _id_of(Round, wave_id=demo, number=1)
    with transaction() as session:
        for post in session.exec(select(Post).where(Post.wave_id == demo).order_by(Post.id)).all():
            cards = candidates_of_post(session, post=post, round_id=round_id)
            local = [c.student_id for c in cards if c.is_local]
            outside = [c.student_id for c in cards if not c.is_local]
            if len(local) >= 2 and len(outside) >= 2:
                break
        else:
            pytest.fail("the demo holds a post with two local and two outside candidates")
        post.places_opened = 1
        session.add(post)
        ranking = session.exec(select(Ranking).where(Ranking.round_id == round_id, Ranking.post_id == post.id)).first()
        if ranking is None:
            ranking = Ranking(round_id=round_id, post_id=post.id, is_valid=True)
            session.add(ranking)
            session.flush()
        session.execute(sa.delete(RankingEntry).where(RankingEntry.ranking_id == ranking.id))
        order = [local[0], *outside, *local[1:]]
        session.add_all(RankingEntry(ranking_id=ranking.id, student_id=sid, rank=rank)
                        for rank, sid in enumerate(order, start=1))
        ranking.is_valid = True
        session.add(ranking)
        post_id, ranking_id = post.id, ranking.id
    assert ps.post_detail_for_staff(admin, post_id).ranking.valid is True
    assert next(r for r in all_rows(admin) if r.post_id == post_id).ranking_valid == "Oui"
    pc.set_places(admin, post_id, 3)
    assert ps.post_detail_for_staff(admin, post_id).ranking.valid is False
    assert next(r for r in all_rows(admin) if r.post_id == post_id).ranking_valid == "Non"
    with transaction() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "post.places",
                                                      AuditEntry.entity_id == post_id)).one()
    assert f'"{ranking_id}": true' in entry.before_json and f'"{ranking_id}": false' in entry.after_json


def test_places_below_the_assignments_or_negative_are_refused_and_nothing_changes(demo):
    admin = signed_in("admin")
    post_id = all_rows(admin, filters=pt.PostFilters(candidates="with"))[0].post_id
    round_id = _id_of(Round, wave_id=demo, number=1)
    with transaction() as session:
        post = session.get(Post, post_id)
        post.places_opened = 2
        session.add(post)
        for card in candidates_of_post(session, post=post, round_id=round_id)[:2]:
            session.add(Assignment(round_id=round_id, student_id=card.student_id, post_id=post_id, method="manual"))
    for bad in (1, 0, -1, "3", 2.0, True):
        with pytest.raises(pc.PostChangeError):
            pc.set_places(admin, post_id, bad)
    with transaction() as session:
        assert session.get(Post, post_id).places_opened == 2
        assert session.exec(select(sa.func.count()).select_from(AuditEntry)
                            .where(AuditEntry.entity == "post")).one() == 0
    pc.set_places(admin, post_id, 2)  # unchanged: no audit row
    pc.set_places(admin, post_id, 3)
    with transaction() as session:
        assert session.exec(select(sa.func.count()).select_from(AuditEntry)
                            .where(AuditEntry.entity == "post")).one() == 1


def test_a_coordinator_cannot_act(demo):
    coordo = signed_in("coordinator")
    post_id = all_rows(coordo)[0].post_id
    with transaction() as session:
        before = session.get(Post, post_id)
    with pytest.raises(AccessDenied):
        pc.set_validated_by_ars(coordo, post_id, not before.validated_by_ars)
    with pytest.raises(AccessDenied):
        pc.set_places(coordo, post_id, before.places_opened + 1)
    with transaction() as session:
        after = session.get(Post, post_id)
        assert (after.validated_by_ars, after.places_opened) == (before.validated_by_ars, before.places_opened)
        assert session.exec(select(sa.func.count()).select_from(AuditEntry)
                            .where(AuditEntry.entity == "post")).one() == 0


def test_latest_change_comes_from_the_site_or_ranking_too(demo):
    admin = signed_in("admin")
    row = all_rows(admin)[0]
    with transaction() as session:
        post = session.get(Post, row.post_id)
        audit.record(session, actor_user_id=admin.user_id, action="site.description.update", entity="site",
                     entity_id=post.site_id, before={}, after={})
    again = next(r for r in all_rows(admin) if r.post_id == row.post_id)
    assert again.last_change.startswith("Admin SIIMOP le ")


def test_the_posts_export_holds_exactly_the_filtered_rows_of_the_scope(demo, outbox):
    import csv
    import io

    import openpyxl
    from starlette.testclient import TestClient

    from siimop_app.file_routes import files_api
    from siimop_app.states.session import SESSION_COOKIE
    from tests.services.test_student_table import cookie_of

    cookie = cookie_of(outbox, DEMO_ACCOUNTS["manager"][2])
    manager = auth.resolve_session(cookie)
    params = {"text": "SMUR", "candidates": "with", "sort": "name", "desc": "1"}
    expected = all_rows(manager, filters=pt.filters_from_params(params), sort="name", descending=True)
    assert expected
    client = TestClient(files_api)
    client.cookies.set(SESSION_COOKIE, cookie)
    response = client.get("/files/exports/posts.csv", params=params)
    assert response.status_code == 200 and response.headers["cache-control"] == "private, no-store"
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert table[0] == [header for _, header in pt.EXPORT_COLUMNS]
    assert [row[0] for row in table[1:]] == [row.approval_number for row in expected]
    response = client.get("/files/exports/posts.xlsx", params=params)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in values[1:]] == [row.approval_number for row in expected]
    assert [row[12] for row in values[1:]] == [row.places for row in expected]  # real numbers
    coordinator_cookie = cookie_of(outbox, DEMO_ACCOUNTS["coordinator"][2])
    client.cookies.set(SESSION_COOKIE, coordinator_cookie)
    scoped = list(csv.reader(io.StringIO(client.get("/files/exports/posts.csv").content.decode("utf-8-sig")),
                             delimiter=";"))
    coordinator = auth.resolve_session(coordinator_cookie)
    assert len(scoped) - 1 == len(all_rows(coordinator)) < len(all_rows(manager))
    anonymous = TestClient(files_api)
    assert anonymous.get("/files/exports/posts.csv").status_code == 404
