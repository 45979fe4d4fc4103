"""Tickets d'assistance: the managers' inbox (seed: "Les tickets support arrivent directement aux gestionnaires
ARS et Scolarité … de votre subdivision"), on the table kit: filters, SQL paging, live statistics.

A manager sees the confirmed tickets of their scope; an admin (the platform team) sees all of them, and filters
the escalated ones.
"""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.services import support, ticket_table
from siimop_app.services.table_kit import ALL, Table
from siimop_app.states.filtered_table import KitTable
from siimop_app.states.session import AppState
from siimop_app.ui.data_table import table_section
from siimop_app.ui.shell import shell
from siimop_app.validation import parse_int


class TicketInboxState(KitTable, AppState):
    rows: list[ticket_table.TicketLine] = []
    sort: str = ""
    f_status: str = ALL
    f_subdivision: str = ALL
    f_problem: str = ALL
    f_escalated: str = ALL

    def _table(self) -> Table:
        return ticket_table.TABLE

    def _page(self) -> routes.Page:
        return routes.TICKET_INBOX

    def _filters(self) -> dict[str, str]:
        values = KitTable._filters(self)
        index = parse_int(values["problem"], hi=len(support.PROBLEM_TYPES) - 1)
        values["problem"] = support.PROBLEM_TYPES[index] if index is not None else ""
        return values


def _subject(line: rx.Var) -> rx.Component:
    return rx.table.cell(rx.link(line.subject, href=routes.TICKET_DETAIL.link_prefix + line.id.to(str),
                                 class_name="ticket-link"))


def ticket_inbox_page() -> rx.Component:
    return shell(
        table_section(TicketInboxState, ticket_table.TABLE, cells={"subject": _subject},
                      empty="Aucun ticket ne correspond à ces critères."),
        title="Tickets d'assistance",
    )
