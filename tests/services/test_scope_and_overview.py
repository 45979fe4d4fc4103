"""Scope enforcement in SQL (SPEC §7): a coordinator or a manager sees the figures of their own area, nothing more."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.demo.generator import DEMO_ACCOUNTS
from siimop_app.models import Post, Region, RoleGrant, Specialty, Student, Subdivision, User, UserEmail
from siimop_app.services import calendar, overview
from tests.services.factories import make_user

FRACTION = re.compile(r"^(\d+)/(\d+) \((\d+)%\)$")
POSTS = re.compile(r"^(\d+) \((\d+) places\)$")


@pytest.fixture
def demo(db_url) -> int:
    """The small demo in its ranking phase; returns the open wave's id."""
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    return calendar.current_wave().wave_id


def _user_id(account: str) -> int:
    with transaction() as session:
        return session.exec(select(UserEmail.user_id).where(UserEmail.email == DEMO_ACCOUNTS[account][2])).one()


def _figures(user_id: int, wave_id: int | None, roles: tuple[str, ...]) -> dict[str, str]:
    return {f.label: f.value for f in overview.scope_figures(user_id=user_id, wave_id=wave_id, roles=roles)}


def _students_and_posts(figures: dict[str, str]) -> tuple[int, int, int, int]:
    """(students, students who signed in, posts, places) as the home page shows them."""
    signed_in, students, _ = map(int, FRACTION.match(figures["Étudiants connectés"]).groups())
    posts, places = map(int, POSTS.match(figures["Postes (places ouvertes)"]).groups())
    return students, signed_in, posts, places


def _direct_counts(wave_id: int, *conditions_students, conditions_posts=()) -> tuple[int, int, int, int]:
    """The same four figures counted straight from the tables, by subdivision/specialty/region codes."""
    with transaction() as session:
        students, signed_in = session.exec(
            select(sa.func.count(Student.id), sa.func.count(User.last_login_at))
            .join(User, User.id == Student.user_id)
            .join(Subdivision, Subdivision.id == Student.subdivision_id)
            .join(Region, Region.id == Subdivision.region_id)
            .join(Specialty, Specialty.id == Student.specialty_id)
            .where(*conditions_students)
        ).one()
        posts, places = session.exec(
            select(sa.func.count(Post.id), sa.func.coalesce(sa.func.sum(Post.places_opened), 0))
            .join(Subdivision, Subdivision.id == Post.subdivision_id)
            .join(Region, Region.id == Subdivision.region_id)
            .join(Specialty, Specialty.id == Post.calling_specialty_id)
            .where(Post.wave_id == wave_id, *conditions_posts)
        ).one()
    return students, signed_in, posts, places


def test_coordinator_sees_only_their_specialty_in_their_subdivision(demo):
    wave_id = demo
    figures = _figures(_user_id("coordinator"), wave_id, ("coordinator",))
    where = (Subdivision.code == "AMIENS", Specialty.code == "MED-URG")
    expected = _direct_counts(wave_id, *where, conditions_posts=where)
    assert _students_and_posts(figures) == expected
    students, _, posts, _ = expected
    assert 0 < students < 320 and posts >= 3  # the demo RTS's three posts are emergency posts in Amiens
    # The demo student studies emergency medicine in Lille: not in the Amiens coordinator's figures.
    everyone_in_emergency = _direct_counts(wave_id, Specialty.code == "MED-URG")[0]
    assert students < everyone_in_emergency


def test_manager_sees_their_region_only(demo):
    wave_id = demo
    figures = _figures(_user_id("manager"), wave_id, ("manager", "admin"))
    expected = _direct_counts(wave_id, Region.code == "HDF", conditions_posts=(Region.code == "HDF",))
    assert _students_and_posts(figures) == expected
    students, _, posts, _ = expected
    # Amiens and Lille are in Hauts-de-France; Rouen, Caen and Reims are not.
    elsewhere = _direct_counts(wave_id, Region.code != "HDF", conditions_posts=(Region.code != "HDF",))
    assert students > 0 and elsewhere[0] > 0 and students + elsewhere[0] == 320
    assert posts > 0 and elsewhere[2] > 0


def test_admin_sees_everything(demo):
    wave_id = demo
    figures = _figures(_user_id("admin"), wave_id, ("manager", "admin"))
    students, signed_in, posts, places = _students_and_posts(figures)
    assert (students, signed_in, posts, places) == _direct_counts(wave_id)
    assert students == 320
    with transaction() as session:
        assert posts == session.exec(select(sa.func.count()).select_from(Post)).one()


def test_several_grants_add_up(demo):
    wave_id = demo
    user_id = make_user("double@univ.example", first="Jeanne", last="Double")
    with transaction() as session:
        ids = {code: i for code, i in session.exec(select(Subdivision.code, Subdivision.id))}
        specs = {code: i for code, i in session.exec(select(Specialty.code, Specialty.id))}
        session.add(RoleGrant(user_id=user_id, role="coordinator", subdivision_id=ids["AMIENS"],
                              specialty_id=specs["MED-URG"]))
        session.add(RoleGrant(user_id=user_id, role="coordinator", subdivision_id=ids["ROUEN"],
                              specialty_id=specs["PEDIATRIE"]))
    amiens = _direct_counts(wave_id, Subdivision.code == "AMIENS", Specialty.code == "MED-URG",
                            conditions_posts=(Subdivision.code == "AMIENS", Specialty.code == "MED-URG"))
    rouen = _direct_counts(wave_id, Subdivision.code == "ROUEN", Specialty.code == "PEDIATRIE",
                           conditions_posts=(Subdivision.code == "ROUEN", Specialty.code == "PEDIATRIE"))
    assert _students_and_posts(_figures(user_id, wave_id, ("coordinator",))) == tuple(
        a + b for a, b in zip(amiens, rouen)
    )


def test_no_grant_means_nothing_never_everything(demo):
    wave_id = demo
    nobody = make_user("sans-role@chu.example")
    empty = {
        "Étudiants connectés": "0/0 (0%)",
        "Participation à la campagne": "0/0 (0%)",
        "Semestre décalé": "0/0 (0%)",
        "Postes (places ouvertes)": "0 (0 places)",
        "Postes validés par l'ARS": "0/0 (0%)",
        "Classements valides": "0/0 (0%)",
    }
    assert _figures(nobody, wave_id, ("coordinator",)) == empty
    assert _figures(nobody, wave_id, ("manager", "admin")) == empty
    # A supervisor or a student holds grants, but none of the asked roles: still nothing.
    assert _figures(_user_id("rts2"), wave_id, ("coordinator",)) == empty
    assert _figures(_user_id("student"), wave_id, ("manager", "admin")) == empty
    # The coordinator's grant does not open the manager's figures.
    assert _figures(_user_id("coordinator"), wave_id, ("manager", "admin")) == empty


def test_without_an_open_wave_there_are_no_posts_but_students_still_count(demo):
    figures = _figures(_user_id("admin"), None, ("admin",))
    assert figures["Postes (places ouvertes)"] == "0 (0 places)"
    assert figures["Classements valides"] == "0/0 (0%)"
    assert FRACTION.match(figures["Étudiants connectés"]).group(2) == "320"


def test_the_six_headline_figures_are_in_the_seed_format(demo):
    figures = overview.scope_figures(user_id=_user_id("coordinator"), wave_id=demo, roles=("coordinator",))
    assert [f.label for f in figures] == [
        "Étudiants connectés",
        "Participation à la campagne",
        "Semestre décalé",
        "Postes (places ouvertes)",
        "Postes validés par l'ARS",
        "Classements valides",
    ]
    for figure in figures:
        if figure.label != "Postes (places ouvertes)":
            part, whole, _ = map(int, FRACTION.match(figure.value).groups())
            assert 0 <= part <= whole


# ------------------------------------------------------------------ percent
def test_percent_of_nothing_is_zero():
    assert overview.percent(0, 0) == "0/0 (0%)"
    assert overview.percent(0, 12) == "0/12 (0%)"
    assert overview.percent(12, 12) == "12/12 (100%)"


def test_percent_reproduces_the_seed_figure():
    # Seed, "Parcours Coordonnateur": "3019/7384 (40%)" although 3019/7384 = 40.9 %.
    assert overview.percent(3019, 7384) == "3019/7384 (40%)"


def test_a_figure_short_of_the_total_never_shows_100_percent():
    # 199 valid rankings out of 200 posts: a coordinator reading "100%" would think every ranking is done.
    assert overview.percent(199, 200) != "199/200 (100%)"
