"""The demo campaign: realistic, complete, and shaped as the README promises."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import get_engine, transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.demo.generator import DEMO_ACCOUNTS
from siimop_app.domain.ranking_rules import Candidate, check_ranking
from siimop_app.domain.sufficiency import required_wishes
from siimop_app.models import (
    Application,
    Post,
    PostSupervisor,
    Ranking,
    RankingEntry,
    RoleGrant,
    Student,
    User,
    UserEmail,
)
from siimop_app.services import calendar
from tests.conftest import BACKENDS


def _count(session, model) -> int:
    return session.exec(select(sa.func.count()).select_from(model)).one()


def test_small_demo_has_every_role_and_today_in_the_ranking_phase(db_url):
    assert demo_main(["--scale", "small", "--seed", "7"]) == 0
    with transaction() as session:
        roles = {}
        for address, role in session.exec(
            select(UserEmail.email, RoleGrant.role).join(RoleGrant, RoleGrant.user_id == UserEmail.user_id)
            .where(UserEmail.email.like("%@demo.siimop.fr"), UserEmail.kind == "main")
        ).all():
            roles.setdefault(address, set()).add(role)
        referent_posts = session.exec(
            select(PostSupervisor.is_referent, Post.post_type, Post.decale)
            .join(Post, Post.id == PostSupervisor.post_id)
            .join(UserEmail, UserEmail.user_id == PostSupervisor.user_id)
            .where(UserEmail.email == DEMO_ACCOUNTS["rts"][2])
        ).all()
    assert roles == {
        "rts@demo.siimop.fr": {"supervisor", "coordinator"}, "rts2@demo.siimop.fr": {"supervisor"},
        "etudiant@demo.siimop.fr": {"student"}, "coordo@demo.siimop.fr": {"coordinator"},
        "ars@demo.siimop.fr": {"manager"}, "admin@demo.siimop.fr": {"admin"},
    }
    # The seed's situations: a décalé post, a couplé post where the RTS is référent, a mixte one where they are not.
    assert (True, "simple", True) in referent_posts
    assert (True, "couple", False) in referent_posts
    assert (False, "mixte", False) in referent_posts
    wave = calendar.current_wave()
    assert wave is not None and wave.open_phase("ranking", calendar.now()) is not None


def test_national_demo_has_the_promised_size(db_url):
    assert demo_main(["--scale", "national"]) == 0
    with transaction() as session:
        students = _count(session, Student)
        posts = _count(session, Post)
        wishes = _count(session, Application)
        places_by_specialty = dict(session.exec(
            select(Post.calling_specialty_id, sa.func.sum(Post.places_opened)).group_by(Post.calling_specialty_id)
        ).all())
        students_by_specialty = dict(session.exec(
            select(Student.specialty_id, sa.func.count()).group_by(Student.specialty_id)
        ).all())
        post_types = dict(session.exec(select(Post.post_type, sa.func.count()).group_by(Post.post_type)).all())
    assert students == 7400
    assert 5500 <= posts <= 6500
    assert sum(places_by_specialty.values()) >= 1.07 * students
    for specialty, count in students_by_specialty.items():
        assert places_by_specialty[specialty] >= 1.07 * count
    assert 8 <= wishes / students <= 12
    assert post_types["couple"] > 0 and post_types["mixte"] > 0


def test_stored_ranking_validity_is_what_the_rules_say(db_url):
    demo_main(["--scale", "small"])
    with transaction() as session:
        student_subdivision = dict(session.exec(select(Student.id, Student.subdivision_id)).all())
        rankings = session.exec(select(Ranking, Post).join(Post, Post.id == Ranking.post_id)).all()
        entries = session.exec(select(RankingEntry).order_by(RankingEntry.rank)).all()
    by_ranking: dict[int, list[RankingEntry]] = {}
    for entry in entries:
        by_ranking.setdefault(entry.ranking_id, []).append(entry)
    valid = invalid = 0
    for ranking, post in rankings:
        group = by_ranking[ranking.id]

        def candidates(selected):
            return [Candidate(e.student_id, student_subdivision[e.student_id] == post.subdivision_id) for e in selected]

        check = check_ranking(
            places=post.places_opened,
            ranked=candidates(e for e in group if e.rank is not None),
            unranked=candidates(e for e in group if e.rank is None and not e.refused),
            refused=candidates(e for e in group if e.refused),
        )
        assert (check.valid, "\n".join(check.problems)) == (ranking.is_valid, ranking.problems)
        valid += check.valid
        invalid += not check.valid
    assert valid > 0 and invalid > 0  # the demo shows both


def test_some_wish_lists_are_insufficient_but_most_are_not(db_url):
    demo_main(["--scale", "small"])
    with transaction() as session:
        offered = {
            (spec, sub): count
            for spec, sub, count in session.exec(
                select(Post.calling_specialty_id, Post.subdivision_id, sa.func.count())
                .group_by(Post.calling_specialty_id, Post.subdivision_id)
            ).all()
        }
        rated = session.exec(
            select(Student.specialty_id, Student.subdivision_id, sa.func.count(Application.id))
            .join(Application, sa.and_(Application.student_id == Student.id, Application.hearts > 0))
            .group_by(Student.id)
        ).all()
    insufficient = sum(count < required_wishes(offered.get((spec, sub), 0)) for spec, sub, count in rated)
    assert 0 < insufficient < 0.15 * len(rated)


def test_existing_campaign_is_kept_unless_reset(db_url):
    assert demo_main(["--scale", "small"]) == 0
    assert demo_main(["--scale", "small", "--if-empty"]) == 0
    assert demo_main(["--scale", "small"]) == 2
    assert demo_main(["--scale", "small", "--reset", "--phase", "closed"]) == 0
    with transaction() as session:
        assert _count(session, User) > 0
    assert calendar.current_wave() is None  # the "closed" demo: the application is closed today


def test_results_phase_has_the_rankings_of_a_finished_ranking_phase(db_url):
    """Closing round 1 of the demo in its results phase places students as a real campaign does (~96 %)."""
    from siimop_app.models import Round
    from siimop_app.services import rounds

    assert demo_main(["--scale", "small", "--phase", "results"]) == 0
    with transaction() as session:
        wished = set(session.exec(select(Application.post_id).where(Application.hearts > 0)).all())
        rankings = dict(session.exec(select(Ranking.post_id, Ranking.is_valid)).all())
        round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
    # Almost every post with a candidate is ranked (the demo RTS's own posts too); a few rankings are invalid.
    assert len(wished & set(rankings)) >= 0.95 * len(wished)
    invalid = sum(not valid for valid in rankings.values())
    assert 0 < invalid <= 0.08 * len(rankings)
    report = rounds.close_round(round_id=round_id, actor_user_id=None)
    # Seeds 1-11 and 2024 place 98-100 % of the students with a sufficient list (real campaigns: ~96 %);
    # 95 % leaves room for the randomness of the data while failing a half-ranked demo (69 % before).
    assert report.students_placed >= 0.95 * report.students
    assert report.rankings_ignored == invalid  # the stored validity is what the close finds


@pytest.mark.parametrize("db_url", BACKENDS[1:], indirect=True)  # PostgreSQL's visibility map (with CI's server)
def test_on_postgresql_the_loaded_tables_are_vacuumed_so_index_only_scans_skip_them(db_url):
    # Each ranking move counts, per candidate, the posts offered in their subdivision from an index: with the
    # table's pages not marked all-visible (no vacuum since the load, and autovacuum off on some servers) that
    # scan read the table too, and PostgreSQL's CPU per move was ~25 % higher under load.
    assert demo_main(["--scale", "small"]) == 0
    with get_engine().connect() as connection:
        pages, visible = connection.execute(sa.text(
            "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'post'")).one()
    assert pages > 0 and visible == pages
