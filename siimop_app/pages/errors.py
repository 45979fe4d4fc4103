"""The pages users reach when something is wrong: an unknown address (404) and a page that failed to
render. Both speak French and offer a way back; the error page never shows the technical error."""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.ui.shell import SIDEBAR_BG, open_page


def not_found_page() -> rx.Component:
    return open_page(
        rx.text("L'adresse demandée ne correspond à aucune page de SiiMOP Appariement. Elle a peut-être été mal "
                "saisie, ou la page a été déplacée.", id="not-found"),
        rx.hstack(
            rx.link("Retour à l'accueil", href=routes.ROOT.path, id="back-home"),
            rx.link("Signaler un problème à l'assistance", href=routes.SUPPORT.path),
            spacing="4",
            wrap="wrap",
        ),
        title="Page introuvable",
    )


def render_error_fallback() -> rx.Component:
    """Shown by the error boundary instead of a page that failed to render. Plain elements only: the
    app's state may be what failed."""
    return rx.el.div(
        rx.el.main(
            rx.el.h1("SiiMOP Appariement", style={"color": SIDEBAR_BG, "fontSize": "1.6rem", "margin": "0 0 1rem"}),
            rx.el.h2("Cette page n'a pas pu s'afficher.", style={"fontSize": "1.25rem", "margin": "0 0 0.5rem"}),
            rx.el.p("Une erreur inattendue est survenue. Vos dernières actions enregistrées ne sont pas perdues. "
                    "Rechargez la page ; si le problème persiste, signalez-le à l'assistance."),
            rx.el.p(
                rx.el.a("Recharger la page", href="", style={"marginRight": "1.5rem"}),
                rx.el.a("Retour à l'accueil", href=routes.ROOT.path, style={"marginRight": "1.5rem"}),
                rx.el.a("Assistance", href=routes.SUPPORT.path),
            ),
            style={"maxWidth": "40rem", "padding": "2rem", "background": "white", "borderRadius": "8px"},
        ),
        id="render-error",
        role="alert",
        style={"minHeight": "100vh", "display": "flex", "alignItems": "center", "justifyContent": "center",
               "background": "#f3f5f9", "color": "#1a1a1a", "position": "absolute", "inset": "0"},
    )
