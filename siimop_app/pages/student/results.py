"""Résultats: the student's result per published round — their post, or "non affecté(e)" and what comes next."""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.domain.roles import Role
from siimop_app.services import student_results
from siimop_app.states.session import AppState
from siimop_app.ui.shell import shell


class StudentResultsState(AppState):
    results: list[student_results.StudentRoundResult] = []
    notice: str = ""

    @rx.event
    def load(self):
        user, redirect = self._enter(Role.STUDENT, *routes.STUDENT_RESULTS.roles)
        if redirect:
            return redirect
        self.results, self.notice = student_results.student_results(user)


def _result(r: student_results.StudentRoundResult) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(r.title, size="4", as_="h2"),
            rx.text(r.status_text, weight="bold",
                    color=rx.cond(r.assigned, "#1b5e20", "#8a1c1c"), class_name="result-status"),
            rx.cond(r.next_step != "", rx.text(r.next_step, class_name="result-next")),
            spacing="2",
            align="start",
        ),
        width="100%",
        class_name="student-result",
    )


def student_results_page() -> rx.Component:
    return shell(
        rx.cond(StudentResultsState.notice != "", rx.callout(StudentResultsState.notice, icon="calendar",
                                                            id="results-notice")),
        rx.vstack(rx.foreach(StudentResultsState.results, _result), spacing="3", width="100%", id="student-results"),
        title="Mes résultats",
    )
