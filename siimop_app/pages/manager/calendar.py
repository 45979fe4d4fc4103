"""Calendrier de la campagne: managers set each phase's dates (first day 00:00 to last day 23:59, Paris)."""

from __future__ import annotations

import logging

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import Role
from siimop_app.services import calendar_admin
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout
from siimop_app.ui.shell import shell
from siimop_app.validation import require_id

log = logging.getLogger(__name__)


class ManagerCalendarState(AppState):
    phases: list[calendar_admin.PhaseLine] = []
    error: str = ""
    saved: str = ""

    @rx.event
    def load(self):
        self.error = self.saved = ""
        user, redirect = self._enter(Role.MANAGER, *routes.MANAGER_CALENDAR.roles)
        if redirect:
            return redirect
        self.phases = calendar_admin.list_phases(user)

    @rx.event
    def save(self, form: dict):
        self.error = self.saved = ""
        try:
            user = self._require(*calendar_admin.CALENDAR_ROLES)
            phase_id = require_id(form.get("phase_id"), "Phase inconnue.")
            calendar_admin.set_phase_dates(user, phase_id, str(form.get("starts_on", "")), str(form.get("ends_on", "")))
            self.phases = calendar_admin.list_phases(user)
            self.saved = "Les dates ont été enregistrées."
        except UserError as refused:
            log.warning("calendar change refused: %s (%r)", refused, form)
            self.error = str(refused)


def _row(phase: calendar_admin.PhaseLine) -> rx.Component:
    form_id = "phase-" + phase.id.to(str)
    return rx.table.row(
        rx.table.cell(phase.label),
        rx.table.cell(phase.round),
        rx.table.cell(
            rx.input(type="date", name="starts_on", default_value=phase.starts_on, form=form_id,
                     aria_label="Début : " + phase.label + " " + phase.round),
        ),
        rx.table.cell(
            rx.input(type="date", name="ends_on", default_value=phase.ends_on, form=form_id,
                     aria_label="Fin : " + phase.label + " " + phase.round),
        ),
        rx.table.cell(
            rx.el.form(
                rx.el.input(type="hidden", name="phase_id", value=phase.id.to(str)),
                rx.button("Enregistrer", type="submit", size="1"),
                id=form_id,
                on_submit=ManagerCalendarState.save,
            ),
        ),
        key=phase.id.to(str) + phase.starts_on + phase.ends_on,
    )


def manager_calendar_page() -> rx.Component:
    return shell(
        rx.text("Chaque phase est ouverte de son premier jour à 00h00 jusqu'à son dernier jour à 23h59, heure de Paris.",
                size="2", color="#555"),
        error_callout(ManagerCalendarState.error, "calendar-error"),
        rx.cond(ManagerCalendarState.saved != "",
                rx.callout(ManagerCalendarState.saved, icon="check", color_scheme="green", id="calendar-saved")),
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell("Phase"),
                rx.table.column_header_cell("Tour"),
                rx.table.column_header_cell("Premier jour"),
                rx.table.column_header_cell("Dernier jour (23h59)"),
                rx.table.column_header_cell(rx.el.span("Actions", class_name="sr-only")),
            )),
            rx.table.body(rx.foreach(ManagerCalendarState.phases, _row)),
            id="calendar-table",
        ),
        title="Calendrier de la campagne",
    )
