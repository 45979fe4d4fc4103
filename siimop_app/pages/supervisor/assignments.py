"""Affectations: after each round, the supervisor's posts with the students placed on them (seed, "Affectations")."""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.domain.roles import Role
from siimop_app.services import calendar, results
from siimop_app.states.session import AppState
from siimop_app.ui.components import notice
from siimop_app.ui.shell import shell

ORDINALS = {1: "premier", 2: "deuxième", 3: "troisième"}


def _next_publication(wave: calendar.WaveCalendar, at) -> str:
    """The next results day still ahead: "Les résultats du premier tour seront publiés le DD/MM/YYYY."."""
    phase = results.next_results_phase(wave, at)
    if phase is None:
        return ""
    which = ORDINALS.get(phase.round_number, f"{phase.round_number}e")
    return f"Les résultats du {which} tour seront publiés le {phase.starts_on.strftime('%d/%m/%Y')}."


class SupervisorAssignmentsState(AppState):
    rounds: list[results.ResultRound] = []
    notice: str = ""

    @rx.event
    def load(self):
        self.rounds = []
        self.notice = ""
        user, redirect = self._enter(Role.SUPERVISOR, *routes.SUPERVISOR_ASSIGNMENTS.roles)
        if redirect:
            return redirect
        wave = calendar.current_wave()
        if wave is None:
            return
        at = calendar.now()
        self.rounds = results.supervisor_results(user_id=user.user_id, wave_id=wave.wave_id, at=at, calendar=wave)
        self.notice = _next_publication(wave, at)


def _student(student: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(student.specialty, size="2", color="#555"),
        rx.text(student.full_name, weight="bold"),
        spacing="0",
        class_name="assigned-student",
    )


def _card(card: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(card.specialty, weight="bold"),
                rx.badge(card.post_type, color_scheme="blue"),
                rx.text(card.duration),
                wrap="wrap",
                spacing="3",
                align="center",
            ),
            rx.text(card.site_name, weight="bold", size="4"),
            rx.text(card.establishment),
            rx.text(card.subdivision),
            rx.text(card.filled_text, weight="bold", color="#1d3557", class_name="filled-text"),
            rx.cond(
                card.students.length() > 0,
                rx.vstack(rx.foreach(card.students, _student), spacing="2", padding_top="0.5em"),
            ),
            spacing="1",
            align="start",
        ),
        width="100%",
        class_name="result-card",
    )


def _none_filled(number: rx.Var) -> rx.Component:
    return notice(
        rx.text(
            "Aucun de vos postes n'a été affecté durant l'appariement. Vous devez participer au prochain tour de la "
            "campagne. Pour plus de précisions veuillez consulter ",
            rx.link("le fil d'information", href=AppState.news_url, is_external=True),
            ".",
        ),
        icon="info",
        color_scheme="orange",
        id="none-filled-" + number.to_string(),
        class_name="none-filled",
        width="100%",
    )


def _round_section(result_round: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.heading(result_round.title, as_="h2", size="5"),
        rx.cond(
            result_round.none_filled,
            _none_filled(result_round.number),
            rx.vstack(rx.foreach(result_round.cards, _card), width="100%", spacing="3"),
        ),
        width="100%",
        spacing="3",
        id="round-" + result_round.number.to_string(),
        class_name="result-round",
    )


def supervisor_assignments_page() -> rx.Component:
    return shell(
        rx.vstack(
            rx.foreach(SupervisorAssignmentsState.rounds, _round_section),
            width="100%",
            spacing="5",
            id="result-rounds",
        ),
        rx.cond(
            SupervisorAssignmentsState.notice != "",
            rx.text(SupervisorAssignmentsState.notice, id="results-notice", padding_top="0.75em"),
        ),
        rx.text("À l'issue de chaque tour, l'affectation est consultable depuis l'onglet Affectations.",
                size="2", color="#555"),
        title="Affectations",
    )
