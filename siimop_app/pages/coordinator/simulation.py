"""Simulation du tour (``/coordonnateur/simulation``): coordinators, managers and admins see what the open round
would give if it closed now (``services.dry_run``), within their scope, and managers remind the people whose
ranking or wish list stands in the way.

The engine runs in a worker thread (a background event, with progress); only the scope's rows, capped, reach
the browser. Every handler and the on_load re-read the session and the role; the services check the calendar
phase and the scope again.
"""

from __future__ import annotations

import asyncio
import logging
import queue
from collections.abc import Callable

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.services import auth, calendar, dry_run, reminders
from siimop_app.services.access import AccessDenied
from siimop_app.services.overview import Figure
from siimop_app.states.filtered_table import staff_interface
from siimop_app.states.session import AppState
from siimop_app.ui.components import confirm_dialog, error_callout, progress_status
from siimop_app.ui.data_table import statistic_tiles
from siimop_app.ui.shell import shell

log = logging.getLogger(__name__)

PHASE_LABELS = {"wishes": "période des vœux", "ranking": "période de classement"}


class DryRunState(AppState):
    available: bool = False
    round_text: str = ""
    running: bool = False
    progress_label: str = ""
    progress_value: int = 0
    error: str = ""
    message: str = ""
    has_report: bool = False
    heading: str = ""
    tiles: list[Figure] = []
    by_specialty: list[dry_run.RateLine] = []
    by_subdivision: list[dry_run.RateLine] = []
    unplaced: list[dry_run.UnplacedStudent] = []
    unplaced_note: str = ""
    empty_posts: list[dry_run.EmptyPost] = []
    empty_note: str = ""
    rankings_sentence: str = ""
    lists_sentence: str = ""
    supervisors: list[dry_run.RankingToFix] = []
    students_to_remind: list[dry_run.ListToComplete] = []
    can_remind: bool = False  # managers and admins remind; coordinators see who to contact
    confirm_open: bool = False
    confirm_text: str = ""

    def _clear(self) -> None:
        self.has_report = False
        self.heading, self.unplaced_note, self.empty_note = "", "", ""
        self.rankings_sentence = self.lists_sentence = ""
        self.tiles, self.by_specialty, self.by_subdivision = [], [], []
        self.unplaced, self.empty_posts, self.supervisors, self.students_to_remind = [], [], [], []

    @rx.event
    def load(self):
        with calendar.read_once():  # the shell and the round to simulate: one calendar read
            return self._load()

    def _load(self):
        self.error = self.message = ""
        self.running = False
        self._clear()
        self.confirm_open = False
        user, redirect = self._enter(staff_interface, *routes.DRY_RUN.roles)
        if redirect:
            self.can_remind = False
            return redirect
        self.can_remind = bool(set(user.roles) & set(reminders.REMIND_ROLES))
        self._check_round()
        return None

    @rx.event
    def ask_remind(self):
        """The confirmation says who would get a reminder, recomputed on the server now; nothing sent yet."""
        self.error = self.message = ""
        try:
            targets = reminders.reminder_targets(self._require(*reminders.REMIND_ROLES))
        except UserError as refused:
            self.error = str(refused)
            return
        self.confirm_text, self.confirm_open = targets.question(), True

    @rx.event
    def dismiss(self, open_: bool = False):
        self.confirm_open = open_

    @rx.event
    def remind(self):
        self.confirm_open = False
        self.error = self.message = ""
        try:
            report = reminders.send_reminders(self._require(*reminders.REMIND_ROLES))
        except UserError as refused:
            log.warning("reminders refused: %s", refused)
            self.error = str(refused)
            return
        self.message = report.summary()

    def _check_round(self) -> None:
        try:
            which = dry_run.open_round()
        except dry_run.DryRunError as closed:
            self.available, self.round_text = False, str(closed)
            return
        self.available = True
        self.round_text = (f"Tour {which.round_number}, {PHASE_LABELS[which.phase]} ouverte : la simulation "
                           "porte sur les vœux et les classements enregistrés à cet instant.")

    def _begin(self) -> auth.SignedInUser | None:
        """Checks before the engine starts (role, nothing already running); None when refused."""
        if self.running:
            return None
        try:
            user = self._require(*dry_run.DRY_RUN_ROLES)
        except AccessDenied as denied:
            self.error = str(denied)
            return None
        self.running, self.error, self.message = True, "", ""
        self.progress_label, self.progress_value = "Démarrage…", 0
        return user

    def _finish(self, outcome: Callable[[], dry_run.DryRunReport]) -> None:
        try:
            self._show(outcome())
        except UserError as refused:
            self.error = str(refused)
            self._clear()
            self._check_round()
        except Exception:
            log.exception("dry run failed")
            self.error = "La simulation a échoué ; rien n'a été modifié. Réessayez dans un instant."
        self.running = False

    def _show(self, report: dry_run.DryRunReport) -> None:
        self.has_report = True
        self.heading = f"Simulation du tour {report.round_number} faite le {report.at}"
        self.tiles = [
            Figure("Étudiants affectés (projection, votre périmètre)", report.rate),
            Figure("Étudiants qui resteraient non affectés", str(report.unplaced_total)),
            Figure("Places qui resteraient vides", f"{report.empty_places_total} ({report.empty_posts_total} poste(s))"),
            Figure("Affectés sur l'ensemble du tour (appariement national)",
                   f"{report.round_placed}/{report.round_students}"),
        ]
        self.by_specialty, self.by_subdivision = report.by_specialty, report.by_subdivision
        self.unplaced = report.unplaced
        self.unplaced_note = _shown(len(report.unplaced), report.unplaced_total)
        self.empty_posts = report.empty_posts
        self.empty_note = _shown(len(report.empty_posts), report.empty_posts_total)
        self.rankings_sentence, self.lists_sentence = report.rankings_sentence(), report.lists_sentence()
        self.supervisors = report.fix_rankings.people
        self.students_to_remind = report.fix_lists.people

    @rx.event(background=True)
    async def run(self):
        async with self:
            user = self._begin()
            if user is None:
                return
        # The engine runs in a worker thread; its progress comes back through a queue drained here,
        # because only the event loop may write the state.
        steps: queue.Queue[tuple[str, float]] = queue.Queue()
        task = asyncio.get_running_loop().run_in_executor(
            None, lambda: dry_run.run_dry_run(user, progress=lambda label, f: steps.put((label, f))))
        while not task.done():
            await asyncio.sleep(0.3)
            await self._drain(steps)
        async with self:
            self._finish(task.result)

    async def _drain(self, steps: queue.Queue) -> None:
        latest = None
        while not steps.empty():
            latest = steps.get_nowait()
        if latest is not None:
            async with self:
                self.progress_label, self.progress_value = latest[0], int(100 * latest[1])


def _shown(shown: int, total: int) -> str:
    return f"Les {shown} premières lignes sur {total} sont affichées." if shown < total else ""


def _table(rows, columns: list[tuple[str, str]], *, element_id: str, caption: str, empty: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.box(
            rx.table.root(
                rx.el.caption(caption, style={"textAlign": "left", "fontWeight": "bold", "padding": "0.3em 0"}),
                rx.table.header(rx.table.row(*(rx.table.column_header_cell(h, scope="col") for h, _ in columns))),
                rx.table.body(rx.foreach(rows, lambda row: rx.table.row(
                    rx.table.row_header_cell(getattr(row, columns[0][1]).to(str)),
                    *(rx.table.cell(getattr(row, key).to(str)) for _, key in columns[1:]),
                ))),
                size="1",
                variant="surface",
                id=element_id,
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
        ),
        rx.text(empty, size="2", color="#555", id=f"{element_id}-empty"),
    )


RATE_COLUMNS = [("", "label"), ("Étudiants", "students"), ("Affectés", "placed"), ("Taux projeté", "rate"),
                ("Non affectés", "unplaced"), ("dont listes insuffisantes", "insufficient")]


def _rate_table(rows, first: str, element_id: str, caption: str) -> rx.Component:
    return _table(rows, [(first, "label"), *RATE_COLUMNS[1:]], element_id=element_id, caption=caption,
                  empty="Aucun étudiant dans votre périmètre.")


def _report() -> rx.Component:
    s = DryRunState
    return rx.vstack(
        rx.heading(s.heading, as_="h2", size="4", id="dry-run-heading"),
        statistic_tiles(s.tiles, element_id="dry-run-figures"),
        rx.heading("Ce que donneraient les corrections", as_="h3", size="3"),
        rx.text(s.rankings_sentence, weight="bold", id="fix-rankings-sentence"),
        _table(s.supervisors, [("Responsable", "supervisor"), ("Poste n°", "post_number"), ("Terrain", "site"),
                               ("Subdivision", "subdivision"), ("Classement", "status"),
                               ("Règles non respectées", "problems")],
               element_id="fix-rankings", caption="Responsables dont le classement est non valide ou manquant",
               empty=""),
        rx.text(s.lists_sentence, weight="bold", id="fix-lists-sentence"),
        _table(s.students_to_remind, [("Étudiant", "student"), ("INE", "ine"), ("Spécialité", "specialty"),
                                      ("Subdivision", "subdivision"), ("Vœux", "rated"), ("Requis", "required"),
                                      ("Manquants", "missing")],
               element_id="fix-lists", caption="Étudiants dont la liste de vœux est insuffisante", empty=""),
        rx.cond(
            s.can_remind & ((s.supervisors.length() > 0) | (s.students_to_remind.length() > 0)),
            rx.button("Envoyer un rappel par e-mail…", on_click=s.ask_remind, variant="soft", id="send-reminders"),
        ),
        rx.heading("Taux d'affectation projeté", as_="h3", size="3"),
        _rate_table(s.by_specialty, "Spécialité", "rate-by-specialty", "Par spécialité"),
        _rate_table(s.by_subdivision, "Subdivision", "rate-by-subdivision", "Par subdivision"),
        rx.heading("Étudiants qui resteraient non affectés", as_="h3", size="3"),
        rx.cond(s.unplaced_note != "", rx.text(s.unplaced_note, size="2", color="#555")),
        _table(s.unplaced, [("Étudiant", "student"), ("INE", "ine"), ("Spécialité", "specialty"),
                            ("Subdivision", "subdivision"), ("Raison", "reason")],
               element_id="unplaced-students", caption="Étudiants non affectés et pourquoi",
               empty="Tous les étudiants de votre périmètre seraient affectés."),
        rx.heading("Postes qui resteraient vides", as_="h3", size="3"),
        rx.cond(s.empty_note != "", rx.text(s.empty_note, size="2", color="#555")),
        _table(s.empty_posts, [("Poste n°", "post_number"), ("Terrain", "site"), ("Établissement", "establishment"),
                               ("Spécialité", "specialty"), ("Subdivision", "subdivision"),
                               ("Places vides", "empty"), ("Places offertes", "places"), ("Raison", "reason")],
               element_id="empty-posts", caption="Postes avec des places vides et pourquoi",
               empty="Toutes les places de votre périmètre seraient pourvues."),
        spacing="3",
        align="start",
        width="100%",
        id="dry-run-report",
    )


def dry_run_page() -> rx.Component:
    s = DryRunState
    return shell(
        rx.text(
            "La simulation lance l'appariement sur les données actuelles du tour ouvert (listes de vœux suffisantes, "
            "classements valides, places restantes), exactement comme la clôture, mais n'enregistre aucune "
            "affectation. L'appariement porte sur tout le tour ; seuls les résultats de votre périmètre sont "
            "affichés.",
            size="2", color="#555",
        ),
        rx.callout(s.round_text, icon="info", color_scheme=rx.cond(s.available, "blue", "gray"), id="dry-run-round"),
        error_callout(s.error, "dry-run-error"),
        rx.cond(s.message != "", rx.callout(s.message, icon="check", color_scheme="green", id="dry-run-message",
                                            role="status")),
        rx.button("Lancer la simulation", on_click=s.run, disabled=s.running | ~s.available, id="run-dry-run"),
        progress_status(s.running, s.progress_label, s.progress_value, label_id="dry-run-progress-label"),
        rx.cond(s.has_report, _report()),
        confirm_dialog(open_=s.confirm_open, title="Envoyer les rappels ?", text=s.confirm_text, on_confirm=s.remind,
                       on_open_change=s.dismiss, confirm_label="Envoyer"),
        title="Simulation du tour",
    )
