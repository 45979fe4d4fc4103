"""How a support ticket reads on every page that shows one (requester's link, Mes tickets, managers' page).

Plain components over a ``view`` Var (a ``support.TicketView``): no state here.
"""

from __future__ import annotations

import reflex as rx

from siimop_app.services import support
from siimop_app.ui.components import error_callout


def _message(message: support.TicketMessage) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(message.author, weight="bold", size="2"),
                rx.text(message.at, size="1", color="#555"),
                rx.cond(message.internal, rx.badge("Note interne", color_scheme="amber")),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            rx.text(message.body, white_space="pre-wrap", size="2"),
            spacing="1",
            align="start",
        ),
        width="100%",
        class_name="ticket-message",
        background=rx.cond(message.internal, "#fff8e6", rx.cond(message.from_requester, "#f3f5f9", "white")),
    )


def ticket_summary(view: support.TicketView) -> rx.Component:
    """The ticket's header: number, subject, status, who opened it, and the original description."""
    return rx.vstack(
        rx.heading("Ticket n° ", view.id, " · ", view.subject, size="5", as_="h2", id="ticket-title"),
        rx.hstack(
            rx.badge(view.status_label, size="2", id="ticket-status"),
            rx.cond(view.escalated, rx.badge("Transmis à l'équipe SiiMOP", color_scheme="purple",
                                             id="ticket-escalated")),
            rx.text("Ouvert le ", view.created, " par ", view.full_name, size="2"),
            spacing="3",
            wrap="wrap",
            align="center",
        ),
        rx.text(view.problem_type, " · ", view.subdivision, size="2", color="#555"),
        rx.card(rx.text(view.description, white_space="pre-wrap", size="2"), width="100%",
                id="ticket-description"),
        spacing="2",
        align="start",
        width="100%",
    )


def ticket_thread(view: support.TicketView) -> rx.Component:
    return rx.vstack(
        rx.heading("Échanges", size="4", as_="h3"),
        rx.cond(
            view.messages.length() > 0,
            rx.vstack(rx.foreach(view.messages, _message), spacing="2", width="100%", id="ticket-thread"),
            rx.text("Aucun échange pour l'instant.", size="2", color="#555", id="ticket-thread"),
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def message_form(*, label: str, element_id: str, value, on_change, on_submit, button: str,
                 error, notice=None) -> rx.Component:
    """A labelled text area and its send button (the value lives in the page's state, so an error keeps it)."""
    return rx.form(
        rx.vstack(
            rx.el.label(label, html_for=element_id, font_weight="bold"),
            rx.text_area(id=element_id, name=element_id, value=value, on_change=on_change, rows="4", width="100%", max_length=10000),
            rx.button(button, type="submit", id=f"{element_id}-send"),
            error_callout(error, f"{element_id}-error"),
            *([rx.cond(notice != "", rx.callout(notice, icon="check", color_scheme="green", role="status",
                                                 id=f"{element_id}-notice"))] if notice is not None else []),
            spacing="2",
            align="start",
            width="100%",
        ),
        on_submit=on_submit,
        reset_on_submit=False,
        width="100%",
    )


def attachment_link(view: support.TicketView, href) -> rx.Component:
    return rx.cond(view.attachment_id > 0,
                   rx.link("Pièce jointe : ", view.attachment_name, href=href, is_external=True,
                           id="attachment-link"))


def requester_ticket(state, attachment_href) -> rx.Component:
    """The requester's view of their ticket (a state mixing in ``RequesterReply``): no internal note, a reply
    box while the ticket is open."""
    return rx.vstack(
        ticket_summary(state.view),
        attachment_link(state.view, attachment_href),
        ticket_thread(state.view),
        rx.cond(
            state.view.is_open,
            message_form(label="Répondre", element_id="requester-reply", value=state.reply,
                         on_change=state.set_reply, on_submit=state.send_reply, button="Envoyer",
                         error=state.error, notice=state.notice),
            rx.text("Ce ticket est résolu. Si le problème revient, ouvrez un nouveau ticket.", id="ticket-closed"),
        ),
        spacing="4",
        width="100%",
        id="requester-ticket",
    )
