"""The side menu of each interface: its entries, the calendar phase whose dates they show, and their pages.

An entry without a page yet (``href=""``) is shown with its dates but is not a link.
"""

from __future__ import annotations

import dataclasses

from siimop_app import routes
from siimop_app.domain.roles import Role


@dataclasses.dataclass(frozen=True)
class MenuEntry:
    label: str
    phase_kind: str
    href: str = ""


@dataclasses.dataclass(frozen=True)
class MenuLine:
    """One link of the side menu as the shell shows it: an entry with the dates (dd-mm-yyyy) of its phase in view
    ("" when none), or another interface of the user (no dates). ``href`` "": shown, not a link."""

    label: str
    href: str = ""
    starts: str = ""
    ends: str = ""


MENUS: dict[str, tuple[MenuEntry, ...]] = {
    Role.SUPERVISOR: (
        MenuEntry("Mes postes", "posts", routes.SUPERVISOR_POSTS.path),
        MenuEntry("Classement des candidatures", "ranking", routes.RANKING_LIST.path),
        MenuEntry("Affectations", "results", routes.SUPERVISOR_ASSIGNMENTS.path),
    ),
    Role.STUDENT: (
        MenuEntry("Mon dossier", "student_files", routes.STUDENT_HOME.path),
        MenuEntry("Mes vœux", "wishes", routes.WISHES.path),
        MenuEntry("Résultats", "results", routes.STUDENT_RESULTS.path),
    ),
    Role.COORDINATOR: (
        MenuEntry("Gestion des étudiants", "management", routes.STUDENT_TABLE.path),
        MenuEntry("Gestion des postes", "management", routes.POST_TABLE.path),
        MenuEntry("Gestion des responsables des terrains de stage", "management", routes.SUPERVISOR_TABLE.path),
        MenuEntry("Résultats", "management", routes.RESULT_TABLE.path),
        MenuEntry("Gestion des coordonnateurs", "management", routes.COORDINATOR_TABLE.path),
        MenuEntry("Simulation du tour", "ranking", routes.DRY_RUN.path),
    ),
    Role.MANAGER: (
        MenuEntry("Tableau de bord", "management", routes.MANAGER_HOME.path),
        MenuEntry("Calendrier de la campagne", "management", routes.MANAGER_CALENDAR.path),
        MenuEntry("Tours d'appariement", "results", routes.MANAGER_ROUNDS.path),
        MenuEntry("Simulation du tour", "ranking", routes.DRY_RUN.path),
        MenuEntry("Campagnes", "management", routes.CAMPAIGNS.path),
        MenuEntry("Importer des données", "management", routes.IMPORTS.path),
        MenuEntry("Historique des imports", "management", routes.IMPORT_HISTORY.path),
        MenuEntry("Personnes et rôles", "management", routes.PEOPLE.path),
        MenuEntry("Gestion des étudiants", "management", routes.STUDENT_TABLE.path),
        MenuEntry("Gestion des postes", "management", routes.POST_TABLE.path),
        MenuEntry("Gestion des responsables des terrains de stage", "management", routes.SUPERVISOR_TABLE.path),
        MenuEntry("Résultats", "management", routes.RESULT_TABLE.path),
        MenuEntry("Gestion des coordonnateurs", "management", routes.COORDINATOR_TABLE.path),
        MenuEntry("Tickets d'assistance", "management", routes.TICKET_INBOX.path),
    ),
}
MENUS[Role.ADMIN] = MENUS[Role.MANAGER]
