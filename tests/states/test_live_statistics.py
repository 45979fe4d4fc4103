"""The live refresh of the tables' statistics, driven without a browser: it recomputes the figures, follows
the filters, and stops when the page changes, a newer load starts or the session is gone."""

from __future__ import annotations

import asyncio
import types

import pytest

from siimop_app.pages.coordinator.coordinators import CoordinatorTableState
from siimop_app.pages.coordinator.home import CoordinatorHomeState
from siimop_app.pages.coordinator.posts import PostTableState
from siimop_app.pages.coordinator.results import ResultTableState
from siimop_app.pages.coordinator.supervisors import SupervisorTableState
from siimop_app.services.access import AccessDenied
from siimop_app.services.overview import Figure
from siimop_app.states import live_statistics
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
