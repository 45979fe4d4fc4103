"""SiiMOP Appariement: the Reflex app. Pages are registered here; each lives in its own module."""

from __future__ import annotations

import logging

import reflex as rx
from reflex_components_core.base.error_boundary import ErrorBoundary

from siimop_app.file_routes import files_api
from siimop_app.origins import origin_allowed
from siimop_app.ui.reconnection import reconnection_notice
from siimop_app.import_routes import imports_api
from siimop_app.pages.coordinator.home import CoordinatorHomeState, coordinator_home_page
from siimop_app.pages.coordinator.coordinators import CoordinatorTableState, coordinator_table_page
from siimop_app.pages.coordinator.supervisors import SupervisorTableState, supervisor_table_page
from siimop_app.pages.coordinator.posts import PostTableState, StaffPostDetailState, post_table_page, staff_post_detail_page
from siimop_app.pages.coordinator.results import ResultTableState, result_table_page
from siimop_app.pages.coordinator.simulation import DryRunState, dry_run_page
from siimop_app.pages.help import HelpState, help_page
from siimop_app.pages.manager.calendar import ManagerCalendarState, manager_calendar_page
from siimop_app.pages.manager.campaigns import ManagerCampaignsState, manager_campaigns_page
from siimop_app.pages.manager.home import ManagerHomeState, manager_home_page
from siimop_app.pages.manager.import_history import ImportHistoryState, import_history_page
from siimop_app.pages.manager.imports import ManagerImportsState, manager_imports_page
from siimop_app.pages.manager.people import PeopleState, people_page
from siimop_app.pages.manager.rounds import ManagerRoundsState, manager_rounds_page
from siimop_app.pages.profile import EmailValidationState, ProfileState, email_validation_page, profile_page
from siimop_app.pages.sign_in import (
    ClosedState,
    LinkState,
    RootState,
    SignInState,
    closed_page,
    link_page,
    root_page,
    sign_in_page,
)
from siimop_app.pages.student.home import StudentHomeState, student_home_page
from siimop_app.pages.student.results import StudentResultsState, student_results_page
from siimop_app.pages.student.wishes import WishesReceiptState, WishesState, wishes_page, wishes_receipt_page
from siimop_app.pages.supervisor.assignments import SupervisorAssignmentsState, supervisor_assignments_page
from siimop_app.pages.supervisor.post_detail import PostDetailState, post_detail_page
from siimop_app.pages.supervisor.posts import SupervisorPostsState, supervisor_posts_page
from siimop_app.pages.supervisor.ranking import (
    RankingBoardState,
    RankingListState,
    ranking_board_page,
    ranking_list_page,
)
from siimop_app.pages.accessibility import accessibility_page
from siimop_app.pages.errors import not_found_page, render_error_fallback
from siimop_app.pages.support import SupportState, support_page
from siimop_app.pages.support_follow import FollowTicketState, follow_ticket_page
from siimop_app.pages.my_tickets import MyTicketsState, my_tickets_page
from siimop_app.pages.manager.tickets import TicketInboxState, ticket_inbox_page
from siimop_app.pages.manager.ticket_detail import TicketDetailState, ticket_detail_page
from siimop_app.states.session import AppState
from siimop_app.validation import SafeLogFormatter
from siimop_app.web_security import EdgeGuard, EventGuard, backend_error, frontend_error

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
for _handler in logging.getLogger().handlers:  # client text never forges a log line (issue 10, hole 10)
    _handler.setFormatter(SafeLogFormatter(LOG_FORMAT))

TITLE = "SiiMOP Appariement"

def _french_error_boundary(stateful: bool) -> rx.Component:
    # Reflex's default boundary shows an English message and the stack trace; ours speaks French and
    # shows no technical detail. Errors still reach the backend's frontend-exception handler when stateful.
    return ErrorBoundary.create(fallback_render=render_error_fallback(),
                                **({"on_error": rx.noop()} if not stateful else {}))


_APP_WRAPS = rx.App.__dataclass_fields__["app_wraps"].default_factory()
_APP_WRAPS[(55, "ErrorBoundary")] = _french_error_boundary
# Reflex's English connection toast ("Cannot connect to server…") becomes a calm French notice (issue 13).
_APP_WRAPS[(5, "Overlay")] = lambda stateful: reconnection_notice() if stateful else None

app = rx.App(
    html_lang="fr",
    api_transformer=[files_api, imports_api, EdgeGuard],
    backend_exception_handler=backend_error,
    frontend_exception_handler=frontend_error,
    stylesheets=["/siimop.css"],
    head_components=[rx.el.script(src="/a11y.js", defer=True)],
    app_wraps=_APP_WRAPS,
)
app.add_middleware(EventGuard())
# The socket.io server asks on each connection: the harness learns the frontend's address after startup.
app.sio.eio.cors_allowed_origins = origin_allowed
app.add_page(not_found_page, route="404", title=f"Page introuvable · {TITLE}", on_load=AppState.enter_public)
app.add_page(root_page, route="/", title=TITLE, on_load=RootState.route)
app.add_page(sign_in_page, route="/connexion", title=f"Connexion · {TITLE}", on_load=SignInState.reset_form)
app.add_page(link_page, route="/connexion/jeton/[token]", title=f"Connexion · {TITLE}", on_load=LinkState.use_link)
app.add_page(closed_page, route="/fermee", title=f"Application fermée · {TITLE}", on_load=ClosedState.load)
app.add_page(supervisor_posts_page, route="/rts/postes", title=f"Mes postes · {TITLE}", on_load=SupervisorPostsState.load)
app.add_page(post_detail_page, route="/rts/postes/[post_id]", title=f"Détail du poste · {TITLE}", on_load=PostDetailState.load)
app.add_page(supervisor_assignments_page, route="/rts/affectations", title=f"Affectations · {TITLE}", on_load=SupervisorAssignmentsState.load)
app.add_page(ranking_list_page, route="/rts/classement", title=f"Classement · {TITLE}", on_load=RankingListState.load)
app.add_page(ranking_board_page, route="/rts/classement/[post_id]", title=f"Classement · {TITLE}",
             on_load=RankingBoardState.load)
app.add_page(student_home_page, route="/etudiant", title=f"Mon dossier · {TITLE}", on_load=StudentHomeState.load)
app.add_page(wishes_page, route="/etudiant/voeux", title=f"Mes vœux · {TITLE}", on_load=WishesState.load)
app.add_page(wishes_receipt_page, route="/etudiant/voeux/recu", title=f"Récépissé · {TITLE}", on_load=WishesReceiptState.load)
app.add_page(coordinator_home_page, route="/coordonnateur", title=f"Coordonnateur · {TITLE}", on_load=CoordinatorHomeState.load)
app.add_page(post_table_page, route="/coordonnateur/postes", title=f"Gestion des postes · {TITLE}", on_load=PostTableState.load)
app.add_page(result_table_page, route="/coordonnateur/resultats", title=f"Résultats · {TITLE}", on_load=ResultTableState.load)
app.add_page(staff_post_detail_page, route="/coordonnateur/postes/[post_id]", title=f"Détail du poste · {TITLE}", on_load=StaffPostDetailState.load)
app.add_page(supervisor_table_page, route="/coordonnateur/responsables", title=f"Gestion des responsables des terrains de stage · {TITLE}", on_load=SupervisorTableState.load)
app.add_page(coordinator_table_page, route="/coordonnateur/coordonnateurs", title=f"Gestion des coordonnateurs · {TITLE}", on_load=CoordinatorTableState.load)
app.add_page(dry_run_page, route="/coordonnateur/simulation", title=f"Simulation du tour · {TITLE}",
             on_load=DryRunState.load)
app.add_page(manager_home_page, route="/gestionnaire", title=f"Gestionnaire · {TITLE}", on_load=ManagerHomeState.load)
app.add_page(manager_calendar_page, route="/gestionnaire/calendrier", title=f"Calendrier · {TITLE}",
             on_load=ManagerCalendarState.load)
app.add_page(manager_rounds_page, route="/gestionnaire/tours", title=f"Tours d'appariement · {TITLE}",
             on_load=ManagerRoundsState.load)
app.add_page(manager_campaigns_page, route="/gestionnaire/campagnes", title=f"Campagnes · {TITLE}",
             on_load=ManagerCampaignsState.load)
app.add_page(people_page, route="/gestionnaire/personnes", title=f"Personnes et rôles · {TITLE}",
             on_load=PeopleState.load)
app.add_page(manager_imports_page, route="/gestionnaire/imports", title=f"Importer des données · {TITLE}",
             on_load=ManagerImportsState.load)
app.add_page(import_history_page, route="/gestionnaire/imports/historique", title=f"Historique des imports · {TITLE}",
             on_load=ImportHistoryState.load)
app.add_page(student_results_page, route="/etudiant/resultats", title=f"Mes résultats · {TITLE}",
             on_load=StudentResultsState.load)
app.add_page(profile_page, route="/profil", title=f"Mon profil · {TITLE}", on_load=ProfileState.load)
app.add_page(email_validation_page, route="/profil/validation/[token]", title=f"Validation d'adresse · {TITLE}",
             on_load=EmailValidationState.validate)
app.add_page(support_page, route="/assistance", title=f"Assistance · {TITLE}", on_load=SupportState.load)
app.add_page(accessibility_page, route="/accessibilite", title=f"Déclaration d'accessibilité · {TITLE}",
             on_load=AppState.enter_public)
app.add_page(follow_ticket_page, route="/assistance/suivi/[ticket_token]", title=f"Suivi de ticket · {TITLE}",
             on_load=FollowTicketState.load)
app.add_page(my_tickets_page, route="/assistance/mes-tickets", title=f"Mes tickets · {TITLE}",
             on_load=MyTicketsState.load)
app.add_page(ticket_inbox_page, route="/gestionnaire/tickets", title=f"Tickets d'assistance · {TITLE}",
             on_load=TicketInboxState.load)
app.add_page(ticket_detail_page, route="/gestionnaire/tickets/[ticket_id]", title=f"Ticket d'assistance · {TITLE}",
             on_load=TicketDetailState.load)
app.add_page(help_page, route="/aide", title=f"Aide · {TITLE}", on_load=HelpState.load)
