"""Mon dossier: the student's identity, presentation text and documents (CV, lettre, contrat de formation).

The file can change while the "student_files" or the "wishes" phase is open
(``services.student_file``, which checks the phase and the owner at every change); a new
PDF of a kind replaces the previous one. Supervisors of the posts the student applied
to read it during the ranking phase.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import Role
from siimop_app.ui.backend import backend_url
from siimop_app.services import calendar, documents, overview, student_file
from siimop_app.services.access import AccessDenied
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout, labelled_value
from siimop_app.ui.shell import shell

UPLOAD_IDS = {kind: f"upload-{kind.replace('_', '-')}" for kind in documents.STUDENT_KINDS}


class StudentHomeState(AppState):
    summary: overview.StudentSummary = overview.StudentSummary()
    has_summary: bool = False  # a student record is attached to the account
    presentation: str = ""
    presentation_draft: str = ""
    editing: bool = False
    file_docs: list[student_file.DocumentSlot] = []
    file_editable: bool = False
    error: str = ""
    notice: str = ""

    # The load and every change run their session check and database work in a thread (``asyncio.to_thread``, as
    # the ranking moves): the worker's event loop serves its other clients meanwhile; this client's state is held by
    # its event until it returns. Each assigns only the vars whose value changed (``_assign``).
    def _forget(self) -> None:
        self._assign(summary=overview.StudentSummary(), has_summary=False, file_docs=[], presentation="",
                     file_editable=False)

    def _load_file(self, user) -> None:
        found = student_file.student_file(user)
        self._assign(presentation=found.presentation, file_docs=list(found.documents), file_editable=found.editable)

    @rx.event
    async def load(self):
        return await asyncio.to_thread(self._load_once)

    def _load_once(self):
        with calendar.read_once():  # the shell and the file's phase: one calendar read
            return self._load()

    def _load(self):
        self._assign(editing=False, error="", notice="")
        user, redirect = self._enter(Role.STUDENT, *routes.STUDENT_HOME.roles)
        if redirect:
            self._forget()
            return redirect
        found = overview.student_summary(user_id=user.user_id)
        if found is None:
            self._forget()
            return None
        self._assign(summary=found, has_summary=True)
        self._load_file(user)
        return None

    async def _act(self, action) -> None:
        await asyncio.to_thread(self._act_once, action)

    def _act_once(self, action) -> None:
        self._assign(error="", notice="")
        try:
            user = self._require(Role.STUDENT)
        except AccessDenied as denied:
            self._forget()
            self.error = str(denied)
            return
        with calendar.read_once():  # the change's phase check and the file's: one calendar read
            try:
                self._assign(notice=action(user))
            except UserError as refused:
                self.error = str(refused)
            try:
                self._load_file(user)
            except AccessDenied as denied:
                self.error = str(denied)

    @rx.event
    def start_editing(self):
        self.presentation_draft = self.presentation
        self.editing = True

    @rx.event
    def cancel_editing(self):
        self.editing = False
        self.presentation_draft = ""

    @rx.event
    def set_presentation_draft(self, value: str):
        self.presentation_draft = value[: student_file.MAX_PRESENTATION_CHARS + 1]

    @rx.event
    async def save_presentation(self, form: dict | None = None):
        text = (form or {}).get("presentation", self.presentation_draft)

        def action(user):
            student_file.save_presentation(user, text)
            self._assign(editing=False)
            return "Votre texte de présentation a été enregistré."

        await self._act(action)

    async def _upload(self, kind: str, files: list[rx.UploadFile]):
        if not files:
            return
        upload = files[0]
        data = await upload.read(documents.MAX_PDF_BYTES + 1)
        filename = upload.filename or ""

        def action(user):
            student_file.upload_document(user, kind, filename, data)
            return f"{documents.KIND_LABELS[kind]} : le document a été enregistré."

        await self._act(action)

    @rx.event
    async def upload_cv(self, files: list[rx.UploadFile]):
        await self._upload("cv", files)

    @rx.event
    async def upload_cover_letter(self, files: list[rx.UploadFile]):
        await self._upload("cover_letter", files)

    @rx.event
    async def upload_training_contract(self, files: list[rx.UploadFile]):
        await self._upload("training_contract", files)

    @rx.event
    def file_rejected(self, rejected: list[dict]):
        self.notice = ""
        self.error = documents.NOT_A_PDF


UPLOAD_HANDLERS = {
    "cv": StudentHomeState.upload_cv,
    "cover_letter": StudentHomeState.upload_cover_letter,
    "training_contract": StudentHomeState.upload_training_contract,
}


# ------------------------------------------------------------------- view
def _presentation() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Texte de présentation", size="4", as_="h2"),
            rx.cond(
                StudentHomeState.editing,
                rx.form(
                    rx.vstack(
                        rx.text_area(value=StudentHomeState.presentation_draft,
                                     on_change=StudentHomeState.set_presentation_draft, name="presentation",
                                     id="presentation-input", max_length=student_file.MAX_PRESENTATION_CHARS, rows="10",
                                     width="100%", aria_label="Texte de présentation"),
                        rx.text(StudentHomeState.presentation_draft.length().to(str),
                                f" / {student_file.MAX_PRESENTATION_CHARS} caractères", size="1", color="#555"),
                        rx.hstack(
                            rx.button("Enregistrer", type="submit", id="save-presentation"),
                            rx.button("Annuler", type="button", variant="outline",
                                      on_click=StudentHomeState.cancel_editing, id="cancel-presentation"),
                            spacing="2",
                        ),
                        width="100%",
                        align="start",
                    ),
                    on_submit=StudentHomeState.save_presentation,
                    width="100%",
                ),
                rx.vstack(
                    rx.cond(
                        StudentHomeState.presentation != "",
                        rx.text(StudentHomeState.presentation, white_space="pre-wrap", id="presentation-text"),
                        rx.text("Aucun texte de présentation", color="#777", font_style="italic",
                                id="presentation-text"),
                    ),
                    rx.cond(StudentHomeState.file_editable,
                            rx.button("Modifier mon texte", variant="soft", on_click=StudentHomeState.start_editing,
                                      id="edit-presentation")),
                    spacing="2",
                    align="start",
                ),
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        width="100%",
        id="student-presentation",
    )


def _document(index: int, kind: str) -> rx.Component:
    entry = StudentHomeState.file_docs[index]
    upload_id = UPLOAD_IDS[kind]
    return rx.table.row(
        rx.table.cell(rx.text(documents.KIND_LABELS[kind], weight="bold")),
        rx.table.cell(
            rx.cond(
                entry.deposited,
                rx.vstack(
                    rx.text(entry.filename, class_name="document-name"),
                    rx.text("Déposé le ", entry.uploaded, " · ", entry.size, size="1",
                            color="#555", class_name="document-date"),
                    rx.hstack(
                        rx.link("Aperçu", href=backend_url(entry.inline_path), is_external=True,
                                class_name="preview-document"),
                        rx.link("Télécharger", href=backend_url(entry.download_path), is_external=True,
                                class_name="download-document"),
                        spacing="4",
                    ),
                    spacing="1",
                    align="start",
                ),
                rx.text("Aucun document déposé", color="#777", font_style="italic", class_name="document-name"),
            ),
        ),
        rx.table.cell(
            rx.cond(
                StudentHomeState.file_editable,
                rx.upload.root(
                    rx.button(rx.cond(entry.deposited, "Remplacer", "Déposer"), " (PDF, 5 Mo max.)", variant="soft",
                              type="button", aria_label="Déposer le document : " + documents.KIND_LABELS[kind]),
                    id=upload_id,
                    accept={"application/pdf": [".pdf"]},
                    multiple=False,
                    max_files=1,
                    on_drop=UPLOAD_HANDLERS[kind](rx.upload_files(upload_id=upload_id)),
                    on_drop_rejected=StudentHomeState.file_rejected,
                    class_name="document-upload",
                ),
            ),
        ),
        id=f"document-{kind.replace('_', '-')}",
    )


def _documents() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Documents", size="4", as_="h2"),
            rx.cond(
                StudentHomeState.file_docs.length() == len(documents.STUDENT_KINDS),
                rx.table.root(
                    rx.table.body(*[_document(i, kind) for i, kind in enumerate(documents.STUDENT_KINDS)]),
                    width="100%",
                    id="student-documents",
                ),
            ),
            rx.cond(
                StudentHomeState.file_editable,
                rx.text("Vous pouvez modifier votre dossier jusqu'à la fin de la période des vœux. Les responsables "
                        "des postes que vous avez notés le consultent pendant le classement.", size="2", color="#555"),
                rx.text("La période de dépôt du dossier est fermée : votre dossier n'est plus modifiable.", size="2",
                        color="#555", id="file-closed"),
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        width="100%",
    )


def student_home_page() -> rx.Component:
    s = StudentHomeState.summary
    return shell(
        error_callout(StudentHomeState.error, "student-file-error"),
        rx.cond(StudentHomeState.notice != "",
                rx.callout(StudentHomeState.notice, icon="check", color_scheme="green", id="student-file-notice",
                           role="status")),
        rx.cond(
            StudentHomeState.has_summary,
            rx.vstack(
                rx.card(
                    rx.vstack(
                        labelled_value("Nom", s.full_name),
                        labelled_value("Numéro INE", s.ine),
                        labelled_value("Numéro interne", s.intern_number),
                        labelled_value("Spécialité", s.specialty),
                        labelled_value("Option", s.option),
                        labelled_value("Subdivision", s.subdivision),
                        labelled_value("Région", s.region),
                        labelled_value("Participation à la campagne", rx.cond(s.participating, "Oui", "Non")),
                        rx.cond(s.semestre_decale, rx.badge("Prise de poste décalée", color_scheme="orange")),
                        spacing="2",
                        align="start",
                    ),
                    id="student-summary",
                    width="100%",
                ),
                _presentation(),
                _documents(),
                spacing="4",
                width="100%",
            ),
            rx.text("Aucun dossier étudiant n'est rattaché à votre compte."),
        ),
        title="Mon dossier",
    )
