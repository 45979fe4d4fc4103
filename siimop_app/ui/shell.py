"""The shell of every signed-in page (seed: side menu with the wave and its dated phases)."""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.states.session import AppState

SIDEBAR_BG = "#1d3557"  # dark blue; white text on it has a contrast ratio above 11:1
ACCENT = "#e85d04"

FOOTER_LINKS = (
    ("UNESS.fr", "https://www.uness.fr"),
    ("SiiMOP", "https://siimop.uness.fr"),
    ("Tutoriel SiiMOP Appariement", routes.HELP_TOPIC + "accueil"),
    ("CGU", routes.HELP_TOPIC + "cgu"),
    ("Accessibilité : partiellement conforme", routes.ACCESSIBILITY.path),
)


def _menu_item(item: rx.Var) -> rx.Component:
    label = rx.cond(
        item.href != "",
        rx.link(item.label, href=item.href, color="white", weight="bold", underline="hover"),
        rx.text(item.label, color="white", weight="bold"),
    )
    return rx.box(
        label,
        rx.cond(
            item.starts != "",
            rx.vstack(
                rx.text(item.starts, size="1", color="#dbe4f0"),
                rx.text(item.ends, size="1", color="#dbe4f0"),
                spacing="0",
                padding_left="0.75em",
            ),
        ),
        padding_y="0.4em",
    )


def sidebar() -> rx.Component:
    return rx.el.nav(
        rx.vstack(
            rx.link(
                rx.text("SiiMOP", size="6", weight="bold", color="white"),
                rx.text("Appariement", color="white", size="2"),
                href=routes.ROOT.path,
                underline="none",
                aria_label="SiiMOP Appariement, accueil",
            ),
            rx.cond(
                AppState.wave_name != "",
                rx.box(
                    rx.text(AppState.wave_name, color="white", weight="bold", id="wave-name"),
                    rx.text(AppState.wave_subtitle, color="#dbe4f0", size="2"),
                    padding_y="0.5em",
                ),
                rx.text("Aucune campagne en cours", color="#dbe4f0", size="2", id="wave-name"),
            ),
            rx.el.ul(
                rx.foreach(AppState.menu, lambda item: rx.el.li(_menu_item(item))),
                list_style_type="none",
                padding="0",
                margin="0",
                id="phase-menu",
            ),
            rx.divider(color_scheme="gray"),
            rx.foreach(
                AppState.other_interfaces,
                lambda other: rx.link("» " + other.label, href=other.href, color="white", size="2"),
            ),
            rx.link("Mon Profil", href=routes.PROFILE.path, color="white", size="2"),
            rx.link("Assistance", href=routes.SUPPORT.path, color="white", size="2", id="assistance-link"),
            rx.link("Mes tickets", href=routes.MY_TICKETS.path, color="white", size="2", id="my-tickets-menu"),
            # The help of the page the user is on: the path travels in the link.
            rx.link("Aide contextuelle", href=routes.HELP_FOR_PAGE + AppState.router.url.path, color="white", size="2",
                    id="help-link"),
            rx.button(
                "Se déconnecter",
                on_click=AppState.sign_out,
                variant="outline",
                color="white",
                size="2",
                id="sign-out",
            ),
            spacing="3",
            align="start",
        ),
        aria_label="Menu principal",
        id="main-menu",
        class_name="shell-sidebar",
        custom_attrs={"data-open": AppState.menu_open.to(str)},
        background=SIDEBAR_BG,
        padding="1.25em",
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.hstack(
            *[rx.link(label, href=href, size="1", color="#444") for label, href in FOOTER_LINKS],
            rx.cond(
                AppState.news_url != "",
                rx.link("Fil d'info SiiMOP Appariement", href=AppState.news_url, size="1", color="#444", is_external=True),
            ),
            spacing="4",
            wrap="wrap",
        ),
        padding="1em 2em",
        border_top="1px solid #ddd",
        width="100%",
    )


def shell(*content: rx.Component, title: str) -> rx.Component:
    """A signed-in page: side menu (folded behind a button on narrow screens), a main region with a
    title, the footer. The layout rules live in ``assets/siimop.css``."""
    return rx.box(
        rx.el.a("Aller au contenu", href="#main-content", class_name="skip-link"),
        sidebar(),
        rx.box(
            rx.el.header(
                rx.button(
                    rx.icon("menu", size=16),
                    "Menu",
                    on_click=AppState.toggle_menu,
                    variant="soft",
                    size="2",
                    class_name="shell-menu-button",
                    aria_controls="main-menu",
                    aria_expanded=AppState.menu_open.to(str),
                    id="menu-button",
                ),
                rx.spacer(),
                rx.text(AppState.user_name, size="2", color="#333", id="user-name"),
                display="flex",
                align_items="center",
                gap="1em",
                width="100%",
                padding="0.75em 1em",
                border_bottom="1px solid #eee",
            ),
            rx.el.main(
                rx.heading(title, size="7", as_="h1", margin_bottom="0.75em"),
                *content,
                class_name="shell-main",
                id="main-content",
                tab_index=-1,
            ),
            footer(),
            class_name="shell-content",
        ),
        class_name="shell",
    )


def public_page(*content: rx.Component) -> rx.Component:
    """A page before sign-in: centred card on a light background, in the page's main landmark."""
    return rx.el.main(rx.center(
        rx.card(
            rx.vstack(
                rx.heading("SiiMOP Appariement", size="7", as_="h1", color=SIDEBAR_BG),
                *content,
                spacing="4",
                align="start",
            ),
            max_width="36em",
            width="100%",
            padding="2em",
        ),
        min_height="calc(100vh - 4em)",
        background="#f3f5f9",
        padding="1em",
    ), footer(), id="main")


def open_page(*content: rx.Component, title: str) -> rx.Component:
    """A page for everyone (load it with ``AppState.enter_public``): in the app's shell when signed in,
    a public card otherwise."""
    return rx.cond(
        AppState.user_name != "",
        shell(*content, title=title),
        public_page(rx.heading(title, size="5", as_="h2"), *content),
    )
