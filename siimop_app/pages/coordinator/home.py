"""Gestion des étudiants (seed: "Suivi des Docteurs Juniors et des candidatures"), for coordinators, managers, admins.

The students of the user's scope, filtered, sorted and paged by the database: only
the visible page (50 rows) lives in the state. The statistics of the filtered
students refresh by themselves every ~10 s while the page is open (a background
event started on load, bounded in time), so a coordinator watching during the
ranking window sees them move. The export links point at the authenticated
backend route with the current filters; a row's "Voir" opens the student's wishes.
"""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.models import STAFF_ROLES
from siimop_app.services import auth, calendar, overview, student_table
from siimop_app.services.table_kit import ALL, Table
from siimop_app.states.filtered_table import KitTable, live_statistics_of
from siimop_app.states.session import AppState
from siimop_app.ui.data_table import plain_header, statistic_tiles, table_section
from siimop_app.ui.shell import shell
from siimop_app.validation import parse_int

log = logging.getLogger(__name__)

PAGE_SIZE = student_table.TABLE.page_size
_statistics_for = live_statistics_of(student_table.TABLE)  # what the live refresh runs (tests call it)


class CoordinatorHomeState(KitTable, AppState):
    figures: list[overview.Figure] = []  # the headline figures of the whole scope
    rows: list[student_table.StudentLine] = []
    sort: str = student_table.DEFAULT_SORT
    f_region: str = ALL
    f_subdivision: str = ALL
    f_specialty: str = ALL
    f_participation: str = ALL
    f_affectation: str = ALL
    f_decale: str = ALL
    detail_open: bool = False
    detail: student_table.StudentWishes = student_table.NO_STUDENT
    detail_error: str = ""

    def _table(self) -> Table:
        return student_table.TABLE

    def _page(self) -> routes.Page:
        return routes.STUDENT_TABLE

    def _context(self) -> dict:
        return {"wave_round": student_table.current_round()}  # one read for the page and its statistics

    def _on_load(self, user: auth.SignedInUser) -> None:
        wave = calendar.current_wave()
        self._assign(detail_open=False, figures=overview.scope_figures(
            user_id=user.user_id, wave_id=wave.wave_id if wave else None,
            roles=tuple(role for role in STAFF_ROLES if role in user.roles)))

    @rx.event
    async def open_detail(self, student_id: int):
        # In a thread, as the table's events (KitTable): the session check and the student's wishes.
        await asyncio.to_thread(self._open_detail, student_id)

    def _open_detail(self, student_id) -> None:
        try:
            found = student_table.student_wishes_detail(self._require(*STAFF_ROLES), parse_int(student_id) or 0)
        except UserError:
            self._assign(detail=student_table.NO_STUDENT, detail_error=student_table.NOT_IN_SCOPE)
        else:
            self._assign(detail=found, detail_error="")
        self._assign(detail_open=True)

    @rx.event
    def set_detail_open(self, is_open: bool):
        self.detail_open = bool(is_open)


# ------------------------------------------------------------------ view
def _flag(value) -> rx.Component:
    return rx.cond(value == "oui", rx.text("oui", color="#1b5e20"), rx.text("non", color="#8a1c1c"))


def _detail_dialog() -> rx.Component:
    s = CoordinatorHomeState
    headers = ["Nom du terrain", "Numéro agrément", "Établissement", "Type de poste", "Responsable", "Durée",
               "Cœurs", "Rang de classement", "Résultat", "Tour"]
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Détail des choix du Docteur Junior"),
            rx.cond(
                s.detail_error != "",
                rx.callout(s.detail_error, color_scheme="red", icon="triangle-alert", role="alert"),
                rx.vstack(
                    rx.text(s.detail.name, " · INE ", s.detail.ine, " · ", s.detail.specialty, " · ",
                            s.detail.subdivision, weight="bold"),
                    rx.cond(
                        s.detail.wishes.length() > 0,
                        rx.box(rx.table.root(
                            rx.table.header(rx.table.row(*[plain_header(h) for h in headers])),
                            rx.table.body(rx.foreach(s.detail.wishes, lambda w: rx.table.row(
                                rx.table.cell(w.site), rx.table.cell(w.approval_number),
                                rx.table.cell(w.establishment), rx.table.cell(w.post_type),
                                rx.table.cell(w.supervisor), rx.table.cell(w.duration),
                                rx.table.cell(rx.text(w.hearts.to(str), " ♥", color="#c1121f")),
                                rx.table.cell(w.rank), rx.table.cell(w.result), rx.table.cell(w.round),
                            ))),
                            size="1",
                        ), overflow_x="auto"),
                        rx.text("Aucun vœu enregistré dans la campagne en cours."),
                    ),
                    spacing="3",
                ),
            ),
            rx.dialog.close(rx.button("Fermer", variant="soft", margin_top="1em", id="close-detail")),
            max_width="min(1200px, 95vw)",
            id="student-detail",
        ),
        open=s.detail_open,
        on_open_change=s.set_detail_open,
    )


def coordinator_home_page() -> rx.Component:
    s = CoordinatorHomeState
    return shell(
        rx.heading("Gestion des étudiants", as_="h2", size="5"),
        table_section(
            s, student_table.TABLE,
            intro=[rx.text("Pourcentages de la campagne en cours", weight="bold"),
                   rx.text("Affiner les statistiques par l'usage des filtres.", size="2", color="#555")],
            cells={"sufficient": lambda line: rx.table.cell(_flag(line.sufficient)),
                   "participating": lambda line: rx.table.cell(_flag(line.participating))},
            extra_headers=["Vœux"],
            extra_cells=lambda line: [rx.table.cell(rx.button(
                "Voir", size="1", variant="soft", on_click=CoordinatorHomeState.open_detail(line.id),
                aria_label="Voir les vœux de " + line.first_name + " " + line.last_name))],
        ),
        rx.text("Votre périmètre", weight="bold", margin_top="1em"),
        statistic_tiles(s.figures, element_id="scope-figures"),
        _detail_dialog(),
        title="Suivi des Docteurs Juniors et des candidatures",
    )
