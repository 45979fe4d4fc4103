"""Importer des données: a manager (their region) or an admin uploads a students, posts or staff file, reads the
preview (counts, every error, the changes, the rows absent from the file), then applies it and gets a receipt."""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from siimop_app import routes
from siimop_app.domain.roles import Role
from siimop_app.domain.import_rules import FORMATS, KIND_LABELS, KINDS
from siimop_app.ui.backend import backend_url
from siimop_app.imports.reading import MAX_BYTES
from siimop_app.services import imports
from siimop_app.services.access import AccessDenied
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout, invalid_field
from siimop_app.ui.shell import shell

log = logging.getLogger(__name__)

UPLOAD_ID = "import-upload"
SHOWN_ERRORS = 500  # the page lists this many errors; the command line prints them all
SHOWN_LINES = 200


class ManagerImportsState(AppState):
    kind: str = "students"
    filename: str = ""
    description: str = ""
    wave_name: str = ""
    counts: imports.ImportCounts = imports.NO_COUNTS
    errors: list[str] = []
    error_count: int = 0
    changes: list[str] = []
    absent_rows: list[str] = []
    deactivate: bool = False
    busy: bool = False
    receipt: str = ""
    error: str = ""
    file_refused: bool = False  # the error is about the file dropped (aria-invalid on the drop zone)
    _pending: str = ""

    def _clear_preview(self) -> None:
        imports.drop_pending(self._pending)
        self._pending = ""
        self.filename = self.description = self.wave_name = ""
        self.counts, self.errors, self.error_count, self.changes, self.absent_rows = imports.NO_COUNTS, [], 0, [], []
        self.deactivate = False

    @rx.event
    def load(self):
        self.error = self.receipt = ""
        self.file_refused = False
        self._clear_preview()
        _, redirect = self._enter(Role.MANAGER, *routes.IMPORTS.roles)
        if redirect:
            return redirect

    @rx.event
    def set_kind(self, kind: str):
        if kind in KINDS:
            self.kind = kind
            self.error = self.receipt = ""
            self._clear_preview()

    @rx.event
    def set_deactivate(self, value: bool):
        self.deactivate = bool(value)

    def _show(self, report: imports.ImportReport) -> None:
        self.filename, self.description, self.wave_name = report.filename, report.file_description, report.wave_name
        self.counts = report.counts()
        self.error_count = len(report.errors)
        self.errors = report.errors[:SHOWN_ERRORS]
        self.changes = report.changes[:SHOWN_LINES]
        self.absent_rows = report.absent_rows[:SHOWN_LINES]

    @rx.event
    async def preview(self, files: list[rx.UploadFile]):
        self.error = self.receipt = ""
        self.file_refused = False
        self._clear_preview()
        if not files:
            return
        try:
            actor = imports.actor_for(self._require(*imports.IMPORT_ROLES))
        except AccessDenied as denied:
            self.error = str(denied)
            return
        upload = files[0]
        data = await upload.read(MAX_BYTES + 1)  # one byte more: enough to refuse a file over the limit
        filename = upload.filename or ""
        kind = self.kind
        self.busy = True
        yield
        try:
            # The check runs in a worker thread: a national file takes seconds, other users must not wait.
            report = await asyncio.get_running_loop().run_in_executor(
                None, lambda: imports.run_import(kind, data, filename, actor=actor, apply=False))
            self._show(report)
            if report.ok:
                self._pending = imports.save_pending(data, filename)
        except imports.ImportRefused as refused:
            self.error = str(refused)
            self.file_refused = True
        except Exception:
            log.exception("import preview of %r failed", filename)
            self.error = "La vérification du fichier a échoué ; rien n'a été enregistré. Réessayez."
        finally:
            self.busy = False

    @rx.event
    async def apply(self):
        self.error = self.receipt = ""
        try:
            actor = imports.actor_for(self._require(*imports.IMPORT_ROLES))
        except AccessDenied as denied:
            self.error = str(denied)
            return
        data = imports.load_pending(self._pending)
        if data is None:
            self.error = "Déposez de nouveau le fichier : son aperçu n'est plus disponible."
            return
        kind, filename, deactivate = self.kind, self.filename, self.deactivate
        self.busy = True
        yield
        try:
            report = await asyncio.get_running_loop().run_in_executor(
                None, lambda: imports.run_import(kind, data, filename, actor=actor, apply=True,
                                                 deactivate_absent=deactivate))
        except imports.ImportRefused as refused:
            self.error = str(refused)
            self.busy = False
            return
        except Exception:
            # E.g. another import of the same rows committed first: this one rolled back entirely.
            log.exception("import of %r failed", filename)
            self.error = "L'import a échoué ; rien n'a été enregistré. Déposez de nouveau le fichier."
            self.busy = False
            return
        self.busy = False
        if not report.ok:  # the database changed since the preview: show what is true now
            self._clear_preview()
            self._show(report)
            self.error = "Le fichier n'a pas été appliqué : la base a changé depuis l'aperçu (voir les erreurs)."
            return
        self._clear_preview()
        self.receipt = (f"Import n° {report.batch_id} appliqué : {report.filename} (empreinte SHA-256 "
                        f"{report.sha256[:16]}…). {report.counts_text()}.")

    @rx.event
    def file_rejected(self, rejected: list[dict]):
        self.error = "Déposez un seul fichier .csv ou .xlsx de 20 Mo au plus."
        self.file_refused = True


def _kind_choice() -> rx.Component:
    return rx.hstack(
        rx.text("Type de fichier :", weight="bold"),
        rx.select.root(
            rx.select.trigger(aria_label="Type de fichier", id="import-kind"),
            rx.select.content(*[rx.select.item(KIND_LABELS[k], value=k) for k in KINDS]),
            value=ManagerImportsState.kind,
            on_change=ManagerImportsState.set_kind,
        ),
        rx.match(
            ManagerImportsState.kind,
            *[(k, rx.link("Télécharger le modèle (Excel)", href=backend_url(imports.template_path(k)), is_external=True,
                          id=f"template-{k}")) for k in KINDS],
        ),
        spacing="3",
        align="center",
        wrap="wrap",
    )


def _columns_help() -> rx.Component:
    return rx.match(
        ManagerImportsState.kind,
        *[(k, rx.text("Colonnes : " + ", ".join(
            f"« {c.header} »" + ("*" if c.required else "") for c in FORMATS[k]) + " (* obligatoire).",
            size="2", color="#555")) for k in KINDS],
    )


def _count(label: str, key: str) -> rx.Component:
    return rx.card(rx.vstack(rx.text(getattr(ManagerImportsState.counts, key).to(str), size="5", weight="bold",
                                     color="#1d3557"),
                             rx.text(label, size="2"), spacing="1"), min_width="10em", id=f"import-count-{key}")


def _lines(title: str, items, element_id: str) -> rx.Component:
    return rx.cond(
        items.length() > 0,
        rx.el.details(
            rx.el.summary(title),
            rx.el.ul(rx.foreach(items, lambda line: rx.el.li(line)), style={"font-size": "0.9em"}),
            id=element_id,
        ),
    )


def _preview() -> rx.Component:
    s = ManagerImportsState
    return rx.cond(
        s.filename != "",
        rx.vstack(
            rx.heading("Aperçu de « " + s.filename + " »", size="4", as_="h2"),
            rx.text(s.description, rx.cond(s.wave_name != "", " — postes de la " + s.wave_name, ""), size="2",
                    color="#555"),
            rx.cond(
                s.error_count > 0,
                rx.vstack(
                    rx.callout(s.error_count.to(str) + " erreur(s) : rien ne sera enregistré. Corrigez le fichier "
                               "puis déposez-le de nouveau.", icon="triangle-alert", color_scheme="red",
                               role="alert", id="import-errors-title"),
                    rx.el.ul(rx.foreach(s.errors, lambda line: rx.el.li(line)), id="import-errors",
                             style={"font-size": "0.9em"}),
                    rx.cond(s.error_count > SHOWN_ERRORS,
                            rx.text(f"Seules les {SHOWN_ERRORS} premières erreurs sont affichées ; la commande "
                                    "python -m siimop_app.imports les liste toutes.", size="2")),
                    width="100%",
                ),
                rx.vstack(
                    rx.hstack(_count("lignes", "rows"), _count("nouvelles", "new"), _count("modifiées", "changed"),
                              _count("inchangées", "unchanged"), _count("en base, absentes du fichier", "absent"),
                              wrap="wrap", spacing="3"),
                    _lines("Modifications", s.changes, "import-changes"),
                    _lines("Présentes en base mais absentes du fichier (jamais supprimées)", s.absent_rows,
                           "import-absent"),
                    rx.cond(
                        s.counts.absent > 0,
                        rx.checkbox("Désactiver les lignes absentes du fichier (étudiants : ne participent plus ; "
                                    "postes : 0 place ; personnel : rôle retiré)",
                                    checked=s.deactivate, on_change=s.set_deactivate, id="import-deactivate"),
                    ),
                    rx.button("Appliquer", on_click=s.apply, loading=s.busy, id="import-apply"),
                    spacing="3",
                    align="start",
                    width="100%",
                ),
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
    )


def manager_imports_page() -> rx.Component:
    s = ManagerImportsState
    return shell(
        rx.text("Chargez les fichiers des facultés et de l'ARS (CSV ou Excel, 20 Mo au plus). Un aperçu montre ce "
                "qui changera et toutes les erreurs ; rien n'est enregistré avant « Appliquer », et un fichier "
                "comportant une erreur n'est jamais appliqué.", size="2", color="#555"),
        _kind_choice(),
        _columns_help(),
        error_callout(s.error, "import-error"),
        rx.cond(s.receipt != "", rx.callout(s.receipt, icon="check", color_scheme="green", id="import-receipt",
                                            role="status")),
        rx.upload.root(
            rx.vstack(
                rx.text("Déposez le fichier ici ou cliquez pour le choisir", weight="bold"),
                rx.text(".csv ou .xlsx", size="1", color="#555"),
                align="center",
            ),
            id=UPLOAD_ID,
            accept={"text/csv": [".csv"],
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"]},
            multiple=False,
            max_files=1,
            max_size=MAX_BYTES,
            on_drop=s.preview(rx.upload_files(upload_id=UPLOAD_ID)),
            on_drop_rejected=s.file_rejected,
            # Passed on to the file input by assets/a11y.js: the refusal, or the title of the file's errors.
            **invalid_field(s.file_refused | (s.error_count > 0),
                            rx.cond(s.file_refused, "import-error", "import-errors-title")),
            border="2px dashed #9aa",
            padding="1.5em",
            width="100%",
            cursor="pointer",
        ),
        rx.cond(s.busy, rx.hstack(rx.spinner(), rx.text("Vérification du fichier…"), role="status")),
        _preview(),
        rx.link("Historique des imports", href=routes.IMPORT_HISTORY.path),
        title="Importer des données",
    )
