"""Assistance: the ticket form, reachable from every page, signed in or not (closed outside a campaign)."""

from __future__ import annotations

import logging

import reflex as rx

from siimop_app import routes
from siimop_app.services import support
from siimop_app.services.overview import Choice
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout, invalid_field, notice
from siimop_app.ui.shell import open_page
from siimop_app.validation import fields_at_fault

log = logging.getLogger(__name__)
UPLOAD_ID = "ticket-attachment-upload"
ERROR_ID = "ticket-error"

FIELDS = ("full_name", "email", "requester_status", "university", "problem_type", "subject", "description")


class SupportState(AppState):
    """The ticket form. Its fields live here so that an error keeps what was typed, a sent ticket empties
    them, and a signed-in user finds their name and address already filled in."""

    full_name: str = ""
    email: str = ""
    requester_status: str = ""
    university: str = ""
    problem_type: str = ""
    subject: str = ""
    description: str = ""
    confirmation: str = ""
    error: str = ""
    error_fields: list[str] = []  # the form fields the error is about (aria-invalid)
    support_open: bool = True
    universities: list[Choice] = []
    attachment_name: str = ""
    _attachment: bytes = b""

    def _prefill(self) -> None:
        user = self._user()
        self.full_name = user.display_name if user else ""
        self.email = user.email if user else ""

    def _clear_attachment(self) -> None:
        self.attachment_name, self._attachment = "", b""

    @rx.event
    def load(self):
        self.confirmation = self.error = ""
        self.error_fields = []
        for name in FIELDS:
            setattr(self, name, "")
        self._clear_attachment()
        self._prefill()
        self.support_open = support.support_is_open()
        self.universities = support.university_choices() if self.support_open else []
        return AppState.enter_public

    @rx.event
    async def attach(self, files: list[rx.UploadFile]):
        """The attachment is checked as soon as it is dropped, and kept server-side until the ticket is sent."""
        self.error = ""
        self.error_fields = []
        if not files:
            return
        upload = files[0]
        # One byte more than allowed: enough to refuse an oversized file without holding it all.
        data = await upload.read(support.MAX_ATTACHMENT_BYTES + 1)
        name = (upload.filename or "")[-255:]
        try:
            support.attachment_type(name, data)
        except support.TicketError as refused:
            self._clear_attachment()
            self.error = str(refused)
            self.error_fields = fields_at_fault(refused)
            return
        self.attachment_name, self._attachment = name, data

    @rx.event
    def attachment_rejected(self, _rejected: list[dict]):
        self._clear_attachment()
        self.error = support.BAD_ATTACHMENT
        self.error_fields = ["attachment"]

    @rx.event
    def remove_attachment(self):
        self._clear_attachment()

    @rx.event
    def set_field(self, name: str, value: str):
        if name in FIELDS:
            setattr(self, name, str(value)[:5000])

    @rx.event
    def submit(self, _form: dict | None = None):
        self.error = ""
        self.error_fields = []
        self.confirmation = ""
        user = self._user()
        try:
            opened = support.open_ticket(
                user_id=user.user_id if user else None,
                client_ip=self.router.session.client_ip,
                attachment=(self.attachment_name, self._attachment) if self.attachment_name else None,
                **{name: getattr(self, name) for name in FIELDS},
            )
        except support.TicketError as invalid:
            self.error = str(invalid)
            self.error_fields = fields_at_fault(invalid)
            self.support_open = invalid.args[0] != support.CLOSED_MESSAGE
            return
        address = self.email.strip().lower()
        for name in FIELDS:
            setattr(self, name, "")
        self._clear_attachment()
        self._prefill()
        if opened.confirmed:
            self.confirmation = (
                f"Votre ticket n° {opened.id} a été transmis aux gestionnaires ARS / Scolarité de votre subdivision. "
                "Un e-mail récapitulatif vous a été envoyé ; suivez-le dans « Mes tickets »."
            )
        else:
            self.confirmation = (
                f"Votre ticket n° {opened.id} est enregistré. Un message vient d'être envoyé à {address} : ouvrez le "
                "lien qu'il contient pour confirmer votre adresse. Le ticket sera alors transmis aux gestionnaires "
                "ARS / Scolarité de votre subdivision, et ce lien vous permettra de le suivre."
            )


def _field(label, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=control.id, font_weight="bold"), control, spacing="1", width="100%")


def _invalid(name: str) -> dict:
    return invalid_field(SupportState.error_fields.contains(name), ERROR_ID)


def _text(name: str, element_id: str, **props) -> rx.Component:
    return rx.input(id=element_id, name=name, value=getattr(SupportState, name),
                    on_change=lambda value: SupportState.set_field(name, value), width="100%", **props,
                    **_invalid(name))


def _choice(name: str, element_id: str, options: tuple[str, ...] | rx.Var, required=True, *,
            label: str) -> rx.Component:
    items = ([rx.select.item(option, value=option) for option in options] if isinstance(options, tuple)
             else [rx.foreach(options, lambda o: rx.select.item(o.label, value=o.value))])
    return rx.select.root(
        rx.select.trigger(placeholder="— Sélectionner —", id=element_id, width="100%", aria_label=label,
                          **_invalid(name)),
        rx.select.content(*items),
        name=name,
        value=getattr(SupportState, name),
        on_change=lambda value: SupportState.set_field(name, value),
        required=required,
    )


def _attachment() -> rx.Component:
    s = SupportState
    return rx.vstack(
        rx.text("Pièce jointe", font_weight="bold", as_="label", html_for=UPLOAD_ID),
        rx.cond(
            s.attachment_name != "",
            rx.hstack(
                rx.text(s.attachment_name, id="attachment-name", size="2"),
                rx.button("Retirer", type="button", variant="ghost", size="1", on_click=SupportState.remove_attachment,
                          id="remove-attachment"),
                align="center",
            ),
            rx.upload.root(
                rx.text("Déposez une capture d'écran ici ou cliquez pour l'ajouter depuis votre ordinateur",
                        color="var(--accent-11)", text_decoration="underline", cursor="pointer"),
                rx.text("PNG, JPEG ou PDF, 5 Mo au maximum.", size="1", color="#555"),
                id=UPLOAD_ID,
                accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "application/pdf": [".pdf"]},
                multiple=False,
                max_files=1,
                on_drop=SupportState.attach(rx.upload_files(upload_id=UPLOAD_ID)),
                on_drop_rejected=SupportState.attachment_rejected,
                **_invalid("attachment"),  # passed on to the file input by assets/a11y.js
                border="1px dashed #999",
                padding="0.75em",
                width="100%",
            ),
        ),
        spacing="1",
        width="100%",
    )


def _form() -> rx.Component:
    s = SupportState
    return rx.form(
        rx.vstack(
            _field("Nom complet *", _text("full_name", "full_name", required=True, max_length=200)),
            _field("Adresse email *", _text("email", "ticket_email", type="email", required=True, max_length=254)),
            _field("Statut *", _choice("requester_status", "requester_status", support.REQUESTER_STATUSES,
                                        label="Statut")),
            _field(rx.cond(s.user_name != "", "Université de rattachement", "Université de rattachement *"),
                   _choice("university", "university", s.universities, required=s.user_name == "",
                           label="Université de rattachement")),
            _field("Problème *", _choice("problem_type", "problem_type", support.PROBLEM_TYPES, label="Problème")),
            _field("Sujet *", _text("subject", "subject", required=True, max_length=200)),
            _field("Description *", rx.text_area(
                id="description", name="description", value=s.description, required=True, rows="6", width="100%",
                placeholder="Détaillez la nature de votre demande, en ajoutant si possible une capture d'écran.",
                on_change=lambda value: SupportState.set_field("description", value), **_invalid("description"))),
            _attachment(),
            rx.button("Créer", type="submit", id="create-ticket"),
            spacing="3",
            width="100%",
        ),
        on_submit=SupportState.submit,
        reset_on_submit=False,
        width="100%",
    )


def support_page() -> rx.Component:
    s = SupportState
    return open_page(
        rx.heading("Ouvrir un nouveau ticket", size="5", as_="h2"),
        rx.text("Les tickets support arrivent directement aux gestionnaires ARS et Scolarité du 3e cycle de votre "
                "subdivision. Si une demande nécessite un traitement de nature technique, elle est escaladée vers "
                "l'équipe SiiMOP.", size="2"),
        rx.cond(
            s.support_open,
            _form(),
            notice(
                rx.text(rx.text.strong("ATTENTION"), " — ", support.CLOSED_MESSAGE),
                icon="triangle-alert", color_scheme="orange", id="support-closed", role="alert",
            ),
        ),
        rx.cond(s.support_open, error_callout(s.error, ERROR_ID)),
        rx.cond(
            s.confirmation != "",
            rx.callout(s.confirmation, icon="check", color_scheme="green", id="ticket-created", role="status"),
        ),
        rx.cond(s.user_name != "", rx.link("Mes tickets", href=routes.MY_TICKETS.path, id="my-tickets-link")),
        title="Assistance",
    )
