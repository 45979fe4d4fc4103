"""The live refresh of the tables' statistics, driven without a browser: it recomputes the figures, follows
the filters, and stops when the page changes, a newer load starts or the session is gone."""

from __future__ import annotations

import asyncio
import types

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import get_engine, transaction
from siimop_app.models import RoleGrant, UserEmail
from siimop_app.pages.coordinator.coordinators import CoordinatorTableState
from siimop_app.pages.coordinator.home import CoordinatorHomeState
from siimop_app.pages.coordinator.posts import PostTableState
from siimop_app.pages.coordinator.results import ResultTableState
from siimop_app.pages.coordinator.supervisors import SupervisorTableState
from siimop_app.services import auth, post_table
from siimop_app.services.access import AccessDenied
from siimop_app.services.overview import Figure
from siimop_app.states import live_statistics
from siimop_app.states.filtered_table import live_statistics_of
from tests.states.reflex_state import settle
from tests.states.test_guards import demo_address, load_demo, page_state, sign_in


class FakePage:
    """Just what keep_live touches on a page state."""

    def __init__(self, path: str) -> None:
        self.router = types.SimpleNamespace(url=types.SimpleNamespace(path=path))
        self._watch_token = 1
        self._watch_running = 0
        self.session_cookie = "cookie"
        self.filters = {"region": "all"}
        self.statistics: list = []
        self.stats_refreshed = 0
        self.cleared = False

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    def _filters(self):
        return dict(self.filters)

    def _clear(self):
        self.cleared = True


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setattr(live_statistics, "WATCH_SECONDS", 0.01)
    monkeypatch.setattr(live_statistics, "WATCH_ROUNDS", 5)
    live_statistics.SHARED.clear()


def test_the_figures_are_recomputed_with_the_current_filters():
    page = FakePage("/coordonnateur/postes")
    seen = []

    def compute(cookie, filters):
        seen.append((cookie, filters))
        return [Figure("Postes", f"{len(seen)}/10 ({len(seen) * 10}%)")]

    asyncio.run(live_statistics.keep_live(page, 1, "/coordonnateur/postes", compute))
    assert page.stats_refreshed == 5 and page.statistics == [Figure("Postes", "5/10 (50%)")]
    assert seen[0] == ("cookie", {"region": "all"})


def test_it_stops_when_the_user_leaves_or_reloads_or_the_session_ends():
    calls = []
    left = FakePage("/coordonnateur/resultats")
    asyncio.run(live_statistics.keep_live(left, 1, "/coordonnateur", lambda c, f: calls.append(1) or []))
    reloaded = FakePage("/coordonnateur")
    reloaded._watch_token = 2
    asyncio.run(live_statistics.keep_live(reloaded, 1, "/coordonnateur", lambda c, f: calls.append(1) or []))
    assert calls == []

    def expired(cookie, filters):
        raise AccessDenied("Votre session a expiré : veuillez vous reconnecter.")

    gone = FakePage("/coordonnateur")
    asyncio.run(live_statistics.keep_live(gone, 1, "/coordonnateur", expired))
    assert gone.cleared and gone.stats_refreshed == 0


@pytest.mark.parametrize("cls", [CoordinatorHomeState, PostTableState, SupervisorTableState, ResultTableState,
                                 CoordinatorTableState])
def test_every_table_page_starts_its_live_statistics_on_load(db_url, outbox, cls):
    load_demo("ranking")
    state = page_state(cls, sign_in(outbox, demo_address("coordinator")))
    started = settle(state.load())
    specs = started if isinstance(started, list) else [started]
    assert any(spec.handler.fn.__qualname__ == f"{cls.__name__}.watch_statistics" for spec in specs)
    assert state.statistics  # the first figures are there at once


def test_a_forged_watch_with_the_current_token_starts_no_second_loop():
    """Issue 10, hole 3: 40 forged ``watch_statistics`` with the tab's token used to start 40 loops."""
    page = FakePage("/coordonnateur/postes")
    calls = []

    async def forged_many():
        await asyncio.gather(*(live_statistics.keep_live(page, 1, "/coordonnateur/postes",
                                                         lambda c, f: calls.append(1) or []) for _ in range(40)))
        # A stale token (an older load) starts nothing either.
        await live_statistics.keep_live(page, 0, "/coordonnateur/postes", lambda c, f: calls.append(1) or [])

    asyncio.run(forged_many())
    assert len(calls) == live_statistics.WATCH_ROUNDS == page.stats_refreshed


def _statements(fn):
    """(fn's result, SQL statements it sent)."""
    count = [0]

    def counted(*_):
        count[0] += 1

    sa.event.listen(get_engine(), "before_cursor_execute", counted)
    try:
        return fn(), count[0]
    finally:
        sa.event.remove(get_engine(), "before_cursor_execute", counted)


def test_tabs_with_the_same_scope_share_the_figures_but_each_is_checked(db_url, outbox):
    """Issue 13: the aggregate runs once per (roles, grants, filters) and period; every tab's session, role and
    grants are still read on every refresh."""
    load_demo("ranking")
    compute = live_statistics_of(post_table.TABLE)
    first_tab, second_tab = (sign_in(outbox, demo_address("coordinator")) for _ in range(2))
    filters = {"q": "", "region": "all", "subdivision": "all", "specialty": "all", "places": "all",
               "candidates": "all", "assignments": "all"}
    first, first_cost = _statements(lambda: compute(first_tab, filters))
    second, second_cost = _statements(lambda: compute(second_tab, filters))
    assert first == second == post_table.post_statistics(auth.resolve_session(second_tab), filters)
    assert second_cost == 2 < first_cost  # the session and the grants only

    # Other filters, or another user's scope: their own figures, never the shared ones.
    admin = sign_in(outbox, demo_address("admin"))
    assert compute(admin, filters) == post_table.post_statistics(auth.resolve_session(admin), filters) != first

    # A grant changed: another key at once, figures of the new scope.
    with transaction() as session:
        user_id = session.exec(select(UserEmail.user_id).where(UserEmail.email == demo_address("coordinator"))).one()
        grant = session.exec(select(RoleGrant).where(RoleGrant.user_id == user_id)).first()
        grant.subdivision_id = None
        session.add(grant)
    widened = compute(second_tab, filters)
    assert widened == post_table.post_statistics(auth.resolve_session(second_tab), filters) != first

    # A signed-out tab gets nothing, though figures for its scope are shared.
    auth.sign_out(first_tab)
    with pytest.raises(AccessDenied):
        compute(first_tab, filters)
