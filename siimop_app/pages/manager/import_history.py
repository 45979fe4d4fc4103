"""Historique des imports: who loaded which file when, its digest and counts, and the stored file."""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.domain.roles import Role
from siimop_app.ui.backend import backend_url
from siimop_app.services import imports
from siimop_app.states.session import AppState
from siimop_app.ui.shell import shell


class ImportHistoryState(AppState):
    batches: list[imports.ImportBatchLine] = []

    @rx.event
    def load(self):
        user, redirect = self._enter(Role.MANAGER, *routes.IMPORT_HISTORY.roles)
        if redirect:
            return redirect
        self.batches = imports.history(user)


def _row(b: imports.ImportBatchLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(b.id),
        rx.table.cell(b.at),
        rx.table.cell(b.who),
        rx.table.cell(b.kind_label),
        rx.table.cell(rx.cond(b.href != "",
                              rx.link(b.filename, href=backend_url(b.href), is_external=True),
                              rx.text(b.filename))),
        rx.table.cell(rx.el.code(b.digest, title=b.sha256)),
        rx.table.cell(b.rows),
        rx.table.cell(b.new),
        rx.table.cell(b.changed),
        rx.table.cell(b.unchanged),
        rx.table.cell(b.absent),
        rx.table.cell(b.deactivated),
        class_name="import-batch",
    )


def import_history_page() -> rx.Component:
    headers = ("N°", "Date", "Par", "Type", "Fichier", "Empreinte SHA-256", "Lignes", "Nouvelles", "Modifiées",
               "Inchangées", "Absentes", "Désactivées")
    return shell(
        rx.text("Chaque import appliqué, depuis l'interface ou la ligne de commande. Le fichier d'un import se "
                "télécharge par un administrateur ou par le gestionnaire qui l'a chargé.", size="2", color="#555"),
        rx.cond(
            ImportHistoryState.batches.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                rx.table.body(rx.foreach(ImportHistoryState.batches, _row)),
                id="import-history",
            ),
            rx.text("Aucun import n'a encore été appliqué.", id="import-history-empty"),
        ),
        rx.link("Importer des données", href=routes.IMPORTS.path),
        title="Historique des imports",
    )
