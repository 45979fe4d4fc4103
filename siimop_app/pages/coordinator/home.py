"""The coordinator's home: headline statistics of their scope."""

from __future__ import annotations

import reflex as rx

from siimop_app.services import calendar, overview
from siimop_app.states.session import AppState
from siimop_app.ui.components import figure_tile
from siimop_app.ui.shell import shell


class CoordinatorHomeState(AppState):
    figures: list[dict[str, str]] = []

    @rx.event
    def load(self):
        user, redirect = self._enter("coordinator", "coordinator")
        if redirect:
            return redirect
        wave = calendar.current_wave()
        self.figures = overview.scope_figures(user_id=user.user_id, wave_id=wave.wave_id if wave else None, roles=("coordinator",)
        )


def coordinator_home_page() -> rx.Component:
    return shell(
        rx.text("Pourcentages de la campagne en cours", weight="bold"),
        rx.flex(rx.foreach(CoordinatorHomeState.figures, figure_tile), wrap="wrap", gap="3", id="scope-figures"),
        title="Suivi des Docteurs Juniors et des candidatures",
    )
