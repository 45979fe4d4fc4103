"""Gestion des postes (seed "Suivi des postes et du classement"): the posts table of a coordinator's, manager's
or admin's scope, and one post's detail with its ranking (``/coordonnateur/postes/[post_id]``).

Only the visible page is in the state; filters, sorting and paging run in SQL (``services.post_table``).
Managers and admins tick "Poste validé par l'ARS" in the table or the detail and change the places in the
detail; coordinators read. Every handler re-reads the session and the service re-checks role and scope,
so a forged event changes nothing.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import reflex as rx

from siimop_app.domain.import_rules import FORMATS, columns_named
from siimop_app.file_routes import EXPORTS_ROUTE, backend_url
from siimop_app.services import auth, imports, post_table
from siimop_app.services.access import AccessDenied, require_role
from siimop_app.services.auth import SignedInUser
from siimop_app.states.live_statistics import keep_live
from siimop_app.states.session import AppState
from siimop_app.ui.components import (
    confirm_dialog,
    correction_form,
    error_callout,
    figure_tile,
    notice,
)
from siimop_app.ui.shell import shell
from siimop_app.validation import parse_int

log = logging.getLogger(__name__)

STAFF = ("coordinator", "manager", "admin")
MANAGERS = ("manager", "admin")
PAGE_SIZE = 25
ALL = "all"
ROUTE = "/coordonnateur/postes"
REFUSED = (AccessDenied, post_table.PostTableError, imports.ImportRefused)
POST_COLUMNS = [(c.key, c.header) for c in FORMATS["posts"]]

# (key, header); a key in post_table.SORT_KEYS makes the header a sort button.
COLUMNS = (
    ("approval_number", "Numéro agrément"),
    ("site_number", "Numéro terrain"),
    ("name", "Nom"),
    ("indication", "Indication poste"),
    ("specialty", "Spécialité d'appel"),
    ("establishment", "Établissement"),
    ("region", "Région"),
    ("subdivision", "Subdivision"),
    ("rts", "RTS"),
    ("post_type", "Type de poste"),
    ("months", "Nombre de mois"),
    ("places", "Nombre de places"),
    ("assigned", "Nombre d'affectations"),
    ("last_login", "Connexion"),
    ("ranking_valid", "Classement valide"),
    ("decale", "Décalé"),
    ("validated_by_ars", "Poste validé par l'ARS"),
    ("last_change", "Derniers changements"),
)


def _interface(user: SignedInUser | None) -> str:
    roles = user.roles if user else ()
    return next((role for role in STAFF if role in roles), "coordinator")


def _live_statistics(cookie: str, filters) -> list[dict[str, str]]:
    """Run in a worker thread by the live refresh: re-reads the session and the scope every time."""
    return post_table.post_statistics(require_role(auth.resolve_session(cookie), *STAFF), filters)


class PostTableState(AppState):
    f_text: str = ""
    search_revision: int = 0  # part of the text box's key: "Réinitialiser" empties it too
    f_region: str = ALL
    f_subdivision: str = ALL
    f_specialty: str = ALL
    f_places: str = ALL
    f_candidates: str = ALL
    f_assignments: str = ALL
    sort: str = "approval_number"
    descending: bool = False
    page: int = 0
    rows: list[dict] = []
    total: int = 0
    statistics: list[dict[str, str]] = []
    stats_refreshed: int = 0  # live refreshes so far (tests read it)
    _watch_token: int = 0
    _watch_running: int = 0
    regions: list[dict[str, str]] = []
    subdivisions: list[dict[str, str]] = []
    specialties: list[dict[str, str]] = []
    can_manage: bool = False
    loaded: bool = False
    error: str = ""

    @rx.var
    def page_count(self) -> int:
        return max(1, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)

    @rx.var
    def page_text(self) -> str:
        if not self.total:
            return "Aucun poste"
        first = self.page * PAGE_SIZE + 1
        last = min(self.total, first + PAGE_SIZE - 1)
        return f"Postes {first} à {last} sur {self.total}"

    def _filters(self) -> post_table.PostFilters:
        return post_table.filters_from_params(self._filter_params())

    def _filter_params(self) -> dict[str, str]:
        return {"text": self.f_text, "region": self.f_region, "subdivision": self.f_subdivision,
                "specialty": self.f_specialty, "places": self.f_places, "candidates": self.f_candidates,
                "assignments": self.f_assignments}

    @rx.var
    def export_query(self) -> str:
        """The current filters and sort as the export route's query string."""
        params = {key: value for key, value in {
            "text": self.f_text, "region": self.f_region, "subdivision": self.f_subdivision,
            "specialty": self.f_specialty, "places": self.f_places, "candidates": self.f_candidates,
            "assignments": self.f_assignments,
        }.items() if value and value != ALL}
        params["sort"] = self.sort
        if self.descending:
            params["desc"] = "1"
        return urlencode(params)

    def _clear(self) -> None:
        self.rows, self.statistics, self.regions, self.subdivisions, self.specialties = [], [], [], [], []
        self.total = self.page = 0
        self.can_manage = self.loaded = False

    def _refresh(self, user: SignedInUser, *, statistics: bool = True) -> None:
        filters = self._filters()
        rows, total = post_table.query_posts(user, filters=filters, sort=self.sort, descending=self.descending,
                                             offset=self.page * PAGE_SIZE, limit=PAGE_SIZE)
        if rows == [] and total and self.page:
            self.page = (total - 1) // PAGE_SIZE
            rows, total = post_table.query_posts(user, filters=filters, sort=self.sort, descending=self.descending,
                                                 offset=self.page * PAGE_SIZE, limit=PAGE_SIZE)
        self.rows, self.total = rows, total
        if statistics:
            self.statistics = post_table.post_statistics(user, filters)

    def _reload(self, *, statistics: bool = True):
        try:
            self._refresh(self._require(*STAFF), statistics=statistics)
        except AccessDenied as denied:
            self._clear()
            self.error = str(denied)

    @rx.event(background=True)
    async def watch_statistics(self, token: int):
        """Recompute only the statistics every few seconds while this page stays open."""
        await keep_live(self, token, ROUTE, _live_statistics)

    @rx.event
    def load(self):
        self._clear()
        self.error = ""
        user, redirect = self._enter(_interface(self._user()), *STAFF)
        if redirect:
            return redirect
        try:
            options = post_table.filter_options(user)
            self.regions, self.subdivisions, self.specialties = (
                options["regions"], options["subdivisions"], options["specialties"])
            self.can_manage = bool(set(MANAGERS) & set(user.roles))
            self._refresh(user)
            self.loaded = True
        except AccessDenied as denied:
            self._clear()
            self.error = str(denied)
            return None
        self._watch_token += 1
        return PostTableState.watch_statistics(self._watch_token)

    # --------------------------------------------------------- filters, sort, pages
    def _set_filter(self, name: str, value) -> None:
        setattr(self, name, str(value or "")[:100])
        self.page = 0
        self._reload()

    @rx.event
    def set_region(self, value: str):
        self._set_filter("f_region", value)

    @rx.event
    def set_subdivision(self, value: str):
        self._set_filter("f_subdivision", value)

    @rx.event
    def set_specialty(self, value: str):
        self._set_filter("f_specialty", value)

    @rx.event
    def set_places(self, value: str):
        self._set_filter("f_places", value)

    @rx.event
    def set_candidates(self, value: str):
        self._set_filter("f_candidates", value)

    @rx.event
    def set_assignments(self, value: str):
        self._set_filter("f_assignments", value)

    @rx.event
    def search(self, form: dict):
        self._set_filter("f_text", str((form or {}).get("search", "")).strip())

    @rx.event
    def reset_filters(self):
        self.f_text = ""
        self.search_revision += 1
        self.f_region = self.f_subdivision = self.f_specialty = ALL
        self.f_places = self.f_candidates = self.f_assignments = ALL
        self.page = 0
        self._reload()

    @rx.event
    def sort_by(self, key: str):
        if key not in post_table.SORT_KEYS:
            return
        self.descending = (not self.descending) if key == self.sort else False
        self.sort = key
        self.page = 0
        self._reload(statistics=False)

    @rx.event
    def next_page(self):
        if (self.page + 1) * PAGE_SIZE < self.total:
            self.page += 1
            self._reload(statistics=False)

    @rx.event
    def previous_page(self):
        if self.page > 0:
            self.page -= 1
            self._reload(statistics=False)

    # --------------------------------------------------------- manager action
    @rx.event
    def toggle_ars(self, post_id: int, value: bool):
        self.error = ""
        try:
            user = self._require(*STAFF)  # the service refuses coordinators, in French
            if isinstance(post_id, bool) or not isinstance(post_id, int) or not isinstance(value, bool):
                raise AccessDenied(post_table.OUT_OF_SCOPE)
            post_table.set_validated_by_ars(user, post_id, value)
        except REFUSED as refused:
            log.warning("ARS validation of post %r refused: %s", post_id, refused)
            self.error = str(refused)
            return rx.toast.error(str(refused))
        self._reload()
        return rx.toast.success("Poste validé par l'ARS." if value else "Validation ARS retirée.")


class StaffPostDetailState(AppState):
    detail: dict = {}
    ranking: dict = {}
    problems: list[str] = []
    candidates: list[dict] = []
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
        return parse_int(str(self.post_id or ""))

    def _clear(self) -> None:
        self.detail, self.ranking, self.problems, self.candidates = {}, {}, [], []
        self.can_manage = self.loaded = False
        self.places_input = ""
        self.post_form, self.correction_errors, self.correction_fields = {}, [], []

    def _show(self, user: SignedInUser, post_id: int) -> None:
        detail = post_table.post_detail_for_staff(user, post_id)
        self.ranking = detail.pop("ranking") or {}
        self.problems = list(self.ranking.pop("problems", []))
        self.candidates = detail.pop("candidates")
        self.can_manage = bool(detail["can_manage"])
        self.places_input = str(detail["places"])
        self.detail = detail
        self.post_form = imports.post_values(user, post_id) if self.can_manage else {}
        self.form_version += 1
        self.loaded = True

    @rx.event
    def load(self):
        self._clear()
        self.error = ""
        user, redirect = self._enter(_interface(self._user()), *STAFF)
        if redirect:
            return redirect
        try:
            post_id = self._requested_post()
            if post_id is None:
                raise AccessDenied(post_table.OUT_OF_SCOPE)
            self._show(user, post_id)
        except (AccessDenied, imports.ImportRefused) as denied:
            log.warning("user %s refused post %r: %s", user.user_id, self.post_id, denied)
            self._clear()
            self.error = str(denied)

    def _act(self, action, success: str):
        self.error = ""
        try:
            user = self._require(*STAFF)  # the service refuses coordinators, in French
            post_id = self._requested_post()
            if post_id is None or not self.loaded:
                raise AccessDenied(post_table.OUT_OF_SCOPE)
            action(user, post_id)
            self._show(user, post_id)
        except REFUSED as refused:
            log.warning("change of post %r refused: %s", self.post_id, refused)
            self.error = str(refused)
            return rx.toast.error(str(refused))
        return rx.toast.success(success)

    @rx.event
    def toggle_ars(self, value: bool):
        if not isinstance(value, bool):
            self.error = "La validation ARS doit être cochée ou décochée."
            return
        return self._act(lambda user, pid: post_table.set_validated_by_ars(user, pid, value),
                         "Poste validé par l'ARS." if value else "Validation ARS retirée.")

    @rx.event
    def set_places_input(self, value: str):
        self.places_input = str(value or "")[:6]

    @rx.event
    def save_places(self):
        """First say what the change does (candidates, ranking validity); write only once confirmed."""
        places = parse_int(self.places_input)
        if places is None:
            self.error = "Le nombre de places doit être un nombre entier positif ou nul."
            return rx.toast.error(self.error)
        if places == self.detail.get("places"):
            return rx.toast.info("Le nombre de places est inchangé.")
        self.error = ""
        try:
            user = self._require(*STAFF)
            post_id = self._requested_post()
            if post_id is None or not self.loaded:
                raise AccessDenied(post_table.OUT_OF_SCOPE)
            self.places_confirm_text = post_table.places_change_effect(user, post_id, places)
        except REFUSED as refused:
            log.warning("change of places of post %r refused: %s", self.post_id, refused)
            self.error = str(refused)
            return rx.toast.error(str(refused))
        self._places_pending = places
        self.places_confirm_open = True

    @rx.event
    def dismiss_places(self, open_: bool = False):
        self.places_confirm_open = open_
        if not open_:
            self._places_pending = None

    @rx.event
    def confirm_places(self):
        places, self._places_pending, self.places_confirm_open = self._places_pending, None, False
        if places is None:
            return None
        return self._act(lambda user, pid: post_table.set_places(user, pid, places),
                         "Le nombre de places a été enregistré.")

    @rx.event
    def correct_post(self, form: dict):
        """The correction form: the import's checks, refused outside the manager's region (the service decides).
        Refused, the form keeps what was typed and lists every error; applied, it shows the post as now stored."""
        self.error, self.correction_errors, self.correction_fields = "", [], []
        values = {key: str(form.get(key, "") or "")[:300] for key, _ in POST_COLUMNS}
        try:
            user = self._require(*MANAGERS)
            post_id = self._requested_post()
            if post_id is None or not self.loaded:
                raise AccessDenied(post_table.OUT_OF_SCOPE)
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
def _select(label: str, value, on_change, items: list, element_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color="#555", as_="label", html_for=element_id),
        rx.select.root(
            rx.select.trigger(id=element_id, aria_label=label, min_width="10em"),
            rx.select.content(*items),
            value=value,
            on_change=on_change,
        ),
        spacing="1",
    )


def _item(value, label) -> rx.Component:
    return rx.select.item(label, value=value)


def _options(items) -> list:
    return [_item(ALL, "Toutes"), rx.foreach(items, lambda o: _item(o["value"], o["label"]))]


def _filters() -> rx.Component:
    s = PostTableState
    return rx.card(
        rx.vstack(
            rx.form(
                rx.hstack(
                    rx.input(name="search", default_value=s.f_text, key=s.search_revision.to(str), id="filter-search", max_length=100,
                             placeholder="Numéro d'agrément, nom, numéro terrain, spécialité d'appel, subdivision, RTS",
                             aria_label="Filtre par numéro d'agrément, nom, numéro terrain, spécialité d'appel, "
                                        "subdivision, RTS", width="34em", max_width="100%"),
                    rx.button("Filtrer", type="submit", id="search-button", variant="soft"),
                    rx.button("Réinitialiser", type="button", variant="outline", on_click=s.reset_filters,
                              id="reset-filters"),
                    spacing="3", align="center", wrap="wrap",
                ),
                on_submit=s.search,
                reset_on_submit=False,
            ),
            rx.hstack(
                _select("Région", s.f_region, s.set_region, _options(s.regions), "filter-region"),
                _select("Subdivision", s.f_subdivision, s.set_subdivision, _options(s.subdivisions),
                        "filter-subdivision"),
                _select("Spécialité", s.f_specialty, s.set_specialty, _options(s.specialties), "filter-specialty"),
                _select("Places ouvertes", s.f_places, s.set_places,
                        [_item(ALL, "Tous les postes"), _item("with", "Avec places ouvertes"),
                         _item("without", "Sans place ouverte")], "filter-places"),
                _select("Candidatures", s.f_candidates, s.set_candidates,
                        [_item(ALL, "Tous les postes"), _item("with", "Avec candidatures"),
                         _item("without", "Sans candidature")], "filter-candidates"),
                _select("Affectations", s.f_assignments, s.set_assignments,
                        [_item(ALL, "Tous les postes"), _item("with", "Avec affectations"),
                         _item("without", "Sans affectation"), _item("full", "Toutes les places pourvues")],
                        "filter-assignments"),
                wrap="wrap", spacing="4", align="end",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="post-filters",
    )


def _header(key: str, label: str) -> rx.Component:
    s = PostTableState
    if key not in post_table.SORT_KEYS:
        return rx.table.column_header_cell(label)
    arrow = rx.cond(s.sort == key, rx.cond(s.descending, " ▼", " ▲"), "")
    return rx.table.column_header_cell(
        rx.el.button(label, arrow, on_click=s.sort_by(key), type="button", id=f"sort-{key}",
                     aria_label=f"Trier par {label}", class_name="sort-button",
                     style={"background": "none", "border": "none", "font_weight": "bold", "cursor": "pointer",
                            "padding": "0", "text_align": "left", "color": "inherit"}),
        aria_sort=rx.cond(s.sort == key, rx.cond(s.descending, "descending", "ascending"), "none"),
    )


def _yes_no(value) -> rx.Component:
    return rx.cond(value, rx.icon("check", size=16, aria_label="Oui"), rx.text("-", aria_label="Non"))


def _row(row: rx.Var) -> rx.Component:
    s = PostTableState
    href = f"{ROUTE}/" + row["post_id"].to(str)
    return rx.table.row(
        rx.table.cell(rx.link(row["approval_number"], href=href, class_name="post-link")),
        rx.table.cell(row["site_number"]),
        rx.table.cell(rx.link(row["name"], href=href, weight="bold")),
        rx.table.cell(row["indication"]),
        rx.table.cell(row["specialty"]),
        rx.table.cell(row["establishment"]),
        rx.table.cell(row["region"]),
        rx.table.cell(row["subdivision"]),
        rx.table.cell(rx.vstack(rx.text(row["rts"]), rx.text(row["rts_email"], size="1", color="#555"), spacing="0")),
        rx.table.cell(row["post_type"]),
        rx.table.cell(row["months"].to(str)),
        rx.table.cell(row["places"].to(str), class_name="cell-places"),
        rx.table.cell(row["assigned"].to(str)),
        rx.table.cell(row["last_login"]),
        rx.table.cell(row["ranking_valid"]),
        rx.table.cell(_yes_no(row["decale"])),
        rx.table.cell(
            rx.checkbox(
                checked=row["validated_by_ars"].to(bool),
                disabled=~s.can_manage,
                on_change=lambda value: s.toggle_ars(row["post_id"].to(int), value),
                aria_label="Poste validé par l'ARS : " + row["name"].to(str),
                class_name="ars-checkbox",
            ),
        ),
        rx.table.cell(row["last_change"], class_name="cell-last-change", white_space="nowrap"),
        class_name="post-row",
        id="post-row-" + row["post_id"].to(str),
    )


def _pager() -> rx.Component:
    s = PostTableState
    return rx.hstack(
        rx.button("← Précédent", on_click=s.previous_page, disabled=s.page == 0, variant="soft", id="previous-page"),
        rx.text(s.page_text, id="page-text"),
        rx.button("Suivant →", on_click=s.next_page, disabled=(s.page + 1) * PAGE_SIZE >= s.total, variant="soft",
                  id="next-page"),
        spacing="3",
        align="center",
    )


def post_table_page() -> rx.Component:
    s = PostTableState
    return shell(
        error_callout(s.error, "posts-error"),
        rx.cond(
            s.loaded,
            rx.vstack(
                rx.heading("Statistiques Postes", size="4", as_="h2"),
                rx.flex(rx.foreach(s.statistics, figure_tile), wrap="wrap", gap="3", id="post-statistics"),
                rx.text("Pourcentages de la campagne en cours (affinés par les filtres)", size="2", color="#555"),
                _filters(),
                rx.hstack(
                    rx.link(rx.button("Exporter les postes filtrés au format CSV", variant="outline"),
                            href=backend_url(f"{EXPORTS_ROUTE}/posts.csv?" + s.export_query), id="export-posts-csv"),
                    rx.link(rx.button("Exporter les postes filtrés au format Excel", variant="outline"),
                            href=backend_url(f"{EXPORTS_ROUTE}/posts.xlsx?" + s.export_query), id="export-posts-xlsx"),
                    spacing="3",
                    wrap="wrap",
                ),
                _pager(),
                rx.box(
                    rx.table.root(
                        rx.table.header(rx.table.row(*(_header(key, label) for key, label in COLUMNS))),
                        rx.table.body(rx.foreach(s.rows, _row)),
                        variant="surface",
                        size="1",
                        id="posts-table",
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
                rx.cond(s.total == 0, rx.text("Aucun poste ne correspond à ces critères.", id="posts-empty")),
                _pager(),
                spacing="3",
                width="100%",
                align="start",
            ),
        ),
        title="Gestion des postes",
    )


# ------------------------------------------------------------------ the detail
def _count(label: str, value, element_id: str) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(label), rx.table.cell(value.to(str), id=element_id))


def _candidate(c: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.cond(c["assigned"], rx.text.strong(c["name"], class_name="assigned-name"),
                              rx.text(c["name"]))),
        rx.table.cell(c["ine"]),
        rx.table.cell(c["rank"]),
        rx.table.cell(c["result"]),
        rx.table.cell(c["round"]),
        class_name="candidate-row",
    )


def _manager_tools() -> rx.Component:
    s = StaffPostDetailState
    return rx.card(
        rx.vstack(
            rx.heading("Gestion ARS", size="3", as_="h2"),
            rx.checkbox("Poste validé par l'ARS", checked=s.detail["validated_by_ars"].to(bool),
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
        rx.link("← Retour à la liste des postes", href=ROUTE, id="back-to-posts"),
        error_callout(s.error, "post-error"),
        rx.cond(
            s.loaded,
            rx.vstack(
                rx.hstack(rx.text(d["establishment"].to(str)), rx.text.strong(d["site_name"].to(str), id="post-name"),
                          spacing="2", wrap="wrap"),
                rx.text(d["address"].to(str), color="#555"),
                rx.text("Spécialité d'agrément : ", rx.text.strong(d["approval_specialty"].to(str))),
                rx.text("Option : ", d["option"].to(str)),
                rx.text(d["calling_specialty"].to(str), " · ", d["subdivision"].to(str), " · ", d["region"].to(str),
                        " · RTS ", d["rts"].to(str), " · ", d["post_type"].to(str), " · ", d["months"].to(str),
                        " mois · ", d["places"].to(str), " place(s) · ", d["assigned"].to(str),
                        " affectation(s) · connexion ", d["rts_last_login"].to(str), size="2", id="post-summary"),
                rx.text("Derniers changements : ", rx.el.span(d["last_change"].to(str), id="detail-last-change"),
                        size="2"),
                rx.heading("Description", size="3", as_="h2"),
                rx.text(rx.cond(d["description"].to(str) != "", d["description"].to(str), "Aucune description."),
                        white_space="pre-wrap", id="post-description"),
                rx.cond(s.can_manage, _manager_tools()),
                rx.cond(s.can_manage & (s.post_form.length() > 0), _post_correction()),
                rx.cond(
                    r.length() > 0,
                    rx.vstack(
                        rx.heading("Détails du classement ", r["round"].to(str), size="3", as_="h2"),
                        rx.table.root(
                            rx.table.body(
                                _count("Nombre de candidatures", r["candidates"], "count-candidates"),
                                _count("Nombre de candidatures restantes à classer", r["left_to_rank"], "count-left"),
                                _count("Nombre de candidatures retenues", r["retained"], "count-retained"),
                                _count("Nombre de candidatures non-retenues", r["refused"], "count-refused"),
                            ),
                            variant="surface", size="1", id="ranking-details",
                        ),
                        rx.cond(
                            r["valid"].to(bool),
                            notice(rx.text(r["validity"].to(str)), icon="circle-check", color_scheme="green",
                                   id="ranking-validity"),
                            notice(rx.text(r["validity"].to(str)),
                                   rx.el.ul(rx.foreach(s.problems, lambda p: rx.el.li(p))),
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
