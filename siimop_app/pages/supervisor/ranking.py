"""Classement des candidatures: the list of the supervisor's posts, and one post's ranking board.

The board has the seed's three columns — non-classées, classées (the order is the
rank), non-retenues — with arrows, a rank field and refuse/restore buttons, all
keyboard-reachable. Every move is saved at once by the rankings service, which
checks the phase, the référent and the input; the red banner lists live the rules
that fail. The candidate cards never carry hearts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.domain.ranking_rules import BANNER
from siimop_app.domain.roles import Role
from siimop_app.ui.backend import backend_url
from siimop_app.services import calendar, observations, rankings
from siimop_app.services.access import AccessDenied
from siimop_app.services.candidates import CandidateCard
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout
from siimop_app.ui.shell import shell
from siimop_app.validation import parse_id, parse_int

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class BoardCard:
    """A candidate as the board shows it (never the hearts)."""

    id: int
    name: str
    ine: str
    specialty: str
    subdivision: str
    local: bool
    decale: bool
    rank: int = 0  # 0 outside the ranked column

    @classmethod
    def of(cls, card: CandidateCard, rank: int = 0) -> "BoardCard":
        return cls(id=card.student_id, name=card.full_name, ine=card.ine, specialty=card.specialty,
                   subdivision=card.subdivision, local=card.is_local, decale=card.semestre_decale, rank=rank)


_BLUR_ON_ENTER = rx.Var("((event) => { if (event.key === 'Enter') { event.preventDefault(); event.currentTarget.blur(); } })")

class RankingListState(AppState):
    posts: list[rankings.RankingPostLine] = []

    @rx.event
    def load(self):
        user, redirect = self._enter(Role.SUPERVISOR, *routes.RANKING_LIST.roles)
        if redirect:
            return redirect
        wave = calendar.current_wave()
        self.posts = rankings.ranking_posts(user, wave.wave_id) if wave else []


class RankingBoardState(AppState):
    title: str = ""
    access_label: str = ""
    other_supervisors: list[str] = []
    places: int = 0
    editable: bool = False
    notice: str = ""
    error: str = ""
    ranked: list[BoardCard] = []
    unranked: list[BoardCard] = []
    refused: list[BoardCard] = []
    valid: bool = False
    problems: list[str] = []
    board_loaded: bool = False
    # Part of every rank field's key: a refused rank remounts the fields, so they show the saved rank again.
    board_revision: int = 0
    # The candidate's file ("Dossier candidature") and the supervisor's own notes.
    file_open: bool = False
    file: rankings.CandidateFile = rankings.CandidateFile()
    observation: str = ""
    observation_message: str = ""

    def _requested_post(self) -> int | None:
        return parse_id(self.post_id)

    def _show(self, view: rankings.RankingView) -> None:
        self.title = view.title
        self.access_label = view.access_label
        self.other_supervisors = list(view.other_supervisors)
        self._show_board(view)
        self.board_loaded = True

    def _show_board(self, view: rankings.RankingView) -> None:
        """The board, banner and places of ``view``, assigned only where changed (``_assign``): a move touches one or
        two columns, not the whole board."""
        cards = view.cards
        self._assign(
            places=view.places,
            editable=view.editable,
            notice=view.notice,
            ranked=[BoardCard.of(cards[sid], rank) for rank, sid in enumerate(view.board.ranked, start=1)],
            unranked=[BoardCard.of(cards[sid]) for sid in view.board.unranked],
            refused=[BoardCard.of(cards[sid]) for sid in view.board.refused],
            valid=view.check.valid,
            problems=list(view.check.problems),
        )
        self.board_revision += 1

    def _clear(self) -> None:
        self.title = self.access_label = self.notice = ""
        self.other_supervisors, self.ranked, self.unranked, self.refused, self.problems = [], [], [], [], []
        self.editable = self.valid = self.board_loaded = self.file_open = False
        self.file = rankings.CandidateFile()

    @rx.event
    async def load(self):
        # In a thread, as a move (see ``_move``): a board load is ~20 queries the worker's other clients need not
        # wait for.
        return await asyncio.to_thread(self._load_once)

    def _load_once(self):
        with calendar.read_once():  # the shell and the board: one calendar read
            return self._load_board()

    def _load_board(self):
        reopen = self.file.student_id if self.file_open else 0
        self._clear()
        self.error = ""
        user, redirect = self._enter(Role.SUPERVISOR, *routes.RANKING_BOARD.roles)
        if redirect:
            return redirect
        post_id = self._requested_post()
        try:
            if post_id is None:
                raise AccessDenied("Ce poste ne fait pas partie de vos postes.")
            self._show(rankings.ranking_board(user, post_id))
        except AccessDenied as denied:
            log.warning("user %s refused ranking of post %r: %s", user.user_id, self.post_id, denied)
            self.error = str(denied)
            return
        if reopen:
            # The page's data was reloaded (reconnection, second tab): an open file stays open, re-read.
            self._read_file(user, post_id, reopen)

    def _apply(self, action: str, student_id: int, position: int | None) -> rankings.RankingView:
        with calendar.read_once():  # the session check reads the calendar's version: the phase check may reuse it
            user = self._require(Role.SUPERVISOR)
            post_id = self._requested_post()
            if post_id is None:
                raise AccessDenied("Ce poste ne fait pas partie de vos postes.")
            return rankings.apply_move(user, post_id, action, student_id, position)

    async def _move(self, action: str, student_id: int, position: int | None = None):
        if self.error:  # assigned only when it changes: every assigned var goes back to the browser
            self.error = ""
        try:
            # The session check and the move's transaction (about 15 round trips to the database) run in a
            # thread: the worker's event loop serves its other clients meanwhile instead of waiting with them
            # (issue 13). This client's state is held by this event until it returns, so nothing else touches it.
            view = await asyncio.to_thread(self._apply, action, student_id, position)
            self._show_board(view)
        except UserError as refused:
            log.warning("ranking move %s of student %r on post %r refused: %s", action, student_id, self.post_id, refused)
            self.error = str(refused)
            self.board_revision += 1
            return rx.toast.error(str(refused))
        # Nothing but the board goes back: the browser brings the moved card into view and gives the focus back to
        # its control itself (assets/a11y.js). A script sent with every move made it two socket messages per move,
        # 1,275 bytes instead of 760 (issue 13).
        return None

    @rx.event
    async def rank_last(self, student_id: int):
        return await self._move("rank", student_id)

    @rx.event
    async def move_up(self, student_id: int):
        return await self._move("up", student_id)

    @rx.event
    async def move_down(self, student_id: int):
        return await self._move("down", student_id)

    @rx.event
    async def refuse(self, student_id: int):
        return await self._move("refuse", student_id)

    @rx.event
    async def unrank(self, student_id: int):
        return await self._move("unrank", student_id)

    @rx.event
    async def set_rank(self, student_id: int, value: str):
        current = next((c.rank for c in self.ranked if c.id == student_id), None)
        if current is not None and str(value).strip() == str(current):
            return None  # left unchanged (or blurred after Enter applied it): nothing to save
        rank = parse_int(value, lo=1)
        if rank is None:
            self.error = "Le rang doit être un nombre entier."
            self.board_revision += 1
            return rx.toast.error(self.error)
        return await self._move("rank", student_id, rank)

    def _read_file(self, user, post_id: int, student_id: int) -> None:
        self.file = rankings.candidate_file(user, post_id, student_id)
        self.observation = observations.read(user, student_id)
        self.file_open = True

    @rx.event
    def open_file(self, student_id: int):
        self.observation_message = ""
        try:
            user = self._require(Role.SUPERVISOR)
            self._read_file(user, self._requested_post() or 0, student_id)
        except AccessDenied as denied:
            self.error = str(denied)

    @rx.event
    def close_file(self, open_: bool = False):
        self.file_open = open_

    @rx.event
    def set_observation(self, value: str):
        self.observation = value

    @rx.event
    def save_observation(self):
        try:
            user = self._require(Role.SUPERVISOR)
            self.observation = observations.save(user, self.file.student_id, self.observation)
            self.observation_message = "Vos observations ont été enregistrées."
        except UserError as refused:  # AccessDenied included
            self.observation_message = str(refused)


# ------------------------------------------------------------------ components
def _badges(card: BoardCard) -> rx.Component:
    return rx.hstack(
        rx.cond(card.local, rx.badge("Dans votre subdivision", color_scheme="green")),
        rx.cond(card.decale, rx.badge("Prise de poste décalée", color_scheme="orange")),
        spacing="2",
        wrap="wrap",
    )


def _identity(card: BoardCard) -> rx.Component:
    return rx.vstack(
        _badges(card),
        # A button, not a link: an href would navigate (and reload the board) while the dialog opens.
        rx.el.button(
            card.name,
            on_click=RankingBoardState.open_file(card.id),
            type="button",
            aria_label="Ouvrir le dossier de candidature de " + card.name,
            class_name="candidate-name",
            style={"background": "none", "border": "none", "padding": "0", "cursor": "pointer", "textAlign": "left",
                   "fontWeight": "bold", "color": "var(--accent-11)", "textDecoration": "underline"},
        ),
        rx.text(card.ine, size="2"),
        rx.text(card.specialty, size="2"),
        rx.text(card.subdivision, size="2", color="#444"),
        spacing="1",
        align="start",
        class_name="candidate-identity",
    )


def _button(label: str, icon: str, on_click, name, color: str = "gray") -> rx.Component:
    return rx.tooltip(
        rx.icon_button(
            rx.icon(icon, size=16),
            on_click=on_click,
            disabled=~RankingBoardState.editable,
            variant="soft",
            color_scheme=color,
            size="1",
            aria_label=label + " : " + name,
            class_name=f"action-{icon}",
        ),
        content=label,
    )


def _unranked_card(card: BoardCard) -> rx.Component:
    return rx.card(
        rx.hstack(
            _identity(card),
            rx.spacer(),
            rx.vstack(
                _button("Classer en dernier", "arrow-right", RankingBoardState.rank_last(card.id), card.name, "blue"),
                _button("Ne pas retenir", "x", RankingBoardState.refuse(card.id), card.name, "red"),
                spacing="2",
            ),
            width="100%",
        ),
        class_name="unranked-card",
        id="candidate-" + card.id.to(str),
        tab_index=-1,
        width="100%",
    )


def _ranked_card(card: BoardCard) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.el.label("Rang", html_for="rank-" + card.id.to(str), font_size="0.8em"),
                rx.input(
                    id="rank-" + card.id.to(str),
                    default_value=card.rank.to(str),
                    key=card.id.to(str) + "-" + card.rank.to(str) + "-" + RankingBoardState.board_revision.to(str),
                    on_blur=lambda value: RankingBoardState.set_rank(card.id, value),
                    # Enter applies the rank like leaving the field does (in the browser: no round trip per key).
                    custom_attrs={"onKeyDown": _BLUR_ON_ENTER},
                    read_only=~RankingBoardState.editable,
                    input_mode="numeric",
                    width="4em",
                    size="2",
                    aria_label="Rang de " + card.name,
                    class_name="rank-input",
                ),
                spacing="1",
                align="center",
            ),
            _identity(card),
            rx.spacer(),
            rx.vstack(
                _button("Monter", "arrow-up", RankingBoardState.move_up(card.id), card.name),
                _button("Descendre", "arrow-down", RankingBoardState.move_down(card.id), card.name),
                _button("Retirer du classement", "arrow-left", RankingBoardState.unrank(card.id), card.name),
                _button("Ne pas retenir", "x", RankingBoardState.refuse(card.id), card.name, "red"),
                spacing="1",
            ),
            width="100%",
            align="start",
        ),
        class_name="ranked-card",
        id="candidate-" + card.id.to(str),
        tab_index=-1,
        width="100%",
    )


def _refused_card(card: BoardCard) -> rx.Component:
    return rx.card(
        rx.hstack(
            _identity(card),
            rx.spacer(),
            _button("Rétablir dans les candidatures non-classées", "undo-2", RankingBoardState.unrank(card.id),
                    card.name, "blue"),
            width="100%",
        ),
        class_name="refused-card",
        id="candidate-" + card.id.to(str),
        tab_index=-1,
        width="100%",
    )


def _column(title: rx.Component, items: rx.Var, render, empty: str, column_id: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="3", as_="h2"),
        rx.cond(items.length() > 0, rx.foreach(items, render), rx.text(empty, color="#555", size="2")),
        spacing="2",
        id=column_id,
        width="100%",
        background="#f6f7f9",
        padding="0.75em",
        border_radius="8px",
        align="start",
    )


VALID_TEXT = "Votre classement est valide : il sera pris en compte."


def _validity_banner() -> rx.Component:
    """The verdict and its problems. Screen readers hear the verdict only when it changes (a polite live region
    whose text is the verdict alone); the banner itself is no live region: its problems change with every move
    (counts), and announcing them each time would flood the user."""
    total = RankingBoardState.ranked.length() + RankingBoardState.unranked.length() + RankingBoardState.refused.length()
    verdict = rx.el.p(
        rx.cond(total > 0, rx.cond(RankingBoardState.valid, VALID_TEXT, BANNER), ""),
        id="ranking-verdict", role="status", aria_live="polite", class_name="sr-only",
    )
    return rx.fragment(verdict, _banner(total))


def _banner(total) -> rx.Component:
    return rx.cond(
        RankingBoardState.valid,
        rx.cond(
            total > 0,
            rx.callout(VALID_TEXT, icon="check", color_scheme="green", id="ranking-valid"),
        ),
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(BANNER, weight="bold"),
            rx.el.ul(rx.foreach(RankingBoardState.problems, lambda p: rx.el.li(p)), class_name="ranking-problems",
                     padding_left="1.25em"),
            color_scheme="red",
            id="ranking-invalid",
        ),
    )


def _file_dialog() -> rx.Component:
    f = RankingBoardState.file
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Dossier candidature"),
            rx.text(f.full_name, weight="bold", size="4"),
            rx.heading("Vos observations personnelles", size="3", as_="h2", margin_top="1em"),
            rx.text("Elles ne sont visibles que par vous.", size="1", color="#555"),
            rx.text_area(
                value=RankingBoardState.observation,
                on_change=RankingBoardState.set_observation,
                placeholder="Vous n'avez pas encore enregistré d'observations",
                id="observation",
                aria_label="Vos observations personnelles",
                rows="4",
                width="100%",
            ),
            rx.hstack(
                rx.button("Enregistrer les observations", on_click=RankingBoardState.save_observation, id="save-observation"),
                rx.text(RankingBoardState.observation_message, size="2", id="observation-message"),
                align="center",
            ),
            rx.heading("Texte de présentation", size="3", as_="h2", margin_top="1em"),
            rx.text(rx.cond(f.presentation != "", f.presentation, "Aucun texte de présentation."),
                    white_space="pre-wrap", id="presentation"),
            rx.heading("Documents", size="3", as_="h2", margin_top="1em"),
            rx.cond(
                f.documents.length() > 0,
                rx.foreach(
                    f.documents,
                    lambda d: rx.hstack(
                        rx.text(d.kind_label, weight="bold"),
                        rx.text(d.uploaded, size="2"),
                        rx.link("Télécharger", href=backend_url(d.download_path), is_external=True),
                        rx.link("Aperçu", href=backend_url(d.inline_path), is_external=True),
                        spacing="3",
                        class_name="candidate-document",
                    ),
                ),
                rx.text("Aucun document n'a été déposé par le candidat.", size="2", color="#555"),
            ),
            rx.dialog.close(rx.button("Fermer", variant="soft", margin_top="1em", id="close-file")),
            max_width="40em",
        ),
        open=RankingBoardState.file_open,
        on_open_change=RankingBoardState.close_file,
    )


def ranking_list_page() -> rx.Component:
    def row(post: rankings.RankingPostLine) -> rx.Component:
        return rx.table.row(
            rx.table.cell(
                rx.link(
                    rx.vstack(
                        rx.text(post.specialty, " - ", post.site_name, weight="bold"),
                        rx.text(post.establishment, " ", post.supervisor, " ", post.subdivision, size="2"),
                        spacing="0",
                        align="start",
                    ),
                    href=post.href,
                    underline="hover",
                ),
            ),
            rx.table.cell(rx.cond(post.decale, rx.badge("Décalé", color_scheme="orange"), "")),
            rx.table.cell(post.places_text),
            rx.table.cell(post.candidates.to(str)),
            rx.table.cell(rx.badge(post.ranking_status, color_scheme=rx.cond(post.ranking_valid, "green", "gray"))),
        )

    return shell(
        rx.text("Veuillez sélectionner le poste pour lequel vous voulez effectuer le classement en cliquant dessus.",
                margin_bottom="1em"),
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell("Poste"),
                rx.table.column_header_cell("Statut"),
                rx.table.column_header_cell("Restant à attribuer"),
                rx.table.column_header_cell("Candidatures"),
                rx.table.column_header_cell("Classement"),
            )),
            rx.table.body(rx.foreach(RankingListState.posts, row)),
            id="ranking-posts",
            width="100%",
        ),
        title="Classement des candidatures",
    )


def ranking_board_page() -> rx.Component:
    s = RankingBoardState
    return shell(
        error_callout(s.error, "ranking-error"),
        rx.cond(
            s.board_loaded,
            rx.vstack(
                rx.link("← " + s.title, href=routes.RANKING_LIST.path, weight="bold", id="ranking-title"),
                rx.hstack(
                    rx.badge(s.access_label, color_scheme="blue", id="access-label"),
                    rx.text(s.places.to(str) + " place(s) à pourvoir", size="2"),
                    spacing="3",
                ),
                rx.foreach(s.other_supervisors, lambda o: rx.text(o, size="2", class_name="other-supervisor")),
                rx.cond(s.notice != "", rx.callout(s.notice, icon="info", color_scheme="gray", id="ranking-notice")),
                # Sticky: the banner stays in view while the user works far down a column.
                rx.box(_validity_banner(), position="sticky", top="0", z_index="5", background="white",
                       padding_y="0.25em", width="100%", id="ranking-banner"),
                rx.grid(  # "ranking-board": where assets/a11y.js keeps the focus with a moved card
                    _column(s.unranked.length().to(str) + " candidature(s) non-classée(s)", s.unranked, _unranked_card,
                            "Aucune candidature à classer.", "unranked-column"),
                    _column("Candidatures classées", s.ranked, _ranked_card,
                            "Veuillez classer les étudiants à gauche.", "ranked-column"),
                    _column("Candidatures non-retenues", s.refused, _refused_card,
                            "Aucun étudiant non retenu.", "refused-column"),
                    columns=rx.breakpoints(initial="1", md="3"),
                    spacing="4",
                    width="100%",
                    id="ranking-board",
                ),
                _file_dialog(),
                spacing="3",
                width="100%",
                align="start",
            ),
        ),
        title="Classement des candidatures",
    )
