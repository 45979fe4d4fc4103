"""Gestion des postes (seed "Suivi des postes et du classement"): the posts table of a coordinator's, manager's
or admin's scope, and one post's detail with its ranking (``/coordonnateur/postes/[post_id]``).

Only the visible page is in the state; filters, sorting and paging run in SQL (``services.post_table``).
Managers and admins tick "Poste validé par l'ARS" in the table or the detail and change the places in the
detail; coordinators read. Every handler re-reads the session and the service re-checks role and scope,
so a forged event changes nothing.
"""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.domain.import_rules import FORMATS, columns_named
from siimop_app.models import MANAGER_ROLES, STAFF_ROLES
from siimop_app.services import calendar, imports, post_access, post_changes, post_staff, post_table
from siimop_app.services.access import AccessDenied
from siimop_app.services.auth import SignedInUser
from siimop_app.services.table_kit import ALL, Table
from siimop_app.states.filtered_table import KitTable, staff_interface
from siimop_app.states.session import AppState
from siimop_app.ui.components import confirm_dialog, correction_form, error_callout, notice
from siimop_app.ui.data_table import table_section
from siimop_app.ui.shell import shell
from siimop_app.validation import parse_id, parse_int

log = logging.getLogger(__name__)

PAGE_SIZE = post_table.TABLE.page_size
REFUSED = (UserError,)
POST_COLUMNS = [(c.key, c.header) for c in FORMATS["posts"]]


class PostTableState(KitTable, AppState):
    rows: list[post_table.PostLine] = []
    sort: str = post_table.TABLE.default_sort
    f_region: str = ALL
    f_subdivision: str = ALL
    f_specialty: str = ALL
    f_places: str = ALL
    f_candidates: str = ALL
    f_assignments: str = ALL
    can_manage: bool = False
    loaded: bool = False

    def _table(self) -> Table:
        return post_table.TABLE

    def _page(self) -> routes.Page:
        return routes.POST_TABLE

    def _clear(self) -> None:
        KitTable._clear(self)
        self.regions, self.subdivisions, self.specialties = [], [], []
        self.can_manage = self.loaded = False

    def _on_load(self, user: SignedInUser) -> None:
        self._assign(can_manage=bool(set(MANAGER_ROLES) & set(user.roles)), loaded=True)

    # --------------------------------------------------------- manager action
    @rx.event
    async def toggle_ars(self, post_id: int, value: bool):
        return await asyncio.to_thread(self._toggle_ars, post_id, value)  # as the table's events (KitTable)

    def _toggle_ars(self, post_id: int, value: bool):
        self.error = ""
        try:
            user = self._require(*STAFF_ROLES)  # the service refuses coordinators, in French
            if isinstance(post_id, bool) or not isinstance(post_id, int) or not isinstance(value, bool):
                raise AccessDenied(post_access.OUT_OF_SCOPE)
            post_changes.set_validated_by_ars(user, post_id, value)
        except UserError as refused:
            log.warning("ARS validation of post %r refused: %s", post_id, refused)
            self.error = str(refused)
            return rx.toast.error(str(refused))
        self._reload()
        return rx.toast.success("Poste validé par l'ARS." if value else "Validation ARS retirée.")


class StaffPostDetailState(AppState):
    detail: post_staff.StaffPost = post_staff.StaffPost()
    ranking: post_staff.RankingSummary = post_staff.RankingSummary()
    candidates: list[post_staff.StaffCandidate] = []
    can_manage: bool = False
    places_input: str = ""
    places_confirm_open: bool = False
    places_confirm_text: str = ""
    _places_pending: int | None = None
    post_form: dict[str, str] = {}  # the post as the import's columns (managers and admins)
    form_version: int = 0  # remounts the correction form with the values now in the database
    correction_errors: list[str] = []
    correction_fields: list[str] = []  # the fields the correction's errors name (aria-invalid)
    loaded: bool = False
    error: str = ""

    def _requested_post(self) -> int | None:
        return parse_id(self.post_id)

    # Every event that reads the database runs its session check and queries in a thread (``asyncio.to_thread``,
    # as the table's events): the worker's event loop serves its other clients meanwhile; this client's state is
    # held by its event until it returns. The post is assigned only where it changed (``_assign``).
    def _clear(self) -> None:
        self._assign(detail=post_staff.StaffPost(), ranking=post_staff.RankingSummary(), candidates=[],
                     can_manage=False, loaded=False, places_input="", post_form={}, correction_errors=[],
                     correction_fields=[])

    def _show(self, user: SignedInUser, post_id: int) -> None:
        view = post_staff.post_detail_for_staff(user, post_id)
        self._assign(detail=view.post, candidates=list(view.candidates), can_manage=view.can_manage,
                     ranking=view.ranking or post_staff.RankingSummary(), places_input=str(view.post.places),
                     post_form=imports.post_values(user, post_id) if view.can_manage else {}, loaded=True)
        self.form_version += 1

    @rx.event
    async def load(self):
        return await asyncio.to_thread(self._load_once)

    def _load_once(self):
        with calendar.read_once():  # the shell and the post's round: one calendar read
            self._assign(error="", correction_errors=[], correction_fields=[])
            user, redirect = self._enter(staff_interface, *routes.STAFF_POST.roles)
            if redirect:
                self._clear()
                return redirect
            try:
                post_id = self._requested_post()
                if post_id is None:
                    raise AccessDenied(post_access.OUT_OF_SCOPE)
                self._show(user, post_id)
            except UserError as denied:
                log.warning("user %s refused post %r: %s", user.user_id, self.post_id, denied)
                self._clear()
                self.error = str(denied)
            return None

    async def _act(self, action, success: str):
        return await asyncio.to_thread(self._act_once, action, success)

    def _act_once(self, action, success: str):
        self._assign(error="")
        try:
            user = self._require(*STAFF_ROLES)  # the service refuses coordinators, in French
            post_id = self._requested_post()
            if post_id is None or not self.loaded:
                raise AccessDenied(post_access.OUT_OF_SCOPE)
            with calendar.read_once():  # the change's checks and the reload: one calendar read
                action(user, post_id)
                self._show(user, post_id)
        except REFUSED as refused:
            log.warning("change of post %r refused: %s", self.post_id, refused)
            self.error = str(refused)
            return rx.toast.error(str(refused))
        return rx.toast.success(success)

    @rx.event
    async def toggle_ars(self, value: bool):
        if not isinstance(value, bool):
            self.error = "La validation ARS doit être cochée ou décochée."
            return None
        return await self._act(lambda user, pid: post_changes.set_validated_by_ars(user, pid, value),
                               "Poste validé par l'ARS." if value else "Validation ARS retirée.")

    @rx.event
    def set_places_input(self, value: str):
        self.places_input = str(value or "")[:6]

    @rx.event
    async def save_places(self):
        """First say what the change does (candidates, ranking validity); write only once confirmed."""
        places = parse_int(self.places_input)
        if places is None:
            self.error = "Le nombre de places doit être un nombre entier positif ou nul."
            return rx.toast.error(self.error)
        if places == self.detail.places:
            return rx.toast.info("Le nombre de places est inchangé.")
        return await asyncio.to_thread(self._places_effect, places)

    def _places_effect(self, places: int):
        self._assign(error="")
        try:
            user = self._require(*STAFF_ROLES)
            post_id = self._requested_post()
            if post_id is None or not self.loaded:
                raise AccessDenied(post_access.OUT_OF_SCOPE)
            self.places_confirm_text = post_changes.places_change_effect(user, post_id, places)
        except REFUSED as refused:
            log.warning("change of places of post %r refused: %s", self.post_id, refused)
            self.error = str(refused)
            return rx.toast.error(str(refused))
        self._places_pending = places
        self.places_confirm_open = True
        return None

    @rx.event
    def dismiss_places(self, open_: bool = False):
        self.places_confirm_open = open_
        if not open_:
            self._places_pending = None

    @rx.event
    async def confirm_places(self):
        places, self._places_pending, self.places_confirm_open = self._places_pending, None, False
        if places is None:
            return None
        return await self._act(lambda user, pid: post_changes.set_places(user, pid, places),
                               "Le nombre de places a été enregistré.")

    @rx.event
    async def correct_post(self, form: dict):
        """The correction form: the import's checks, refused outside the manager's region (the service decides).
        Refused, the form keeps what was typed and lists every error; applied, it shows the post as now stored."""
        values = {key: str(form.get(key, "") or "")[:300] for key, _ in POST_COLUMNS}
        return await asyncio.to_thread(self._correct, values)

    def _correct(self, values: dict[str, str]):
        self._assign(error="", correction_errors=[], correction_fields=[])
        try:
            user = self._require(*MANAGER_ROLES)
            post_id = self._requested_post()
            if post_id is None or not self.loaded:
                raise AccessDenied(post_access.OUT_OF_SCOPE)
            with calendar.read_once():  # the checks and the reload: one calendar read
                report = imports.correct_post(user, post_id, values)
                if report.errors:
                    self.correction_errors = report.errors
                    self.correction_fields = columns_named("posts", report.errors)
                    return rx.toast.error("La correction n'a pas été enregistrée : voyez les erreurs sous le formulaire.")
                self._show(user, post_id)
        except REFUSED as refused:
            log.warning("correction of post %r refused: %s", self.post_id, refused)
            self.error = str(refused)
            return rx.toast.error(str(refused))
        if not report.changes:
            return rx.toast.info("Aucune modification.")
        return rx.toast.success("Correction enregistrée : " + " ; ".join(report.changes))


# ------------------------------------------------------------------ view
def _yes_no(value) -> rx.Component:
    return rx.cond(value, rx.icon("check", size=16, aria_label="Oui"), rx.text("-", aria_label="Non"))


def _link_cell(key: str, **props):
    return lambda line: rx.table.cell(rx.link(getattr(line, key), href=routes.STAFF_POST.link_prefix + line.id.to(str), **props))


def _ars_cell(line: rx.Var) -> rx.Component:
    s = PostTableState
    return rx.table.cell(rx.checkbox(
        checked=line.validated_by_ars,
        disabled=~s.can_manage,
        on_change=lambda value: s.toggle_ars(line.id, value),
        aria_label="Poste validé par l'ARS : " + line.name,
        class_name="ars-checkbox",
    ))


CELLS = {
    "approval_number": _link_cell("approval_number", class_name="post-link"),
    "name": _link_cell("name", weight="bold"),
    "rts": lambda line: rx.table.cell(rx.vstack(rx.text(line.rts), rx.text(line.rts_email, size="1", color="#555"),
                                                spacing="0")),
    "places": lambda line: rx.table.cell(line.places.to(str), class_name="cell-places"),
    "decale": lambda line: rx.table.cell(_yes_no(line.decale)),
    "validated_by_ars": _ars_cell,
    "last_change": lambda line: rx.table.cell(line.last_change, class_name="cell-last-change", white_space="nowrap"),
}


def post_table_page() -> rx.Component:
    s = PostTableState
    return shell(
        rx.cond(
            s.loaded,
            rx.vstack(
                table_section(s, post_table.TABLE, cells=CELLS, empty="Aucun poste ne correspond à ces critères.",
                              intro=[rx.heading("Statistiques Postes", size="4", as_="h2"),
                                     rx.text("Pourcentages de la campagne en cours (affinés par les filtres)",
                                             size="2", color="#555")]),
                spacing="3",
                width="100%",
                align="start",
            ),
            error_callout(s.error, "posts-error"),
        ),
        title="Gestion des postes",
    )


# ------------------------------------------------------------------ the detail
def _count(label: str, value, element_id: str) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(label), rx.table.cell(value.to(str), id=element_id))


def _candidate(c: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.cond(c.assigned, rx.text.strong(c.name, class_name="assigned-name"),
                              rx.text(c.name))),
        rx.table.cell(c.ine),
        rx.table.cell(c.rank),
        rx.table.cell(c.result),
        rx.table.cell(c.round),
        class_name="candidate-row",
    )


def _manager_tools() -> rx.Component:
    s = StaffPostDetailState
    return rx.card(
        rx.vstack(
            rx.heading("Gestion ARS", size="3", as_="h2"),
            rx.checkbox("Poste validé par l'ARS", checked=s.detail.validated_by_ars,
                        on_change=s.toggle_ars, id="detail-ars"),
            rx.hstack(
                rx.el.label("Nombre de places", html_for="places-input"),
                rx.input(id="places-input", value=s.places_input, on_change=s.set_places_input, input_mode="numeric",
                         width="6em"),
                rx.button("Enregistrer", on_click=s.save_places, id="save-places"),
                spacing="3",
                align="center",
            ),
            rx.text("Le nombre de places ne peut pas être inférieur au nombre d'affectations déjà prononcées.",
                    size="1", color="#555"),
            confirm_dialog(open_=s.places_confirm_open, title="Modifier le nombre de places ?",
                           text=s.places_confirm_text, on_confirm=s.confirm_places, on_open_change=s.dismiss_places),
            spacing="3",
        ),
        id="manager-tools",
    )


def _post_correction() -> rx.Component:
    s = StaffPostDetailState
    return correction_form(
        summary="Corriger le poste (mêmes contrôles que l'import des postes)", columns=POST_COLUMNS,
        values=s.post_form, key_column="post_number", on_submit=s.correct_post, version=s.form_version,
        errors=s.correction_errors, invalid=s.correction_fields, prefix="correct-post", element_id="post-correction",
        note="Une fois l'appariement d'un tour calculé avec ce poste, sa spécialité, son option, sa subdivision, son "
             "type, sa durée, le décalage et ses terrains ne peuvent plus changer.")


def staff_post_detail_page() -> rx.Component:
    s = StaffPostDetailState
    d = s.detail
    r = s.ranking
    return shell(
        rx.link("← Retour à la liste des postes", href=routes.POST_TABLE.path, id="back-to-posts"),
        error_callout(s.error, "post-error"),
        rx.cond(
            s.loaded,
            rx.vstack(
                rx.hstack(rx.text(d.establishment), rx.text.strong(d.site_name, id="post-name"),
                          spacing="2", wrap="wrap"),
                rx.text(d.address, color="#555"),
                rx.text("Spécialité d'agrément : ", rx.text.strong(d.approval_specialty)),
                rx.text("Option : ", d.option),
                rx.text(d.calling_specialty, " · ", d.subdivision, " · ", d.region,
                        " · RTS ", d.rts, " · ", d.post_type, " · ", d.months.to(str),
                        " mois · ", d.places.to(str), " place(s) · ", d.assigned.to(str),
                        " affectation(s) · connexion ", d.rts_last_login, size="2", id="post-summary"),
                rx.text("Derniers changements : ", rx.el.span(d.last_change, id="detail-last-change"),
                        size="2"),
                rx.heading("Description", size="3", as_="h2"),
                rx.text(rx.cond(d.description != "", d.description, "Aucune description."),
                        white_space="pre-wrap", id="post-description"),
                rx.cond(s.can_manage, _manager_tools()),
                rx.cond(s.can_manage & (s.post_form.length() > 0), _post_correction()),
                rx.cond(
                    r.round != "",
                    rx.vstack(
                        rx.heading("Détails du classement ", r.round, size="3", as_="h2"),
                        rx.table.root(
                            rx.table.body(
                                _count("Nombre de candidatures", r.candidates, "count-candidates"),
                                _count("Nombre de candidatures restantes à classer", r.left_to_rank, "count-left"),
                                _count("Nombre de candidatures retenues", r.retained, "count-retained"),
                                _count("Nombre de candidatures non-retenues", r.refused, "count-refused"),
                            ),
                            variant="surface", size="1", id="ranking-details",
                        ),
                        rx.cond(
                            r.valid,
                            notice(rx.text(r.validity), icon="circle-check", color_scheme="green",
                                   id="ranking-validity"),
                            notice(rx.text(r.validity),
                                   rx.el.ul(rx.foreach(r.problems, lambda p: rx.el.li(p))),
                                   icon="triangle-alert", color_scheme="red", id="ranking-validity"),
                        ),
                        spacing="3", width="100%", align="start",
                    ),
                    rx.text("Aucun tour n'a encore commencé pour ce poste.", color="#555"),
                ),
                rx.heading("Candidatures", size="3", as_="h2"),
                rx.text("Si le poste a été pourvu, le nom de l'étudiant apparaît en gras.", size="2", color="#555"),
                rx.cond(
                    s.candidates.length() > 0,
                    rx.table.root(
                        rx.table.header(rx.table.row(
                            rx.table.column_header_cell("Nom de l'interne"),
                            rx.table.column_header_cell("Numéro INE"),
                            rx.table.column_header_cell("Rang RTS"),
                            rx.table.column_header_cell("Résultat"),
                            rx.table.column_header_cell("Tour"),
                        )),
                        rx.table.body(rx.foreach(s.candidates, _candidate)),
                        variant="surface", size="1", id="candidates-table", width="100%",
                    ),
                    rx.text("Aucune candidature.", id="no-candidates"),
                ),
                spacing="3",
                width="100%",
                align="start",
            ),
        ),
        title="Détail du poste",
    )
