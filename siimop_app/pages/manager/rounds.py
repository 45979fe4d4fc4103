"""Tours d'appariement: the manager closes a matched round (in the background, with progress) and records
the in-person round's placements."""

from __future__ import annotations

import asyncio
import logging
import queue

import reflex as rx

from siimop_app.services import result_mail, round_admin, rounds
from siimop_app.services.access import AccessDenied
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout
from siimop_app.ui.shell import shell
from siimop_app.validation import parse_int

log = logging.getLogger(__name__)


class ManagerRoundsState(AppState):
    rounds: list[dict] = []
    error: str = ""
    message: str = ""
    closing: bool = False
    progress_label: str = ""
    progress_value: int = 0

    @rx.event
    def load(self):
        self.error = self.message = ""
        user, redirect = self._enter("manager", *rounds.CLOSE_ROLES)
        if redirect:
            return redirect
        self.rounds = round_admin.list_rounds(user)

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
            except (rounds.RoundError, AccessDenied) as refused:
                self.error = str(refused)
            except Exception:
                log.exception("closing round %s failed", round_id)
                self.error = "La clôture a échoué ; le tour est resté ouvert, rien n'a été enregistré."
            self.closing = False
            self.rounds = round_admin.list_rounds(user)

    async def _drain(self, steps: queue.Queue) -> None:
        latest = None
        while not steps.empty():
            latest = steps.get_nowait()
        if latest is not None:
            async with self:
                self.progress_label, self.progress_value = latest[0], int(100 * latest[1])

    @rx.event
    def notify(self, round_id: int):
        self.error = self.message = ""
        try:
            user = self._require(*rounds.CLOSE_ROLES)
            sent = result_mail.notify_results(round_id, actor_user_id=user.user_id)
            self.message = (f"Résultats du tour {sent.round_number} envoyés à {sent.students} étudiants et "
                            f"{sent.supervisors} responsables." if not sent.already_sent
                            else "Les résultats de ce tour ont déjà été envoyés.")
            self.rounds = round_admin.list_rounds(user)
        except (rounds.RoundError, AccessDenied) as refused:
            self.error = str(refused)

    @rx.event
    def assign(self, form: dict):
        self.error = self.message = ""
        try:
            user = self._require(*rounds.CLOSE_ROLES)
            self.message = round_admin.assign_in_person(
                user, round_id=parse_int(form.get("round_id")) or 0, ine=str(form.get("ine", "")),
                post_number=str(form.get("post_number", "")),
            )
            self.rounds = round_admin.list_rounds(user)
        except (rounds.RoundError, AccessDenied) as refused:
            log.warning("in-person placement refused: %s (%r)", refused, form)
            self.error = str(refused)
        except ValueError:
            self.error = "Tour inconnu."


def _round_card(r: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(r["title"], size="4", as_="h2"),
                rx.badge(r["status_label"], color_scheme=rx.cond(r["status"] == "closed", "green", "gray")),
                align="center",
                spacing="3",
            ),
            rx.text(r["placed"].to(str) + " étudiant(s) affecté(s)", size="2"),
            rx.cond(r["closed"] != "", rx.text("Clôturé " + r["closed"].to(str), size="2", color="#555")),
            rx.cond(
                r["in_person"],
                rx.cond(
                    r["status"] == "open",
                    rx.form(
                        rx.hstack(
                            rx.el.input(type="hidden", name="round_id", value=r["id"].to(str)),
                            rx.input(name="ine", placeholder="Numéro INE", aria_label="Numéro INE de l'étudiant",
                                     id="assign-ine"),
                            rx.input(name="post_number", placeholder="N° du poste", aria_label="Numéro du poste",
                                     id="assign-post", width="8em"),
                            rx.button("Affecter", type="submit", id="assign-submit"),
                            spacing="2",
                        ),
                        on_submit=ManagerRoundsState.assign,
                        reset_on_submit=True,
                    ),
                ),
                rx.fragment(
                    rx.cond(
                        r["status"] == "closed",
                        rx.cond(
                            r["notified"],
                            rx.text("Résultats envoyés par e-mail.", size="2", color="#555"),
                            rx.button("Envoyer les résultats par e-mail", on_click=ManagerRoundsState.notify(r["id"]),
                                      variant="soft", id="notify-round-" + r["number"].to(str)),
                        ),
                    ),
                    rx.cond(
                        r["status"] == "open",
                        rx.button(
                            "Clôturer le tour et lancer l'appariement",
                            on_click=ManagerRoundsState.close(r["id"]),
                            disabled=ManagerRoundsState.closing,
                            color_scheme="red",
                            id="close-round-" + r["number"].to(str),
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


def manager_rounds_page() -> rx.Component:
    s = ManagerRoundsState
    return shell(
        rx.text(
            "La clôture d'un tour prend les listes de vœux suffisantes, les classements valides et les places "
            "restantes, lance l'appariement, vérifie sa stabilité et enregistre toutes les affectations d'un coup.",
            size="2", color="#555",
        ),
        error_callout(s.error, "rounds-error"),
        rx.cond(s.message != "", rx.callout(s.message, icon="check", color_scheme="green", id="rounds-message",
                                            role="status")),
        rx.cond(
            s.closing,
            rx.vstack(
                rx.text(s.progress_label, id="close-progress-label"),
                rx.progress(value=s.progress_value, max=100, width="100%"),
                width="100%",
                role="status",
            ),
        ),
        rx.vstack(rx.foreach(s.rounds, _round_card), spacing="3", width="100%", id="rounds"),
        title="Tours d'appariement",
    )
