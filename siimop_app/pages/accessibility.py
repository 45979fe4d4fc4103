"""Déclaration d'accessibilité, as the RGAA asks of a French public service (article 47 of law 2005-102)."""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
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
        rx.text("Ces vérifications sont des tests automatisés, rejoués dans Chromium à chaque évolution de "
                "l'application ; elles ne remplacent pas un audit complet du RGAA par un tiers, qui n'a pas encore "
                "été réalisé.", size="2", color="#444"),
        rx.unordered_list(
            rx.list_item("Chaque page de chaque profil (étudiant, responsable de terrain de stage, coordonnateur, "
                         "gestionnaire, personne non connectée) est contrôlée avec axe-core : aucune violation "
                         "n'est tolérée. Les pages sont aussi contrôlées dans leurs autres états : fenêtres de "
                         "dialogue ouvertes (dossier de candidature, confirmation de clôture d'un tour), erreurs "
                         "affichées (connexion, adresse du profil, assistance, campagnes, import de fichier), tableaux "
                         "vides, "
                         "résultats d'une simulation."),
            rx.list_item("Redistribution du contenu (critère 10.11) : chaque page est utilisable à 320 pixels de "
                         "large et avec un zoom de 200 % sur un écran de 1280 pixels, sans défilement horizontal "
                         "de la page (un tableau large défile dans son propre cadre) ; le menu se replie derrière "
                         "un bouton « Menu »."),
            rx.list_item("Navigation au clavier seul, sans souris : un lien « Aller au contenu » ouvre chaque page ; "
                         "les parcours suivants sont rejoués au clavier — connexion, notation des vœux en cœurs "
                         "(flèches du clavier) et enregistrement, classement complet des candidatures (boutons, "
                         "champ de rang validé par Entrée, dossier de candidature ouvert puis fermé par Échap), "
                         "filtres et export d'un tableau, clôture d'un tour avec sa confirmation. À la fermeture "
                         "d'une fenêtre de dialogue, le focus revient sur le bouton qui l'a ouverte."),
            rx.list_item("Lecteurs d'écran : les cœurs de chaque poste forment un groupe de boutons radio nommé "
                         "d'après le poste ; les erreurs de saisie sont annoncées (zone « alert ») et reliées au "
                         "champ concerné (aria-invalid, aria-describedby) ; le verdict du classement (valide ou "
                         "non) est annoncé quand il change, sans répéter la liste des problèmes à chaque déplacement."),
            rx.list_item("Contrastes : les couleurs de texte respectent un rapport d'au moins 4,5:1."),
        ),
        rx.heading("Contenus non accessibles ou non encore vérifiés", size="4", as_="h2"),
        rx.unordered_list(
            rx.list_item("Aucun test n'a encore été fait avec un lecteur d'écran réel (NVDA, JAWS, VoiceOver) : "
                         "les annonces décrites ci-dessus sont vérifiées dans le code de la page, pas à l'écoute."),
            rx.list_item("Le formulaire de correction d'une fiche étudiante relie ses erreurs aux champs, mais "
                         "il n'est pas encore contrôlé avec une erreur affichée."),
            rx.list_item("Les documents PDF déposés par les utilisateurs ne sont pas contrôlés."),
            rx.list_item("Les diagrammes de taux de remplissage sont doublés d'un tableau de leurs valeurs."),
        ),
        rx.heading("Retour d'information et contact", size="4", as_="h2"),
        rx.text("Si vous n'arrivez pas à accéder à un contenu ou à un service, signalez-le par le ",
                rx.link("formulaire d'assistance", href=routes.SUPPORT.path, id="accessibility-contact"),
                " (type de problème « Autre ») : nous vous répondrons et vous proposerons une alternative."),
        rx.heading("Voies de recours", size="4", as_="h2"),
        rx.text("Si vous constatez un défaut d'accessibilité vous empêchant d'accéder à un contenu ou à une "
                "fonctionnalité, que vous nous l'avez signalé et que vous n'avez pas obtenu de réponse satisfaisante, "
                "vous pouvez écrire au Défenseur des droits ou contacter son délégué dans votre région."),
        title="Déclaration d'accessibilité",
    )
