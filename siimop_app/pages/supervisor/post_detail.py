"""Mes postes, one post in detail (seed: "Détail du terrain de stage"): description and descriptive file.

Every handler re-reads the session and goes through ``services.post_details``, which
checks that the user supervises the post, is its référent, and that the "posts" phase
is open: the editing controls shown only to the référent are a convenience, not the
protection.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import Role
from siimop_app.ui.backend import backend_url
from siimop_app.services import calendar, documents, post_details
from siimop_app.services.access import AccessDenied
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout, notice, post_card
from siimop_app.ui.shell import shell
from siimop_app.validation import parse_id

UPLOAD_ID = "descriptive-file-upload"
BAD_POST = "Ce poste ne fait pas partie de vos postes."


class PostDetailState(AppState):
    detail: post_details.SupervisedPost = post_details.NO_POST
    loaded: bool = False
    editing_description: bool = False
    description_draft: str = ""
    error: str = ""
    notice: str = ""

    def _post_id(self) -> int | None:
        return parse_id(getattr(self, "post_id", ""))  # the "[post_id]" argument of the route

    # The load and every change run their session check and database work in a thread (``asyncio.to_thread``, as
    # the ranking moves): the worker's event loop serves its other clients meanwhile; this client's state is held by
    # its event until it returns. Each assigns only the vars whose value changed (``_assign``).
    def _clear(self) -> None:
        self._assign(detail=post_details.NO_POST, loaded=False, editing_description=False, description_draft="")

    def _refresh(self, user) -> None:
        post_id = self._post_id()
        if post_id is None:
            raise AccessDenied(BAD_POST)
        self._assign(detail=post_details.post_detail(user, post_id), loaded=True)

    @rx.event
    async def load(self):
        return await asyncio.to_thread(self._load_once)

    def _load_once(self):
        with calendar.read_once():  # the shell and the post's phase: one calendar read
            self._assign(error="", notice="", editing_description=False, description_draft="")
            user, redirect = self._enter(Role.SUPERVISOR, *routes.SUPERVISOR_POST.roles)
            if redirect:
                self._clear()
                return redirect
            try:
                self._refresh(user)
            except AccessDenied as denied:
                self._clear()
                self.error = str(denied)
            return None

    async def _act(self, action) -> None:
        await asyncio.to_thread(self._act_once, action)

    def _act_once(self, action) -> None:
        """Run a change through the service; a refusal leaves a French message and reloads what is true now."""
        self._assign(error="", notice="")
        try:
            user = self._require(Role.SUPERVISOR)
        except AccessDenied as denied:
            self._clear()
            self.error = str(denied)
            return
        post_id = self._post_id()
        with calendar.read_once():  # the change's phase check and the reload's: one calendar read
            try:
                if post_id is None:
                    raise AccessDenied(BAD_POST)
                self._assign(notice=action(user, post_id))
            except UserError as refused:
                self.error = str(refused)
            try:
                self._refresh(user)
            except AccessDenied as denied:
                self._clear()
                self.error = str(denied)

    @rx.event
    def start_editing(self):
        self.error = ""
        self.notice = ""
        if not self.detail.can_edit:
            self.error = post_details.post_access.NOT_REFERENT if self.detail.post_id else BAD_POST
            return
        self.description_draft = self.detail.description
        self.editing_description = True

    @rx.event
    def cancel_editing(self):
        self.editing_description = False
        self.description_draft = ""

    @rx.event
    def set_description_draft(self, value: str):
        self.description_draft = value[: post_details.MAX_DESCRIPTION_CHARS + 1]

    @rx.event
    async def save_description(self, form: dict | None = None):
        text = (form or {}).get("description", self.description_draft)

        def action(user, post_id):
            post_details.update_description(user, post_id, text)
            self._assign(editing_description=False)
            return "La description a été mise à jour."

        await self._act(action)

    @rx.event
    async def upload_file(self, files: list[rx.UploadFile]):
        if not files:
            return
        upload = files[0]
        # Read one byte more than allowed: enough to refuse an oversized file without holding it all.
        data = await upload.read(documents.MAX_PDF_BYTES + 1)
        filename = upload.filename or ""

        def action(user, post_id):
            post_details.replace_descriptive_file(user, post_id, filename, data)
            return "Le fichier descriptif a été enregistré."

        await self._act(action)

    @rx.event
    def file_rejected(self, rejected: list[dict]):
        self.notice = ""
        self.error = documents.NOT_A_PDF

    @rx.event
    async def remove_file(self):
        def action(user, post_id):
            post_details.remove_descriptive_file(user, post_id)
            return "Le fichier descriptif a été supprimé."

        await self._act(action)


# ------------------------------------------------------------------- view
LABEL_STYLE = {"color": "#555", "size": "2"}


def _cell(label: str, *value: rx.Component, element_id: str) -> rx.Component:
    return rx.table.cell(
        rx.vstack(rx.text(label, **LABEL_STYLE), *value, spacing="1", align="start"),
        id=element_id,
        vertical_align="top",
        width="50%",
    )


def _strong(value) -> rx.Component:
    return rx.text(value, weight="bold")


def _description_cell() -> rx.Component:
    detail = PostDetailState.detail
    return rx.vstack(
        rx.cond(
            PostDetailState.editing_description,
            rx.form(
                rx.vstack(
                    rx.text_area(
                        value=PostDetailState.description_draft,
                        on_change=PostDetailState.set_description_draft,
                        name="description",
                        id="description-input",
                        max_length=post_details.MAX_DESCRIPTION_CHARS,
                        rows="8",
                        width="100%",
                        aria_label="Description du terrain de stage",
                    ),
                    rx.text(
                        PostDetailState.description_draft.length().to(str),
                        f" / {post_details.MAX_DESCRIPTION_CHARS} caractères",
                        size="1", color="#555",
                    ),
                    rx.hstack(
                        rx.button("Enregistrer", type="submit", id="save-description"),
                        rx.button("Annuler", type="button", variant="outline", on_click=PostDetailState.cancel_editing,
                                  id="cancel-description"),
                        spacing="2",
                    ),
                    width="100%",
                    align="start",
                ),
                on_submit=PostDetailState.save_description,
                width="100%",
            ),
            rx.vstack(
                rx.cond(
                    detail.description != "",
                    rx.text(detail.description, weight="bold", white_space="pre-wrap", id="description-text"),
                    rx.text("Aucune description", color="#777", font_style="italic", id="description-text"),
                ),
                rx.cond(
                    detail.can_edit,
                    rx.link("Mettre à jour", href="#", on_click=PostDetailState.start_editing.prevent_default,
                            id="edit-description"),
                ),
                spacing="1",
                align="start",
            ),
        ),
        width="100%",
        align="start",
    )


def _file_cell() -> rx.Component:
    file = PostDetailState.detail.file
    return rx.vstack(
        rx.cond(
            file,
            rx.vstack(
                rx.text(file.filename, weight="bold", id="descriptive-file-name"),
                rx.text("Déposé le ", file.uploaded, " · ", file.size, size="1", color="#555"),
                rx.hstack(
                    rx.link("Aperçu", href=backend_url(file.inline_path), is_external=True,
                            id="preview-file"),
                    # In a new tab too: a download in this tab would interrupt the page's connection to the server.
                    rx.link("Télécharger", href=backend_url(file.download_path), is_external=True,
                            id="download-file"),
                    rx.cond(
                        PostDetailState.detail.can_edit,
                        rx.link("Supprimer", href="#", color="#b42318", on_click=PostDetailState.remove_file.prevent_default,
                                id="remove-file"),
                    ),
                    spacing="4",
                ),
                spacing="1",
                align="start",
            ),
            rx.text("Aucun fichier descriptif n'a été téléchargé", weight="bold", id="descriptive-file-name"),
        ),
        rx.cond(
            PostDetailState.detail.can_edit,
            rx.upload.root(
                rx.text("Télécharger un fichier descriptif", color="var(--accent-11)", text_decoration="underline",
                        cursor="pointer", id="upload-file-link"),
                rx.text("PDF uniquement, 5 Mo au maximum.", size="1", color="#555"),
                id=UPLOAD_ID,
                accept={"application/pdf": [".pdf"]},
                multiple=False,
                max_files=1,
                no_drag=False,
                on_drop=PostDetailState.upload_file(rx.upload_files(upload_id=UPLOAD_ID)),
                on_drop_rejected=PostDetailState.file_rejected,
                class_name="descriptive-upload",
            ),
        ),
        spacing="2",
        align="start",
    )


def _other_supervisor() -> rx.Component:
    detail = PostDetailState.detail
    return rx.cond(
        detail.other_supervisor != "",
        notice(
            rx.text("Second responsable du poste : ", rx.text.strong(detail.other_supervisor), " · ",
                    rx.link(detail.other_supervisor_email, href="mailto:" + detail.other_supervisor_email)),
            icon="users",
            color_scheme="gray",
            id="other-supervisor",
        ),
    )


def _detail() -> rx.Component:
    detail = PostDetailState.detail
    return rx.vstack(
        rx.link(
            "← ", detail.supervisor, " - ", detail.establishment,
            href=routes.SUPERVISOR_POSTS.path, weight="bold", size="4", underline="hover", id="back-to-posts",
        ),
        rx.cond(
            detail.phase_open,
            rx.cond(
                detail.is_referent,
                rx.fragment(),
                rx.text("Seul le responsable référent du poste peut modifier la description et le fichier descriptif.",
                        size="2", color="#555", id="read-only-note"),
            ),
            rx.text("La période de vérification des postes est fermée : la description et le fichier descriptif "
                    "ne sont plus modifiables.", size="2", color="#555", id="read-only-note"),
        ),
        rx.table.root(
            rx.table.body(
                rx.table.row(
                    _cell("Libellé de l'établissement", _strong(detail.establishment), element_id="detail-establishment"),
                    _cell("Nom du maître de stage", _strong(detail.supervisor), element_id="detail-supervisor"),
                ),
                rx.table.row(
                    _cell("Spécialité d'agrément", _strong(detail.approval_specialty), element_id="detail-specialty"),
                    _cell("Numéro de terrain de stage", _strong(detail.site_number),
                          rx.text("N° d'agrément : ", detail.approval_number, size="1", color="#555"),
                          element_id="detail-site-number"),
                ),
                rx.table.row(
                    _cell("Option", _strong(detail.option), element_id="detail-option"),
                    rx.table.cell(),
                ),
                rx.table.row(
                    _cell("Description", _description_cell(), element_id="detail-description"),
                    rx.table.cell(),
                ),
                rx.table.row(
                    _cell("Fichier descriptif", _file_cell(), element_id="detail-file"),
                    rx.table.cell(),
                ),
            ),
            variant="surface",
            width="100%",
            id="post-detail-table",
        ),
        _other_supervisor(),
        rx.cond(detail.card, post_card(detail.card)),
        width="100%",
        spacing="4",
        align="start",
        id="post-detail",
    )


def post_detail_page() -> rx.Component:
    return shell(
        error_callout(PostDetailState.error, "post-detail-error"),
        rx.cond(
            PostDetailState.notice != "",
            rx.callout(PostDetailState.notice, icon="check", color_scheme="green", id="post-detail-notice", role="status"),
        ),
        rx.cond(PostDetailState.loaded, _detail()),
        rx.text(
            "Une donnée est erronée ? ",
            rx.link("Demande de correction via le support", href=routes.SUPPORT.path, id="support-correction"),
            ".",
            size="2",
            color="#555",
            margin_top="1em",
        ),
        title="Détail du terrain de stage",
    )
