"""Page guards, without a browser: every protected page's on_load sends the wrong visitor away and loads nothing.

States are instantiated the way Reflex builds them for a client (a root ``rx.State``
with its substates) and their handlers are called directly; what a handler returns
(an ``EventSpec`` or a list of them) is what the browser would be told to do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from reflex.istate.data import HeaderData

import siimop_app.siimop_app  # noqa: F401  (registers the pages, e.g. the "[token]" argument of the link page)
from siimop_app.demo.cli import main as demo_main
from siimop_app.demo.generator import DEMO_ACCOUNTS
from siimop_app.navigation import MenuLine
from siimop_app.pages.coordinator.home import CoordinatorHomeState
from siimop_app.pages.manager.home import ManagerHomeState
from siimop_app.pages.profile import ProfileState
from siimop_app.pages.sign_in import LinkState, RootState
from siimop_app.pages.student.home import StudentHomeState
from siimop_app.pages.supervisor.posts import SupervisorPostsState
from siimop_app.services import auth
from siimop_app.services.overview import StudentSummary
from siimop_app.states.session import SESSION_COOKIE, AppState
from tests.services.factories import make_user
from tests.services.mailbox import links_for, token_of
from tests.states.reflex_state import page_state, redirects, settle, specs, toasts  # noqa: F401  (other tests import them from here)

NO_ACCESS = "Vous n'avez pas accès à cette page."


# ------------------------------------------------------------------ helpers
def load_demo(phase: str) -> None:
    assert demo_main(["--scale", "small", "--phase", phase]) == 0


def sign_in(outbox: Path, address: str) -> str:
    """Request a link, read it from the mailbox, use it: the session cookie's value."""
    assert auth.request_sign_in(address) == auth.SIGN_IN_SENT_MESSAGE
    return auth.consume_sign_in_link(token_of(links_for(outbox, address)[-1]))


def demo_address(account: str) -> str:
    return DEMO_ACCOUNTS[account][2]


# ------------------------------------------------------- one row per page
def _supervisor_has_data(state) -> None:
    assert len(state.cards) == 3
    accesses = sorted(card.type_and_access for card in state.cards)
    assert any("Accès non référent" in a for a in accesses)
    assert sum("Accès référent" in a for a in accesses) == 2
    assert all(card.subdivision for card in state.cards)


def _supervisor_is_empty(state) -> None:
    assert state.cards == []


def _student_has_data(state) -> None:
    assert state.has_summary and state.summary.full_name == "Rémi THERMIDOR"
    assert state.summary.subdivision and "LILLE" in state.summary.subdivision.upper()
    assert state.summary.participating is True


def _student_is_empty(state) -> None:
    assert state.summary == StudentSummary() and not state.has_summary and state.file_docs == []


def _coordinator_has_data(state) -> None:
    assert [f.label for f in state.figures][:2] == ["Étudiants connectés", "Participation à la campagne"]
    assert state.figures[0].value != "0/0 (0%)"  # the coordinator's area has students


def _coordinator_is_empty(state) -> None:
    assert state.figures == []


def _manager_has_data(state) -> None:
    assert len(state.figures) == 6 and state.figures[0].value != "0/0 (0%)"
    assert state.phases, "the wave's calendar is shown"
    running = [p for p in state.phases if p.status == "En cours"]
    assert any(p.label == "Classement des candidatures" and p.round == "Tour 1" for p in running)
    assert all(p.ends.endswith(" 23h59") for p in state.phases)


def _manager_is_empty(state) -> None:
    assert state.figures == [] and state.phases == []


def _profile_has_data(state) -> None:
    assert {e.email for e in state.emails} == {"etudiant@demo.siimop.fr", "etudiant.perso@demo.siimop.fr"}
    assert state.roles == ["Étudiant"]


def _profile_is_empty(state) -> None:
    assert state.emails == [] and state.roles == []


PAGES: list[tuple[type[AppState], str, str | None, Callable, Callable]] = [
    # (page state, a user with the role, a signed-in user without it, data check, nothing-loaded check)
    (SupervisorPostsState, "rts", "student", _supervisor_has_data, _supervisor_is_empty),
    (StudentHomeState, "student", "rts2", _student_has_data, _student_is_empty),
    (CoordinatorHomeState, "coordinator", "student", _coordinator_has_data, _coordinator_is_empty),
    (ManagerHomeState, "manager", "coordinator", _manager_has_data, _manager_is_empty),
    (ProfileState, "student", None, _profile_has_data, _profile_is_empty),  # any signed-in user
]
PAGE_IDS = [row[0].__name__ for row in PAGES]


def _nothing_about_anyone(state) -> None:
    """The shell is not filled either: no name, no menu."""
    assert state.user_name == "" and state.menu == [] and state.other_interfaces == []


# -------------------------------------------------------------------- tests
@pytest.mark.parametrize(("cls", "allowed", "denied", "has_data", "is_empty"), PAGES, ids=PAGE_IDS)
def test_protected_page_guard(db_url, outbox, cls, allowed, denied, has_data, is_empty):
    load_demo("ranking")

    # No cookie, or a cookie that matches no session: to the sign-in page, nothing loaded.
    for cookie in ("", "garbage", "1.forged-secret"):
        state = page_state(cls, cookie)
        assert redirects(settle(state.load())) == ["/connexion"]
        is_empty(state)
        _nothing_about_anyone(state)

    # Signed in without the role: back to "/" with a French message, nothing loaded.
    if denied is not None:
        state = page_state(cls, sign_in(outbox, demo_address(denied)))
        result = settle(state.load())
        assert redirects(result) == ["/"]
        assert any(NO_ACCESS in js for js in toasts(result))
        is_empty(state)
        _nothing_about_anyone(state)

    # With the role: the page's data and the shell.
    state = page_state(cls, sign_in(outbox, demo_address(allowed)))
    assert redirects(settle(state.load())) == []
    has_data(state)
    first, last, _ = DEMO_ACCOUNTS[allowed]
    assert state.user_name == f"{first} {last.upper()}"
    assert state.wave_name.startswith("Vague 1")


def test_a_signed_out_session_no_longer_opens_a_page(db_url, outbox):
    load_demo("ranking")
    cookie = sign_in(outbox, demo_address("rts"))
    state = page_state(SupervisorPostsState, cookie)
    assert redirects(settle(state.load())) == []
    assert redirects(state.sign_out()) == ["/connexion"]
    assert state.session_cookie == ""
    again = page_state(SupervisorPostsState, cookie)  # the old cookie replayed by another tab
    assert redirects(settle(again.load())) == ["/connexion"]
    assert again.cards == []


def test_a_state_rebuilt_without_its_cookie_keeps_the_user_signed_in_until_sign_out(db_url, outbox):
    """After a Redis restart Reflex rebuilds a client's state without the browser's cookies: the session cookie the
    socket was opened with keeps the user signed in (issue 13) — never once that session is signed out."""
    load_demo("ranking")
    cookie = sign_in(outbox, demo_address("rts"))

    def rebuilt():
        state = page_state(SupervisorPostsState)  # no cookie in the state
        state._get_root_state().rx_router_headers = HeaderData(cookie=f"theme=clair; {SESSION_COOKIE}={cookie}")
        return state

    state = rebuilt()
    assert redirects(settle(state.load())) == []
    assert state.cards and state.session_cookie == cookie
    state.session_cookie = ""  # lost again, then the user signs out
    assert redirects(state.sign_out()) == ["/connexion"]
    again = rebuilt()
    assert redirects(settle(again.load())) == ["/connexion"]
    assert again.cards == [] and again.session_cookie == ""


def test_profile_is_open_to_a_signed_in_user_without_any_role(db_url, outbox):
    load_demo("ranking")
    make_user("sans-role@chu.example", first="Paul", last="Sansrole")
    state = page_state(ProfileState, sign_in(outbox, "sans-role@chu.example"))
    assert redirects(settle(state.load())) == []
    assert [e.email for e in state.emails] == ["sans-role@chu.example"]
    assert state.roles == []
    assert state.user_name == "Paul SANSROLE"


def test_closed_app_sends_students_and_supervisors_to_the_closed_page_but_lets_managers_in(db_url, outbox):
    load_demo("closed")
    # A supervisor with no other role (the first demo RTS also coordinates, which keeps the app open to them).
    for cls, account in ((StudentHomeState, "student"), (SupervisorPostsState, "rts2"), (ProfileState, "student")):
        state = page_state(cls, sign_in(outbox, demo_address(account)))
        assert redirects(settle(state.load())) == ["/fermee"], cls.__name__
        _nothing_about_anyone(state)
    student = page_state(StudentHomeState, sign_in(outbox, demo_address("student")))
    settle(student.load())
    assert student.summary == StudentSummary() and not student.has_summary

    manager = page_state(ManagerHomeState, sign_in(outbox, demo_address("manager")))
    assert redirects(settle(manager.load())) == []
    assert len(manager.figures) == 6 and manager.phases == []  # no open wave: no calendar, but the figures
    assert manager.user_name == "Arnaud MONIER" and manager.wave_name == ""
    admin = page_state(ManagerHomeState, sign_in(outbox, demo_address("admin")))
    assert redirects(settle(admin.load())) == []
    coordinator = page_state(CoordinatorHomeState, sign_in(outbox, demo_address("coordinator")))
    assert redirects(settle(coordinator.load())) == []
    assert len(coordinator.figures) == 6
    # Anonymous visitors still go to the sign-in page, not to the closed page.
    assert redirects(settle(page_state(StudentHomeState).load())) == ["/connexion"]


@pytest.mark.parametrize(
    ("account", "home"),
    [("rts", "/rts/postes"), ("rts2", "/rts/postes"), ("coordinator", "/coordonnateur"),
     ("student", "/etudiant"), ("manager", "/gestionnaire"), ("admin", "/gestionnaire")],
)
def test_root_sends_each_signed_in_user_to_their_home(db_url, outbox, account, home):
    load_demo("ranking")
    state = page_state(RootState, sign_in(outbox, demo_address(account)))
    assert redirects(state.route()) == [home]


def test_root_sends_anonymous_visitors_to_sign_in_and_closed_app_users_to_the_closed_page(db_url, outbox):
    load_demo("closed")
    assert redirects(page_state(RootState).route()) == ["/connexion"]
    assert redirects(page_state(RootState, "12.nope").route()) == ["/connexion"]
    assert redirects(page_state(RootState, sign_in(outbox, demo_address("student"))).route()) == ["/fermee"]
    assert redirects(page_state(RootState, sign_in(outbox, demo_address("manager"))).route()) == ["/gestionnaire"]
    make_user("sans-role@chu.example")
    assert redirects(page_state(RootState, sign_in(outbox, "sans-role@chu.example")).route()) == ["/fermee"]


def _link_state(token: str) -> LinkState:
    """The link page's state as the browser opens /connexion/jeton/<token>."""
    return page_state(LinkState, path="/connexion/jeton/[token]", params={"token": token})


def test_a_bad_link_shows_a_french_error_and_signs_nobody_in(db_url, outbox):
    for token in ("", "abc", "12.not-the-secret", "1."):
        state = _link_state(token)
        assert state.token == token
        assert state.use_link() is None  # stays on the page, which shows the error
        assert "Ce lien de connexion n'est pas valide" in state.error
        assert "Demandez un nouveau lien" in state.error
        assert state.session_cookie == ""


def test_a_good_link_signs_in_once_and_goes_home(db_url, outbox):
    make_user("rts@chu-amiens.fr", "supervisor")
    auth.request_sign_in("rts@chu-amiens.fr")
    token = token_of(links_for(outbox, "rts@chu-amiens.fr")[0])
    state = _link_state(token)
    assert redirects(state.use_link()) == ["/"]
    assert state.error == ""
    assert auth.resolve_session(state.session_cookie).email == "rts@chu-amiens.fr"
    # The cookie lives on the shared AppState: every page of that browser sees it.
    app_state = state.parent_state
    assert isinstance(app_state, AppState) and app_state.session_cookie == state.session_cookie

    again = _link_state(token)  # the same link clicked a second time
    assert redirects(again.use_link()) == []
    assert again.error and again.session_cookie == ""



def test_closed_app_sends_an_rts_who_also_coordinates_to_the_coordinator_interface(db_url, outbox):
    load_demo("closed")
    cookie = sign_in(outbox, demo_address("rts"))
    assert redirects(settle(page_state(SupervisorPostsState, cookie).load())) == ["/coordonnateur"]
    assert redirects(page_state(RootState, cookie).route()) == ["/coordonnateur"]
    coordinator = page_state(CoordinatorHomeState, cookie)
    assert redirects(settle(coordinator.load())) == []
    assert coordinator.other_interfaces == []  # the closed RTS pages are not offered


def test_open_app_links_an_rts_to_their_coordinator_interface(db_url, outbox):
    load_demo("ranking")
    state = page_state(SupervisorPostsState, sign_in(outbox, demo_address("rts")))
    assert redirects(settle(state.load())) == []
    assert state.other_interfaces == [
        MenuLine("Accéder à l'interface Coordonnateur", "/coordonnateur")
    ]
