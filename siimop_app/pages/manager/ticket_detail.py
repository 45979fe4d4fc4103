"""One support ticket, for the managers who see it: reply (mailed to the requester), internal note, assign to a
colleague, escalate to the platform team, resolve. Every handler re-checks role and scope on the server
(``support._staff_ticket``); a ticket outside the user's scope reads as "Ticket introuvable"."""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import MANAGER_ROLES
from siimop_app.ui.backend import backend_url
from siimop_app.services import support
from siimop_app.states.filtered_table import staff_interface
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout
from siimop_app.ui.shell import shell
from siimop_app.ui.tickets import attachment_link, message_form, ticket_summary, ticket_thread
from siimop_app.validation import parse_id


class TicketDetailState(AppState):
    view: support.TicketView = support.NO_TICKET
    reply: str = ""
    note: str = ""
    assignee: str = ""
    error: str = ""
    notice: str = ""

    def _ticket_id(self) -> int | None:
        return parse_id(self.ticket_id)

    def _act(self, action, done: str) -> None:
        """Run one change on the ticket of this page, after re-checking who asks; a refusal changes nothing."""
        self.error = self.notice = ""
        ticket_id = self._ticket_id()
        try:
            user = self._require(*MANAGER_ROLES)
            if ticket_id is None:
                raise support.TicketError(support.NOT_FOUND)
            self.view = action(user, ticket_id)
        except UserError as refused:
            self.error = str(refused)
            return
        self.notice = done

    @rx.event
    def load(self):
        self.view, self.reply, self.note, self.assignee, self.error, self.notice = (
            support.NO_TICKET, "", "", "", "", "")
        user, redirect = self._enter(lambda user: staff_interface(user, routes.TICKET_DETAIL.roles), *routes.TICKET_DETAIL.roles)
        if redirect:
            return redirect
        try:
            ticket_id = self._ticket_id()
            if ticket_id is None:
                raise support.TicketError(support.NOT_FOUND)
            self.view = support.staff_ticket(user, ticket_id)
        except support.TicketError as refused:
            self.error = str(refused)

    @rx.event
    def set_reply(self, value: str):
        self.reply = str(value)[: support.MAX_MESSAGE]

    @rx.event
    def set_note(self, value: str):
        self.note = str(value)[: support.MAX_MESSAGE]

    @rx.event
    def set_assignee(self, value: str):
        self.assignee = str(value)[:20]

    @rx.event
    def send_reply(self, _form: dict | None = None):
        self._act(lambda user, tid: support.staff_reply(user, tid, self.reply),
                  "Votre réponse a été envoyée au demandeur par e-mail.")
        if not self.error:
            self.reply = ""

    @rx.event
    def add_note(self, _form: dict | None = None):
        self._act(lambda user, tid: support.staff_note(user, tid, self.note), "La note interne a été ajoutée.")
        if not self.error:
            self.note = ""

    @rx.event
    def assign(self):
        colleague = parse_id(self.assignee)
        if colleague is None:
            self.error = "Choisissez le collègue à qui confier ce ticket."
            return
        self._act(lambda user, tid: support.assign(user, tid, colleague), "Le ticket a été assigné.")

    @rx.event
    def escalate(self):
        self._act(support.escalate, "Le ticket a été transmis à l'équipe SiiMOP.")

    @rx.event
    def resolve(self):
        self._act(support.resolve, "Le ticket est résolu.")


def _actions() -> rx.Component:
    s = TicketDetailState
    return rx.card(
        rx.vstack(
            rx.heading("Traitement", size="4", as_="h3"),
            rx.text("Assigné à : ", rx.cond(s.view.assigned != "", s.view.assigned, "personne"),
                    id="ticket-assigned", size="2"),
            rx.hstack(
                rx.el.label("Confier à", html_for="assignee", font_weight="bold"),
                rx.select.root(
                    rx.select.trigger(placeholder="— Sélectionner —", id="assignee"),
                    rx.select.content(rx.foreach(s.view.colleagues, lambda c: rx.select.item(c.label, value=c.value))),
                    value=s.assignee,
                    on_change=TicketDetailState.set_assignee,
                ),
                rx.button("Assigner", on_click=TicketDetailState.assign, variant="soft", id="assign-ticket"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.hstack(
                rx.button("Transmettre à l'équipe SiiMOP", on_click=TicketDetailState.escalate, variant="outline",
                          color_scheme="purple", id="escalate-ticket", disabled=s.view.escalated),
                rx.button("Marquer comme résolu", on_click=TicketDetailState.resolve, color_scheme="green",
                          id="resolve-ticket", disabled=~s.view.is_open),
                spacing="3",
                wrap="wrap",
            ),
            spacing="3",
            align="start",
        ),
        width="100%",
    )


def ticket_detail_page() -> rx.Component:
    s = TicketDetailState
    return shell(
        rx.link("« Retour aux tickets", href=routes.TICKET_INBOX.path, id="back-to-tickets"),
        error_callout(s.error, "ticket-action-error"),
        rx.cond(s.notice != "", rx.callout(s.notice, icon="check", color_scheme="green", role="status",
                                            id="ticket-action-notice")),
        rx.cond(
            s.view.id > 0,
            rx.vstack(
                ticket_summary(s.view),
                rx.text("Demandeur : ", s.view.full_name, " · ", s.view.email, " · ",
                        s.view.requester_status, " · ", s.view.university, size="2",
                        id="ticket-requester"),
                attachment_link(s.view, backend_url(routes.DOCUMENT.link_prefix + s.view.attachment_id.to(str))),
                _actions(),
                ticket_thread(s.view),
                message_form(label="Répondre au demandeur (envoyé par e-mail)", element_id="staff-reply",
                             value=s.reply, on_change=TicketDetailState.set_reply,
                             on_submit=TicketDetailState.send_reply, button="Envoyer la réponse", error=""),
                message_form(label="Note interne (jamais visible du demandeur)", element_id="staff-note",
                             value=s.note, on_change=TicketDetailState.set_note, on_submit=TicketDetailState.add_note,
                             button="Ajouter la note", error=""),
                spacing="4",
                width="100%",
            ),
        ),
        title="Ticket d'assistance",
    )
