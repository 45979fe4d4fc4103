"""The states of the staff tables.

``FilteredTable``: the controls every table shares (a text filter, list filters, sorting and pages). A page's
state mixes it in and says, by overriding small methods, which list filters it has (each backed by an
``f_<key>`` var), the values allowed for some of them, its sortable columns and its page size; it implements
``_reload(statistics=...)``, which re-checks who is asking and queries the page. Every value from the browser
is checked here before it reaches a query. The events run ``_reload`` (the session check, the page's and the
statistics' queries) in a thread (``asyncio.to_thread``, as the ranking moves): the worker's event loop serves its
other clients meanwhile; this client's state is held by its event until it returns.

``KitTable``: all of that and the rest, for a table defined with ``services.table_kit.Table``: the guard and
the filter lists on load, the page (past the end: the last one), the typed lines, the statistics kept live
(``keep_live``, for a table that has statistics) and the export's query string. A page's state declares ``rows``
(a list of its table's line class), ``sort`` and one ``f_<key>`` per filter (``str`` for a select, ``bool`` for a
checkbox), and says ``_table()`` and ``_page()`` (its registry entry). A select narrowed by another
(``Filter.narrowed_by``) is cleared when that one changes. Mes vœux (``pages/student/wishes.py``) is one: it
overlays the student's unsaved hearts on the page's cards in its own ``_refresh``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Collection, Mapping

import reflex as rx

from siimop_app import routes
from siimop_app.models import STAFF_ROLES
from siimop_app.services import auth, calendar
from siimop_app.services import scope as scopes
from siimop_app.services.access import AccessDenied, require_role
from siimop_app.services.table_kit import ALL, CHECKED, TICKED, Table
from siimop_app.states.live_statistics import SHARED, keep_live
from siimop_app.services.overview import Choice, Figure


class FilteredTable(rx.State, mixin=True):
    f_q: str = ""
    # Part of the text filter's key: clearing the filters remounts the box, so it empties too.
    search_revision: int = 0
    page: int = 1
    total: int = 0
    descending: bool = False

    @rx.var
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self._page_size()))

    # What each table page says about itself (methods, not class attributes: Reflex makes those vars).
    def _select_filters(self) -> tuple[str, ...]:
        return ()

    def _check_filters(self) -> tuple[str, ...]:
        """The checkbox filters (each backed by a bool ``f_<key>`` var)."""
        return ()

    def _narrowed(self, key: str) -> tuple[str, ...]:
        """The select filters whose options ``key``'s value narrows: cleared when it changes."""
        return ()

    def _choices(self) -> Mapping[str, tuple[str, ...]]:
        return {}

    def _sortable(self) -> Collection[str]:
        return ()

    def _page_size(self) -> int:
        return 50

    def _reload(self, *, statistics: bool = True) -> None:
        raise NotImplementedError

    async def _reload_off_loop(self, *, statistics: bool = True) -> None:
        await asyncio.to_thread(self._reload_once, statistics)

    def _reload_once(self, statistics: bool) -> None:
        with calendar.read_once():  # a filter or a page: the calendar (and the student's row) read once, as a load
            self._reload(statistics=statistics)

    # The controls' vars are assigned only when they change (``_assign``): every assigned var goes back.
    @rx.event
    async def search(self, form: dict):
        self._assign(f_q=str((form or {}).get("q", "")).strip()[:100], page=1)
        await self._reload_off_loop()

    @rx.event
    async def set_filter(self, key: str, value: str):
        if key not in self._select_filters():
            return
        value = str(value or ALL)[:20]
        allowed = self._choices().get(key)
        if allowed is not None and value not in (ALL, *allowed):
            value = ALL
        self._assign(**{f"f_{key}": value}, **{f"f_{other}": ALL for other in self._narrowed(key)}, page=1)
        await self._reload_off_loop()

    @rx.event
    async def set_check(self, key: str, value: bool):
        if key not in self._check_filters():
            return
        self._assign(**{f"f_{key}": str(value).strip().lower() in TICKED}, page=1)
        await self._reload_off_loop()

    @rx.event
    async def reset_filters(self):
        self.search_revision += 1
        self._assign(f_q="", page=1, **{f"f_{key}": ALL for key in self._select_filters()},
                     **{f"f_{key}": False for key in self._check_filters()})
        await self._reload_off_loop()

    @rx.event
    async def sort_by(self, key: str):
        if key not in self._sortable():
            return
        self._assign(descending=(not self.descending) if key == self.sort else False, sort=key, page=1)
        await self._reload_off_loop(statistics=False)

    @rx.event
    async def previous_page(self):
        self._assign(page=max(1, self.page - 1))
        await self._reload_off_loop(statistics=False)

    @rx.event
    async def next_page(self):
        self._assign(page=min(self.pages, self.page + 1))
        await self._reload_off_loop(statistics=False)


def staff_interface(user: auth.SignedInUser | None, roles=STAFF_ROLES) -> str:
    """The side menu a staff page shows: the first of ``roles`` the user holds (a coordinator's by default)."""
    held = user.roles if user else ()
    return str(next((role for role in roles if role in held), roles[0]))


def live_statistics_of(table: Table, roles=STAFF_ROLES):
    """The live refresh's computation for ``table``: re-reads the session, the role and the grants every time (it
    runs in a worker thread, long after the page loaded), then takes the figures shared by every tab with the same
    roles, grants and filters in this refresh period (``live_statistics.SHARED``: why it is safe there)."""
    def compute(cookie: str, filters) -> list[Figure]:
        user = require_role(auth.resolve_session(cookie), *roles)
        key = (table.name, tuple(sorted(user.roles)), scopes.staff_grants(user),
               tuple(sorted((str(name), str(value)) for name, value in dict(filters).items())))
        return SHARED.get(key, lambda: table.statistics(user, filters))

    return compute


class KitTable(FilteredTable, mixin=True):
    statistics: list[Figure] = []
    stats_refreshed: int = 0  # live refreshes so far (tests read it)
    export_query: str = ""
    error: str = ""
    regions: list[Choice] = []
    subdivisions: list[Choice] = []
    specialties: list[Choice] = []
    _watch_token: int = 0
    _watch_running: int = 0

    # What each page says (methods: Reflex would make class attributes vars).
    def _table(self) -> Table:
        raise NotImplementedError

    def _page(self) -> routes.Page:
        """The page's entry in the registry: its path (the live refresh's) and who may open it."""
        raise NotImplementedError

    def _route(self) -> str:
        return self._page().path

    def _roles(self) -> tuple[str, ...]:
        return self._page().roles or STAFF_ROLES

    def _context(self) -> dict:
        """Extra arguments for the table's query and statistics, read once per refresh."""
        return {}

    def _more(self, user: auth.SignedInUser, filters: dict[str, str]) -> None:
        """What the page shows besides the table's statistics, refreshed with them."""

    def _on_load(self, user: auth.SignedInUser) -> None:
        """What the page loads once, besides the table."""

    # The controls' questions, answered from the definition.
    def _select_filters(self) -> tuple[str, ...]:
        return self._table().selects

    def _check_filters(self) -> tuple[str, ...]:
        return self._table().checks

    def _narrowed(self, key: str) -> tuple[str, ...]:
        return self._table().narrowed(key)

    def _choices(self) -> Mapping[str, tuple[str, ...]]:
        return self._table().choices()

    def _sortable(self) -> Collection[str]:
        return self._table().sortable

    def _page_size(self) -> int:
        return self._table().page_size

    def _filters(self) -> dict[str, str]:
        return {"q": self.f_q, **{key: getattr(self, f"f_{key}") for key in self._select_filters()},
                **{key: CHECKED if getattr(self, f"f_{key}") else "" for key in self._check_filters()}}

    def _clear(self) -> None:
        self.rows, self.total, self.statistics = [], 0, []

    def _refresh(self, user: auth.SignedInUser, *, statistics: bool = True) -> None:
        table, filters, context = self._table(), self._filters(), self._context()
        rows, total, page = table.page(user, filters=filters, sort=self.sort, descending=self.descending,
                                       page=self.page, **context)
        self._assign(error="", rows=rows, total=total, page=page)
        if table.iterate is not None:  # a table with an export: its links follow the filters
            self._assign(export_query=table.export_query(filters, self.sort, self.descending))
        if statistics:
            if table.statistics is not None:
                self._assign(statistics=table.statistics(user, filters, **context))
            self._more(user, filters)

    def _reload(self, *, statistics: bool = True):
        try:
            self._refresh(self._require(*self._roles()), statistics=statistics)
        except AccessDenied as denied:
            self._clear()
            self.error = str(denied)

    @rx.event(background=True)
    async def watch_statistics(self, token: int):
        """Recompute only the statistics every few seconds while this page stays open."""
        if self._table().statistics is None:  # a forged event on a table without statistics
            return
        await keep_live(self, token, self._route(), live_statistics_of(self._table(), self._roles()))

    @rx.event
    async def load(self):
        return await asyncio.to_thread(self._load_table)

    def _load_table(self):
        with calendar.read_once():  # the shell, the page's own figures, the table and its statistics: one read
            return self._load_table_once()

    def _load_table_once(self):
        # Not cleared first: a reload (reconnection, coming back) sends back only what changed (``_assign``).
        self._assign(error="")
        roles = self._roles()
        user, redirect = self._enter(lambda user: staff_interface(user, roles), *roles)
        if redirect:
            self._clear()
            return redirect
        self._on_load(user)
        self._load_options(user)
        self._refresh(user)
        return self._watch()

    def _load_options(self, user: auth.SignedInUser) -> None:
        """The lists the select filters offer (each in the var its filter's ``options`` names)."""
        table = self._table()
        if any(f.options for f in table.filters):
            options = table.options(user)
            for f in table.filters:
                if f.options:
                    self._assign(**{f.options: options[f.options]})

    def _watch(self):
        """The live refresh of the statistics, for a table that has some."""
        if self._table().statistics is None:
            return None
        self._watch_token += 1
        return type(self).watch_statistics(self._watch_token)
