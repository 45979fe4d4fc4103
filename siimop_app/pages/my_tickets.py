"""Mes tickets: a signed-in user's support tickets, each with its thread and a reply box while it is open."""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.ui.backend import backend_url
from siimop_app.services import support
from siimop_app.states.session import AppState
from siimop_app.states.ticket_reply import RequesterReply
from siimop_app.ui.components import error_callout
from siimop_app.ui.shell import shell
from siimop_app.ui.tickets import requester_ticket
from siimop_app.domain.errors import UserError
from siimop_app.validation import require_id


class MyTicketsState(RequesterReply, AppState):
    tickets: list[support.MyTicketLine] = []

    def _send_reply(self, text: str) -> support.TicketView:
        user = self._require()
        view = support.reply_as_user(user, self.view.id, text)
        self.tickets = support.my_tickets(user)
        return view

    @rx.event
    def load(self):
        self.tickets, self.view, self.reply, self.error, self.notice = [], support.NO_TICKET, "", "", ""
        user, redirect = self._enter(None, *routes.MY_TICKETS.roles)
        if redirect:
            return redirect
        self.tickets = support.my_tickets(user)

    @rx.event
    def open_ticket(self, ticket_id: int):
        self.error = self.notice = ""
        self.reply = ""
        try:
            self.view = support.my_ticket(self._require(), require_id(ticket_id, support.NOT_FOUND))
        except UserError as refused:
            self.view = support.NO_TICKET
            self.error = str(refused)


def _ticket_row(ticket: support.MyTicketLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(ticket.id.to(str)),
        rx.table.cell(ticket.created),
        rx.table.cell(rx.button(ticket.subject, variant="ghost", type="button",
                                on_click=MyTicketsState.open_ticket(ticket.id),
                                class_name="my-ticket-open")),
        rx.table.cell(ticket.status_label),
    )


def my_tickets_page() -> rx.Component:
    s = MyTicketsState
    return shell(
        rx.hstack(rx.link("Ouvrir un nouveau ticket", href=routes.SUPPORT.path), spacing="3"),
        rx.cond(
            s.tickets.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(label, scope="col")
                                               for label in ("N°", "Ouvert le", "Sujet", "Statut")])),
                rx.table.body(rx.foreach(s.tickets, _ticket_row)),
                id="my-tickets",
                variant="surface",
                size="1",
            ),
            rx.text("Vous n'avez ouvert aucun ticket.", id="my-tickets"),
        ),
        rx.cond(s.view.id == 0, error_callout(s.error, "my-ticket-error")),  # else shown by the reply box
        rx.cond(
            s.view.id > 0,
            requester_ticket(MyTicketsState,
                             backend_url(routes.DOCUMENT.link_prefix + s.view.attachment_id.to(str))),
        ),
        title="Mes tickets",
    )
