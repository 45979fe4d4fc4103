"""The notice a user sees while the browser reconnects to the server (a worker replaced, a network blip).

Replaces Reflex's default overlay (an English error toast naming the socket's URL): the reconnection is automatic
and saved changes are safe, so the notice is calm, short, French and announced politely to screen readers.
"""

from __future__ import annotations

import reflex as rx
from reflex_components_core.core.banner import has_too_many_connection_errors

RECONNECTING = "Connexion au serveur interrompue — reconnexion en cours… Vos modifications déjà enregistrées sont conservées."


def reconnection_notice() -> rx.Component:
    # Two failed attempts in a row, as Reflex's own toast: a single quick reconnection stays invisible.
    return rx.cond(
        has_too_many_connection_errors,
        rx.el.div(RECONNECTING, id="reconnexion", role="status", aria_live="polite", class_name="reconnection-notice"),
    )
