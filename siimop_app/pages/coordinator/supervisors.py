"""Gestion des responsables des terrains de stage, for coordinators, managers and admins (``/coordonnateur/responsables``).

The supervisors (RTS) of the posts of the user's scope, filtered, sorted and paged by the database
(``services.supervisor_table``): only the visible page lives in the state. Below the table, the fill rates
of the scope by specialty and by subdivision (``services.fill_rates``), as charts with their tables.
Every handler re-reads the session; the services re-check the role and the scope.
"""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.services import auth, fill_rates, supervisor_table
from siimop_app.services.table_kit import ALL, Table
from siimop_app.states.filtered_table import KitTable
from siimop_app.states.session import AppState
from siimop_app.ui.charts import chart_height, fill_rate_chart
from siimop_app.ui.data_table import table_section
from siimop_app.ui.shell import shell

PAGE_SIZE = supervisor_table.TABLE.page_size


class SupervisorTableState(KitTable, AppState):
    rows: list[supervisor_table.SupervisorLine] = []
    sort: str = supervisor_table.DEFAULT_SORT
    f_region: str = ALL
    f_subdivision: str = ALL
    f_specialty: str = ALL
    by_specialty: list[fill_rates.FillRate] = []
    by_subdivision: list[fill_rates.FillRate] = []

    def _table(self) -> Table:
        return supervisor_table.TABLE

    def _page(self) -> routes.Page:
        return routes.SUPERVISOR_TABLE

    def _clear(self) -> None:
        KitTable._clear(self)
        self.by_specialty, self.by_subdivision = [], []

    def _more(self, user: auth.SignedInUser, filters: dict[str, str]) -> None:
        rates = fill_rates.fill_rates(user, filters)
        self._assign(by_specialty=rates.specialties, by_subdivision=rates.subdivisions)

    @rx.var
    def specialty_chart_height(self) -> int:
        return chart_height(len(self.by_specialty))

    @rx.var
    def subdivision_chart_height(self) -> int:
        return chart_height(len(self.by_subdivision))


# ------------------------------------------------------------------ view
def supervisor_table_page() -> rx.Component:
    s = SupervisorTableState
    return shell(
        rx.heading("Gestion des responsables des terrains de stage", as_="h2", size="5"),
        table_section(s, supervisor_table.TABLE, intro=[
            rx.text("Statistiques de la campagne en cours", weight="bold"),
            rx.text("Classements valides : postes dont le responsable est référent, tour en cours.", size="2",
                    color="#555"),
        ]),
        rx.heading("Taux de remplissage des postes", as_="h2", size="4", margin_top="1em"),
        rx.text("Places affectées / places ouvertes, pour les postes de votre périmètre et des filtres choisis.",
                size="2", color="#555"),
        rx.flex(
            rx.box(fill_rate_chart(s.by_specialty, s.specialty_chart_height,
                                   title="Taux de remplissage par spécialité", first_header="Spécialité",
                                   element_id="fill-by-specialty"), flex="1 1 28em", min_width="0"),
            rx.box(fill_rate_chart(s.by_subdivision, s.subdivision_chart_height,
                                   title="Taux de remplissage par subdivision", first_header="Subdivision",
                                   element_id="fill-by-subdivision"), flex="1 1 28em", min_width="0"),
            wrap="wrap",
            gap="4",
            width="100%",
        ),
        title="Suivi des responsables des terrains de stage",
    )
