"""The requester's side of a ticket, shared by the private-link page and Mes tickets: the thread and a reply box.

A page mixes this in and says, in ``_send_reply``, how it reaches the ticket (the link's token, or the
signed-in user); the service re-checks that access on every message.
"""

from __future__ import annotations

import reflex as rx

from siimop_app.domain.errors import UserError
from siimop_app.services import support

SENT = "Votre message a été ajouté au ticket."


class RequesterReply(rx.State, mixin=True):
    view: support.TicketView = support.NO_TICKET
    reply: str = ""
    error: str = ""
    notice: str = ""

    def _send_reply(self, text: str) -> support.TicketView:
        raise NotImplementedError

    @rx.event
    def set_reply(self, value: str):
        self.reply = str(value)[: support.MAX_MESSAGE]

    @rx.event
    def send_reply(self, _form: dict | None = None):
        self.error = self.notice = ""
        if not self.view.id:
            return
        try:
            self.view = self._send_reply(self.reply)
        except UserError as refused:
            self.error = str(refused)
            return
        self.reply = ""
        self.notice = SENT
