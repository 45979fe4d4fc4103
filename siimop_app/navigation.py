"""The side menu of each interface: its entries, the calendar phase whose dates they show, and their pages.

An entry without a page yet (``href=""``) is shown with its dates but is not a link.
"""

from __future__ import annotations

import dataclasses

from siimop_app.domain.roles import Role


@dataclasses.dataclass(frozen=True)
class MenuEntry:
    label: str
    phase_kind: str
    href: str = ""


MENUS: dict[str, tuple[MenuEntry, ...]] = {
    Role.SUPERVISOR: (
        MenuEntry("Mes postes", "posts", "/rts/postes"),
        MenuEntry("Classement des candidatures", "ranking", "/rts/classement"),
        MenuEntry("Affectations", "results", "/rts/affectations"),
    ),
    Role.STUDENT: (
        MenuEntry("Mon dossier", "student_files", "/etudiant"),
        MenuEntry("Mes vœux", "wishes", "/etudiant/voeux"),
        MenuEntry("Résultats", "results", "/etudiant/resultats"),
    ),
    Role.COORDINATOR: (
        MenuEntry("Gestion des étudiants", "management", "/coordonnateur"),
        MenuEntry("Gestion des postes", "management", "/coordonnateur/postes"),
        MenuEntry("Gestion des responsables des terrains de stage", "management", "/coordonnateur/responsables"),
        MenuEntry("Résultats", "management", "/coordonnateur/resultats"),
        MenuEntry("Gestion des coordonnateurs", "management", "/coordonnateur/coordonnateurs"),
        MenuEntry("Simulation du tour", "ranking", "/coordonnateur/simulation"),
    ),
    Role.MANAGER: (
        MenuEntry("Tableau de bord", "management", "/gestionnaire"),
        MenuEntry("Calendrier de la campagne", "management", "/gestionnaire/calendrier"),
        MenuEntry("Tours d'appariement", "results", "/gestionnaire/tours"),
        MenuEntry("Simulation du tour", "ranking", "/coordonnateur/simulation"),
        MenuEntry("Campagnes", "management", "/gestionnaire/campagnes"),
        MenuEntry("Importer des données", "management", "/gestionnaire/imports"),
        MenuEntry("Historique des imports", "management", "/gestionnaire/imports/historique"),
        MenuEntry("Personnes et rôles", "management", "/gestionnaire/personnes"),
        MenuEntry("Gestion des étudiants", "management", "/coordonnateur"),
        MenuEntry("Gestion des postes", "management", "/coordonnateur/postes"),
        MenuEntry("Gestion des responsables des terrains de stage", "management", "/coordonnateur/responsables"),
        MenuEntry("Résultats", "management", "/coordonnateur/resultats"),
        MenuEntry("Gestion des coordonnateurs", "management", "/coordonnateur/coordonnateurs"),
        MenuEntry("Tickets d'assistance", "management", "/gestionnaire/tickets"),
    ),
}
MENUS[Role.ADMIN] = MENUS[Role.MANAGER]
