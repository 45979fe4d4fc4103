"""Mes vœux: the posts of the student's specialty, rated 0–5 hearts, and the receipt of each submission.

Hearts are **saved with the button** "Enregistrer mes vœux", not at each click: each
submission is one transaction, one audit row and one receipt (SPEC §4: "each
submission gives the student a timestamped receipt"). Until then the changes live in
this browser tab's state (``_draft``, kept across pages and filters); an orange banner
counts them and the browser warns before the tab is closed. The sufficiency counter
at the top is computed live from the saved hearts plus these changes.

The list is a table of the kit (``wish_posts.TABLE``, ``states.filtered_table.KitTable``): its filters, its
pages and the page past the end are the kit's; its lines are ``WishCard``s shown as cards; its unsaved hearts
are this page's (``hearts`` over the cards' saved ones). Only the visible page of posts is in the state (paged in
SQL by ``services.wish_posts``); every handler re-reads the session, and the service re-checks the phase, the posts'
specialty and wave, and the values: a forged event changes nothing. Every handler's
database work runs in a thread (``asyncio.to_thread``, as the ranking moves), so the
worker's event loop serves its other clients meanwhile; this client's state is held by
its event until it returns. Vars are assigned only when they changed (``_assign``).
"""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import Role
from siimop_app.ui.backend import backend_url
from siimop_app.services import calendar, receipts, wish_posts, wish_window, wishes
from siimop_app.services.access import AccessDenied
from siimop_app.services.calendar import PhaseClosedError
from siimop_app.services.overview import Choice
from siimop_app.services.table_kit import ALL, Table
from siimop_app.states.filtered_table import KitTable
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout, notice, post_card
from siimop_app.ui.data_table import Look, table_section
from siimop_app.ui.shell import shell
from siimop_app.validation import parse_int

log = logging.getLogger(__name__)

NOT_SHOWN = "Ce poste ne fait pas partie de la liste affichée."
WARN_ON_LEAVE = ("window.onbeforeunload = function (e) { e.preventDefault(); e.returnValue = ''; return ''; };")
NO_WARNING = "window.onbeforeunload = null;"


def _hearts_label(count: int) -> str:
    return f"{count} cœur sur 5" if count <= 1 else f"{count} cœurs sur 5"


class WishesState(KitTable, AppState):
    """Mes vœux on the table kit (``wish_posts.TABLE``): its filters, paging and page past the end are the kit's;
    the hearts, the draft and the counter are this page's."""

    # Filters ("all" = no filter: a select item cannot have an empty value); ``f_q``: the text box (the kit's).
    sort: str = ""
    f_region: str = ALL
    f_subdivision: str = ALL
    f_type: str = ALL
    f_months: str = ALL
    f_decale: str = ALL
    f_rated: bool = False
    regions: list[Choice] = []
    subdivisions: list[Choice] = []  # each with its region as ``group``: the region select narrows this one
    # The visible page only. A card carries its post and the saved hearts ("saved"); the hearts shown (saved or
    # changed in this tab) are apart, by post id, so that a heart click sends back that small map, not the cards.
    rows: list[wish_posts.WishCard] = []
    hearts: dict[str, int] = {}
    # The calendar, the counter, the unsaved changes.
    editable: bool = False
    window_text: str = ""
    counter: wishes.Sufficiency = wishes.NO_SUFFICIENCY
    pending: int = 0
    notice: str = ""
    loaded: bool = False
    _draft: dict[int, int] = {}
    _draft_key: str = ""
    _counter_basis: wishes.CounterBasis | None = None  # read with the page; a heart click reuses it

    def _table(self) -> Table:
        return wish_posts.TABLE

    def _page(self) -> routes.Page:
        return routes.WISHES

    def _refresh(self, user, *, statistics: bool = True) -> None:
        KitTable._refresh(self, user, statistics=statistics)
        # The draft over the page's saved hearts, and the counter of both.
        self._counter_basis, counter = wishes.counter_with_basis(user, self._draft)
        self._assign(counter=counter, pending=len(self._draft),
                     hearts={str(r.post_id): self._draft.get(r.post_id, r.saved) for r in self.rows})

    def _clear(self) -> None:
        self.rows, self.regions, self.subdivisions, self.hearts = [], [], [], {}
        self.total = self.pending = 0
        self.page = 1
        self.counter = wishes.NO_SUFFICIENCY
        self.editable = self.loaded = False
        self.window_text = ""
        self._counter_basis = None

    def _student(self):
        return self._require(*self._roles())

    def _load_table(self):
        with calendar.read_once():  # the shell, the window, the filters and the counter: one calendar read
            return self._load_page()

    def _load_page(self):
        # Not cleared first: a reload (reconnection, coming back) sends back only what changed.
        self._assign(error="", notice="")
        user, redirect = self._enter(Role.STUDENT, *self._roles())
        if redirect:
            self._clear()
            self._draft, self._draft_key = {}, ""
            return redirect
        try:
            window = wish_window.wishes_window()
            key = f"{user.user_id}:{window.round_id}:{window.editable}"
            if key != self._draft_key:  # another person, round or phase: nothing carries over
                self._draft, self._draft_key = {}, key
                if window.editable:  # round 2: the hearts of round 1 on the posts still offered, unsaved
                    self._draft = wishes.carried_over_hearts(user)
                    if self._draft:
                        self.notice = (f"Vos {len(self._draft)} vœu(x) du tour précédent sur les postes encore offerts "
                                       "sont repris ci-dessous. Modifiez-les si besoin, puis enregistrez-les : ils ne "
                                       "comptent qu'une fois enregistrés.")
            self._assign(editable=window.editable, window_text=window.text)
            self._load_options(user)
            self._refresh(user)
            self._assign(loaded=True)
        except AccessDenied as denied:
            self._clear()
            self.error = str(denied)
        return rx.call_script(WARN_ON_LEAVE if self._draft else NO_WARNING)

    # ----------------------------------------------------------- hearts
    @rx.event
    async def set_hearts(self, post_id: int, hearts: int):
        return await asyncio.to_thread(self._set_hearts_once, post_id, hearts)

    def _set_hearts_once(self, post_id: int, hearts: int):
        with calendar.read_once():
            return self._set_hearts(post_id, hearts)

    def _set_hearts(self, post_id: int, hearts: int):
        self._assign(error="", notice="")
        try:
            user = self._student()
            if not self.editable:
                raise PhaseClosedError(self.window_text or "La période des vœux n'est pas ouverte.")
            row = next((r for r in self.rows if str(r.post_id) == str(post_id)), None)
            if row is None:
                raise wishes.WishError(NOT_SHOWN)
            value = parse_int(hearts, lo=0, hi=5)
            value = -1 if value is None else value
            if not 0 <= value <= 5:
                raise wishes.WishError(wishes.BAD_HEARTS.format(ref=row.post_number))
            draft = dict(self._draft)
            if value == row.saved:
                draft.pop(row.post_id, None)
            else:
                draft[row.post_id] = value
            self._draft = draft
            self.hearts = {**self.hearts, str(row.post_id): value}
            basis = self._counter_basis
            if basis is not None and basis.user_id == user.user_id:
                counter = wishes.counter(basis, draft)
            else:  # another account in this tab since the page was read
                self._counter_basis, counter = wishes.counter_with_basis(user, draft)
            self._assign(pending=len(draft), counter=counter)
        except UserError as refused:
            self.error = str(refused)
            return rx.toast.error(str(refused))
        return rx.call_script(WARN_ON_LEAVE if self._draft else NO_WARNING)

    @rx.event
    async def discard(self):
        self._draft = {}
        self.notice = "Vos modifications non enregistrées ont été annulées."
        await self._reload_off_loop(statistics=False)
        return rx.call_script(NO_WARNING)

    @rx.event
    async def save(self):
        self._assign(error="", notice="")
        try:
            # The session check and the submission's transaction, in a thread (see the module's docstring).
            receipt = await asyncio.to_thread(self._save, dict(self._draft))
        except UserError as refused:
            log.warning("wishes refused for session %s: %s", self.session_cookie[:4], refused)
            self.error = str(refused)
            return rx.toast.error(str(refused))
        (await self.get_state(WishesReceiptState))._just_issued = receipt  # the page opened next shows it
        self._draft = {}
        self.pending = 0
        return [rx.call_script(NO_WARNING), rx.redirect(routes.WISHES_RECEIPT.path)]

    def _save(self, draft: dict[int, int]) -> receipts.Receipt:
        with calendar.read_once():  # the session check reads the calendar's version: the phase check may reuse it
            return wishes.save_wishes(self._student(), draft)


class WishesReceiptState(AppState):
    receipt: receipts.Receipt = receipts.NO_RECEIPT
    found: bool = False  # a list is recorded (with or without a receipt)
    loaded: bool = False
    error: str = ""
    _just_issued: receipts.Receipt | None = None  # set by the save that opens this page; used once

    # The session, the shell and the receipt are read in a thread (as Mes vœux's load), so the worker's event loop
    # serves its other clients meanwhile; only the vars that changed are assigned (a reload sends nothing back).
    @rx.event
    async def load(self):
        return await asyncio.to_thread(self._load_once)

    def _load_once(self):
        with calendar.read_once():  # the shell's calendar: one read
            return self._load()

    def _load(self):
        just_issued = self._just_issued
        if just_issued is not None:  # assigned only when set: a page opened again changes nothing
            self._just_issued = None
        user, redirect = self._enter(Role.STUDENT, *routes.WISHES_RECEIPT.roles)
        if redirect:
            self._assign(receipt=receipts.NO_RECEIPT, found=False, loaded=False, error="")
            return redirect
        try:
            found = receipts.latest_receipt(user, just_issued)
        except AccessDenied as denied:
            self._assign(receipt=receipts.NO_RECEIPT, found=False, loaded=False, error=str(denied))
            return None
        self._assign(receipt=found or receipts.NO_RECEIPT, found=found is not None, loaded=True, error="")
        return None


# ------------------------------------------------------------------ view
# Mes vœux's controls, as the student has always read them: the selects above the text box, "Rechercher" and
# "Réinitialiser", two pagers "← Précédent" / "Suivant →".
LOOK = Look(
    selects_first=True, search_id="filter-search", search_hint="Terrain, établissement, responsable, indication…",
    search_button="Rechercher", search_button_id="search-button", reset_button="Réinitialiser",
    reset_button_id="reset-filters", reset_variant="outline", pagers=("top", "bottom"), previous="← Précédent",
    next="Suivant →", pager_id="page-info-{where}", previous_id="previous-page-{where}", next_id="next-page-{where}",
    pager_text_size="2", pager_live=False,
)


def _counter() -> rx.Component:
    c = WishesState.counter
    figure = rx.text(
        c.rated.to(str), " / ", c.required.to(str), " postes notés d'au moins un cœur",
        weight="bold", id="wishes-count",
    )
    return rx.cond(
        c.sufficient,
        notice(rx.vstack(figure, rx.text(c.message), spacing="1"), icon="circle-check",
                   color_scheme="green", id="wishes-sufficient", role="status", width="100%"),
        rx.cond(
            WishesState.editable,
            notice(rx.vstack(figure, rx.text(c.message, weight="bold", size="4"), spacing="1"),
                       icon="triangle-alert", color_scheme="red", variant="surface", id="wishes-insufficient",
                       role="alert", width="100%", border="2px solid #d92d20"),
            notice(rx.vstack(figure, rx.text(c.message), spacing="1"), icon="info",
                       color_scheme="gray", id="wishes-insufficient", width="100%"),
        ),
    )


def _save_bar() -> rx.Component:
    return rx.cond(
        WishesState.editable,
        rx.hstack(
            rx.button("Enregistrer mes vœux", on_click=WishesState.save, id="save-wishes", size="3"),
            rx.cond(
                WishesState.pending > 0,
                rx.hstack(
                    rx.badge(WishesState.pending.to(str), " modification(s) non enregistrée(s)", color_scheme="orange",
                             size="2", id="wishes-pending", role="status"),
                    rx.button("Annuler mes modifications", variant="ghost", color_scheme="gray",
                              on_click=WishesState.discard, id="discard-wishes"),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                rx.text("Toutes vos modifications sont enregistrées.", size="2", color="#555", id="wishes-saved"),
            ),
            rx.spacer(),
            rx.link("Mon dernier récépissé", href=routes.WISHES_RECEIPT.path, id="last-receipt-link", size="2"),
            align="center",
            spacing="4",
            width="100%",
            wrap="wrap",  # 320 px wide: the unsaved-changes count goes under the button instead of off screen
        ),
        rx.link("Mon dernier récépissé", href=routes.WISHES_RECEIPT.path, id="last-receipt-link", size="2"),
    )


def _shown_hearts(row: rx.Var) -> rx.Var:
    """The hearts the row's post shows: saved, or changed in this tab (``WishesState.hearts``)."""
    return WishesState.hearts[row.post_id.to(str)].to(int)


def _heart_radio(row: rx.Var, count: int, content: rx.Component, label: str, **props) -> rx.Component:
    """One choice of the hearts radio group (WAI-ARIA "radio group"): only the checked choice is a tab stop
    (roving tabindex); the arrow keys move and check within the group (assets/a11y.js); Space checks.

    Outside the wishes phase the group is read-only, not disabled: a keyboard or screen reader user still reaches
    each post's hearts and hears them ("lecture seule"); a click gets the server's refusal, nothing changes."""
    checked = _shown_hearts(row) == count
    return rx.el.button(
        content,
        type="button",
        role="radio",
        aria_checked=checked,
        tab_index=rx.cond(checked, 0, -1),
        on_click=WishesState.set_hearts(row.post_id, count),
        aria_label=label,
        **props,
    )


def _heart_button(row: rx.Var, count: int) -> rx.Component:
    filled = _shown_hearts(row) >= count
    return _heart_radio(
        row, count,
        rx.icon("heart", size=22, color=rx.cond(filled, "#d92d20", "#667085"),
                fill=rx.cond(filled, "#d92d20", "none"), aria_hidden="true"),
        _hearts_label(count),
        title=_hearts_label(count),
        class_name="heart-button",
        style={"background": "none", "border": "none", "padding": "2px", "cursor": "pointer"},
    )


def _hearts_control(row: rx.Var) -> rx.Component:
    label_id = "hearts-label-" + row.post_id.to(str)
    return rx.hstack(
        # The group's visible label; the post it rates is spelt out for screen readers, who reach the group
        # without reading the card above it.
        rx.el.span(
            "Vos cœurs",
            rx.el.span(" pour le poste n° ", row.post_number.to(str), ", ", row.site_name,
                       class_name="sr-only"),
            " :",
            id=label_id,
            class_name="hearts-label",
            style={"fontSize": "0.875em", "color": "#444"},
        ),
        rx.hstack(
            _heart_radio(
                row, 0, "0", "0 cœur sur 5 (ne jamais m'affecter sur ce poste)",
                title="0 cœur : ne jamais m'affecter sur ce poste",
                class_name="heart-zero",
                style={"border": "1px solid #667085", "border_radius": "4px", "padding": "0 6px",
                       "background": "white", "cursor": "pointer"},
            ),
            *[_heart_button(row, count) for count in range(1, 6)],
            role="radiogroup",
            aria_labelledby=label_id,
            aria_readonly=rx.cond(WishesState.editable, "false", "true"),
            spacing="1",
            align="center",
            class_name="hearts-control",
        ),
        rx.text(_shown_hearts(row).to(str), " / 5", size="2", class_name="hearts-value", aria_hidden="true"),
        rx.cond(_shown_hearts(row) != row.saved, rx.badge("non enregistré", color_scheme="orange", class_name="unsaved-badge")),
        spacing="2",
        align="center",
        wrap="wrap",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.vstack(
        post_card(row),
        rx.cond(row.description != "",
                rx.text(row.description, size="2", color="#444", white_space="pre-wrap",
                        class_name="post-description")),
        rx.cond(row.file_path != "",
                rx.link("Fichier descriptif du poste (PDF)", href=backend_url(row.file_path),
                        is_external=True, size="2", class_name="post-file")),
        _hearts_control(row),
        rx.cond(row.local, rx.badge("Dans votre subdivision", color_scheme="green", class_name="local-badge")),
        spacing="1",
        width="100%",
        class_name="wish-row",
        padding_bottom="0.75em",
    )


def wishes_page() -> rx.Component:
    return shell(
        error_callout(WishesState.error, "wishes-error"),
        rx.cond(WishesState.notice != "", rx.callout(WishesState.notice, icon="check", color_scheme="green",
                                                    id="wishes-notice", role="status")),
        rx.cond(
            WishesState.loaded,
            rx.vstack(
                rx.callout(WishesState.window_text, icon="calendar",
                           color_scheme=rx.cond(WishesState.editable, "blue", "gray"), id="wishes-window"),
                rx.cond(
                    WishesState.editable,
                    rx.text("Notez de 0 à 5 cœurs les postes de votre spécialité (0 : ne jamais m'affecter sur ce "
                            "poste). Les responsables ne voient jamais vos cœurs. Vos notes ne sont enregistrées "
                            "qu'en cliquant sur « Enregistrer mes vœux ».", size="2", color="#444", id="wishes-help"),
                    rx.text("Voici les cœurs enregistrés pour ce tour (0 : ne jamais m'affecter sur ce poste). Les "
                            "responsables ne voient jamais vos cœurs.", size="2", color="#444", id="wishes-help"),
                ),
                rx.box(
                    rx.vstack(_counter(), _save_bar(), spacing="2", width="100%"),
                    position="sticky", top="0", z_index="5", background="white", padding_y="0.5em", width="100%",
                    id="wishes-top",
                ),
                table_section(WishesState, wish_posts.TABLE, card=_row, look=LOOK, error=False,
                              empty="Aucun poste ne correspond à ces critères."),
                spacing="4",
                width="100%",
                align="start",
            ),
        ),
        title="Mes vœux",
    )


def _receipt_line(wish: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(wish.hearts.to(str), " / 5"),
        rx.table.cell(wish.post_number.to(str)),
        rx.table.cell(wish.site),
        rx.table.cell(wish.establishment),
        rx.table.cell(wish.subdivision),
        class_name="receipt-line",
    )


def wishes_receipt_page() -> rx.Component:
    r = WishesReceiptState.receipt
    return shell(
        error_callout(WishesReceiptState.error, "receipt-error"),
        rx.cond(
            WishesReceiptState.loaded,
            rx.cond(
                WishesReceiptState.found,
                rx.vstack(
                    rx.cond(
                        r.issued,
                        notice(
                            rx.vstack(
                                rx.text("Vos vœux du tour ", r.round_number.to(str), " ont été enregistrés le ",
                                        rx.text.strong(r.at), " (heure de Paris).", id="receipt-at"),
                                rx.text("Empreinte du récépissé : ",
                                        rx.code(r.digest, id="receipt-digest", size="4")),
                                rx.text("Une copie a été envoyée à ", r.mailed_to, ".", size="2"),
                                spacing="2",
                            ),
                            icon="circle-check", color_scheme="green", id="receipt-summary", role="status",
                            width="100%",
                        ),
                        # Wishes recorded without a receipt (e.g. loaded data): show them, and say so.
                        notice(
                            rx.text("Voici vos vœux du tour ", r.round_number.to(str),
                                    " tels qu'ils sont enregistrés (dernière modification le ",
                                    rx.text.strong(r.at), ", heure de Paris). Aucun récépissé horodaté "
                                    "n'a été émis pour cette liste.", id="receipt-at"),
                            icon="info", color_scheme="blue", id="receipt-summary", role="status", width="100%",
                        ),
                    ),
                    rx.cond(
                        r.sufficiency.sufficient,
                        rx.callout(r.sufficiency.message, icon="circle-check", color_scheme="green",
                                   id="receipt-sufficiency"),
                        rx.callout(r.sufficiency.message, icon="triangle-alert", color_scheme="red",
                                   id="receipt-sufficiency", role="alert"),
                    ),
                    rx.text("Liste enregistrée (numéro INE ", r.ine, ")", weight="bold"),
                    rx.table.root(
                        rx.table.header(rx.table.row(
                            rx.table.column_header_cell("Cœurs"), rx.table.column_header_cell("N° du poste"),
                            rx.table.column_header_cell("Terrain de stage"),
                            rx.table.column_header_cell("Établissement"), rx.table.column_header_cell("Subdivision"),
                        )),
                        rx.table.body(rx.foreach(r.wishes.to(list[receipts.ReceiptWish]), _receipt_line)),
                        variant="surface", width="100%", id="receipt-table",
                    ),
                    rx.cond(
                        r.issued,
                        rx.text("Conservez l'empreinte : elle est calculée sur votre INE, le tour, la liste exacte "
                                "et l'horodatage, et permet de prouver ce qui a été enregistré.", size="2",
                                color="#555"),
                    ),
                    rx.link("← Retour à mes vœux", href=routes.WISHES.path, id="back-to-wishes"),
                    spacing="3",
                    width="100%",
                    align="start",
                ),
                rx.vstack(
                    rx.text("Vous n'avez encore enregistré aucun vœu.", id="no-receipt"),
                    rx.link("← Retour à mes vœux", href=routes.WISHES.path, id="back-to-wishes"),
                ),
            ),
        ),
        title="Récépissé de mes vœux",
    )
