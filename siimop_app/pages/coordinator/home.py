"""Gestion des étudiants (seed: "Suivi des Docteurs Juniors et des candidatures"), for coordinators, managers, admins.

The students of the user's scope, filtered, sorted and paged by the database: only
the visible page (50 rows) lives in the state. The statistics of the filtered
students refresh by themselves every ~10 s while the page is open (a background
event started on load, bounded in time), so a coordinator watching during the
ranking window sees them move. The export links point at the authenticated
backend route with the current filters; a row's "Voir" opens the student's wishes.
"""

from __future__ import annotations

import logging
import math
from urllib.parse import urlencode

import reflex as rx

from siimop_app.file_routes import EXPORTS_ROUTE, backend_url
from siimop_app.services import auth, calendar, overview, student_table
from siimop_app.services.access import AccessDenied, require_role
from siimop_app.states.filtered_table import FilteredTable
from siimop_app.states.live_statistics import keep_live
from siimop_app.states.session import AppState
from siimop_app.ui.data_table import ALL, filter_bar, filter_select, pager, plain_header, sort_header, statistic_tiles
from siimop_app.ui.shell import shell
from siimop_app.validation import parse_int

log = logging.getLogger(__name__)

PAGE_SIZE = 50
STAFF = student_table.STAFF_ROLES
ROUTE = "/coordonnateur"
SELECT_FILTERS = ("region", "subdivision", "specialty", "participation", "affectation", "decale")
CHOICES = {
    "participation": ("oui", "non"),
    "affectation": ("affecte", "non_affecte"),
    "decale": ("oui", "non"),
}


def _interface_of(user: auth.SignedInUser | None) -> str:
    roles = user.roles if user else ()
    return next((role for role in STAFF if role in roles), "coordinator")


def _statistics_for(cookie: str, filters: dict[str, str]) -> list[dict[str, str]]:
    """Run in a worker thread by the live refresh: re-reads the session and the scope every time."""
    user = require_role(auth.resolve_session(cookie), *STAFF)
    return student_table.student_statistics(user, filters)


class CoordinatorHomeState(FilteredTable, AppState):
    figures: list[dict[str, str]] = []  # the headline figures of the whole scope
    statistics: list[dict[str, str]] = []  # the filtered students' percentages, refreshed live
    rows: list[dict] = []
    sort: str = student_table.DEFAULT_SORT
    f_region: str = ALL
    f_subdivision: str = ALL
    f_specialty: str = ALL
    f_participation: str = ALL
    f_affectation: str = ALL
    f_decale: str = ALL
    regions: list[dict[str, str]] = []
    subdivisions: list[dict[str, str]] = []
    specialties: list[dict[str, str]] = []
    error: str = ""
    detail_open: bool = False
    detail: dict[str, str] = {}
    detail_wishes: list[dict] = []
    detail_error: str = ""
    stats_refreshed: int = 0  # how many live refreshes happened (the page shows nothing of it; tests read it)
    _watch_token: int = 0
    _watch_running: int = 0

    # ---------------------------------------------------------------- helpers
    def _select_filters(self) -> tuple[str, ...]:
        return SELECT_FILTERS

    def _choices(self):
        return CHOICES

    def _sortable(self):
        return student_table.SORTABLE

    def _page_size(self) -> int:
        return PAGE_SIZE

    def _filters(self) -> dict[str, str]:
        values = {"q": self.f_q}
        for key in SELECT_FILTERS:
            values[key] = getattr(self, f"f_{key}")
        return values

    def _staff(self) -> auth.SignedInUser:
        return self._require(*STAFF)

    def _clear(self) -> None:
        self.rows, self.total, self.statistics = [], 0, []

    def _refresh(self, user: auth.SignedInUser, *, statistics: bool = True) -> None:
        self.error = ""
        wave_round = student_table.current_round()
        rows, total = student_table.query_students(
            user, filters=self._filters(), sort=self.sort, descending=self.descending,
            offset=(self.page - 1) * PAGE_SIZE, limit=PAGE_SIZE, wave_round=wave_round)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        if self.page > pages:  # the filters shrank the list under the current page
            self.page = pages
            rows, total = student_table.query_students(
                user, filters=self._filters(), sort=self.sort, descending=self.descending,
                offset=(self.page - 1) * PAGE_SIZE, limit=PAGE_SIZE, wave_round=wave_round)
        self.rows, self.total = [r.as_dict() for r in rows], total
        if statistics:
            self.statistics = student_table.student_statistics(user, self._filters(), wave_round=wave_round)

    def _reload(self, *, statistics: bool = True):
        try:
            self._refresh(self._staff(), statistics=statistics)
        except AccessDenied as denied:
            self._clear()
            self.error = str(denied)

    # ---------------------------------------------------------------- vars
    @rx.var
    def export_query(self) -> str:
        """The current filters and sort as the export route's query string."""
        # The fields are read here one by one: Reflex tracks a computed var's dependencies by what it reads.
        values = {"q": self.f_q, "region": self.f_region, "subdivision": self.f_subdivision,
                  "specialty": self.f_specialty, "participation": self.f_participation,
                  "affectation": self.f_affectation, "decale": self.f_decale}
        params = {key: value for key, value in values.items() if value and value != ALL}
        params["sort"] = self.sort
        if self.descending:
            params["desc"] = "1"
        return urlencode(params)

    # ---------------------------------------------------------------- events
    @rx.event
    def load(self):
        self._clear()
        self.figures = []
        self.detail_open = False
        user, redirect = self._enter(_interface_of(self._user()), *STAFF)
        if redirect:
            return redirect
        staff_roles = tuple(role for role in STAFF if role in user.roles)
        wave = calendar.current_wave()
        self.figures = overview.scope_figures(user_id=user.user_id, wave_id=wave.wave_id if wave else None,
                                              roles=staff_roles)
        options = student_table.filter_options(user)
        self.regions, self.subdivisions, self.specialties = (
            options["regions"], options["subdivisions"], options["specialties"])
        self._refresh(user)
        self._watch_token += 1
        return CoordinatorHomeState.watch_statistics(self._watch_token)

    @rx.event
    def open_detail(self, student_id: int):
        self.detail, self.detail_wishes, self.detail_error = {}, [], ""
        try:
            found = student_table.student_wishes_detail(self._staff(), parse_int(student_id) or 0)
        except (AccessDenied, ValueError, TypeError):
            self.detail_error = student_table.NOT_IN_SCOPE
        else:
            self.detail, self.detail_wishes = found["student"], found["wishes"]
        self.detail_open = True

    @rx.event
    def set_detail_open(self, is_open: bool):
        self.detail_open = bool(is_open)

    @rx.event(background=True)
    async def watch_statistics(self, token: int):
        """Recompute only the statistics every few seconds while this page stays open."""
        await keep_live(self, token, ROUTE, _statistics_for)


# ------------------------------------------------------------------ view
SORT_COLUMNS = [(key, label) for key, label in student_table.COLUMNS]


def _filters_bar() -> rx.Component:
    s = CoordinatorHomeState

    def on(key: str):
        return lambda value: s.set_filter(key, value)

    return filter_bar(
        filter_select("Filtre par subdivision", s.f_subdivision, on("subdivision"), s.subdivisions,
                      element_id="filter-subdivision", all_label="Toutes"),
        filter_select("Filtre par région", s.f_region, on("region"), s.regions, element_id="filter-region",
                      all_label="Toutes"),
        filter_select("Filtre par spécialité", s.f_specialty, on("specialty"), s.specialties,
                      element_id="filter-specialty", all_label="Toutes"),
        filter_select("Filtre par participation", s.f_participation, on("participation"), None,
                      element_id="filter-participation", fixed=[("oui", "Participe"), ("non", "Ne participe pas")]),
        filter_select("Filtre par affectation", s.f_affectation, on("affectation"), None,
                      element_id="filter-affectation", fixed=[("affecte", "Affecté"), ("non_affecte", "Non affecté")]),
        filter_select("Semestre décalé", s.f_decale, on("decale"), None, element_id="filter-decale",
                      fixed=[("oui", "Décalé"), ("non", "Non décalé")]),
        search_label="Filtre par nom, prénom, email, numéro INE, numéro interne",
        search_value=s.f_q,
        search_revision=s.search_revision,
        on_search=s.search,
        on_reset=s.reset_filters,
        search_id="student-search",
    )


def _flag(value) -> rx.Component:
    return rx.cond(value == "oui", rx.text("oui", color="#1b5e20"), rx.text("non", color="#8a1c1c"))


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["last_name"]),
        rx.table.cell(row["first_name"]),
        rx.table.cell(row["email"]),
        rx.table.cell(row["subdivision"]),
        rx.table.cell(row["region"]),
        rx.table.cell(row["specialty"]),
        rx.table.cell(row["ine"]),
        rx.table.cell(row["intern_number"]),
        rx.table.cell(row["last_login"]),
        rx.table.cell(_flag(row["sufficient"])),
        rx.table.cell(_flag(row["participating"])),
        rx.table.cell(row["decale"]),
        rx.table.cell(row["assignment"]),
        rx.table.cell(rx.button("Voir", size="1", variant="soft",
                                on_click=CoordinatorHomeState.open_detail(row["id"]),
                                aria_label="Voir les vœux de " + row["first_name"].to(str) + " "
                                + row["last_name"].to(str))),
        class_name="student-row",
    )


def _table() -> rx.Component:
    s = CoordinatorHomeState
    headers = [
        plain_header(label) if key == "sufficient" else sort_header(label, key, s.sort, s.descending, s.sort_by)
        for key, label in SORT_COLUMNS
    ]
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*headers, plain_header("Vœux"))),
            rx.table.body(rx.foreach(s.rows, _row)),
            size="1",
            variant="surface",
            white_space="nowrap",
            id="students-table",
        ),
        overflow_x="auto",
        width="100%",
    )


def _exports() -> rx.Component:
    query = CoordinatorHomeState.export_query
    return rx.hstack(
        rx.link(rx.button("Exporter les étudiants filtrés au format CSV", variant="outline"),
                href=backend_url(f"{EXPORTS_ROUTE}/students.csv?" + query), id="export-csv"),
        rx.link(rx.button("Exporter les étudiants filtrés au format Excel", variant="outline"),
                href=backend_url(f"{EXPORTS_ROUTE}/students.xlsx?" + query), id="export-xlsx"),
        spacing="3",
        wrap="wrap",
    )


def _detail_dialog() -> rx.Component:
    s = CoordinatorHomeState
    headers = ["Nom du terrain", "Numéro agrément", "Établissement", "Type de poste", "Responsable", "Durée",
               "Cœurs", "Rang de classement", "Résultat", "Tour"]
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Détail des choix du Docteur Junior"),
            rx.cond(
                s.detail_error != "",
                rx.callout(s.detail_error, color_scheme="red", icon="triangle-alert", role="alert"),
                rx.vstack(
                    rx.text(s.detail["name"], " · INE ", s.detail["ine"], " · ", s.detail["specialty"], " · ",
                            s.detail["subdivision"], weight="bold"),
                    rx.cond(
                        s.detail_wishes.length() > 0,
                        rx.box(rx.table.root(
                            rx.table.header(rx.table.row(*[plain_header(h) for h in headers])),
                            rx.table.body(rx.foreach(s.detail_wishes, lambda w: rx.table.row(
                                rx.table.cell(w["site"]), rx.table.cell(w["approval_number"]),
                                rx.table.cell(w["establishment"]), rx.table.cell(w["post_type"]),
                                rx.table.cell(w["supervisor"]), rx.table.cell(w["duration"]),
                                rx.table.cell(rx.text(w["hearts"].to(str), " ♥", color="#c1121f")),
                                rx.table.cell(w["rank"]), rx.table.cell(w["result"]), rx.table.cell(w["round"]),
                            ))),
                            size="1",
                        ), overflow_x="auto"),
                        rx.text("Aucun vœu enregistré dans la campagne en cours."),
                    ),
                    spacing="3",
                ),
            ),
            rx.dialog.close(rx.button("Fermer", variant="soft", margin_top="1em", id="close-detail")),
            max_width="min(1200px, 95vw)",
            id="student-detail",
        ),
        open=s.detail_open,
        on_open_change=s.set_detail_open,
    )


def coordinator_home_page() -> rx.Component:
    s = CoordinatorHomeState
    return shell(
        rx.heading("Gestion des étudiants", as_="h2", size="5"),
        rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", icon="triangle-alert", role="alert",
                                           id="students-error")),
        _filters_bar(),
        rx.text("Pourcentages de la campagne en cours", weight="bold"),
        rx.text("Affiner les statistiques par l'usage des filtres.", size="2", color="#555"),
        statistic_tiles(s.statistics, element_id="student-statistics"),
        _exports(),
        pager(s.page, s.pages, s.total, s.previous_page, s.next_page, element_id="students-pager",
              unit="étudiant(s)"),
        _table(),
        rx.text("Votre périmètre", weight="bold", margin_top="1em"),
        rx.flex(rx.foreach(s.figures, lambda item: rx.card(
            rx.vstack(rx.text(item["value"], weight="bold", color="#1d3557"), rx.text(item["label"], size="2"),
                      spacing="1"), min_width="min(12em, 100%)")), wrap="wrap", gap="3", id="scope-figures"),
        _detail_dialog(),
        title="Suivi des Docteurs Juniors et des candidatures",
    )
