"""Aide contextuelle: how the campaign works, in the users' words."""

from __future__ import annotations

import reflex as rx

from siimop_app.ui.shell import open_page


def help_page() -> rx.Component:
    return open_page(
        rx.text(
            "SiiMOP Appariement assiste les étudiants et les responsables de terrain de stage dans "
            "l'affectation des Docteurs Juniors en phase de consolidation."
        ),
        rx.unordered_list(
            rx.list_item("Connexion : saisissez votre adresse email ; un lien à usage unique, valable 30 minutes, vous est envoyé."),
            rx.list_item("Étudiants : déposez votre dossier, puis notez les postes de votre spécialité de 0 à 5 cœurs pendant la période des vœux."),
            rx.list_item("Responsables référents : classez les candidatures de vos postes pendant la période de classement."),
            rx.list_item("Les affectations sont publiées à l'issue de chaque tour ; le 3e tour a lieu en présentiel."),
            rx.list_item("Toutes les échéances sont à 23h59, heure de Paris."),
        ),
        rx.heading("Conditions générales d'utilisation", size="4", as_="h2", id="cgu"),
        rx.text(
            "Les données sont utilisées uniquement pour l'appariement des Docteurs Juniors. Les observations "
            "des responsables ne sont jamais visibles par les étudiants ; les cœurs des étudiants ne sont jamais "
            "visibles par les responsables."
        ),
        rx.link("Retour à l'application", href="/"),
        title="Aide",
    )
