"""Tickets d'assistance: the managers' inbox (seed: "Les tickets support arrivent directement aux gestionnaires
ARS et Scolarité … de votre subdivision"), on the table kit: filters, SQL paging, live statistics.

A manager sees the confirmed tickets of their scope; an admin (the platform team) sees all of them, and filters
the escalated ones.
"""

from __future__ import annotations

import reflex as rx

from siimop_app.domain.roles import MANAGER_ROLES
from siimop_app.services import support, ticket_table
from siimop_app.services.table_kit import ALL, Table
from siimop_app.states.filtered_table import KitTable
from siimop_app.states.session import AppState
from siimop_app.ui.data_table import table_section
from siimop_app.ui.shell import shell

ROUTE = "/gestionnaire/tickets"


class TicketInboxState(KitTable, AppState):
    rows: list[ticket_table.TicketLine] = []
    sort: str = ""
    f_status: str = ALL
    f_subdivision: str = ALL
    f_problem: str = ALL
    f_escalated: str = ALL

    def _table(self) -> Table:
        return ticket_table.TABLE

    def _route(self) -> str:
        return ROUTE

    def _roles(self) -> tuple[str, ...]:
        return MANAGER_ROLES

    def _filters(self) -> dict[str, str]:
        values = KitTable._filters(self)
        index = values["problem"]
        values["problem"] = support.PROBLEM_TYPES[int(index)] if index.isdigit() and int(index) < len(
            support.PROBLEM_TYPES) else ""
        return values


def _subject(line: rx.Var) -> rx.Component:
    return rx.table.cell(rx.link(line.subject, href="/gestionnaire/tickets/" + line.id.to(str),
                                 class_name="ticket-link"))


def ticket_inbox_page() -> rx.Component:
    return shell(
        table_section(TicketInboxState, ticket_table.TABLE, cells={"subject": _subject},
                      empty="Aucun ticket ne correspond à ces critères."),
        title="Tickets d'assistance",
    )
