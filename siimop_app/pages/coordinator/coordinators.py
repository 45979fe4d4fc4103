"""Gestion des coordonnateurs, for coordinators, managers and admins (``/coordonnateur/coordonnateurs``).

The coordinators whose area overlaps the user's scope (``services.coordinator_table``), one row per area,
filtered, sorted and paged by the database; the export links carry the current filters.
"""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.services import coordinator_table
from siimop_app.services.table_kit import ALL, Table
from siimop_app.states.filtered_table import KitTable
from siimop_app.states.session import AppState
from siimop_app.ui.data_table import table_section
from siimop_app.ui.shell import shell


class CoordinatorTableState(KitTable, AppState):
    rows: list[coordinator_table.CoordinatorLine] = []
    sort: str = coordinator_table.DEFAULT_SORT
    f_region: str = ALL
    f_subdivision: str = ALL
    f_specialty: str = ALL

    def _table(self) -> Table:
        return coordinator_table.TABLE

    def _page(self) -> routes.Page:
        return routes.COORDINATOR_TABLE


def coordinator_table_page() -> rx.Component:
    return shell(
        rx.heading("Gestion des coordonnateurs", as_="h2", size="5"),
        table_section(CoordinatorTableState, coordinator_table.TABLE),
        title="Coordonnateurs de votre périmètre",
    )
