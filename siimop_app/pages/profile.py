"""Mon profil: who I am, my addresses (any validated one signs me in) and my roles."""

from __future__ import annotations

import reflex as rx

from siimop_app.services import access, overview
from siimop_app.states.session import AppState
from siimop_app.ui.shell import shell


class ProfileState(AppState):
    emails: list[dict[str, str]] = []
    roles: list[str] = []

    @rx.event
    def load(self):
        user, redirect = self._enter(None)
        if redirect:
            return redirect
        self.emails = overview.user_emails(user_id=user.user_id)
        self.roles = [access.ROLE_INTERFACE_LABELS[role] for role in user.roles]


def profile_page() -> rx.Component:
    return shell(
        rx.heading("Mes adresses email", size="4", as_="h2"),
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell("Adresse email"),
                rx.table.column_header_cell("Type"),
                rx.table.column_header_cell("État"),
            )),
            rx.table.body(rx.foreach(ProfileState.emails, lambda e: rx.table.row(
                rx.table.cell(e["email"]), rx.table.cell(e["kind"]), rx.table.cell(e["status"]),
            ))),
            id="profile-emails",
        ),
        rx.text(
            "La connexion peut se faire avec n'importe laquelle de vos adresses validées. "
            "L'adresse email principale ne peut être modifiée que par un gestionnaire Scolarité ou ARS.",
            size="2", color="#555",
        ),
        rx.heading("Mes interfaces", size="4", as_="h2", margin_top="1em"),
        rx.hstack(rx.foreach(ProfileState.roles, lambda r: rx.badge(r)), spacing="2"),
        title="Mon profil",
    )
