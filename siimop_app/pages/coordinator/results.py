"""Résultats (seed: "Affectations" of the coordinator's journey), for coordinators, managers and admins.

The published assignments of the user's scope (scope on the student), filtered, sorted
and paged by the database: only the visible page (50 rows) lives in the state. The
export links point at the authenticated backend route with the current filters.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

import reflex as rx

from siimop_app.file_routes import EXPORTS_ROUTE, backend_url
from siimop_app.services import auth, result_table
from siimop_app.services.access import AccessDenied, require_role
from siimop_app.states.filtered_table import FilteredTable
from siimop_app.states.live_statistics import keep_live
from siimop_app.states.session import AppState
from siimop_app.ui.data_table import (
    ALL,
    filter_bar,
    filter_select,
    pager,
    sort_header,
    statistic_tiles,
)
from siimop_app.ui.shell import shell

PAGE_SIZE = 50
STAFF = result_table.STAFF_ROLES
ROUTE = "/coordonnateur/resultats"
SELECT_FILTERS = ("wave", "round", "region", "subdivision", "specialty", "method")
CHOICES = {"method": ("appariement", "manuel")}


def _interface_of(user: auth.SignedInUser | None) -> str:
    roles = user.roles if user else ()
    return next((role for role in STAFF if role in roles), "coordinator")


def _live_statistics(cookie: str, filters) -> list[dict[str, str]]:
    """Run in a worker thread by the live refresh: re-reads the session and the scope every time."""
    return result_table.result_statistics(require_role(auth.resolve_session(cookie), *STAFF), filters)


class ResultTableState(FilteredTable, AppState):
    statistics: list[dict[str, str]] = []
    stats_refreshed: int = 0  # live refreshes so far (tests read it)
    _watch_token: int = 0
    _watch_running: int = 0
    rows: list[dict] = []
    sort: str = result_table.DEFAULT_SORT
    f_wave: str = ALL
    f_round: str = ALL
    f_region: str = ALL
    f_subdivision: str = ALL
    f_specialty: str = ALL
    f_method: str = ALL
    waves: list[dict[str, str]] = []
    rounds: list[dict[str, str]] = []
    regions: list[dict[str, str]] = []
    subdivisions: list[dict[str, str]] = []
    specialties: list[dict[str, str]] = []
    error: str = ""

    # ---------------------------------------------------------------- helpers
    def _select_filters(self) -> tuple[str, ...]:
        return SELECT_FILTERS

    def _choices(self):
        return CHOICES

    def _sortable(self):
        return result_table.SORTABLE

    def _page_size(self) -> int:
        return PAGE_SIZE

    def _filters(self) -> dict[str, str]:
        values = {"q": self.f_q}
        for key in SELECT_FILTERS:
            values[key] = getattr(self, f"f_{key}")
        return values

    def _clear(self) -> None:
        self.rows, self.total, self.statistics = [], 0, []

    def _refresh(self, user: auth.SignedInUser, *, statistics: bool = True) -> None:
        self.error = ""
        rows, total = result_table.query_results(
            user, filters=self._filters(), sort=self.sort, descending=self.descending,
            offset=(self.page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        if self.page > pages:  # the filters shrank the list under the current page
            self.page = pages
            rows, total = result_table.query_results(
                user, filters=self._filters(), sort=self.sort, descending=self.descending,
                offset=(self.page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        self.rows, self.total = [r.as_dict() for r in rows], total
        if statistics:
            self.statistics = result_table.result_statistics(user, self._filters())

    def _reload(self, *, statistics: bool = True):
        try:
            self._refresh(self._require(*STAFF), statistics=statistics)
        except AccessDenied as denied:
            self._clear()
            self.error = str(denied)

    # ---------------------------------------------------------------- vars
    @rx.var
    def export_query(self) -> str:
        """The current filters and sort as the export route's query string."""
        # Read one by one: Reflex tracks a computed var's dependencies by what it reads.
        values = {"q": self.f_q, "wave": self.f_wave, "round": self.f_round, "region": self.f_region,
                  "subdivision": self.f_subdivision, "specialty": self.f_specialty, "method": self.f_method}
        params = {key: value for key, value in values.items() if value and value != ALL}
        params["sort"] = self.sort
        if self.descending:
            params["desc"] = "1"
        return urlencode(params)

    # ---------------------------------------------------------------- events
    @rx.event(background=True)
    async def watch_statistics(self, token: int):
        """Recompute only the statistics every few seconds while this page stays open."""
        await keep_live(self, token, ROUTE, _live_statistics)

    @rx.event
    def load(self):
        self._clear()
        self.error = ""
        user, redirect = self._enter(_interface_of(self._user()), *STAFF)
        if redirect:
            return redirect
        options = result_table.filter_options(user)
        self.waves, self.rounds, self.regions, self.subdivisions, self.specialties = (
            options["waves"], options["rounds"], options["regions"], options["subdivisions"],
            options["specialties"])
        self._refresh(user)
        self._watch_token += 1
        return ResultTableState.watch_statistics(self._watch_token)


# ------------------------------------------------------------------ view
def _filters_bar() -> rx.Component:
    s = ResultTableState

    def on(key: str):
        return lambda value: s.set_filter(key, value)

    return filter_bar(
        filter_select("Filtre par vague", s.f_wave, on("wave"), s.waves, element_id="filter-wave",
                      all_label="Toutes"),
        filter_select("Filtre par tour", s.f_round, on("round"), s.rounds, element_id="filter-round"),
        filter_select("Filtre par région", s.f_region, on("region"), s.regions, element_id="filter-region",
                      all_label="Toutes"),
        filter_select("Filtre par subdivision", s.f_subdivision, on("subdivision"), s.subdivisions,
                      element_id="filter-subdivision", all_label="Toutes"),
        filter_select("Filtre par spécialité", s.f_specialty, on("specialty"), s.specialties,
                      element_id="filter-specialty", all_label="Toutes"),
        filter_select("Mode d'affectation", s.f_method, on("method"), None, element_id="filter-method",
                      fixed=[("appariement", "Appariement"), ("manuel", "Manuel")]),
        search_label="Filtre par étudiant, terrain, responsable de terrain de stage",
        search_value=s.f_q,
        search_revision=s.search_revision,
        on_search=s.search,
        on_reset=s.reset_filters,
        search_id="result-search",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        *[rx.table.cell(row[key].to(str)) for key, _ in result_table.COLUMNS],
        class_name="result-row",
    )


def _table() -> rx.Component:
    s = ResultTableState
    headers = [sort_header(label, key, s.sort, s.descending, s.sort_by) for key, label in result_table.COLUMNS]
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*headers)),
            rx.table.body(rx.foreach(s.rows, _row)),
            size="1",
            variant="surface",
            white_space="nowrap",
            id="results-table",
        ),
        overflow_x="auto",
        width="100%",
    )


def _exports() -> rx.Component:
    query = ResultTableState.export_query
    return rx.hstack(
        rx.link(rx.button("Exporter les résultats filtrés au format CSV", variant="outline"),
                href=backend_url(f"{EXPORTS_ROUTE}/results.csv?" + query), id="export-csv"),
        rx.link(rx.button("Exporter les résultats filtrés au format Excel", variant="outline"),
                href=backend_url(f"{EXPORTS_ROUTE}/results.xlsx?" + query), id="export-xlsx"),
        spacing="3",
        wrap="wrap",
    )


def result_table_page() -> rx.Component:
    s = ResultTableState
    return shell(
        rx.heading("Résultats", as_="h2", size="5"),
        rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", icon="triangle-alert", role="alert",
                                           id="results-error")),
        _filters_bar(),
        rx.text("Résultats publiés des tours d'appariement", weight="bold"),
        rx.text("Affiner les statistiques par l'usage des filtres.", size="2", color="#555"),
        statistic_tiles(s.statistics, element_id="result-statistics"),
        _exports(),
        pager(s.page, s.pages, s.total, s.previous_page, s.next_page, element_id="results-pager",
              unit="affectation(s)"),
        rx.cond(s.total == 0, rx.text("Aucun résultat publié ne correspond à ces critères.", id="results-empty")),
        _table(),
        title="Résultats",
    )
