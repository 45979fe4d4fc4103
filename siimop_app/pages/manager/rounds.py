"""Tours d'appariement: the manager closes a matched round (in the background, with progress) and records
the in-person round's placements."""

from __future__ import annotations

import asyncio
import logging
import queue

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import Role
from siimop_app.domain.round_status import RoundStatus
from siimop_app.services import outbox, result_mail, round_admin, rounds
from siimop_app.services.access import AccessDenied
from siimop_app.services.overview import Choice
from siimop_app.states.session import AppState
from siimop_app.ui.components import confirm_dialog, error_callout, progress_status
from siimop_app.ui.shell import shell
from siimop_app.validation import parse_int

log = logging.getLogger(__name__)


def _checked_id(value) -> int:
    number = parse_int(value, lo=1)
    if number is None:
        raise rounds.RoundError("Ce tour n'existe pas.")
    return number


class ManagerRoundsState(AppState):
    rounds: list[round_admin.RoundCard] = []
    # The wave shown (its id as text) and the waves to choose from: earlier campaigns stay readable.
    wave_id: str = ""
    waves: list[Choice] = []
    error: str = ""
    message: str = ""
    closing: bool = False
    progress_label: str = ""
    progress_value: int = 0
    # The in-person form (kept after an error, emptied after a placement) and its placements.
    ine: str = ""
    post_number: str = ""
    placements: list[round_admin.Placement] = []
    mail_status: str = ""  # the outbox's counts: result mails queued, sent, failed
    can_retry_mail: bool = False  # an admin, and mails given up: they may be queued again
    # An irreversible action waits for the manager's confirmation, which says what it will do.
    confirm_open: bool = False
    confirm_title: str = ""
    confirm_text: str = ""
    _pending: tuple = ()

    def _refresh(self, user) -> None:
        self.waves = round_admin.wave_choices(user)
        if self.wave_id not in {w.value for w in self.waves}:
            default = round_admin.default_wave_id(user)
            self.wave_id = str(default) if default is not None else ""
        self.rounds = self._rounds(user)
        self.mail_status = outbox.status_line(user)
        self.can_retry_mail = Role.ADMIN in user.roles and outbox.counts().failed > 0
        in_person = next((r for r in self.rounds if r.in_person), None)
        self.placements = round_admin.in_person_placements(user, in_person.id) if in_person else []

    def _rounds(self, user) -> list[round_admin.RoundCard]:
        return round_admin.list_rounds(user, parse_int(self.wave_id, lo=1))

    @rx.event
    def load(self):
        self.error = self.message = ""
        self.confirm_open = False
        user, redirect = self._enter(Role.MANAGER, *routes.MANAGER_ROUNDS.roles)
        if redirect:
            return redirect
        self._refresh(user)

    @rx.event
    def set_wave(self, value: str):
        self.error = self.message = ""
        try:
            user = self._require(*rounds.CLOSE_ROLES)
        except AccessDenied as refused:
            self.error = str(refused)
            return
        if str(value) in {w.value for w in round_admin.wave_choices(user)}:
            self.wave_id = str(value)
        self._refresh(user)

    @rx.event
    def set_ine(self, value: str):
        self.ine = str(value)[:32]

    @rx.event
    def set_post_number(self, value: str):
        self.post_number = str(value)[:12]

    def _ask(self, title: str, text: str, pending: tuple) -> None:
        self.confirm_title, self.confirm_text, self._pending = title, text, pending
        self.confirm_open = True

    @rx.event
    def ask_close(self, round_id: int):
        self.error = self.message = ""
        try:
            user = self._require(*rounds.CLOSE_ROLES)
            round_id = _checked_id(round_id)
            self._ask("Clôturer le tour ?", round_admin.close_preview(user, round_id), ("close", round_id))
        except UserError as refused:
            self.error = str(refused)

    @rx.event
    def ask_assign(self, round_id: int):
        self.error = self.message = ""
        try:
            user = self._require(*rounds.CLOSE_ROLES)
            round_id = _checked_id(round_id)
            preview = round_admin.preview_in_person(user, round_id=round_id, ine=self.ine,
                                                    post_number=self.post_number)
            self._ask("Confirmer l'affectation ?", preview.confirmation(),
                      ("assign", round_id, self.ine, self.post_number))
        except UserError as refused:
            log.warning("in-person placement refused: %s (%r, %r)", refused, self.ine, self.post_number)
            self.error = str(refused)

    @rx.event
    def ask_notify(self, round_id: int):
        self.error = self.message = ""
        row = next((r for r in self.rounds if r.id == round_id), None)
        if row is None:
            self.error = "Ce tour n'existe pas."
            return
        self._ask("Envoyer les résultats ?",
                  f"Envoyer par e-mail les résultats du tour {row.number} à chaque étudiant concerné et aux "
                  "responsables de chaque poste ? Chacun ne les reçoit qu'une fois ; l'envoi ne peut pas être annulé.",
                  ("notify", row.id))

    @rx.event
    def ask_cancel(self, assignment_id: int):
        self.error = self.message = ""
        row = next((p for p in self.placements if p.id == assignment_id), None)
        if row is None:
            self.error = "Cette affectation n'existe pas ou n'a pas été saisie en présentiel."
            return
        self._ask("Annuler l'affectation ?",
                  f"Annuler l'affectation de {row.student} (INE {row.ine}) au poste n° {row.post_number} ? "
                  "La place redevient disponible et l'étudiant redevient non affecté.", ("cancel", row.id))

    @rx.event
    def ask_retry_mail(self):
        self.error = self.message = ""
        try:
            self._require(Role.ADMIN)  # the counts are every region's mail
        except AccessDenied as refused:
            self.error = str(refused)
            return
        failed = outbox.counts().failed
        self._ask("Renvoyer les e-mails en échec ?",
                  f"Remettre dans la file d'envoi les {failed} e-mail(s) qui n'ont pas pu partir (sauf les liens de "
                  "connexion, expirés depuis) ? Vérifiez d'abord que le serveur d'envoi fonctionne de nouveau.",
                  ("retry_mail",))

    def _retry_mail(self):
        try:
            user = self._require(Role.ADMIN)
            self.message = f"{outbox.retry_failed(user)} e-mail(s) remis dans la file d'envoi."
            self._refresh(user)
        except AccessDenied as refused:
            self.error = str(refused)

    @rx.event
    def dismiss(self, open_: bool = False):
        self.confirm_open = open_
        if not open_:
            self._pending = ()

    @rx.event
    def confirm(self):
        pending, self._pending, self.confirm_open = self._pending, (), False
        if not pending:
            return None
        if pending[0] == "close":
            return ManagerRoundsState.close(pending[1])
        if pending[0] == "assign":
            return self._place_in_person(*pending[1:])
        if pending[0] == "notify":
            return self._notify(pending[1])
        if pending[0] == "retry_mail":
            return self._retry_mail()
        return self._cancel(pending[1])

    @rx.event(background=True)
    async def close(self, round_id: int):
        async with self:
            if self.closing:
                return
            try:
                user = self._require(*rounds.CLOSE_ROLES)
            except AccessDenied as denied:
                self.error = str(denied)
                return
            self.closing, self.error, self.message = True, "", ""
            self.progress_label, self.progress_value = "Démarrage…", 0
        # The engine runs in a worker thread; its progress comes back through a queue that this
        # coroutine drains, because only the event loop may write the state.
        steps: queue.Queue[tuple[str, float]] = queue.Queue()
        task = asyncio.get_running_loop().run_in_executor(
            None,
            lambda: rounds.close_round(round_id=round_id, actor_user_id=user.user_id,
                                       progress=lambda label, fraction: steps.put((label, fraction))),
        )
        while not task.done():
            await asyncio.sleep(0.3)
            await self._drain(steps)
        await self._drain(steps)
        async with self:
            try:
                report = task.result()
                self.message = report.summary()
            except UserError as refused:
                self.error = str(refused)
            except Exception:
                log.exception("closing round %s failed", round_id)
                self.error = "La clôture a échoué ; le tour est resté ouvert, rien n'a été enregistré."
            self.closing = False
            self.rounds = self._rounds(user)

    async def _drain(self, steps: queue.Queue) -> None:
        latest = None
        while not steps.empty():
            latest = steps.get_nowait()
        if latest is not None:
            async with self:
                self.progress_label, self.progress_value = latest[0], int(100 * latest[1])

    @rx.event
    def notify(self, round_id: int):
        return self._notify(round_id)

    def _notify(self, round_id: int):
        self.error = self.message = ""
        try:
            user = self._require(*rounds.CLOSE_ROLES)
            sent = result_mail.notify_results(round_id, actor_user_id=user.user_id)
            self.message = (f"Résultats du tour {sent.round_number} envoyés à {sent.students} étudiants et "
                            f"{sent.supervisors} responsables." if not sent.already_sent
                            else "Les résultats de ce tour ont déjà été envoyés.")
            self._refresh(user)
        except UserError as refused:
            self.error = str(refused)

    def _place_in_person(self, round_id: int, ine: str, post_number: str):
        try:
            user = self._require(*rounds.CLOSE_ROLES)
            self.message = round_admin.assign_in_person(user, round_id=round_id, ine=ine, post_number=post_number)
            self.ine = self.post_number = ""
            self._refresh(user)
        except UserError as refused:
            log.warning("in-person placement refused: %s (%r, %r)", refused, ine, post_number)
            self.error = str(refused)

    def _cancel(self, assignment_id: int):
        try:
            user = self._require(*rounds.CLOSE_ROLES)
            self.message = round_admin.cancel_in_person(user, assignment_id=assignment_id)
            self._refresh(user)
        except UserError as refused:
            log.warning("cancelling in-person placement %s refused: %s", assignment_id, refused)
            self.error = str(refused)


_SUBMIT_ON_ENTER = rx.Var(
    "((event) => { if (event.key === 'Enter') { event.preventDefault(); document.getElementById('assign-submit')?.click(); } })"
)


def _round_card(r: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(r.title, size="4", as_="h2"),
                rx.badge(r.status_label, color_scheme=rx.cond(r.status == RoundStatus.CLOSED.value, "green", "gray")),
                align="center",
                spacing="3",
            ),
            rx.text(r.placed.to(str) + " étudiant(s) affecté(s)", size="2"),
            rx.cond(r.closed != "", rx.text("Clôturé " + r.closed, size="2", color="#555")),
            rx.cond(
                r.in_person,
                rx.cond(
                    r.status == RoundStatus.OPEN.value,
                    rx.vstack(
                        # No <form>: its submit callback cannot see the round of this loop; Enter clicks the button.
                        rx.hstack(
                            rx.input(value=ManagerRoundsState.ine, on_change=ManagerRoundsState.set_ine,
                                     placeholder="Numéro INE", aria_label="Numéro INE de l'étudiant",
                                     id="assign-ine", custom_attrs={"onKeyDown": _SUBMIT_ON_ENTER}),
                            rx.input(value=ManagerRoundsState.post_number,
                                     on_change=ManagerRoundsState.set_post_number, placeholder="N° du poste",
                                     aria_label="Numéro du poste", id="assign-post", width="8em",
                                     custom_attrs={"onKeyDown": _SUBMIT_ON_ENTER}),
                            rx.button("Affecter…", on_click=ManagerRoundsState.ask_assign(r.id),
                                      id="assign-submit"),
                            spacing="2",
                            wrap="wrap",
                        ),
                        _placements(),
                        width="100%",
                        align="start",
                    ),
                ),
                rx.fragment(
                    rx.cond(
                        r.status == RoundStatus.CLOSED.value,
                        rx.cond(
                            r.notified,
                            rx.text("Résultats envoyés par e-mail.", size="2", color="#555"),
                            rx.button("Envoyer les résultats par e-mail…", on_click=ManagerRoundsState.ask_notify(r.id),
                                      variant="soft", id="notify-round-" + r.number.to(str)),
                        ),
                    ),
                    rx.cond(
                        r.status == RoundStatus.OPEN.value,
                        rx.button(
                            "Clôturer le tour et lancer l'appariement…",
                            on_click=ManagerRoundsState.ask_close(r.id),
                            disabled=ManagerRoundsState.closing,
                            color_scheme="red",
                            id="close-round-" + r.number.to(str),
                        ),
                    ),
                ),
            ),
            spacing="2",
            align="start",
        ),
        width="100%",
        class_name="round-card",
    )


def _placements() -> rx.Component:
    s = ManagerRoundsState
    return rx.cond(
        s.placements.length() > 0,
        rx.el.ul(
            rx.foreach(s.placements, lambda p: rx.el.li(
                rx.hstack(
                    rx.text(p.student, " (INE ", p.ine, ") — poste n° ", p.post_number.to(str), " ",
                            p.site, " — ", p.when, size="2"),
                    rx.button("Annuler", on_click=s.ask_cancel(p.id), size="1", variant="soft", color_scheme="red",
                              aria_label="Annuler l'affectation de " + p.student),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                class_name="in-person-placement",
            )),
            id="in-person-placements",
            style={"paddingLeft": "1.25em"},
        ),
    )


def manager_rounds_page() -> rx.Component:
    s = ManagerRoundsState
    return shell(
        rx.vstack(
            rx.text(
                "La clôture d'un tour prend les listes de vœux suffisantes, les classements valides et les places "
                "restantes, lance l'appariement, vérifie sa stabilité et enregistre toutes les affectations d'un coup.",
                size="2", color="#555",
            ),
            error_callout(s.error, "rounds-error"),
            rx.cond(s.message != "", rx.callout(s.message, icon="check", color_scheme="green", id="rounds-message",
                                                role="status")),
            progress_status(s.closing, s.progress_label, s.progress_value, label_id="close-progress-label"),
            rx.hstack(
                rx.el.label("Vague", html_for="round-wave", class_name="rt-Text rt-r-size-2 rt-r-weight-medium"),
                # A wave's name is long ("Campagne Mai 2026 — Vague 1 …"): the list narrows with the screen (320 px).
                rx.el.select(rx.foreach(s.waves, lambda w: rx.el.option(w.label, value=w.value)),
                             id="round-wave", value=s.wave_id, on_change=s.set_wave, max_width="100%", min_width="0"),
                align="center", spacing="2", wrap="wrap", width="100%", min_width="0",
            ),
            rx.vstack(rx.foreach(s.rounds, _round_card), spacing="3", width="100%", id="rounds"),
            rx.hstack(
                rx.text(s.mail_status, size="2", id="mail-outbox-status", role="status"),
                rx.cond(s.can_retry_mail, rx.button("Renvoyer les e-mails en échec…", on_click=s.ask_retry_mail,
                                                    variant="soft", id="retry-failed-mail")),
                align="center", spacing="3", wrap="wrap",
            ),
            confirm_dialog(open_=s.confirm_open, title=s.confirm_title, text=s.confirm_text, on_confirm=s.confirm,
                           on_open_change=s.dismiss),
            spacing="4", width="100%", align="stretch",
        ),
        title="Tours d'appariement",
    )
