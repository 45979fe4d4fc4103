"""Following a ticket through the private link mailed to its requester (``/assistance/suivi/<id>.<secret>``).

The link is the requester's only key when they have no account: its first opening confirms their address
(the ticket then reaches the managers); every later opening shows the thread, and they reply while it is open.
"""

from __future__ import annotations

import reflex as rx

from siimop_app.file_routes import TICKET_ATTACHMENT_ROUTE, backend_url
from siimop_app.services import support
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout
from siimop_app.ui.shell import open_page
from siimop_app.ui.tickets import message_form, ticket_summary, ticket_thread


class FollowTicketState(AppState):
    view: dict = {}
    link_error: str = ""
    reply: str = ""
    error: str = ""
    notice: str = ""

    @rx.event
    def load(self):
        self.view, self.link_error, self.reply, self.error, self.notice = {}, "", "", "", ""
        try:
            self.view = support.follow_by_link(self.ticket_token)
        except support.TicketError as refused:
            self.link_error = str(refused)
        return AppState.enter_public

    @rx.event
    def set_reply(self, value: str):
        self.reply = str(value)[: support.MAX_MESSAGE]

    @rx.event
    def send_reply(self, _form: dict | None = None):
        self.error = self.notice = ""
        try:
            self.view = support.reply_by_link(self.ticket_token, self.reply)
        except support.TicketError as refused:
            self.error = str(refused)
            return
        self.reply = ""
        self.notice = "Votre message a été ajouté au ticket."


def follow_ticket_page() -> rx.Component:
    s = FollowTicketState
    return open_page(
        error_callout(s.link_error, "follow-error"),
        rx.cond(
            s.view.contains("id"),
            rx.vstack(
                ticket_summary(s.view),
                rx.cond(s.view["attachment_id"].to(int) > 0,
                        rx.link("Pièce jointe : ", s.view["attachment_name"].to(str), is_external=True,
                                href=backend_url(f"{TICKET_ATTACHMENT_ROUTE}/" + s.ticket_token), id="attachment-link")),
                ticket_thread(s.view),
                rx.cond(
                    s.view["is_open"].to(bool),
                    message_form(label="Répondre", element_id="requester-reply", value=s.reply,
                                 on_change=FollowTicketState.set_reply, on_submit=FollowTicketState.send_reply,
                                 button="Envoyer", error=s.error, notice=s.notice),
                    rx.text("Ce ticket est résolu. Si le problème revient, ouvrez un nouveau ticket.", id="ticket-closed"),
                ),
                spacing="4",
                width="100%",
            ),
        ),
        rx.link("Ouvrir un nouveau ticket", href="/assistance"),
        title="Suivi de votre ticket",
    )
