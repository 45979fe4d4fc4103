"""The student's home: their file summary and where the campaign stands."""

from __future__ import annotations

import dataclasses

import reflex as rx

from siimop_app.services import overview
from siimop_app.states.session import AppState
from siimop_app.ui.components import labelled_value
from siimop_app.ui.shell import shell


class StudentHomeState(AppState):
    summary: dict = {}

    @rx.event
    def load(self):
        user, redirect = self._enter("student", "student")
        if redirect:
            return redirect
        found = overview.student_summary(user_id=user.user_id)
        self.summary = dataclasses.asdict(found) if found else {}


def student_home_page() -> rx.Component:
    s = StudentHomeState.summary
    return shell(
        rx.cond(
            s.length() > 0,
            rx.card(
                rx.vstack(
                    labelled_value("Nom", s["full_name"]),
                    labelled_value("Numéro INE", s["ine"]),
                    labelled_value("Numéro interne", s["intern_number"]),
                    labelled_value("Spécialité", s["specialty"]),
                    labelled_value("Option", s["option"]),
                    labelled_value("Subdivision", s["subdivision"]),
                    labelled_value("Région", s["region"]),
                    labelled_value("Participation à la campagne", rx.cond(s["participating"], "Oui", "Non")),
                    rx.cond(s["semestre_decale"], rx.badge("Prise de poste décalée", color_scheme="orange")),
                    spacing="2",
                    align="start",
                ),
                id="student-summary",
            ),
            rx.text("Aucun dossier étudiant n'est rattaché à votre compte."),
        ),
        title="Mon dossier",
    )
