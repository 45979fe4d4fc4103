"""Following a ticket through the private link mailed to its requester (``/assistance/suivi/<id>.<secret>``).

The link is the requester's only key when they have no account: its first opening confirms their address
(the ticket then reaches the managers); every later opening shows the thread, and they reply while it is open.
"""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.ui.backend import backend_url
from siimop_app.services import support
from siimop_app.states.session import AppState
from siimop_app.states.ticket_reply import RequesterReply
from siimop_app.ui.components import error_callout
from siimop_app.ui.shell import open_page
from siimop_app.ui.tickets import requester_ticket


class FollowTicketState(RequesterReply, AppState):
    link_error: str = ""

    def _send_reply(self, text: str) -> support.TicketView:
        return support.reply_by_link(self.ticket_token, text)

    @rx.event
    def load(self):
        self.view, self.link_error, self.reply, self.error, self.notice = support.NO_TICKET, "", "", "", ""
        try:
            self.view = support.follow_by_link(self.ticket_token)
        except support.TicketError as refused:
            self.link_error = str(refused)
        return AppState.enter_public


def follow_ticket_page() -> rx.Component:
    s = FollowTicketState
    return open_page(
        error_callout(s.link_error, "follow-error"),
        rx.cond(
            s.view.id > 0,
            requester_ticket(FollowTicketState, backend_url(routes.TICKET_ATTACHMENT.link_prefix + s.ticket_token)),
        ),
        rx.link("Ouvrir un nouveau ticket", href=routes.SUPPORT.path),
        title="Suivi de votre ticket",
    )
