"""Tickets d'assistance: the managers' inbox (seed: "Les tickets support arrivent directement aux gestionnaires
ARS et Scolarité … de votre subdivision"), on the table kit: filters, SQL paging, live statistics.

A manager sees the confirmed tickets of their scope; an admin (the platform team) sees all of them, and filters
the escalated ones.
"""

from __future__ import annotations

import math

import reflex as rx

from siimop_app.services import auth, support, ticket_table
from siimop_app.services.access import AccessDenied, require_role
from siimop_app.states.filtered_table import FilteredTable
from siimop_app.states.live_statistics import keep_live
from siimop_app.states.session import AppState
from siimop_app.ui.data_table import ALL, filter_bar, filter_select, pager, plain_header, statistic_tiles
from siimop_app.ui.shell import shell

PAGE_SIZE = 50
STAFF = support.STAFF_ROLES
ROUTE = "/gestionnaire/tickets"
SELECT_FILTERS = ("status", "subdivision", "problem", "escalated")
CHOICES = {"status": tuple(support.STATUS_LABELS), "problem": support.PROBLEM_TYPES, "escalated": ("oui", "non")}


def interface_of(user: auth.SignedInUser | None) -> str:
    return "admin" if user and "admin" in user.roles and "manager" not in user.roles else "manager"


def _live_statistics(cookie: str, filters) -> list[dict[str, str]]:
    """Run in a worker thread by the live refresh: re-reads the session and the scope every time."""
    return ticket_table.ticket_statistics(require_role(auth.resolve_session(cookie), *STAFF), filters)


class TicketInboxState(FilteredTable, AppState):
    statistics: list[dict[str, str]] = []
    stats_refreshed: int = 0
    _watch_token: int = 0
    _watch_running: int = 0
    rows: list[dict[str, str]] = []
    f_status: str = ALL
    f_subdivision: str = ALL
    f_problem: str = ALL
    f_escalated: str = ALL
    subdivisions: list[dict[str, str]] = []
    error: str = ""

    def _select_filters(self) -> tuple[str, ...]:
        return SELECT_FILTERS

    def _choices(self):
        # The problem labels are longer than the kit's 20 characters: they are matched by their index.
        return {key: values for key, values in CHOICES.items() if key != "problem"}

    def _page_size(self) -> int:
        return PAGE_SIZE

    def _filters(self) -> dict[str, str]:
        values = {"q": self.f_q, "status": self.f_status, "subdivision": self.f_subdivision,
                  "escalated": self.f_escalated, "problem": ""}
        if self.f_problem.isdigit() and int(self.f_problem) < len(support.PROBLEM_TYPES):
            values["problem"] = support.PROBLEM_TYPES[int(self.f_problem)]
        return values

    def _clear(self) -> None:
        self.rows, self.total, self.statistics = [], 0, []

    def _refresh(self, user: auth.SignedInUser, *, statistics: bool = True) -> None:
        self.error = ""
        rows, total = ticket_table.query_tickets(user, filters=self._filters(),
                                                 offset=(self.page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        if self.page > max(1, math.ceil(total / PAGE_SIZE)):  # the filters shrank the list under the current page
            self.page = max(1, math.ceil(total / PAGE_SIZE))
            rows, total = ticket_table.query_tickets(user, filters=self._filters(),
                                                     offset=(self.page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        self.rows, self.total = rows, total
        if statistics:
            self.statistics = ticket_table.ticket_statistics(user, self._filters())

    def _reload(self, *, statistics: bool = True):
        try:
            self._refresh(self._require(*STAFF), statistics=statistics)
        except AccessDenied as denied:
            self._clear()
            self.error = str(denied)

    @rx.event(background=True)
    async def watch_statistics(self, token: int):
        await keep_live(self, token, ROUTE, _live_statistics)

    @rx.event
    def load(self):
        self._clear()
        self.error = ""
        user, redirect = self._enter(interface_of(self._user()), *STAFF)
        if redirect:
            return redirect
        self.subdivisions = ticket_table.subdivision_options(user)
        self._refresh(user)
        self._watch_token += 1
        return TicketInboxState.watch_statistics(self._watch_token)


def _filters_bar() -> rx.Component:
    s = TicketInboxState

    def on(key: str):
        return lambda value: s.set_filter(key, value)

    return filter_bar(
        filter_select("Statut", s.f_status, on("status"), None, element_id="filter-status",
                      fixed=list(support.STATUS_LABELS.items())),
        filter_select("Subdivision", s.f_subdivision, on("subdivision"), s.subdivisions,
                      element_id="filter-subdivision", all_label="Toutes"),
        filter_select("Problème", s.f_problem, on("problem"), None, element_id="filter-problem",
                      fixed=[(str(i), label) for i, label in enumerate(support.PROBLEM_TYPES)]),
        filter_select("Transmis à l'équipe SiiMOP", s.f_escalated, on("escalated"), None,
                      element_id="filter-escalated", fixed=[("oui", "Oui"), ("non", "Non")]),
        search_label="Filtre par sujet, demandeur, adresse ou n° de ticket",
        search_value=s.f_q,
        search_revision=s.search_revision,
        on_search=s.search,
        on_reset=s.reset_filters,
        search_id="ticket-search",
    )


def _row(row: rx.Var) -> rx.Component:
    cells = []
    for key, _ in ticket_table.COLUMNS:
        if key == "subject":
            cells.append(rx.table.cell(rx.link(row["subject"], href="/gestionnaire/tickets/" + row["id"],
                                               class_name="ticket-link")))
        else:
            cells.append(rx.table.cell(row[key]))
    return rx.table.row(*cells, class_name="ticket-row")


def ticket_inbox_page() -> rx.Component:
    s = TicketInboxState
    return shell(
        rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", icon="triangle-alert", role="alert",
                                           id="tickets-error")),
        _filters_bar(),
        statistic_tiles(s.statistics, element_id="ticket-statistics"),
        pager(s.page, s.pages, s.total, s.previous_page, s.next_page, element_id="tickets-pager", unit="ticket(s)"),
        rx.cond(s.total == 0, rx.text("Aucun ticket ne correspond à ces critères.", id="tickets-empty")),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[plain_header(label) for _, label in ticket_table.COLUMNS])),
                rx.table.body(rx.foreach(s.rows, _row)),
                size="1",
                variant="surface",
                id="tickets-table",
            ),
            overflow_x="auto",
            width="100%",
        ),
        title="Tickets d'assistance",
    )
