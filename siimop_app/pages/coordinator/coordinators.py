"""Gestion des coordonnateurs, for coordinators, managers and admins (``/coordonnateur/coordonnateurs``).

The coordinators whose area overlaps the user's scope (``services.coordinator_table``), one row per area,
filtered, sorted and paged by the database; the export links carry the current filters.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

import reflex as rx

from siimop_app.file_routes import EXPORTS_ROUTE, backend_url
from siimop_app.services import auth, coordinator_table, post_table
from siimop_app.services.access import AccessDenied, require_role
from siimop_app.states.filtered_table import FilteredTable
from siimop_app.states.live_statistics import keep_live
from siimop_app.states.session import AppState
from siimop_app.ui.data_table import ALL, filter_bar, filter_select, pager, sort_header, statistic_tiles
from siimop_app.ui.shell import shell

PAGE_SIZE = 50
STAFF = coordinator_table.STAFF_ROLES
ROUTE = "/coordonnateur/coordonnateurs"
SELECT_FILTERS = ("region", "subdivision", "specialty")


def _interface_of(user: auth.SignedInUser | None) -> str:
    roles = user.roles if user else ()
    return next((role for role in STAFF if role in roles), "coordinator")


def _live_statistics(cookie: str, filters) -> list[dict[str, str]]:
    """Run in a worker thread by the live refresh: re-reads the session and the scope every time."""
    return coordinator_table.coordinator_statistics(require_role(auth.resolve_session(cookie), *STAFF), filters)


class CoordinatorTableState(FilteredTable, AppState):
    statistics: list[dict[str, str]] = []
    stats_refreshed: int = 0  # live refreshes so far (tests read it)
    _watch_token: int = 0
    _watch_running: int = 0
    rows: list[dict] = []
    sort: str = coordinator_table.DEFAULT_SORT
    f_region: str = ALL
    f_subdivision: str = ALL
    f_specialty: str = ALL
    regions: list[dict[str, str]] = []
    subdivisions: list[dict[str, str]] = []
    specialties: list[dict[str, str]] = []
    error: str = ""

    def _filters(self) -> dict[str, str]:
        return {"q": self.f_q, "region": self.f_region, "subdivision": self.f_subdivision,
                "specialty": self.f_specialty}

    def _select_filters(self) -> tuple[str, ...]:
        return SELECT_FILTERS

    def _sortable(self):
        return coordinator_table.SORTABLE

    def _page_size(self) -> int:
        return PAGE_SIZE

    def _clear(self) -> None:
        self.rows, self.total, self.statistics = [], 0, []

    def _refresh(self, user: auth.SignedInUser, *, statistics: bool = True) -> None:
        self.error = ""
        filters = self._filters()
        rows, total = coordinator_table.query_coordinators(
            user, filters=filters, sort=self.sort, descending=self.descending,
            offset=(self.page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        if self.page > pages:
            self.page = pages
            rows, total = coordinator_table.query_coordinators(
                user, filters=filters, sort=self.sort, descending=self.descending,
                offset=(self.page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        self.rows, self.total = [r.as_dict() for r in rows], total
        if statistics:
            self.statistics = coordinator_table.coordinator_statistics(user, filters)

    def _reload(self, *, statistics: bool = True):
        try:
            self._refresh(self._require(*STAFF), statistics=statistics)
        except AccessDenied as denied:
            self._clear()
            self.error = str(denied)

    @rx.var
    def export_query(self) -> str:
        values = {"q": self.f_q, "region": self.f_region, "subdivision": self.f_subdivision,
                  "specialty": self.f_specialty}
        params = {key: value for key, value in values.items() if value and value != ALL}
        params["sort"] = self.sort
        if self.descending:
            params["desc"] = "1"
        return urlencode(params)

    @rx.event(background=True)
    async def watch_statistics(self, token: int):
        """Recompute only the statistics every few seconds while this page stays open."""
        await keep_live(self, token, ROUTE, _live_statistics)

    @rx.event
    def load(self):
        self._clear()
        user, redirect = self._enter(_interface_of(self._user()), *STAFF)
        if redirect:
            return redirect
        options = post_table.filter_options(user)
        self.regions, self.subdivisions, self.specialties = (
            options["regions"], options["subdivisions"], options["specialties"])
        self._refresh(user)
        self._watch_token += 1
        return CoordinatorTableState.watch_statistics(self._watch_token)


# ------------------------------------------------------------------ view
def _filters_bar() -> rx.Component:
    s = CoordinatorTableState

    def on(key: str):
        return lambda value: s.set_filter(key, value)

    return filter_bar(
        filter_select("Filtre par région", s.f_region, on("region"), s.regions, element_id="filter-region",
                      all_label="Toutes"),
        filter_select("Filtre par subdivision", s.f_subdivision, on("subdivision"), s.subdivisions,
                      element_id="filter-subdivision", all_label="Toutes"),
        filter_select("Filtre par spécialité", s.f_specialty, on("specialty"), s.specialties,
                      element_id="filter-specialty", all_label="Toutes"),
        search_label="Filtre par nom, prénom, email",
        search_value=s.f_q,
        search_revision=s.search_revision,
        on_search=s.search,
        on_reset=s.reset_filters,
        search_id="coordinator-search",
    )


def _table() -> rx.Component:
    s = CoordinatorTableState
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[
                sort_header(label, key, s.sort, s.descending, s.sort_by) for key, label in coordinator_table.COLUMNS
            ])),
            rx.table.body(rx.foreach(s.rows, lambda row: rx.table.row(
                *[rx.table.cell(row[key].to(str)) for key, _ in coordinator_table.COLUMNS],
                class_name="coordinator-row",
            ))),
            size="1",
            variant="surface",
            white_space="nowrap",
            id="coordinators-table",
        ),
        overflow_x="auto",
        width="100%",
    )


def _exports() -> rx.Component:
    query = CoordinatorTableState.export_query
    return rx.hstack(
        rx.link(rx.button("Exporter les coordonnateurs filtrés au format CSV", variant="outline"),
                href=backend_url(f"{EXPORTS_ROUTE}/coordinators.csv?" + query), id="export-csv"),
        rx.link(rx.button("Exporter les coordonnateurs filtrés au format Excel", variant="outline"),
                href=backend_url(f"{EXPORTS_ROUTE}/coordinators.xlsx?" + query), id="export-xlsx"),
        spacing="3",
        wrap="wrap",
    )


def coordinator_table_page() -> rx.Component:
    s = CoordinatorTableState
    return shell(
        rx.heading("Gestion des coordonnateurs", as_="h2", size="5"),
        rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", icon="triangle-alert", role="alert",
                                           id="coordinators-error")),
        _filters_bar(),
        statistic_tiles(s.statistics, element_id="coordinator-statistics"),
        _exports(),
        pager(s.page, s.pages, s.total, s.previous_page, s.next_page, element_id="coordinators-pager",
              unit="coordonnateur(s)"),
        _table(),
        title="Coordonnateurs de votre périmètre",
    )
