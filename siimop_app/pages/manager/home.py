"""The manager's (ARS / Scolarité) and admin's home: the wave's calendar and the figures of their scope."""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.domain.roles import Role
from siimop_app.models import MANAGER_ROLES
from siimop_app.services import calendar, overview
from siimop_app.states.session import AppState
from siimop_app.ui.data_table import statistic_tiles
from siimop_app.ui.shell import shell


class ManagerHomeState(AppState):
    figures: list[overview.Figure] = []
    phases: list[overview.PhaseRow] = []

    @rx.event
    def load(self):
        user, redirect = self._enter(Role.MANAGER, *routes.MANAGER_HOME.roles)
        if redirect:
            return redirect
        now = calendar.now()
        wave = calendar.current_wave(now)
        self.figures = overview.scope_figures(
            user_id=user.user_id, wave_id=wave.wave_id if wave else None, roles=MANAGER_ROLES
        )
        self.phases = overview.calendar_rows(wave, now)


def _phase_row(p: overview.PhaseRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(p.label),
        rx.table.cell(p.round),
        rx.table.cell(p.starts),
        rx.table.cell(p.ends),
        rx.table.cell(rx.cond(p.status != "", rx.badge(p.status, color_scheme="green"))),
    )


def manager_home_page() -> rx.Component:
    return shell(
        rx.heading("Calendrier de la vague", size="4", as_="h2"),
        rx.cond(
            ManagerHomeState.phases.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Phase"),
                        rx.table.column_header_cell("Tour"),
                        rx.table.column_header_cell("Début"),
                        rx.table.column_header_cell("Fin (heure de Paris)"),
                        rx.table.column_header_cell("État"),
                    )
                ),
                rx.table.body(rx.foreach(ManagerHomeState.phases, _phase_row)),
                id="wave-calendar",
            ),
            rx.text("Aucune campagne n'est ouverte aujourd'hui."),
        ),
        rx.heading("Pourcentages de la campagne en cours", size="4", as_="h2", margin_top="1em"),
        statistic_tiles(ManagerHomeState.figures, element_id="scope-figures"),
        title="Tableau de bord gestionnaire",
    )
