"""Campagnes: create the next campaign (its waves, rounds and calendar copied from a previous one, shifted by
whole weeks) and add a wave (e.g. "Vague 2 … — Semestre décalé")."""

from __future__ import annotations

import logging

import reflex as rx

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import Role
from siimop_app.services import campaign_setup
from siimop_app.services.calendar_admin import CALENDAR_ROLES
from siimop_app.states.session import AppState
from siimop_app.ui.components import error_callout, invalid_field
from siimop_app.ui.shell import shell
from siimop_app.validation import fields_at_fault, parse_id, require_id

log = logging.getLogger(__name__)
ERROR_ID = "campaigns-error"


class ManagerCampaignsState(AppState):
    campaigns: list[campaign_setup.CampaignSummary] = []
    error: str = ""
    error_form: str = ""  # "create", or "wave-<campaign id>": the form the error is about
    error_fields: list[str] = []  # its fields at fault (aria-invalid)
    message: str = ""
    form_version: int = 0  # part of the forms' keys: emptied once done, kept as typed after an error

    def _refresh(self, user) -> None:
        self.campaigns = campaign_setup.list_campaigns(user)

    @rx.event
    def load(self):
        self.error = self.message = self.error_form = ""
        self.error_fields = []
        user, redirect = self._enter(Role.MANAGER, *routes.CAMPAIGNS.roles)
        if redirect:
            return redirect
        self._refresh(user)

    def _act(self, action, form: dict, form_name: str) -> None:
        self.error = self.message = self.error_form = ""
        self.error_fields = []
        try:
            user = self._require(*CALENDAR_ROLES)
            self.message = action(user)
            self.form_version += 1
            self._refresh(user)
        except UserError as refused:
            log.warning("campaign setup refused: %s (%r)", refused, form)
            self.error = str(refused)
            self.error_form, self.error_fields = form_name, fields_at_fault(refused)

    @rx.event
    def create(self, form: dict):
        source = str(form.get("copy_from", "") or "")

        def action(user):
            campaign = campaign_setup.create_campaign(
                user, name=str(form.get("name", "")), news_url=str(form.get("news_url", "")),
                copy_from=parse_id(source),
                shift_weeks=str(form.get("shift_weeks", campaign_setup.DEFAULT_SHIFT_WEEKS)))
            return (f"La campagne « {campaign.name} » est créée. Vérifiez son calendrier, puis importez les "
                    "étudiants, les postes et le personnel.")

        self._act(action, form, "create")

    @rx.event
    def add_wave(self, form: dict):
        def action(user):
            wave = campaign_setup.add_wave(user, campaign_id=require_id(form.get("campaign_id"), "Campagne inconnue."),
                                           name=str(form.get("name", "")), subtitle=str(form.get("subtitle", "")),
                                           shift_weeks=str(form.get("shift_weeks", "0") or "0"))
            return f"La vague « {wave.name} » est ajoutée."

        self._act(action, form, f"wave-{form.get('campaign_id', '')}")


def _invalid(form_name, field: str) -> dict:
    s = ManagerCampaignsState
    return invalid_field((s.error_form == form_name) & s.error_fields.contains(field), ERROR_ID)


def _campaign(c: campaign_setup.CampaignSummary) -> rx.Component:
    wave_form = "wave-" + c.id.to(str)
    return rx.card(
        rx.vstack(
            rx.heading(c.name, size="4", as_="h2"),
            rx.text(c.dates, size="2", color="#555"),
            rx.el.ul(rx.foreach(c.waves, lambda w: rx.el.li(w))),
            rx.el.details(
                rx.el.summary("Ajouter une vague"),
                rx.form(
                    rx.el.input(type="hidden", name="campaign_id", value=c.id),
                    rx.hstack(
                        rx.input(name="name", placeholder="Vague 2 Campagne Mai 2025", aria_label="Nom de la vague",
                                 required=True, **_invalid(wave_form, "name")),
                        rx.input(name="subtitle", placeholder="Semestre décalé", aria_label="Sous-titre"),
                        rx.input(name="shift_weeks", type="number", default_value="0", width="7em",
                                 aria_label="Décalage du calendrier de la vague 1, en semaines",
                                 **_invalid(wave_form, "shift_weeks")),
                        rx.button("Ajouter", type="submit"),
                        wrap="wrap", spacing="2",
                    ),
                    on_submit=ManagerCampaignsState.add_wave,
                    key=wave_form + "-" + ManagerCampaignsState.form_version.to(str),
                ),
            ),
            spacing="2",
            align="start",
        ),
        width="100%",
        class_name="campaign-card",
    )


def manager_campaigns_page() -> rx.Component:
    s = ManagerCampaignsState
    return shell(
        rx.text("Une nouvelle campagne reprend les vagues, les tours et le calendrier d'une campagne précédente, "
                "décalés d'un nombre entier de semaines (52 : mêmes jours de la semaine un an plus tard). Elle "
                "commence vide : les étudiants, les postes et le personnel s'importent ensuite.", size="2",
                color="#555"),
        error_callout(s.error, ERROR_ID),
        rx.cond(s.message != "", rx.callout(s.message, icon="check", color_scheme="green", id="campaigns-message",
                                            role="status")),
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("Nouvelle campagne", size="4", as_="h2"),
                    rx.input(name="name", placeholder="Campagne Mai 2027", aria_label="Nom de la campagne",
                             required=True, id="campaign-name", **_invalid("create", "name")),
                    rx.input(name="news_url", placeholder="https://… (fil d'information)",
                             aria_label="Lien du fil d'information", **_invalid("create", "news_url")),
                    rx.hstack(
                        rx.text("Copier le calendrier de"),
                        rx.el.select(
                            rx.el.option("(aucune : calendrier vide)", value=""),
                            rx.foreach(s.campaigns, lambda c: rx.el.option(c.name, value=c.id)),
                            name="copy_from", aria_label="Campagne dont copier le calendrier", id="campaign-copy",
                            **_invalid("create", "copy_from"),
                        ),
                        rx.text("décalé de"),
                        rx.input(name="shift_weeks", type="number", default_value="52", width="6em",
                                 aria_label="Décalage en semaines", id="campaign-shift",
                                 **_invalid("create", "shift_weeks")),
                        rx.text("semaines"),
                        wrap="wrap", spacing="2", align="center",
                    ),
                    rx.button("Créer la campagne", type="submit", id="campaign-create"),
                    spacing="3",
                    align="start",
                ),
                on_submit=s.create,
                key=s.form_version.to(str),
            ),
            width="100%",
        ),
        rx.vstack(rx.foreach(s.campaigns, _campaign), spacing="3", width="100%", id="campaigns"),
        title="Campagnes",
    )
