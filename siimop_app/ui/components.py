"""Shared components. They take plain values or Vars, never a state."""

from __future__ import annotations

import reflex as rx


def post_card(card: rx.Var) -> rx.Component:
    """The seed's "Carte Terrain de stage" (its 12 numbered fields, in its order); a link when it has an "href".

    ``card`` is a ``PostCard``, or a dict with its fields (Mes vœux's draft rows)."""
    return rx.cond(
        card.href,
        rx.link(_post_card(card), href=card.href.to(str), underline="none", color="inherit", width="100%",
                class_name="post-card-link"),
        _post_card(card),
    )


def _post_card(card: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(card.specialty, weight="bold"),
                rx.text(card.option, color="#555"),
                rx.badge(card.type_and_access, color_scheme="blue"),
                rx.text(card.duration),
                rx.text("n° ", card.post_number.to(str)),
                rx.cond(card.decale, rx.badge("Décalé", color_scheme="orange")),
                wrap="wrap",
                spacing="3",
                align="center",
            ),
            rx.text(card.site_name, weight="bold", size="4"),
            rx.cond(card.indication != "", rx.text(card.indication, color="#444")),
            rx.text(card.establishment),
            rx.text(card.supervisor),
            rx.text(card.subdivision),
            rx.text(card.places_text, weight="bold", color="#1d3557"),
            spacing="1",
            align="start",
        ),
        width="100%",
        class_name="post-card",
    )


def labelled_value(label: str, value) -> rx.Component:
    return rx.hstack(rx.text(label, weight="bold", min_width="min(17em, 100%)"), rx.text(value), spacing="3",
                     wrap="wrap")


def error_callout(message: rx.Var, element_id: str) -> rx.Component:
    """The error of a page or a form, announced by screen readers: the live region (role="alert") is in the
    page from its first paint and only its content changes — a region inserted along with its message is
    not announced by every screen reader. ``element_id`` names the message itself (for ``aria-describedby``)."""
    return rx.box(
        rx.cond(message != "", rx.callout(message, icon="triangle-alert", color_scheme="red", id=element_id)),
        role="alert",
        id=element_id + "-live",
        width="100%",
        class_name="error-live",
    )


def error_list(messages: rx.Var, element_id: str) -> rx.Component:
    """Several errors about one form (e.g. a record checked like an import), as a list in a live region
    present from the first paint, like ``error_callout``."""
    return rx.box(
        rx.cond(messages.length() > 0,
                rx.el.ul(rx.foreach(messages, lambda message: rx.el.li(message)), id=element_id,
                         style={"color": "var(--red-11)"})),
        role="alert",
        id=element_id + "-live",
        class_name="error-live",
    )


def invalid_field(in_error, message_id) -> dict:
    """The props that tie a form field to the error about it (WCAG 3.3.1, RGAA 11.10): ``aria-invalid``, and
    ``aria-describedby`` naming the message shown by ``error_callout(..., message_id)``, read with the field."""
    return {"aria_invalid": rx.cond(in_error, "true", "false"),
            "aria_describedby": rx.cond(in_error, message_id, None)}


def confirm_dialog(*, open_, title, text, on_confirm, on_open_change, confirm_label: str = "Confirmer") -> rx.Component:
    """The question asked before an irreversible or consequential action: it says what will happen."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(text, id="confirm-text"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Annuler", variant="soft", color_scheme="gray", id="confirm-no")),
                rx.alert_dialog.action(rx.button(confirm_label, on_click=on_confirm, color_scheme="red",
                                                 id="confirm-yes")),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
        ),
        open=open_,
        on_open_change=on_open_change,
    )


def notice(*children: rx.Component, icon: str, **props) -> rx.Component:
    """A callout holding components. ``rx.callout(component)`` puts them in a <p>, and a <p> or <div>
    inside a <p> is invalid HTML that React reports as a hydration error."""
    return rx.callout.root(rx.callout.icon(rx.icon(icon)), rx.box(*children), **props)


def progress_status(running, label, value, *, label_id: str) -> rx.Component:
    """The progress of a long background action (closing a round, a simulation), announced to screen readers."""
    return rx.cond(
        running,
        rx.vstack(
            rx.text(label, id=label_id),
            rx.progress(value=value, max=100, width="100%"),
            width="100%",
            role="status",
        ),
    )


def correction_form(*, summary: str, columns: list[tuple[str, str]], values: rx.Var, key_column: str, on_submit,
                    version: rx.Var, errors: rx.Var, invalid: rx.Var, prefix: str, element_id: str,
                    note: str = "") -> rx.Component:
    """One record in a form with an import's columns (a student, a post): the key column read-only, the errors
    of the import's checks listed under it and tied to the fields they name (``invalid``: their keys);
    ``version`` remounts the form with the values now stored."""
    return rx.el.details(
        rx.el.summary(summary),
        rx.form(
            rx.vstack(
                *[rx.hstack(rx.el.label(header, html_for=f"{prefix}-{key}", min_width="14em"),
                            rx.input(name=key, default_value=values[key], read_only=key == key_column,
                                     id=f"{prefix}-{key}", width="22em", max_width="100%",
                                     **invalid_field(invalid.contains(key), f"{prefix}-errors")),
                            align="center", wrap="wrap")
                  for key, header in columns],
                *([rx.text(note, size="1", color="#555")] if note else []),
                rx.button("Enregistrer la correction", type="submit", id=f"{prefix}-save"),
                spacing="1",
                align="start",
            ),
            on_submit=on_submit,
            key=version.to(str),
        ),
        error_list(errors, f"{prefix}-errors"),
        id=element_id,
    )
