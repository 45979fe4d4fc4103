"""Personnes et rôles: managers (their region) and admins find a person, see their roles and history, grant or
revoke a role with its scope, change their main address, deactivate or reactivate the account."""

from __future__ import annotations

import logging

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import Role
from siimop_app.domain.import_rules import FORMATS, columns_named
from siimop_app.services import imports, people_admin
from siimop_app.services.access import AccessDenied
from siimop_app.services.imports import IMPORT_ROLES
from siimop_app.states.session import AppState
from siimop_app.ui.components import correction_form, error_callout, invalid_field
from siimop_app.ui.shell import shell
from siimop_app.validation import parse_id, require_id

log = logging.getLogger(__name__)

ROLE_CHOICES = [(Role.COORDINATOR, "Coordonnateur"), (Role.MANAGER, "Gestionnaire"),
                (Role.SUPERVISOR, "Responsable de terrain"), (Role.ADMIN, "Administrateur")]
STUDENT_COLUMNS = [(c.key, c.header) for c in FORMATS["students"]]


class PeopleState(AppState):
    query: str = ""
    results: list[people_admin.PersonRow] = []
    selected: people_admin.PersonHeader = people_admin.PersonHeader()
    grants: list[people_admin.GrantLine] = []
    emails: list[people_admin.EmailLine] = []
    history: list[people_admin.HistoryLine] = []
    options: dict[str, list[list[str]]] = {}
    student_form: dict[str, str] = {}
    form_version: int = 0  # remounts the correction form with the values now in the database
    correction_errors: list[str] = []
    correction_fields: list[str] = []  # the fields the correction's errors name (aria-invalid)
    error: str = ""
    error_about: str = ""
    message: str = ""

    @rx.event
    def load(self):
        self.error = self.message = self.error_about = ""
        self.results, self.selected, self.grants, self.emails, self.history = [], people_admin.PersonHeader(), [], [], []
        self.student_form, self.correction_errors, self.correction_fields = {}, [], []
        _, redirect = self._enter(Role.MANAGER, *routes.PEOPLE.roles)
        if redirect:
            return redirect
        self.options = people_admin.place_choices()

    @rx.event
    def search(self, form: dict):
        self.error = self.message = ""
        self.query = str(form.get("query", ""))[:100]
        try:
            self.results = people_admin.search(self._require(*IMPORT_ROLES), self.query)
        except AccessDenied as denied:
            self.error = str(denied)
            return
        if not self.results:
            self.message = "Aucune personne ne correspond dans votre périmètre."

    def _show(self, user, user_id: int) -> None:
        page = people_admin.person(user, user_id)
        self.selected, self.emails, self.grants, self.history = page.header, page.emails, page.grants, page.history
        self.student_form = imports.student_values(user, page.student_ine) if page.student_ine else {}
        self.form_version += 1

    def _act(self, change, about: str = "") -> None:
        """``about``: the form field a refusal is about (aria-invalid), if the form has one."""
        self.error = self.message = self.error_about = ""
        try:
            user = self._require(*IMPORT_ROLES)
            user_id = self.selected.user_id
            if not user_id:
                raise AccessDenied(people_admin.NOT_YOURS)
            self.message = change(user, user_id)
            self._show(user, user_id)
        except UserError as refused:
            log.warning("people change refused: %s", refused)
            self.error = str(refused)
            self.error_about = about

    @rx.event
    def open(self, user_id: int):
        self.error = self.message = self.error_about = ""
        self.correction_errors = self.correction_fields = []
        try:
            self._show(self._require(*IMPORT_ROLES), require_id(user_id, people_admin.NOT_YOURS))
        except UserError as refused:
            self.selected = people_admin.PersonHeader()
            self.error = str(refused)

    @rx.event
    def grant(self, form: dict):
        def change(user, user_id):
            people_admin.grant_role(user, user_id, str(form.get("role", "")), region_id=parse_id(form.get("region_id")),
                                    subdivision_id=parse_id(form.get("subdivision_id")),
                                    specialty_id=parse_id(form.get("specialty_id")))
            return "Le rôle a été attribué."

        self._act(change)

    @rx.event
    def revoke(self, grant_id: int):
        def change(user, _user_id):
            people_admin.revoke_grant(user, require_id(grant_id, people_admin.NOT_YOURS))
            return "Le rôle a été retiré."

        self._act(change)

    @rx.event
    def change_email(self, form: dict):
        def change(user, user_id):
            address = people_admin.change_main_email(user, user_id, str(form.get("email", "")))
            return f"L'adresse principale est désormais {address}."

        self._act(change, about="email")

    @rx.event
    def correct_student(self, form: dict):
        self.correction_errors = self.correction_fields = []

        def change(user, _user_id):
            values = {key: str(form.get(key, "")) for key, _ in STUDENT_COLUMNS}
            values["ine"] = self.student_form.get("ine", "")  # the key is not editable: a form corrects
            report = imports.correct_student(user, values)
            if report.errors:
                self.correction_errors = report.errors
                self.correction_fields = columns_named("students", report.errors)
                return ""
            return "; ".join(report.changes) or "Aucune modification."

        self._act(change)
        if self.correction_errors:
            self.message = ""

    @rx.event
    def toggle_active(self):
        def change(user, user_id):
            active = not self.selected.active
            people_admin.set_active(user, user_id, active)
            return "Le compte est réactivé." if active else "Le compte est désactivé : ses sessions sont fermées."

        self._act(change)


def _select(name: str, label: str, key: str) -> rx.Component:
    return rx.el.select(
        rx.el.option(f"{label} (aucun)", value=""),
        rx.foreach(PeopleState.options[key], lambda o: rx.el.option(o[1], value=o[0])),
        name=name, aria_label=label,
    )


def _student_correction() -> rx.Component:
    s = PeopleState
    return correction_form(
        summary="Corriger la fiche de l'étudiant (mêmes contrôles que l'import)", columns=STUDENT_COLUMNS,
        values=s.student_form, key_column="ine", on_submit=s.correct_student, version=s.form_version,
        errors=s.correction_errors, invalid=s.correction_fields, prefix="correct", element_id="student-correction")


def _person() -> rx.Component:
    s = PeopleState
    return rx.cond(
        s.selected.user_id > 0,
        rx.card(
            rx.vstack(
                rx.hstack(rx.heading(s.selected.name, size="5", as_="h2"),
                          rx.cond(s.selected.active, rx.badge("actif", color_scheme="green"),
                                  rx.badge("désactivé", color_scheme="red")), align="center", spacing="3"),
                rx.cond(s.selected.student != "", rx.text(s.selected.student)),
                rx.heading("Adresses", size="3", as_="h3"),
                rx.el.ul(rx.foreach(s.emails, lambda e: rx.el.li(e.email, " (", e.kind, ", ", e.validated,
                                                                 ")"))),
                rx.form(rx.hstack(rx.input(name="email", placeholder="nouvelle adresse principale", type="email",
                                           aria_label="Nouvelle adresse principale", id="people-email",
                                           **invalid_field(s.error_about == "email", "people-error")),
                                  rx.button("Changer l'adresse principale", type="submit", variant="soft")),
                        on_submit=s.change_email, key="email-" + s.form_version.to(str)),
                rx.heading("Rôles", size="3", as_="h3"),
                rx.el.ul(rx.foreach(s.grants, lambda g: rx.el.li(
                    g.label, rx.cond(g.scope != "", " — " + g.scope, ""), " ",
                    rx.button("Retirer", size="1", variant="soft", color_scheme="red", on_click=s.revoke(g.id))),
                ), id="people-grants"),
                rx.form(
                    rx.hstack(
                        rx.el.select(*[rx.el.option(label, value=value) for value, label in ROLE_CHOICES],
                                     name="role", aria_label="Rôle", id="people-role"),
                        _select("region_id", "Région", "regions"),
                        _select("subdivision_id", "Subdivision", "subdivisions"),
                        _select("specialty_id", "Spécialité", "specialties"),
                        rx.button("Attribuer le rôle", type="submit", id="people-grant"),
                        wrap="wrap", spacing="2",
                    ),
                    on_submit=s.grant,
                ),
                rx.button(rx.cond(s.selected.active, "Désactiver le compte", "Réactiver le compte"),
                          on_click=s.toggle_active, variant="outline", color_scheme="red", id="people-toggle"),
                rx.cond(s.student_form.contains("ine"), _student_correction()),
                rx.heading("Historique", size="3", as_="h3"),
                rx.el.ul(rx.foreach(s.history, lambda h: rx.el.li(h.at, " — ", h.who, " — ", h.action,
                                                                  rx.cond(h.detail != "", " — " + h.detail, ""))),
                         id="people-history", style={"font-size": "0.9em"}),
                spacing="2",
                align="start",
            ),
            width="100%",
        ),
    )


def people_page() -> rx.Component:
    s = PeopleState
    return shell(
        rx.form(
            rx.hstack(rx.input(name="query", placeholder="nom, prénom ou adresse", aria_label="Rechercher une personne",
                               id="people-query", width="24em"),
                      rx.button("Rechercher", type="submit", id="people-search")),
            on_submit=s.search,
        ),
        error_callout(s.error, "people-error"),
        rx.cond(s.message != "", rx.callout(s.message, icon="check", color_scheme="green", id="people-message",
                                            role="status")),
        rx.cond(
            s.results.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Nom", "Adresse", "Rôles", rx.el.span("Actions", class_name="sr-only"))])),
                rx.table.body(rx.foreach(s.results, lambda r: rx.table.row(
                    rx.table.cell(r.name), rx.table.cell(r.email), rx.table.cell(r.roles),
                    rx.table.cell(rx.button("Ouvrir", size="1", on_click=s.open(r.user_id))),
                ))),
                id="people-results",
            ),
        ),
        _person(),
        title="Personnes et rôles",
    )
