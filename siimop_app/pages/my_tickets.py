"""Mes tickets: a signed-in user's support tickets, each with its thread and a reply box while it is open."""

from __future__ import annotations

import reflex as rx

from siimop_app.file_routes import backend_url
from siimop_app.services import documents, support
from siimop_app.services.access import AccessDenied
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout
from siimop_app.ui.shell import shell
from siimop_app.ui.tickets import message_form, ticket_summary, ticket_thread


class MyTicketsState(AppState):
    tickets: list[dict] = []
    view: dict = {}
    reply: str = ""
    error: str = ""
    notice: str = ""

    @rx.event
    def load(self):
        self.tickets, self.view, self.reply, self.error, self.notice = [], {}, "", "", ""
        user, redirect = self._enter(None)
        if redirect:
            return redirect
        self.tickets = support.my_tickets(user)

    @rx.event
    def open_ticket(self, ticket_id: int):
        self.error = self.notice = ""
        self.reply = ""
        try:
            self.view = support.my_ticket(self._require(), int(ticket_id))
        except (support.TicketError, AccessDenied, TypeError, ValueError) as refused:
            self.view = {}
            self.error = str(refused) if isinstance(refused, (support.TicketError, AccessDenied)) else support.NOT_FOUND

    @rx.event
    def set_reply(self, value: str):
        self.reply = str(value)[: support.MAX_MESSAGE]

    @rx.event
    def send_reply(self, _form: dict | None = None):
        self.error = self.notice = ""
        if "id" not in self.view:
            return
        try:
            user = self._require()
            self.view = support.reply_as_user(user, int(self.view["id"]), self.reply)
            self.tickets = support.my_tickets(user)
        except (support.TicketError, AccessDenied) as refused:
            self.error = str(refused)
            return
        self.reply = ""
        self.notice = "Votre message a été ajouté au ticket."


def _ticket_row(ticket: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(ticket["id"].to(str)),
        rx.table.cell(ticket["created"].to(str)),
        rx.table.cell(rx.button(ticket["subject"].to(str), variant="ghost", type="button",
                                on_click=MyTicketsState.open_ticket(ticket["id"].to(int)),
                                class_name="my-ticket-open")),
        rx.table.cell(ticket["status_label"].to(str)),
    )


def my_tickets_page() -> rx.Component:
    s = MyTicketsState
    return shell(
        rx.hstack(rx.link("Ouvrir un nouveau ticket", href="/assistance"), spacing="3"),
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
        error_callout(s.error, "my-ticket-error"),
        rx.cond(
            s.view.contains("id"),
            rx.vstack(
                ticket_summary(s.view),
                rx.cond(s.view["attachment_id"].to(int) > 0,
                        rx.link("Pièce jointe : ", s.view["attachment_name"].to(str), is_external=True,
                                href=backend_url(documents.FILES_ROUTE + "/" + s.view["attachment_id"].to(str)))),
                ticket_thread(s.view),
                rx.cond(
                    s.view["is_open"].to(bool),
                    message_form(label="Répondre", element_id="requester-reply", value=s.reply,
                                 on_change=MyTicketsState.set_reply, on_submit=MyTicketsState.send_reply,
                                 button="Envoyer", error="", notice=s.notice),
                    rx.text("Ce ticket est résolu. Si le problème revient, ouvrez un nouveau ticket."),
                ),
                spacing="4",
                width="100%",
                id="my-ticket",
            ),
        ),
        title="Mes tickets",
    )
