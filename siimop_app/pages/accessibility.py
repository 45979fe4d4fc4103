"""Déclaration d'accessibilité, as the RGAA asks of a French public service (article 47 of law 2005-102)."""

from __future__ import annotations

import reflex as rx

from siimop_app.ui.shell import open_page


def accessibility_page() -> rx.Component:
    return open_page(
        rx.text("SiiMOP Appariement s'engage à rendre son service accessible, conformément à l'article 47 de la loi "
                "n° 2005-102 du 11 février 2005. Cette déclaration s'applique à l'application SiiMOP Appariement."),
        rx.heading("État de conformité", size="4", as_="h2"),
        rx.text("SiiMOP Appariement est ", rx.text.strong("partiellement conforme"), " avec le référentiel général "
                "d'amélioration de l'accessibilité (RGAA 4.1), qui reprend les critères WCAG 2.1 niveau AA, en raison "
                "des non-conformités et des vérifications restantes énumérées ci-dessous.", id="conformity-status"),
        rx.heading("Ce qui a été vérifié, et comment", size="4", as_="h2"),
        rx.unordered_list(
            rx.list_item("Chaque page de chaque profil (étudiant, responsable de terrain de stage, coordonnateur, "
                         "gestionnaire) est contrôlée automatiquement avec axe-core dans Chromium à chaque évolution "
                         "de l'application : aucune violation n'est tolérée."),
            rx.list_item("Redistribution du contenu (critère 10.11) : chaque page est utilisable à 320 pixels de "
                         "large sans défilement horizontal ; le menu se replie derrière un bouton « Menu »."),
            rx.list_item("Navigation au clavier : un lien « Aller au contenu » ouvre chaque page ; le classement des "
                         "candidatures se fait entièrement au clavier (flèches, champ de rang validé par Entrée)."),
            rx.list_item("Contrastes : les couleurs de texte respectent un rapport d'au moins 4,5:1."),
        ),
        rx.heading("Contenus non accessibles ou non encore vérifiés", size="4", as_="h2"),
        rx.unordered_list(
            rx.list_item("Les parcours complets au clavier et avec un lecteur d'écran n'ont pas encore tous été "
                         "vérifiés (notation des vœux, filtres et exports des tableaux, clôture d'un tour)."),
            rx.list_item("Les documents PDF déposés par les utilisateurs ne sont pas contrôlés."),
            rx.list_item("Les diagrammes de taux de remplissage sont doublés d'un tableau de leurs valeurs."),
        ),
        rx.heading("Retour d'information et contact", size="4", as_="h2"),
        rx.text("Si vous n'arrivez pas à accéder à un contenu ou à un service, signalez-le par le ",
                rx.link("formulaire d'assistance", href="/assistance", id="accessibility-contact"),
                " (type de problème « Autre ») : nous vous répondrons et vous proposerons une alternative."),
        rx.heading("Voies de recours", size="4", as_="h2"),
        rx.text("Si vous constatez un défaut d'accessibilité vous empêchant d'accéder à un contenu ou à une "
                "fonctionnalité, que vous nous l'avez signalé et que vous n'avez pas obtenu de réponse satisfaisante, "
                "vous pouvez écrire au Défenseur des droits ou contacter son délégué dans votre région."),
        title="Déclaration d'accessibilité",
    )
