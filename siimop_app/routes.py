"""Every page of the app, declared once: its path, its title and who may open it; and every backend route that
serves a private file (``FileRoute``): its path and who may fetch it.

``siimop_app.py`` registers the pages from here, the side menus, the role homes, the pages' links and
guards, the mails' links and the load tool read their paths from here: a URL is written in one place.
``file_routes`` and ``import_routes`` mount the file routes from here (and refuse whoever they do not name);
services, states and ``ui`` build the files' links from here. Pure (no Reflex, no database), so services and
command-line tools can read it too.

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


@dataclasses.dataclass(frozen=True)
class FileRoute:
    """A backend route that serves a private file (pages link to it through ``ui.backend.backend_url``)."""

    path: str  # Starlette's route: "{name}" (or "{name:int}") is one path segment, read as ``path_params[name]``
    # Who may fetch it: None for whoever holds the link (a secret in the path), () for any signed-in person, else
    # these roles. The file's own rule (its owner, the viewer's scope) is checked on top by the route's handler.
    roles: tuple[Role, ...] | None = ANY_SIGNED_IN

    @property
    def link_prefix(self) -> str:
        """The path up to its first "{name}" segment, for links built in the browser (prefix + an id)."""
        return self.path.partition("{")[0]

    def link(self, **params: object) -> str:
        """The path with each "{name}" replaced by ``params[name]`` (e.g. ``document_id=12``)."""
        path, rest = "", self.path
        while "{" in rest:
            head, _, rest = rest.partition("{")
            name, _, rest = rest.partition("}")
            path += head + str(params.pop(name.partition(":")[0]))
        if params:
            raise TypeError(f"{self.path} has no parameter {', '.join(params)}")
        return path + rest


# A stored PDF (CV, letter, contract, a post's descriptive file) or a ticket's attachment; ``?inline=1`` shows it in
# the browser. Who may read it is the document's rule (``documents.can_read``): its owner, the supervisors of the
# posts the student applied to, the staff whose scope holds it.
DOCUMENT = FileRoute("/files/documents/{document_id}")
# A ticket's attachment for whoever holds the ticket's private follow link (a requester without an account).
TICKET_ATTACHMENT = FileRoute("/files/tickets/{token}", None)
# A staff table's filtered rows (the page's filters as the query string) as CSV or Excel, in the viewer's scope.
TABLE_EXPORT = FileRoute("/files/exports/{table}.{fmt}", STAFF_ROLES)
# The Excel template of an import format; the stored file of an applied import (an admin, or the manager who loaded
# it).
IMPORT_TEMPLATE = FileRoute("/files/imports/modeles/{kind}.xlsx", MANAGER_ROLES)
IMPORT_FILE = FileRoute("/files/imports/{batch_id:int}", MANAGER_ROLES)

FILE_ROUTES: tuple[FileRoute, ...] = tuple(value for value in dict(globals()).values() if isinstance(value, FileRoute))

HELP_TOPIC = HELP.path + "?sujet="  # + a topic's slug
HELP_FOR_PAGE = HELP.path + "?page="  # + the path of the page the user is on
