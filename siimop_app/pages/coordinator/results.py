"""Résultats (seed: "Affectations" of the coordinator's journey), for coordinators, managers and admins.

The published assignments of the user's scope (scope on the student), filtered, sorted
and paged by the database: only the visible page (50 rows) lives in the state. The
export links point at the authenticated backend route with the current filters.
"""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.services import result_table
from siimop_app.services.overview import Choice
from siimop_app.services.table_kit import ALL, Table
from siimop_app.states.filtered_table import KitTable
from siimop_app.states.session import AppState
from siimop_app.ui.data_table import table_section
from siimop_app.ui.shell import shell

PAGE_SIZE = result_table.TABLE.page_size


class ResultTableState(KitTable, AppState):
    rows: list[result_table.ResultLine] = []
    sort: str = result_table.DEFAULT_SORT
    f_wave: str = ALL
    f_round: str = ALL
    f_region: str = ALL
    f_subdivision: str = ALL
    f_specialty: str = ALL
    f_method: str = ALL
    waves: list[Choice] = []
    rounds: list[Choice] = []

    def _table(self) -> Table:
        return result_table.TABLE

    def _page(self) -> routes.Page:
        return routes.RESULT_TABLE


# ------------------------------------------------------------------ view
def result_table_page() -> rx.Component:
    s = ResultTableState
    return shell(
        rx.heading("Résultats", as_="h2", size="5"),
        table_section(
            s, result_table.TABLE,
            intro=[rx.text("Résultats publiés des tours d'appariement", weight="bold"),
                   rx.text("Affiner les statistiques par l'usage des filtres.", size="2", color="#555")],
            empty="Aucun résultat publié ne correspond à ces critères.",
        ),
        title="Résultats",
    )
