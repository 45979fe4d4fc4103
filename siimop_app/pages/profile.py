"""Mon profil: who I am, my addresses (any validated one signs me in, secondary ones are proven by a link)
and my roles; plus the landing page of an address validation link."""

from __future__ import annotations

import logging

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.services import access, emails
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout, invalid_field
from siimop_app.ui.shell import public_page, shell

log = logging.getLogger(__name__)


class ProfileState(AppState):
    emails: list[emails.EmailLine] = []
    roles: list[str] = []
    error: str = ""
    message: str = ""
    address_invalid: bool = False  # the error is about the address typed in the form
    form_version: int = 0  # part of the form's key: emptied once the address is added, kept after an error

    @rx.event
    def load(self):
        self.error = self.message = ""
        self.address_invalid = False
        user, redirect = self._enter(None, *routes.PROFILE.roles)
        if redirect:
            return redirect
        self.emails = emails.list_emails(user)
        self.roles = [access.ROLE_INTERFACE_LABELS[role] for role in user.roles]

    @rx.event
    def add_email(self, form: dict):
        self.error = self.message = ""
        self.address_invalid = False
        try:
            user = self._require()
            kind = {label: key for key, label in emails.SECONDARY_KINDS.items()}.get(str(form.get("kind_label", "")), "")
            emails.add_secondary(user, str(form.get("email", "")), kind)
            self.emails = emails.list_emails(user)
            self.message = "Un lien de validation a été envoyé à cette adresse : elle sera ajoutée quand vous l'aurez suivi."
            self.form_version += 1
        except UserError as refused:
            log.info("secondary address refused: %s", refused)
            self.error = str(refused)
            self.address_invalid = isinstance(refused, emails.EmailError)

    @rx.event
    def remove_email(self, email_id: int):
        self._remove(emails.remove_secondary, email_id)

    @rx.event
    def withdraw_email(self, pending_id: int):
        self._remove(emails.withdraw_pending, pending_id)

    def _remove(self, remove, row_id: int):
        self.error = self.message = ""
        self.address_invalid = False
        try:
            user = self._require()
            remove(user, row_id)
            self.emails = emails.list_emails(user)
            self.message = "L'adresse a été supprimée."
        except UserError as refused:
            self.error = str(refused)


class EmailValidationState(AppState):
    validated: str = ""
    error: str = ""

    @rx.event
    def validate(self):
        self.validated = self.error = ""
        try:
            self.validated = emails.validate(str(self.token or ""))
        except emails.EmailError as refused:
            self.error = str(refused)


def _remove_button(e: emails.EmailLine, handler) -> rx.Component:
    return rx.button("Supprimer", size="1", variant="soft", color_scheme="red", on_click=handler(e.id),
                     aria_label="Supprimer l'adresse " + e.email)


def _email_row(e: emails.EmailLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(e.email),
        rx.table.cell(e.kind),
        rx.table.cell(e.status),
        rx.table.cell(rx.cond(
            e.main,
            "",
            rx.cond(e.pending, _remove_button(e, ProfileState.withdraw_email),
                    _remove_button(e, ProfileState.remove_email)),
        )),
    )


def profile_page() -> rx.Component:
    return shell(
        rx.heading("Mes adresses email", size="4", as_="h2"),
        error_callout(ProfileState.error, "profile-error"),
        rx.cond(ProfileState.message != "", rx.callout(ProfileState.message, icon="mail-check", color_scheme="green",
                                                       id="profile-message", role="status")),
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell("Adresse email"),
                rx.table.column_header_cell("Type"),
                rx.table.column_header_cell("État"),
                rx.table.column_header_cell(rx.el.span("Actions", class_name="sr-only")),
            )),
            rx.table.body(rx.foreach(ProfileState.emails, _email_row)),
            id="profile-emails",
        ),
        rx.form(
            rx.hstack(
                rx.input(name="email", type="email", placeholder="Adresse email", aria_label="Nouvelle adresse email",
                         id="new-email", required=True, width="20em", max_width="100%",
                         **invalid_field(ProfileState.address_invalid, "profile-error")),
                rx.select.root(
                    rx.select.trigger(aria_label="Type d'adresse", id="new-email-kind"),
                    rx.select.content(*[rx.select.item(kind, value=kind) for kind in emails.SECONDARY_KINDS.values()]),
                    name="kind_label",
                    default_value="Personnelle",
                ),
                rx.button("+ Ajouter l'adresse email", type="submit", id="add-email"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            on_submit=lambda form: ProfileState.add_email(form),
            key=ProfileState.form_version.to(str),
        ),
        rx.text(
            "La connexion peut se faire avec n'importe laquelle de vos adresses validées. "
            "L'adresse email principale ne peut être modifiée que par un gestionnaire Scolarité ou ARS. "
            "Ne renseignez pas l'adresse d'une autre personne.",
            size="2", color="#555",
        ),
        rx.heading("Mes interfaces", size="4", as_="h2", margin_top="1em"),
        rx.hstack(rx.foreach(ProfileState.roles, lambda r: rx.badge(r)), spacing="2"),
        title="Mon profil",
    )


def email_validation_page() -> rx.Component:
    return public_page(
        rx.cond(
            EmailValidationState.validated != "",
            rx.callout("L'adresse " + EmailValidationState.validated + " est validée : vous pouvez l'utiliser pour "
                       "vous connecter.", icon="check", color_scheme="green", id="email-validated"),
            error_callout(EmailValidationState.error, "email-validation-error"),
        ),
        rx.link("Retour à l'application", href=routes.ROOT.path),
    )
