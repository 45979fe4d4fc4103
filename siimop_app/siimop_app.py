"""SiiMOP Appariement: the Reflex app. Pages are registered here; each lives in its own module."""

from __future__ import annotations

import functools
import logging

import reflex as rx
from reflex_components_core.base.error_boundary import ErrorBoundary

from siimop_app import routes
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
from siimop_app import worker_balance, worker_memory
from siimop_app.services import outbox, warm_up
from siimop_app.settings import get_settings
from siimop_app.states.session import AppState
from siimop_app.validation import SafeLogFormatter
from siimop_app.web_security import EdgeGuard, EventGuard, backend_error, frontend_error

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
for _handler in logging.getLogger().handlers:  # client text never forges a log line (issue 10, hole 10)
    _handler.setFormatter(SafeLogFormatter(LOG_FORMAT))


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
    head_components=[rx.el.script(src="/a11y.js", defer=True), rx.el.script(src="/downloads.js", defer=True)],
    app_wraps=_APP_WRAPS,
)
app.add_middleware(EventGuard())


@app.register_lifespan_task
async def _mail_sender():
    # Each worker sends the queued mail (claims keep two workers off the same one); started at boot so retries and
    # mail queued by command-line tools leave even when nothing new is queued here.
    outbox.start_sender()


@app.register_lifespan_task
async def _warm_dry_run():
    # Each worker solves the open round once, a few seconds after it starts (a daemon thread, low priority): the
    # first manager's dry run then re-solves only the markets changed since (issue 15). SIIMOP_WARM_DRY_RUN=0: off.
    warm_up.start()


@app.register_lifespan_task
async def _reclaim_memory():
    # Each worker gives back the memory of the clients that left (worker_memory.py); SIIMOP_MEMORY_RECLAIM_SECONDS=0: off.
    worker_memory.log_long_collections(get_settings().gc_pause_log_ms / 1000)
    every = get_settings().memory_reclaim_seconds
    if every > 0:
        await worker_memory.reclaim_forever(lambda: len(app.sio.eio.sockets), every)


@app.register_lifespan_task
async def _balance_clients():
    # With Redis, the workers even out their connected clients after one died (worker_balance.py);
    # SIIMOP_BALANCE_SECONDS=0: off.
    settings, redis_url = get_settings(), rx.config.get_config().redis_url
    if redis_url and settings.balance_seconds > 0:
        await worker_balance.balance_forever(redis_url, lambda: list(app.sio.eio.sockets),
                                             functools.partial(worker_balance.cut, app.sio.eio),
                                             settings.balance_seconds, settings.balance_min_excess,
                                             token_of=_token_of)


def _token_of(eio_sid: str) -> str | None:
    """The client token of a socket of this worker (the balancer lists Engine.IO's sockets)."""
    namespace = app.event_namespace
    sid = app.sio.manager.sid_from_eio_sid(eio_sid, namespace.namespace)
    return namespace.sid_to_token.get(sid) if sid else None


# The socket.io server asks on each connection: the harness learns the frontend's address after startup.
app.sio.eio.cors_allowed_origins = origin_allowed
# Each page's path and title come from the registry (routes.py); here, what draws it and what loads it.
PAGES = (
    (routes.NOT_FOUND, not_found_page, AppState.enter_public),
    (routes.ROOT, root_page, RootState.route),
    (routes.SIGN_IN, sign_in_page, SignInState.reset_form),
    (routes.SIGN_IN_LINK, link_page, LinkState.use_link),
    (routes.CLOSED, closed_page, ClosedState.load),
    (routes.SUPERVISOR_POSTS, supervisor_posts_page, SupervisorPostsState.load),
    (routes.SUPERVISOR_POST, post_detail_page, PostDetailState.load),
    (routes.SUPERVISOR_ASSIGNMENTS, supervisor_assignments_page, SupervisorAssignmentsState.load),
    (routes.RANKING_LIST, ranking_list_page, RankingListState.load),
    (routes.RANKING_BOARD, ranking_board_page, RankingBoardState.load),
    (routes.STUDENT_HOME, student_home_page, StudentHomeState.load),
    (routes.WISHES, wishes_page, WishesState.load),
    (routes.WISHES_RECEIPT, wishes_receipt_page, WishesReceiptState.load),
    (routes.STUDENT_TABLE, coordinator_home_page, CoordinatorHomeState.load),
    (routes.POST_TABLE, post_table_page, PostTableState.load),
    (routes.RESULT_TABLE, result_table_page, ResultTableState.load),
    (routes.STAFF_POST, staff_post_detail_page, StaffPostDetailState.load),
    (routes.SUPERVISOR_TABLE, supervisor_table_page, SupervisorTableState.load),
    (routes.COORDINATOR_TABLE, coordinator_table_page, CoordinatorTableState.load),
    (routes.DRY_RUN, dry_run_page, DryRunState.load),
    (routes.MANAGER_HOME, manager_home_page, ManagerHomeState.load),
    (routes.MANAGER_CALENDAR, manager_calendar_page, ManagerCalendarState.load),
    (routes.MANAGER_ROUNDS, manager_rounds_page, ManagerRoundsState.load),
    (routes.CAMPAIGNS, manager_campaigns_page, ManagerCampaignsState.load),
    (routes.PEOPLE, people_page, PeopleState.load),
    (routes.IMPORTS, manager_imports_page, ManagerImportsState.load),
    (routes.IMPORT_HISTORY, import_history_page, ImportHistoryState.load),
    (routes.STUDENT_RESULTS, student_results_page, StudentResultsState.load),
    (routes.PROFILE, profile_page, ProfileState.load),
    (routes.EMAIL_VALIDATION, email_validation_page, EmailValidationState.validate),
    (routes.SUPPORT, support_page, SupportState.load),
    (routes.ACCESSIBILITY, accessibility_page, AppState.enter_public),
    (routes.FOLLOW_TICKET, follow_ticket_page, FollowTicketState.load),
    (routes.MY_TICKETS, my_tickets_page, MyTicketsState.load),
    (routes.TICKET_INBOX, ticket_inbox_page, TicketInboxState.load),
    (routes.TICKET_DETAIL, ticket_detail_page, TicketDetailState.load),
    (routes.HELP, help_page, HelpState.load),
)
for _page, _component, _on_load in PAGES:
    app.add_page(_component, route=_page.path, title=_page.document_title, on_load=_on_load)
