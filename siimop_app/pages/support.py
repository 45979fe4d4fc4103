"""Assistance: the ticket form, reachable from every page, signed in or not."""

from __future__ import annotations

import reflex as rx

from siimop_app.services import support
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout
from siimop_app.ui.shell import public_page


class SupportState(AppState):
    confirmation: str = ""
    error: str = ""

    @rx.event
    def submit(self, form: dict):
        self.error = ""
        self.confirmation = ""
        user = self._user()
        try:
            ticket_id = support.open_ticket(
                user_id=user.user_id if user else None,
                full_name=form.get("full_name", ""),
                email=form.get("email", ""),
                requester_status=form.get("requester_status", ""),
                university=form.get("university", ""),
                problem_type=form.get("problem_type", ""),
                subject=form.get("subject", ""),
                description=form.get("description", ""),
            )
        except support.TicketError as invalid:
            self.error = str(invalid)
            return
        self.confirmation = (
            f"Votre ticket n° {ticket_id} a été transmis aux gestionnaires ARS / Scolarité de votre subdivision."
        )


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=control.id, font_weight="bold"), control, spacing="1", width="100%")


def support_page() -> rx.Component:
    return public_page(
        rx.heading("Ouvrir un nouveau ticket", size="5", as_="h2"),
        rx.text("Les demandes sont traitées par les gestionnaires ARS et Scolarité de votre subdivision.", size="2"),
        rx.form(
            rx.vstack(
                _field("Nom complet *", rx.input(id="full_name", name="full_name", required=True, width="100%")),
                _field("Adresse email *", rx.input(id="ticket_email", name="email", type="email", required=True, width="100%")),
                _field("Statut *", rx.select(list(support.REQUESTER_STATUSES), id="requester_status", name="requester_status", required=True)),
                _field("Université de rattachement", rx.input(id="university", name="university", width="100%")),
                _field("Problème *", rx.select(list(support.PROBLEM_TYPES), id="problem_type", name="problem_type", required=True)),
                _field("Sujet *", rx.input(id="subject", name="subject", required=True, max_length=200, width="100%")),
                _field("Description *", rx.text_area(id="description", name="description", required=True, rows="6", width="100%")),
                rx.button("Créer", type="submit", id="create-ticket"),
                spacing="3",
                width="100%",
            ),
            on_submit=SupportState.submit,
            reset_on_submit=False,
            width="100%",
        ),
        error_callout(SupportState.error, "ticket-error"),
        rx.cond(
            SupportState.confirmation != "",
            rx.callout(SupportState.confirmation, icon="check", color_scheme="green", id="ticket-created", role="status"),
        ),
        rx.link("Retour à l'application", href="/"),
    )
