"""Connexion: the passwordless sign-in page, the link landing page, the root redirect and the closed page."""

from __future__ import annotations

import logging

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError

from siimop_app.services import access, auth, calendar
from siimop_app.settings import get_settings
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout, invalid_field
from siimop_app.ui.shell import public_page

log = logging.getLogger(__name__)


class SignInState(AppState):
    email: str = ""
    sent_message: str = ""
    error: str = ""
    email_invalid: bool = False  # the error is about the address typed (not a failed mail)

    @rx.event
    def set_email(self, value: str):
        self.email = value

    @rx.event
    def reset_form(self):
        """A fresh sign-in page: no message left from an earlier visit in this tab."""
        self.sent_message = ""
        self.error = ""
        self.email_invalid = False

    @rx.event
    def request_link(self, form_data: dict | None = None):
        self.error = self.sent_message = ""
        self.email_invalid = False
        address = (form_data or {}).get("email", self.email)
        try:
            self.sent_message = auth.request_sign_in(address)
        except UserError as invalid:
            self.error = str(invalid)
            self.email_invalid = True
        except Exception:
            log.exception("sign-in request failed for %r", address)
            self.error = "Le message n'a pas pu être envoyé. Réessayez dans quelques minutes ou ouvrez un ticket d'assistance."


class LinkState(AppState):
    error: str = ""

    @rx.event
    def use_link(self):
        self.error = ""
        token = self.token
        try:
            self.session_cookie = auth.consume_sign_in_link(token)
        except auth.SignInError as refused:
            self.error = str(refused)
            return
        return rx.redirect(routes.ROOT.path)


class RootState(AppState):
    @rx.event
    def route(self):
        user = self._user()
        if user is None:
            return rx.redirect(routes.SIGN_IN.path)
        return rx.redirect(access.home_for(user, calendar.current_wave() is not None))


class ClosedState(AppState):
    @rx.event
    def load(self):
        self.news_url = get_settings().news_url


def sign_in_page() -> rx.Component:
    return public_page(
        rx.text("Je me connecte avec", size="3"),
        rx.text("une adresse email non-universitaire", weight="bold", size="4"),
        rx.text("(prenom.nom@chu.fr ; nomprenom@ch.fr ; nom.prenom@ars.fr ; nom@gmail.com…)", size="2", color="#555"),
        rx.text("Je reçois par email le lien pour accéder à l'application.", size="3"),
        rx.form(
            rx.vstack(
                rx.el.label("Adresse email", html_for="email", font_weight="bold"),
                rx.input(
                    id="email",
                    name="email",
                    type="email",
                    placeholder="Veuillez saisir votre email…",
                    value=SignInState.email,
                    on_change=SignInState.set_email,
                    required=True,
                    auto_complete="email",
                    width="100%",
                    size="3",
                    **invalid_field(SignInState.email_invalid, "sign-in-error"),
                ),
                rx.button("Envoyer", type="submit", id="send-link", size="3"),
                width="100%",
                spacing="3",
            ),
            on_submit=SignInState.request_link,
            width="100%",
        ),
        rx.cond(
            SignInState.sent_message != "",
            rx.callout(SignInState.sent_message, icon="mail-check", color_scheme="green", id="sign-in-sent", role="status"),
        ),
        error_callout(SignInState.error, "sign-in-error"),
        rx.link("En cas d'échec de connexion, merci d'ouvrir un ticket d'assistance en cliquant ici", href=routes.SUPPORT.path, size="2"),
    )


def link_page() -> rx.Component:
    return public_page(
        rx.cond(
            LinkState.error != "",
            rx.vstack(
                rx.callout(LinkState.error, icon="triangle-alert", color_scheme="red", id="link-error", role="alert"),
                rx.link("Recevoir un nouveau lien de connexion", href=routes.SIGN_IN.path),
            ),
            rx.text("Connexion en cours…", id="link-pending"),
        ),
    )


def closed_page() -> rx.Component:
    return public_page(
        rx.text("L'application SiiMOP Appariement est actuellement fermée", size="5", weight="bold", id="app-closed"),
        rx.text(
            "Pour plus de détails sur le déroulement de la campagne et les dates d'ouverture de l'application, "
            "vous pouvez consulter ",
            rx.link("le fil d'information", href=ClosedState.news_url, is_external=True),
            ".",
        ),
        rx.button("Se déconnecter", on_click=AppState.sign_out, variant="outline"),
    )


def root_page() -> rx.Component:
    return public_page(rx.text("Redirection…"))
