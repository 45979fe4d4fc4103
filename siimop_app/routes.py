"""Every page of the app, declared once: its path, its title and who may open it.

``siimop_app.py`` registers the pages from here, the side menus, the role homes, the pages' links and
guards, the mails' links and the load tool read their paths from here: a URL is written in one place.
Pure (no Reflex, no database), so services and command-line tools can read it too.

The help topics name the pages they explain by path in their own files (``assets/help/*.md``, editable
without Python); ``tests/services/test_help.py`` checks that every page registered here has one.
"""

from __future__ import annotations

import dataclasses

from siimop_app.domain.roles import MANAGER_ROLES, STAFF_ROLES, Role

APP_TITLE = "SiiMOP Appariement"


@dataclasses.dataclass(frozen=True)
class Page:
    path: str  # Reflex's route: "[name]" is one path segment, read by the page's state as ``self.name``
    title: str  # the page's own title ("" for the root); the browser shows ``document_title``
    # Who may open it: None for everyone (signed in or not), () for any signed-in person, else these roles.
    roles: tuple[Role, ...] | None = None

    @property
    def document_title(self) -> str:
        return f"{self.title} · {APP_TITLE}" if self.title else APP_TITLE

    @property
    def link_prefix(self) -> str:
        """The path up to its first "[name]" segment, for links built in the browser (prefix + an id)."""
        head, bracket, _ = self.path.partition("[")
        return head if bracket else self.path

    def link(self, **params: object) -> str:
        """The path with each "[name]" segment replaced by ``params[name]`` (e.g. ``post_id=12``)."""
        parts = []
        for segment in self.path.split("/"):
            if segment.startswith("[") and segment.endswith("]"):
                segment = str(params.pop(segment[1:-1]))
            parts.append(segment)
        if params:
            raise TypeError(f"{self.path} has no parameter {', '.join(params)}")
        return "/".join(parts)


SUPERVISOR = (Role.SUPERVISOR,)
STUDENT = (Role.STUDENT,)
ANY_SIGNED_IN: tuple[Role, ...] = ()

# Open to everyone.
NOT_FOUND = Page("404", "Page introuvable")  # Reflex's name for its 404 page (no leading slash)
ROOT = Page("/", "")  # sends each person to their home page
SIGN_IN = Page("/connexion", "Connexion")
SIGN_IN_LINK = Page("/connexion/jeton/[token]", "Connexion")
CLOSED = Page("/fermee", "Application fermée")
SUPPORT = Page("/assistance", "Assistance")
FOLLOW_TICKET = Page("/assistance/suivi/[ticket_token]", "Suivi de ticket")
ACCESSIBILITY = Page("/accessibilite", "Déclaration d'accessibilité")
HELP = Page("/aide", "Aide")
# Any signed-in person.
PROFILE = Page("/profil", "Mon profil", ANY_SIGNED_IN)
EMAIL_VALIDATION = Page("/profil/validation/[token]", "Validation d'adresse")  # the link itself signs nobody in
MY_TICKETS = Page("/assistance/mes-tickets", "Mes tickets", ANY_SIGNED_IN)
# Supervisors (RTS).
SUPERVISOR_POSTS = Page("/rts/postes", "Mes postes", SUPERVISOR)
SUPERVISOR_POST = Page("/rts/postes/[post_id]", "Détail du poste", SUPERVISOR)
SUPERVISOR_ASSIGNMENTS = Page("/rts/affectations", "Affectations", SUPERVISOR)
RANKING_LIST = Page("/rts/classement", "Classement", SUPERVISOR)
RANKING_BOARD = Page("/rts/classement/[post_id]", "Classement", SUPERVISOR)
# Students.
STUDENT_HOME = Page("/etudiant", "Mon dossier", STUDENT)
WISHES = Page("/etudiant/voeux", "Mes vœux", STUDENT)
WISHES_RECEIPT = Page("/etudiant/voeux/recu", "Récépissé", STUDENT)
STUDENT_RESULTS = Page("/etudiant/resultats", "Mes résultats", STUDENT)
# Coordinators, managers and admins, each within their scope.
STUDENT_TABLE = Page("/coordonnateur", "Coordonnateur", STAFF_ROLES)
POST_TABLE = Page("/coordonnateur/postes", "Gestion des postes", STAFF_ROLES)
STAFF_POST = Page("/coordonnateur/postes/[post_id]", "Détail du poste", STAFF_ROLES)
RESULT_TABLE = Page("/coordonnateur/resultats", "Résultats", STAFF_ROLES)
SUPERVISOR_TABLE = Page("/coordonnateur/responsables", "Gestion des responsables des terrains de stage",
                        STAFF_ROLES)
COORDINATOR_TABLE = Page("/coordonnateur/coordonnateurs", "Gestion des coordonnateurs", STAFF_ROLES)
DRY_RUN = Page("/coordonnateur/simulation", "Simulation du tour", STAFF_ROLES)
# Managers and admins.
MANAGER_HOME = Page("/gestionnaire", "Gestionnaire", MANAGER_ROLES)
MANAGER_CALENDAR = Page("/gestionnaire/calendrier", "Calendrier", MANAGER_ROLES)
MANAGER_ROUNDS = Page("/gestionnaire/tours", "Tours d'appariement", MANAGER_ROLES)
CAMPAIGNS = Page("/gestionnaire/campagnes", "Campagnes", MANAGER_ROLES)
PEOPLE = Page("/gestionnaire/personnes", "Personnes et rôles", MANAGER_ROLES)
IMPORTS = Page("/gestionnaire/imports", "Importer des données", MANAGER_ROLES)
IMPORT_HISTORY = Page("/gestionnaire/imports/historique", "Historique des imports", MANAGER_ROLES)
TICKET_INBOX = Page("/gestionnaire/tickets", "Tickets d'assistance", MANAGER_ROLES)
TICKET_DETAIL = Page("/gestionnaire/tickets/[ticket_id]", "Ticket d'assistance", MANAGER_ROLES)

PAGES: tuple[Page, ...] = tuple(value for value in dict(globals()).values() if isinstance(value, Page))

HELP_TOPIC = HELP.path + "?sujet="  # + a topic's slug
HELP_FOR_PAGE = HELP.path + "?page="  # + the path of the page the user is on
