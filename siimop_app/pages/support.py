"""Assistance: the ticket form, reachable from every page, signed in or not."""

from __future__ import annotations

import reflex as rx

from siimop_app.services import support
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout
from siimop_app.ui.shell import open_page


FIELDS = ("full_name", "email", "requester_status", "university", "problem_type", "subject", "description")


class SupportState(AppState):
    """The ticket form. Its fields live here so that an error keeps what was typed, a sent ticket empties
    them, and a signed-in user finds their name and address already filled in."""

    full_name: str = ""
    email: str = ""
    requester_status: str = ""
    university: str = ""
    problem_type: str = ""
    subject: str = ""
    description: str = ""
    confirmation: str = ""
    error: str = ""

    def _prefill(self) -> None:
        user = self._user()
        self.full_name = user.display_name if user else ""
        self.email = user.email if user else ""

    @rx.event
    def load(self):
        self.confirmation = self.error = ""
        for name in FIELDS:
            setattr(self, name, "")
        self._prefill()
        return AppState.enter_public

    @rx.event
    def set_field(self, name: str, value: str):
        if name in FIELDS:
            setattr(self, name, str(value)[:5000])

    @rx.event
    def submit(self, _form: dict | None = None):
        self.error = ""
        self.confirmation = ""
        user = self._user()
        try:
            ticket_id = support.open_ticket(
                user_id=user.user_id if user else None,
                **{name: getattr(self, name) for name in FIELDS},
            )
        except support.TicketError as invalid:
            self.error = str(invalid)
            return
        for name in FIELDS:
            setattr(self, name, "")
        self._prefill()
        self.confirmation = (
            f"Votre ticket n° {ticket_id} a été transmis aux gestionnaires ARS / Scolarité de votre subdivision."
        )


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=control.id, font_weight="bold"), control, spacing="1", width="100%")


def _text(name: str, element_id: str, **props) -> rx.Component:
    return rx.input(id=element_id, name=name, value=getattr(SupportState, name),
                    on_change=lambda value: SupportState.set_field(name, value), width="100%", **props)


def _choice(name: str, element_id: str, options: tuple[str, ...], label: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder="— Sélectionner —", id=element_id, width="100%", aria_label=label),
        rx.select.content(*[rx.select.item(option, value=option) for option in options]),
        name=name,
        value=getattr(SupportState, name),
        on_change=lambda value: SupportState.set_field(name, value),
        required=True,
    )


def support_page() -> rx.Component:
    s = SupportState
    return open_page(
        rx.heading("Ouvrir un nouveau ticket", size="5", as_="h2"),
        rx.text("Les demandes sont traitées par les gestionnaires ARS et Scolarité de votre subdivision.", size="2"),
        rx.form(
            rx.vstack(
                _field("Nom complet *", _text("full_name", "full_name", required=True, max_length=200)),
                _field("Adresse email *", _text("email", "ticket_email", type="email", required=True, max_length=254)),
                _field("Statut *", _choice("requester_status", "requester_status", support.REQUESTER_STATUSES, "Statut")),
                _field("Université de rattachement", _text("university", "university", max_length=200)),
                _field("Problème *", _choice("problem_type", "problem_type", support.PROBLEM_TYPES, "Problème")),
                _field("Sujet *", _text("subject", "subject", required=True, max_length=200)),
                _field("Description *", rx.text_area(
                    id="description", name="description", value=s.description, required=True, rows="6", width="100%",
                    on_change=lambda value: SupportState.set_field("description", value))),
                rx.button("Créer", type="submit", id="create-ticket"),
                spacing="3",
                width="100%",
            ),
            on_submit=SupportState.submit,
            reset_on_submit=False,
            width="100%",
        ),
        error_callout(s.error, "ticket-error"),
        rx.cond(
            s.confirmation != "",
            rx.callout(s.confirmation, icon="check", color_scheme="green", id="ticket-created", role="status"),
        ),
        title="Assistance",
    )
